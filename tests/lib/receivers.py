"""Scriptable HTTP receivers on loopback for the sweep tests.

    r = Receiver()                       # 127.0.0.1, an ephemeral port
    r.script("500", "200")               # first request 500, then 200
    r.default = "200"                    # whatever comes after the script
    ... run a sweep at r.url ...
    r.requests                           # every request: headers, body
    r.connections                        # TCP connections accepted
    r.most_at_once                       # most requests being answered at once

A behaviour is a status ("200", "503"), or a tuple:
    ("status", code, {header: value}, body)
    ("redirect", code, location)
    ("slow", seconds)  answer 200 after a while
    ("hang",)          accept and read the request, never answer
    ("trickle",)       answer 200 and then one body byte a second
    ("big", nbytes)    answer 200 with nbytes of body

closed_port() gives a loopback port nobody listens on (connection refused);
unanswered_port() one whose TCP handshake never completes.
Only the standard library is used.
"""
import collections
import hftest
import http.server
import select
import socket
import socketserver
import sys
import threading
import time

Request = collections.namedtuple("Request", "method path headers body at")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        # Headers and body go out in two writes: without TCP_NODELAY the
        # second waits for the client's delayed ACK (40 ms a request).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def do_POST(self):
        receiver = self.server.receiver
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        behaviour = receiver._record(Request("POST", self.path, headers, body,
                                             time.time()))
        try:
            self._behave(behaviour)
        finally:
            with receiver._lock:
                receiver.at_once -= 1

    do_GET = do_POST

    def _send(self, code, headers=None, body=b""):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _behave(self, b):
        receiver = self.server.receiver
        if isinstance(b, str):
            b = ("status", int(b), {}, b"ok")
        kind = b[0]
        try:
            if kind == "status":
                body = b[3] if len(b) > 3 else b"ok"
                self._send(b[1], b[2] if len(b) > 2 else {},
                           body.encode() if isinstance(body, str) else body)
            elif kind == "redirect":
                self._send(b[1], {"Location": b[2]}, b"moved")
            elif kind == "slow":
                receiver._stop.wait(b[1])
                self._send(200, {}, b"slow ok")
            elif kind == "hang":
                self.close_connection = True
                receiver._stop.wait(120)
            elif kind == "trickle":
                self.close_connection = True
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.flush()
                for _ in range(1000):
                    if receiver._stop.wait(1.0):
                        break
                    self.wfile.write(b"x")
                    self.wfile.flush()
            elif kind == "big":
                self.close_connection = True
                size = b[1]
                self.send_response(200)
                self.send_header("Content-Length", str(size))
                self.end_headers()
                chunk = b"B" * 65536
                sent = 0
                while sent < size:
                    self.wfile.write(chunk[:min(len(chunk), size - sent)])
                    sent += len(chunk)
                    receiver.big_bytes_sent = sent
            else:
                raise ValueError("unknown behaviour %r" % (b,))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, address, family, receiver):
        self.address_family = family
        self.receiver = receiver
        super().__init__(address, _Handler)

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        socketserver.TCPServer.server_bind(self)

    def handle_error(self, request, client_address):
        # A client closing its kept-alive connection is not an error.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def verify_request(self, request, client_address):
        with self.receiver._lock:
            self.receiver.connections += 1
        return True


class Receiver:
    """An HTTP receiver on 127.0.0.1 (and, with ipv6=True, on ::1 at the
    same port) that answers each request as scripted and records it."""

    def __init__(self, ipv6=False, default="200"):
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._script = collections.deque()
        self.default = default
        self.requests = []
        self.connections = 0
        self.at_once = 0
        self.most_at_once = 0
        self.big_bytes_sent = 0
        self.servers = []
        for attempt in range(20):
            port = hftest.free_port()
            try:
                self.servers.append(_Server(("127.0.0.1", port), socket.AF_INET, self))
                if ipv6:
                    self.servers.append(_Server(("::1", port), socket.AF_INET6, self))
                break
            except OSError:
                for s in self.servers:
                    s.server_close()
                self.servers = []
        else:
            raise RuntimeError("no free port for a receiver")
        self.port = port
        self.url = "http://127.0.0.1:%d/hook" % port
        for s in self.servers:
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1},
                             daemon=True).start()
        hftest.cleanup(self.close)

    def script(self, *behaviours):
        """Queue behaviours for the next requests, in order."""
        with self._lock:
            self._script.extend(behaviours)

    def _record(self, request):
        with self._lock:
            self.requests.append(request)
            self.at_once += 1
            self.most_at_once = max(self.most_at_once, self.at_once)
            return self._script.popleft() if self._script else self.default

    def count(self):
        with self._lock:
            return len(self.requests)

    def ids(self):
        """webhook-id of every request, in arrival order."""
        with self._lock:
            return [r.headers.get("webhook-id") for r in self.requests]

    def close(self):
        self._stop.set()
        for s in self.servers:
            s.shutdown()
            s.server_close()
        self.servers = []


def closed_port():
    """A loopback port with no listener: connecting is refused."""
    return hftest.free_port()


def unanswered_port():
    """A loopback port whose TCP connects never complete: a listener with
    a backlog of 0 that never accepts, its queue filled by connections of
    our own, so the kernel drops every further SYN.  Checked before it is
    returned; closed at exit."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    held = [listener]
    for _ in range(64):
        c = socket.socket()
        c.setblocking(False)
        held.append(c)
        c.connect_ex(("127.0.0.1", port))
        _, writable, _ = select.select([], [c], [], 0.3)
        if not writable:
            break       # this one hangs: the queue is full
    else:
        raise RuntimeError("the backlog of port %d never filled" % port)
    # Every connect from now on hangs as this last one does.
    probe = socket.socket()
    probe.settimeout(0.5)
    held.append(probe)
    try:
        probe.connect(("127.0.0.1", port))
    except socket.timeout:
        pass
    else:
        raise RuntimeError("port %d still completes connections" % port)

    @hftest.cleanup
    def _close():
        for s in held:
            s.close()
    return port

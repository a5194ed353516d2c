"""A client for hookfan's management API that checks every answer it gets
against the OpenAPI document, so the document cannot drift from the code.

    import mgmtclient, webservers
    server = webservers.Lighttpd(db)
    api = mgmtclient.Client(server, key)
    r = api.get("/v1/messages", limit=10)      # r.status, r.headers, r.json
    r = api.post("/v1/messages/%s/resend" % mid, {}, idempotency_key="k1")
    api.expect("GET", "/v1/messages", 200)      # raises unless 200; returns r

Every answer (success or error) must be documented for its route and
status, with its Content-Type, and its body must match the schema; a
mismatch raises AssertionError naming the route and what differs.

The check runs in one node process (tests/lib/openapi-check.js) that
validates the whole document once with @apidevtools/swagger-parser, then
each body with ajv (JSON Schema 2020-12).  The packages, pinned in
tests/lib/openapi-check/package.json and its package-lock.json, are
installed on first use with `npm ci` into BUILDDIR/tests/.cache/openapi
(removed by make clean); set HF_OPENAPI_NODE_MODULES to a node_modules
folder that already holds them to skip that (CI without network).
"""
import fcntl
import json
import os
import shutil
import subprocess
import threading
import urllib.parse

import hftest

DOCUMENT = os.path.join(hftest.SRCDIR, "doc", "openapi.json")
PACKAGES = os.path.join(hftest.SRCDIR, "tests", "lib", "openapi-check")
SCRIPT = os.path.join(hftest.SRCDIR, "tests", "lib", "openapi-check.js")


def node_modules():
    """The node_modules folder holding the validators (installed if need be)."""
    given = os.environ.get("HF_OPENAPI_NODE_MODULES")
    if given:
        return given
    prefix = os.path.join(hftest.BUILDDIR, "tests", ".cache", "openapi")
    modules = os.path.join(prefix, "node_modules")
    marker = os.path.join(modules, ".hookfan-lock")
    with open(os.path.join(PACKAGES, "package-lock.json")) as f:
        wanted = f.read()
    os.makedirs(prefix, exist_ok=True)
    # Test files run in parallel (make -j): one installs, the others wait.
    with open(os.path.join(prefix, ".install-lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(marker) as f:
                if f.read() == wanted:
                    return modules
        except OSError:
            pass
        for name in ("package.json", "package-lock.json"):
            shutil.copy(os.path.join(PACKAGES, name), os.path.join(prefix, name))
        r = subprocess.run(["npm", "ci", "--prefix", prefix, "--no-audit", "--no-fund"],
                           capture_output=True, text=True, timeout=300,
                           env=hftest.make_environment())
        if r.returncode != 0:
            raise RuntimeError("npm ci of the OpenAPI validators failed: " + r.stderr[-2000:])
        with open(marker, "w") as f:
            f.write(wanted)
    return modules


class Checker:
    """The node process of openapi-check.js, with one document loaded."""

    def __init__(self, document=DOCUMENT):
        env = dict(os.environ, NODE_PATH=node_modules())
        self.proc = subprocess.Popen(["node", SCRIPT], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.lock = threading.Lock()
        hftest.cleanup(self.close)
        answer = self.ask({"op": "load", "path": document})
        self.load_errors = [] if answer["ok"] else answer["errors"]

    def ask(self, request):
        with self.lock:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("openapi-check.js exited (%s)" % self.proc.poll())
        return json.loads(line)

    def check(self, method, path, status, content_type, body):
        """[] when the answer matches the document, else the differences."""
        if self.load_errors:
            return ["the OpenAPI document is not valid: %s" % self.load_errors]
        return self.ask({"op": "check", "method": method, "path": path,
                         "status": status, "content_type": content_type or "",
                         "body": body})["errors"]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_checker = None


def checker():
    """The one Checker of this test process, on the source tree's document."""
    global _checker
    if _checker is None:
        _checker = Checker()
    return _checker


def validate_document(path):
    """The validator's complaints about the whole document at path ([] if
    it is valid), from a checker of its own."""
    c = Checker(path)
    try:
        return c.load_errors
    finally:
        c.close()


class Response:
    def __init__(self, method, path, status, headers, body):
        self.method, self.path = method, path
        self.status, self.headers, self.body = status, headers, body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def code(self):
        """The error code of an error answer, else None."""
        return self.json.get("code") if isinstance(self.json, dict) else None

    def __repr__(self):
        return "%s %s -> %d %s" % (self.method, self.path, self.status,
                                   self.body[:500].decode(errors="replace"))


class Client:
    """Requests to one web server (webservers.WebServer) with one key.
    base: where hookfan.fcgi is mounted ("" at the site root).  header:
    "bearer" (Authorization: Bearer KEY) or "x-api-key"."""

    def __init__(self, server, key=None, base="", header="bearer"):
        self.server, self.key, self.base, self.header = server, key, base, header

    def with_key(self, key):
        """The same client with another key (None: none)."""
        return Client(self.server, key, self.base, self.header)

    def request(self, method, path, body=None, query=None, headers=None,
                idempotency_key=None, key=None, raw=None):
        """One request; returns a Response once its answer has been checked
        against the document.  body: a JSON value (sent as JSON); raw: bytes
        sent as they are instead.  query: a dict (None values left out) or
        a list of pairs.  key: this request's key instead of the client's
        ("" for none)."""
        headers = dict(headers or {})
        key = self.key if key is None else key
        if key:
            if self.header == "bearer":
                headers.setdefault("Authorization", "Bearer " + key)
            else:
                headers.setdefault("X-API-Key", key)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        data = raw
        if body is not None and raw is None:
            data = json.dumps(body).encode()
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        if method in ("POST", "PATCH", "PUT") and data is None:
            data = b""      # a Content-Length: 0, as lighttpd wants
        target = self.base + path
        if query:
            pairs = query.items() if isinstance(query, dict) else query
            target += "?" + urllib.parse.urlencode([(k, v) for k, v in pairs if v is not None])
        status, hdrs, answer = self.server.request(method, target, data, headers)
        response = Response(method, path, status, hdrs, answer)
        route = urllib.parse.urlsplit(path).path
        errors = checker().check(method, route, status, hdrs.get("content-type"),
                                 answer.decode("utf-8", errors="replace"))
        if errors:
            raise AssertionError("answer does not match the OpenAPI document: %r\n%s"
                                 % (response, "\n".join(errors)))
        return response

    def get(self, path, **query):
        return self.request("GET", path, query=query)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, body=body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.request("PATCH", path, body=body, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)

    def expect(self, method, path, status, body=None, code=None, **kwargs):
        """request(), asserting the status (and the error code, if given);
        returns the Response."""
        r = self.request(method, path, body=body, **kwargs)
        if r.status != status or (code is not None and r.code != code):
            raise AssertionError("expected %d%s, got %r" %
                                 (status, " " + code if code else "", r))
        return r

    def list_all(self, path, limit=None, **query):
        """Every row of a list, page by page through next_cursor; asserts
        no cursor repeats.  Returns the rows in order."""
        rows, cursor, seen = [], None, set()
        while True:
            r = self.expect("GET", path, 200, query=dict(query, limit=limit, cursor=cursor))
            rows.extend(r.json["data"])
            cursor = r.json["next_cursor"]
            if cursor is None:
                return rows
            if cursor in seen:
                raise AssertionError("cursor %s came twice" % cursor)
            seen.add(cursor)

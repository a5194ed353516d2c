"""Real web servers in front of the built hookfan.fcgi, for the ingest tests.

    import hftest, webservers
    db = hftest.MariaDB.start()
    servers = webservers.start_all(db)      # [Lighttpd, Apache]
    status, headers, body = servers[0].request("GET", "/healthz")

Each server runs from a temp directory on a free loopback port, with the
shipped config (apache/hookfan-*.conf.in) filled in with test paths, and is
stopped through hftest.cleanup.  Apache runs its FastCGI processes as
www-data (or nobody), so the binary, the config file and the MariaDB socket
are made reachable by that user.  Standard library only.
"""
import http.client
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time

import hftest

FCGI_TEMPLATE_DIR = os.path.join(hftest.SRCDIR, "apache")
# The dashboard's pages, served from the source tree under /ui/.
UI_DIR = os.path.join(hftest.SRCDIR, "ui")


def _fill(template, values):
    with open(os.path.join(FCGI_TEMPLATE_DIR, template)) as f:
        text = f.read()
    for token, value in values.items():
        text = text.replace("@%s@" % token, value)
    return text


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class WebServer:
    """Common parts: a temp dir, a process, HTTP helpers."""

    name = "server"

    def __init__(self, db):
        self.db = db
        self.dir = tempfile.mkdtemp(prefix="hf-%s-" % self.name)
        os.chmod(self.dir, 0o755)
        self.port = hftest.free_port()
        self.proc = None
        hftest.cleanup(self._destroy)

    def _destroy(self):
        self.stop()
        hftest.check_sanitizer_reports(self.dir, self.name)
        shutil.rmtree(self.dir, ignore_errors=True)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log(self):
        out = []
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".log"):
                with open(os.path.join(self.dir, name), errors="replace") as f:
                    out.append("== %s\n%s" % (name, f.read()[-3000:]))
        return "\n".join(out)

    def _wait_ready(self, healthy):
        """Until the server listens and, if healthy, /healthz answers 200
        (not with a config hookfan.fcgi refuses)."""
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited:\n%s" % (self.name, self.log()))
            return _port_open(self.port)
        hftest.wait_for(ready, 30, self.name + " to listen")
        if healthy:     # the FastCGI side answers once the database does
            hftest.wait_for(lambda: self.request("GET", "/healthz")[0] == 200, 30,
                            self.name + " /healthz")

    def request(self, method, path, body=None, headers=None, timeout=30):
        """One HTTP request; returns (status, headers dict lowercased, body
        bytes).  body may be bytes, str, a dict (sent as JSON) or an
        iterable of byte chunks (sent chunked)."""
        headers = dict(headers or {})
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if body is not None and not isinstance(body, (bytes, bytearray)):
                conn.putrequest(method, path)
                for k, v in headers.items():
                    conn.putheader(k, v)
                conn.putheader("Transfer-Encoding", "chunked")
                conn.endheaders()
                for chunk in body:
                    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                conn.send(b"0\r\n\r\n")
            else:
                conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def api(self, method, path, body=None, key=None, headers=None,
            content_type="application/json"):
        """request() with a Bearer key and JSON content type; returns
        (status, headers, parsed JSON or None)."""
        h = {}
        if content_type:
            h["Content-Type"] = content_type
        if key:
            h["Authorization"] = "Bearer " + key
        h.update(headers or {})
        status, hdrs, data = self.request(method, path, body, h)
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return status, hdrs, parsed


class Lighttpd(WebServer):
    """lighttpd (as the current user) with the shipped lighttpd config."""

    name = "lighttpd"

    def __init__(self, db, config_path=None, procs=2, healthy=True, extra=""):
        """extra: lines appended to lighttpd.conf (after the snippet)."""
        super().__init__(db)
        run = os.path.join(self.dir, "run")
        os.makedirs(run, mode=0o700)
        snippet = _fill("hookfan-lighttpd.conf.in", {
            "FCGI": hftest.FCGI, "CONFIG": config_path or db.config_path,
            "RUNDIR": run, "PKGDATADIR": FCGI_TEMPLATE_DIR, "UIDIR": UI_DIR})
        if procs is not None:   # None: the snippet's own
            snippet = re.sub(r'"max-procs" => \d+', '"max-procs" => %d' % procs, snippet)
        docroot = os.path.join(self.dir, "htdocs")
        os.makedirs(docroot)
        conf = os.path.join(self.dir, "lighttpd.conf")
        with open(conf, "w") as f:
            f.write('server.document-root = "%s"\n' % docroot)
            f.write('server.bind = "127.0.0.1"\nserver.port = %d\n' % self.port)
            f.write('server.errorlog = "%s/error.log"\n' % self.dir)
            f.write('server.upload-dirs = ( "%s" )\n' % self.dir)
            f.write('server.breakagelog = "%s/fcgi-stderr.log"\n' % self.dir)
            f.write(snippet)
            f.write(extra)
        self.conf = conf
        self.proc = subprocess.Popen(["lighttpd", "-D", "-f", conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "stderr.log"), "w"))
        self._wait_ready(healthy)


def _apache_user():
    for name in ("www-data", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("no www-data or nobody user")


class Apache(WebServer):
    """Apache 2.4 + mod_fcgid with the shipped Apache config.  As root,
    FastCGI processes run as www-data (or nobody)."""

    name = "apache"
    MODULES = "/usr/lib/apache2/modules"

    def __init__(self, db, config_path=None, max_procs=2, healthy=True, extra="",
                 modules=()):
        """extra: lines appended to httpd.conf; modules: more to load."""
        super().__init__(db)
        user = _apache_user()
        root = os.geteuid() == 0
        # The program and its config where the Apache user can read them.
        libexec = os.path.join(self.dir, "libexec")
        os.makedirs(libexec)
        os.chmod(libexec, 0o755)
        fcgi = os.path.join(libexec, "hookfan.fcgi")
        shutil.copy2(hftest.FCGI, fcgi)
        os.chmod(fcgi, 0o755)
        config = os.path.join(self.dir, "hookfan.conf")
        shutil.copy2(config_path or db.config_path, config)
        os.chmod(config, 0o600)
        if root:
            os.chown(config, user.pw_uid, user.pw_gid)
            # The MariaDB socket lives in the test database's temp dir.
            os.chmod(db.dir, os.stat(db.dir).st_mode | 0o711)
        for sub in ("run", "fcgid"):
            os.makedirs(os.path.join(self.dir, sub))
        if root:
            os.chown(os.path.join(self.dir, "fcgid"), user.pw_uid, user.pw_gid)
        snippet = _fill("hookfan-apache.conf.in", {
            "FCGI": fcgi, "FCGIDIR": libexec, "CONFIG": config, "UIDIR": UI_DIR})
        conf = os.path.join(self.dir, "httpd.conf")
        with open(conf, "w") as f:
            f.write("ServerRoot %s\n" % self.dir)
            f.write("ServerName 127.0.0.1\n")
            f.write("Listen 127.0.0.1:%d\n" % self.port)
            f.write("PidFile %s/run/httpd.pid\n" % self.dir)
            f.write("DefaultRuntimeDir %s/run\n" % self.dir)
            f.write("Mutex file:%s/run default\n" % self.dir)
            f.write("ErrorLog %s/error.log\nLogLevel warn\n" % self.dir)
            for mod in ("mpm_event", "authz_core", "alias", "headers", "fcgid",
                        "mime", "dir") + tuple(modules):
                f.write("LoadModule %s_module %s/mod_%s.so\n" % (mod, self.MODULES, mod))
            if root:
                f.write("User %s\nGroup #%d\n" % (user.pw_name, user.pw_gid))
            f.write("DocumentRoot %s/run\n" % self.dir)
            # The snippet names the types of the dashboard's files itself.
            f.write("TypesConfig /dev/null\n")
            f.write("FcgidIPCDir %s/fcgid\n" % self.dir)
            f.write("FcgidProcessTableFile %s/run/fcgid_shm\n" % self.dir)
            f.write("FcgidMaxProcessesPerClass %d\n" % max_procs)
            f.write("FcgidMinProcessesPerClass 0\n")
            f.write(snippet)
            f.write(extra)
        self.conf = conf
        self.proc = subprocess.Popen(["apache2", "-f", conf, "-DFOREGROUND"],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "stderr.log"), "w"))
        self._wait_ready(healthy)


def start_all(db, **kwargs):
    """A lighttpd and an Apache, both serving hookfan.fcgi against db."""
    return [Lighttpd(db, **kwargs), Apache(db, **kwargs)]

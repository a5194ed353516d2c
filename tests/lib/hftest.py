"""The hookfan test bed: a TAP runner and real servers in temp directories.

Every integration test file does

    import hftest
    db = hftest.MariaDB.start()          # its own mariadbd, migrated
    @hftest.test
    def some_behaviour(): ...
    hftest.main()

Servers are torn down at exit, whether the tests passed, failed or raised.
Only the standard library is used, so the suite needs no pip packages.
"""
import atexit
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

BUILDDIR = os.environ.get("HF_BUILDDIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
SRCDIR = os.environ.get("HF_SRCDIR") or BUILDDIR
ADMIN = os.path.join(BUILDDIR, "hookfan-admin")
SWEEP = os.path.join(BUILDDIR, "hookfan-sweep")
FCGI = os.path.join(BUILDDIR, "hookfan.fcgi")
SQL_DIR = os.path.join(SRCDIR, "sql")
DB_PASSWORD = "hookfan-test-pw"
# The account of each program, as the suite's configs name them.
ACCOUNTS = {"ingest": "hookfan_ingest", "sweep": "hookfan_sweep",
            "admin": "hookfan_admin", "api": "hookfan_api"}
# Every account of the test bed, for a GRANT on a scratch database.
ALL_ACCOUNTS = ", ".join("'%s'@'localhost'" % user
                         for user in ["hookfan"] + list(ACCOUNTS.values()))



def build_variable(name):
    """A variable of the build's Makefile (prefix, sysconfdir...) with
    ${x} and $(x) expanded: what this build was configured with."""
    values = {}
    with open(os.path.join(BUILDDIR, "Makefile")) as f:
        for line in f:
            m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*) = (.*)$", line.rstrip("\n"))
            if m:
                values[m.group(1)] = m.group(2).strip()
    value = values[name]
    for _ in range(20):
        expanded = re.sub(r"\$[{(]([A-Za-z_][A-Za-z0-9_]*)[})]",
                          lambda m: values[m.group(1)], value)
        if expanded == value:
            return value
        value = expanded
    raise AssertionError("cannot expand %s: %s" % (name, value))


_tests = []
_cleanups = []
_sanitizer_reports = []
_sanitizer_watched = False
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def make_environment():
    """os.environ without the variables of an enclosing `make check` (its
    jobserver descriptors are not ours) or a DESTDIR of its own."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES", "DESTDIR")}


class CgiRun:
    """What one run of hookfan.fcgi as a plain CGI gave (run_cgi)."""

    def __init__(self, proc):
        self.returncode, self.stderr = proc.returncode, proc.stderr
        head, _, self.body = proc.stdout.partition(b"\r\n\r\n")
        self.headers = {}
        for line in head.decode(errors="replace").split("\r\n"):
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()
        self.status = int((self.headers.get("status") or "0").split()[0])

    def json(self):
        return json.loads(self.body) if self.body else None


def run_cgi(method="GET", uri="/healthz", body=b"", binary=None, args=(), env=None,
            **variables):
    """Run hookfan.fcgi (or binary) once as a plain CGI, as a web server
    without FastCGI would: the CGI variables, then variables (e.g.
    HTTP_AUTHORIZATION, HOOKFAN_CONFIG; None drops one) over env (by
    default only PATH and the sanitizers' options).  A CgiRun."""
    if env is None:
        env = {k: v for k, v in os.environ.items()
               if k in ("PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")}
    env = dict(env, GATEWAY_INTERFACE="CGI/1.1", SERVER_PROTOCOL="HTTP/1.1",
               REQUEST_METHOD=method, REQUEST_URI=uri, SCRIPT_NAME="")
    if body:
        env.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))
    env.update(variables)
    env = {k: v for k, v in env.items() if v is not None}
    return CgiRun(subprocess.run([binary or FCGI] + list(args), input=body, env=env,
                                 capture_output=True, timeout=60))


def private_prefix_build():
    """These sources configured with a prefix of our own, for the checks of
    PREFIX/etc/hookfan.conf: this build's PREFIX/etc is not ours to write
    (and a program installed with a DESTDIR still looks in PREFIX/etc).
    Kept in BUILDDIR/tests/.cache/private-prefix, configured once, then
    brought up to date by make.  The sources are a `make distdir` copy,
    refreshed each time, because a source tree built in place
    ("./configure && make check") refuses a second configure.
    Returns (build folder, prefix, lock, make): make(*arguments) runs make
    there; the caller holds the lock while it uses PREFIX/etc."""
    cache = os.path.join(BUILDDIR, "tests", ".cache", "private-prefix")
    sources = os.path.join(cache, "src")
    build = os.path.join(cache, "build")
    prefix = os.path.join(cache, "p")
    os.makedirs(build, exist_ok=True)
    lock = open(os.path.join(cache, "lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    env = make_environment()

    def run(cmd, cwd):
        r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                           timeout=900)
        eq(r.returncode, 0, "%s: %s" % (" ".join(cmd), r.stdout[-2000:] + r.stderr[-2000:]))
    run(["make", "distdir", "distdir=" + sources], BUILDDIR)
    if not os.path.exists(os.path.join(build, "Makefile")):
        run([os.path.join(sources, "configure"), "--prefix=" + prefix, "CFLAGS=-O0"], build)
    return build, prefix, lock, lambda *arguments: run(["make"] + list(arguments), build)


class Skip(Exception):
    """Raised by a test that cannot check what it is for here (a tool is
    missing): TAP `ok N - name # SKIP reason`, never a plain ok."""


def test(fn):
    """Register fn as one TAP test case."""
    _tests.append(fn)
    return fn


def cleanup(fn):
    """Run fn at exit, last registered first."""
    _cleanups.append(fn)
    return fn


def _run_cleanups():
    while _cleanups:
        fn = _cleanups.pop()
        try:
            fn()
        except Exception:  # a cleanup failing must not hide the others
            traceback.print_exc(file=sys.stderr)


atexit.register(_run_cleanups)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def check_sanitizer_reports(folder, what):
    """Look through the *.log files of folder (a server's logs, before they
    are deleted) for AddressSanitizer/UBSan reports of programs the server
    ran; main() turns them into a failed test."""
    global _sanitizer_watched
    _sanitizer_watched = True
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".log"):
            continue
        with open(os.path.join(folder, name), errors="replace") as f:
            text = f.read()
        for marker in SANITIZER_MARKERS:
            at = text.find(marker)
            if at >= 0:
                _sanitizer_reports.append("%s %s: %s" % (what, name, text[max(0, at - 200):at + 1500]))
                break


def main():
    """Run every registered test; print TAP (the plan last); exit 1 if any
    failed.  When servers were watched, one more test: no sanitizer report
    in their logs."""
    failed = 0
    for number, fn in enumerate(_tests, 1):
        name = fn.__name__
        started = time.monotonic()
        try:
            fn()
        except Skip as reason:
            print("ok %d - %s # SKIP %s" % (number, name, reason))
        except Exception:
            failed += 1
            print("not ok %d - %s" % (number, name))
            for line in traceback.format_exc().splitlines():
                print("# " + line)
        else:
            print("ok %d - %s # %.2fs" % (number, name, time.monotonic() - started))
        sys.stdout.flush()
    _run_cleanups()
    count = len(_tests)
    if _sanitizer_watched:
        count += 1
        if _sanitizer_reports:
            failed += 1
            print("not ok %d - no sanitizer reports in server logs" % count)
            for line in "\n".join(_sanitizer_reports).splitlines():
                print("# " + line)
        else:
            print("ok %d - no sanitizer reports in server logs" % count)
    print("1..%d" % count, flush=True)
    sys.exit(1 if failed else 0)


def eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what or "value", expected, actual))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def _find(*names):
    for name in names:
        for folder in ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"):
            path = os.path.join(folder, name)
            if os.path.exists(path):
                return path
    raise RuntimeError("none of %s installed" % (names,))


def _template_datadir():
    """An initialised data directory, made once per build tree and copied."""
    cache = os.path.join(BUILDDIR, "tests", ".cache")
    os.makedirs(cache, exist_ok=True)
    template = os.path.join(cache, "datadir")
    with open(os.path.join(cache, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.exists(os.path.join(template, "mysql")):
            shutil.rmtree(template, ignore_errors=True)
            cmd = [_find("mariadb-install-db", "mysql_install_db"), "--no-defaults",
                   "--datadir=" + template, "--auth-root-authentication-method=socket",
                   "--skip-test-db"]
            if os.geteuid() == 0:
                cmd.append("--user=root")
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    return template


class MariaDB:
    """A private mariadbd on a Unix socket in a temp directory."""

    def __init__(self, tcp_port=None):
        self.dir = tempfile.mkdtemp(prefix="hf-db-")
        # None: the Unix socket alone (--skip-networking); else also TCP
        # on 127.0.0.1 at this port.
        self.tcp_port = tcp_port
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.proc = None
        self.config_path = os.path.join(self.dir, "hookfan.conf")
        cleanup(self._destroy)

    @classmethod
    def start(cls, migrate=True, tcp_port=None, **config):
        """Start a server, create the hookfan database and its accounts,
        and (unless migrate is False) apply the migrations.  Each program
        connects with its own account (ACCOUNTS, made from `hookfan-admin
        grants`, written into the config as ingest_db_user ...); db_user
        'hookfan' has every right on the database, for configs a test
        writes itself.  tcp_port: also listen on 127.0.0.1 at that port
        (the accounts are still @'localhost', the socket's; the caller
        grants more)."""
        db = cls(tcp_port)
        shutil.copytree(_template_datadir(), db.datadir, symlinks=True)
        db.boot()
        db.root_sql("CREATE DATABASE hookfan CHARACTER SET utf8mb4;"
                    "CREATE USER 'hookfan'@'localhost' IDENTIFIED BY '%s';"
                    "GRANT ALL ON hookfan.* TO 'hookfan'@'localhost';" % DB_PASSWORD)
        db.write_config(**config)
        db.create_accounts()
        if migrate:
            db.admin("migrate")     # grants the other accounts when done
        return db

    def create_accounts(self):
        """Every program's account, from the start; admin's rights now,
        the others' once the tables are made (grant_accounts after
        migrate)."""
        self.root_sql("".join("CREATE USER '%s'@'localhost' IDENTIFIED BY '%s';"
                              % (user, DB_PASSWORD) for user in ACCOUNTS.values()))
        self.grant_accounts("admin")

    def grant_accounts(self, account=None):
        """Run `hookfan-admin grants` (of one account, or all) as root,
        with the suite's password.  After every migrate: table grants need
        the tables."""
        args = ["grants"] + (["--account", account] if account else [])
        r = subprocess.run([ADMIN, "--config", self.config_path] + args,
                           capture_output=True, text=True, env=self.env(), timeout=60)
        if r.returncode != 0:
            raise AssertionError("hookfan-admin grants failed: " + r.stderr)
        self.root_sql(r.stdout.replace("CHANGE_ME", DB_PASSWORD))

    def boot(self):
        """Start mariadbd on the existing data directory; wait until ready."""
        cmd = [_find("mariadbd", "mysqld"), "--no-defaults",
               "--datadir=" + self.datadir, "--socket=" + self.socket,
               "--pid-file=" + os.path.join(self.dir, "pid"),
               "--log-error=" + os.path.join(self.dir, "error.log"),
               # Its own temp folder: nothing else may clean up under it.
               "--tmpdir=" + self.dir,
               "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=48M",
               "--max-connections=500", "--skip-name-resolve"]
        if self.tcp_port is None:
            cmd.append("--skip-networking")
        else:
            cmd += ["--bind-address=127.0.0.1", "--port=%d" % self.tcp_port]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_for(self._answers, 60, "mariadbd to accept connections")

    def _answers(self):
        if self.proc.poll() is not None:
            raise RuntimeError("mariadbd exited: " + self._error_log())
        r = subprocess.run(self._client() + ["-e", "SELECT 1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return r.returncode == 0

    def _error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def stop(self):
        """Stop the server cleanly (the data directory stays)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def _destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _client(self):
        return [_find("mariadb", "mysql"), "--no-defaults", "--socket=" + self.socket,
                "-uroot", "--batch", "--skip-column-names"]

    def root_sql(self, statements):
        r = subprocess.run(self._client() + ["-e", statements], capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError("SQL failed: %s\n%s" % (statements, r.stderr))
        return r.stdout

    def rows(self, query):
        """Rows of a query on the hookfan database, as tuples of strings
        (None for NULL)."""
        out = self.root_sql("USE hookfan; " + query)
        rows = []
        for line in out.splitlines():
            rows.append(tuple(None if c == "NULL" else c for c in line.split("\t")))
        return rows

    def value(self, query):
        rows = self.rows(query)
        return rows[0][0] if rows else None

    def write_config(self, path=None, **overrides):
        """Write a hookfan.conf for this server; keys as keyword arguments.
        Each program gets its account of ACCOUNTS, unless db_user is
        given: then that one account serves them all."""
        settings = {"db_socket": self.socket, "db_name": "hookfan",
                    "db_user": "hookfan", "db_password": DB_PASSWORD,
                    "allow_private_targets": "yes"}
        # Each program on its own account, unless the caller names one
        # account (db_user) for all of them.
        for program, user in ACCOUNTS.items() if "db_user" not in overrides else ():
            settings[program + "_db_user"] = user
            settings[program + "_db_password"] = DB_PASSWORD
        settings.update(overrides)
        path = path or self.config_path
        with open(path, "w") as f:
            for key, value in settings.items():
                f.write("%s = %s\n" % (key, value))
        os.chmod(path, 0o600)
        return path

    def env(self):
        env = dict(os.environ)
        env["HOOKFAN_CONFIG"] = self.config_path
        env["HOOKFAN_SQL_DIR"] = SQL_DIR
        return env

    def run_admin(self, *args, config=None):
        """Run hookfan-admin; returns CompletedProcess (text)."""
        cmd = [ADMIN, "--config", config or self.config_path] + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, env=self.env(),
                           timeout=120)
        if r.returncode == 0 and "migrate" in args and config in (None, self.config_path):
            self.grant_accounts()
        return r

    def admin(self, *args):
        """Run hookfan-admin --json ARGS; assert success; return the JSON."""
        r = self.run_admin("--json", *args)
        if r.returncode != 0:
            raise AssertionError("hookfan-admin %s failed (%d): %s" %
                                 (" ".join(args), r.returncode, r.stderr))
        return json.loads(r.stdout)

    def hold(self, statements):
        """A client (root, on the hookfan database) that has run statements
        and keeps its session, and so the locks they took, until
        finish() or release(); returned once they have run."""
        return Held(self, statements)


class Held:
    """See MariaDB.hold."""

    MARK = "hftest-held"

    def __init__(self, db, statements):
        self.proc = subprocess.Popen(db._client() + ["--unbuffered", "hookfan"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        cleanup(self.release)
        self.proc.stdin.write("%s;\nSELECT '%s';\n" % (statements, self.MARK))
        self.proc.stdin.flush()
        while True:     # the rows the statements print come first
            line = self.proc.stdout.readline()
            if line.strip() == self.MARK:
                return
            if not line:
                raise AssertionError("%r did not run: %s" % (statements, self.finish_output()))

    def finish_output(self, statements=""):
        """What finish() does; (stdout, stderr) of the client, once."""
        if getattr(self, "output", None) is None:
            self.output = self.proc.communicate(statements, timeout=30)
        return self.output

    def finish(self, statements=""):
        """Run statements in the same session, then end it (what was not
        committed is rolled back, table locks go); its exit status."""
        self.finish_output(statements)
        return self.proc.returncode

    def release(self):
        self.finish()

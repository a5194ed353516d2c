#!/usr/bin/env python3
"""The hookfan benchmark (issue 5): how close hookfan runs to this machine's
limits.  bench/run installs the packages and builds hookfan, then runs this.

Every hookfan figure is printed next to a ceiling measured in the same run:

  ingest (trigger API, fan-out 1/3/10) through lighttpd + hookfan.fcgi
      vs a trivial FastCGI responder behind the same lighttpd, same wrk;
  hookfan-sweep draining N due deliveries to a do-nothing receiver (nginx)
      vs wrk's POST rate to the same receiver;
  end-to-end latency ingest -> receiver with hookfan-sweep --loop;
  ingest and sweep with millions of old deliveries in the tables
      vs the same figures on empty tables;
  peak RSS (VmHWM / ru_maxrss) of a FastCGI process and of the sweep.

Everything listens on 127.0.0.1 or Unix sockets in a private work directory,
every load is bounded in time, and every server started here is stopped at
exit (normal, error or signal).  Only the Python standard library is used.
"""
import argparse
import atexit
import datetime
import http.client
import http.server
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Ids shaped as src/ids.c makes them, shared with the tests.
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from hfids import id_bound, now_ms, sql_id  # noqa: E402
DB_PASSWORD = "hookfan-bench-pw"
MiB = 1024 * 1024

# Sizes of a full run and of the smoke run (make check).  The buffer pool
# holds all the data, as a database sized for it does: the 5 million old
# deliveries (3.4 GB with their messages and attempts) and the empty
# installation's rounds, ~4 GB at the end.  Too small a pool is full, and
# InnoDB writes pages out during the rounds to make room (with 1 GiB
# ~7,000 per old-rows sweep round, which cost it 10-14% more CPU;
# bench/README.md); each round's details give the free pages it began with.
# old_rounds: rounds of each side when old rows and empty tables alternate.
FULL = dict(wrk_seconds=5, rounds=3, sweep_rounds=3, old_rounds=6, warmup_seconds=2,
            sweep_deliveries=100000, old_deliveries=5000000, e2e_rate=20, e2e_seconds=10,
            buffer_pool="6G", log_file_size="1G", sweep_max_seconds=600)
SMOKE = dict(wrk_seconds=1, rounds=1, sweep_rounds=1, old_rounds=1, warmup_seconds=0,
             sweep_deliveries=1000, old_deliveries=10000, e2e_rate=10, e2e_seconds=1,
             buffer_pool="128M", log_file_size="48M", sweep_max_seconds=15)

# A realistic event: about 300 bytes of JSON.
PAYLOAD = {"orderId": "ord_2Qx8mV4kT9", "status": "paid", "amount": 4999,
           "currency": "EUR", "customer": {"id": "cus_7Hn3kLq", "email":
           "ada@example.com", "country": "DE"}, "items": [{"sku": "SKU-1042",
           "qty": 2, "price": 1999}, {"sku": "SKU-2210", "qty": 1, "price":
           1001}], "paidAt": "2025-01-01T12:00:00Z"}


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


class StageError(Exception):
    pass


# ---------------------------------------------------------------- processes
_procs = []


def spawn(workdir, name, cmd, env=None):
    """Start a server in its own session, output to WORKDIR/NAME.log."""
    out = open(os.path.join(workdir, name + ".log"), "ab")
    p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    out.close()
    p.bench_name = name
    _procs.append(p)
    return p


def stop(p, timeout=30):
    """SIGTERM the process group we started (pgid == pid), then SIGKILL."""
    if p.returncode is not None:
        return
    try:
        if p.poll() is not None:
            return
    except ChildProcessError:
        return
    try:
        os.killpg(p.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def stop_all():
    while _procs:
        stop(_procs.pop())


atexit.register(stop_all)


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


def nginx_config(folder, port):
    """nginx answering 200 to every request on 127.0.0.1:port, one worker,
    no access log, its files in folder: the do-nothing receiver."""
    return """daemon off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %(d)s/body;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  default_type text/plain;
  server {
    listen 127.0.0.1:%(port)d backlog=4096;
    location / { return 200 "ok\\n"; }
  }
}
""" % {"d": folder, "port": port}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise StageError("timed out waiting for " + what)


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def find(*names):
    for name in names:
        path = shutil.which(name) or next(
            (os.path.join(d, name) for d in ("/usr/sbin", "/usr/bin", "/sbin")
             if os.path.exists(os.path.join(d, name))), None)
        if path:
            return path
    raise StageError("none of %s installed" % (names,))


def vm_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# ------------------------------------------------------- other CPU users
def _own_tree_ticks():
    """CPU ticks used by this process and every descendant, dead (reaped:
    in cutime/cstime) or alive."""
    parent, ticks = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(name)
        parent[pid] = int(fields[1])
        ticks[pid] = sum(int(x) for x in fields[11:15])
    children = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [os.getpid()]
    while todo:
        pid = todo.pop()
        total += ticks.get(pid, 0)
        todo.extend(children.get(pid, ()))
    return total


def cpu_snapshot():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    busy = sum(v[:8]) - v[3] - v[4]          # all but idle and iowait
    return time.monotonic(), busy, _own_tree_ticks()


def foreign_cpu(before):
    """Share of the machine's CPUs that processes outside this benchmark
    used since the snapshot: a disturbed measurement shows here."""
    t1, busy1, own1 = cpu_snapshot()
    t0, busy0, own0 = before
    hz = os.sysconf("SC_CLK_TCK")
    capacity = (t1 - t0) * hz * (os.cpu_count() or 1)
    return max(0.0, ((busy1 - busy0) - (own1 - own0)) / capacity) if capacity > 0 else 0.0


# ------------------------------------------------------------------ MariaDB
class MariaDB:
    def __init__(self, workdir, sizes):
        self.dir = os.path.join(workdir, "db")
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.sizes = sizes
        self.proc = None

    def start(self, databases, template=None):
        os.makedirs(self.dir, exist_ok=True)
        if template and os.path.isdir(os.path.join(template, "mysql")):
            shutil.copytree(template, self.datadir, symlinks=True)
        else:
            cmd = [find("mariadb-install-db", "mysql_install_db"), "--no-defaults",
                   "--datadir=" + self.datadir, "--skip-test-db",
                   "--auth-root-authentication-method=socket"]
            if os.geteuid() == 0:
                cmd.append("--user=root")
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                raise StageError("mariadb-install-db failed: " + r.stderr[-500:])
        # Durable: a 2xx is a promise, so every commit reaches the disk
        # (innodb_flush_log_at_trx_commit=1, doublewrite on, no binlog).
        cmd = [find("mariadbd", "mysqld"), "--no-defaults",
               "--datadir=" + self.datadir, "--socket=" + self.socket,
               "--skip-networking", "--skip-name-resolve", "--skip-log-bin",
               "--pid-file=" + os.path.join(self.dir, "pid"),
               "--log-error=" + os.path.join(self.dir, "error.log"),
               "--innodb-flush-log-at-trx-commit=1", "--innodb-doublewrite=1",
               "--innodb-buffer-pool-size=" + self.sizes["buffer_pool"],
               "--innodb-log-file-size=" + self.sizes["log_file_size"],
               "--innodb-io-capacity=20000", "--innodb-io-capacity-max=40000",
               "--max-connections=1000", "--max-allowed-packet=64M"]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        self.proc = spawn(self.dir, "mariadbd", cmd)

        def answers():
            if self.proc.poll() is not None:
                raise StageError("mariadbd exited: " + self.error_log())
            return subprocess.run(self.client() + ["-e", "SELECT 1"],
                                  capture_output=True).returncode == 0
        wait_for(answers, 120, "mariadbd")
        self.sql("CREATE USER 'hookfan'@'localhost' IDENTIFIED BY '%s';" % DB_PASSWORD +
                 "".join("CREATE DATABASE %s CHARACTER SET utf8mb4;"
                         "GRANT ALL ON %s.* TO 'hookfan'@'localhost';" % (d, d)
                         for d in databases), db=None)
        # The durable floor's table (commit_fcgi prepares its INSERT at start).
        self.sql("CREATE TABLE bench_floor (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
                 " body MEDIUMTEXT NOT NULL) ENGINE=InnoDB")

    def error_log(self):
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def client(self):
        return [find("mariadb", "mysql"), "--no-defaults", "--socket=" + self.socket,
                "-uroot", "--batch", "--skip-column-names"]

    def sql(self, statements, db="hookfan"):
        cmd = self.client() + (["-D", db] if db else [])
        r = subprocess.run(cmd, input="SET time_zone = '+00:00';\n" + statements,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise StageError("SQL failed: %s\n%s" % (statements[:300], r.stderr[-800:]))
        return r.stdout

    def value(self, query, db="hookfan"):
        out = self.sql(query, db).strip().splitlines()
        return out[0].split("\t")[0] if out else None

    def status(self, name):
        out = self.sql("SHOW GLOBAL STATUS LIKE '%s'" % name, db=None).split()
        return int(out[1]) if len(out) > 1 else 0


# ---------------------------------------------------------------- SQL helpers
def sql_str(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def payload_sql(seq_expr):
    """About 300 bytes of JSON that differs per row."""
    return ("CONCAT('{\"orderId\":\"ord_', %s, '\",\"status\":\"paid\",\"amount\":', %s %% 100000,"
            " ',\"currency\":\"EUR\",\"customer\":{\"id\":\"cus_', HEX(%s * 7919), "
            "'\",\"email\":\"ada@example.com\",\"country\":\"DE\"},\"items\":[{\"sku\":\"SKU-1042\","
            "\"qty\":2,\"price\":1999},{\"sku\":\"SKU-2210\",\"qty\":1,\"price\":1001}],"
            "\"paidAt\":\"2025-01-01T12:00:00Z\"}')" % (seq_expr, seq_expr, seq_expr))


# ---------------------------------------------------------------- the bench
class Install:
    """One hookfan installation: its database, config file, FastCGI
    processes (on their own lighttpd port) and tenants.  Two run side by
    side in one MariaDB and one lighttpd: "empty" for every figure, and
    "old", which gets the old rows.  The old-rows figures alternate rounds
    between the two, so that the machine's drift, which moved single
    figures by 10-20% within minutes, falls on both sides alike."""

    def __init__(self, tag, db, config):
        self.tag = tag          # "empty" or "old": the suffix of its figures
        self.db = db
        self.config = config
        self.port = None        # lighttpd's port for its hookfan.fcgi
        self.ws = {}            # fan-out (or "e2e") -> id, endpoints, key


class Bench:
    def __init__(self, args):
        self.args = args
        self.smoke = args.smoke
        self.sizes = dict(SMOKE if args.smoke else FULL)
        if args.old_deliveries is not None:
            self.sizes["old_deliveries"] = args.old_deliveries
        if args.buffer_pool:
            self.sizes["buffer_pool"] = args.buffer_pool
        if args.sweep_deliveries is not None:
            self.sizes["sweep_deliveries"] = args.sweep_deliveries
        if args.wrk_seconds is not None:
            self.sizes["wrk_seconds"] = args.wrk_seconds
        self.build = os.path.abspath(args.builddir)
        self.src = os.path.abspath(args.srcdir)
        self.work = os.path.abspath(args.workdir)
        self.admin_bin = os.path.join(self.build, "hookfan-admin")
        self.sweep_bin = os.path.join(self.build, "hookfan-sweep")
        self.fcgi_bin = os.path.join(self.build, "hookfan.fcgi")
        self.trivial_bin = os.path.abspath(args.trivial)
        self.floor_bin = os.path.abspath(args.commit_floor)
        self.procs = args.procs
        self.conns = args.connections
        self.rows = []          # result table rows
        self.errors = []        # stages that produced no figure
        self.fig = {}           # figures by name, for ratios
        self.fcgi_hwm = 0
        self.notes = []
        self.prefix = {"msg": "msg", "del": "del", "att": "att"}
        self.empty = Install("empty", "hookfan", os.path.join(self.work, "hookfan.conf"))
        self.old = Install("old", "hookfan_old", os.path.join(self.work, "hookfan-old.conf"))
        self.installs = (self.empty, self.old)
        # Set once the old rows are in: from then on the empty
        # installation keeps its rows between rounds, as the old one does.
        self.keep_history = False

    # ------------------------------------------------------------ plumbing
    def env(self, inst):
        env = dict(os.environ)
        env["HOOKFAN_CONFIG"] = inst.config
        env["HOOKFAN_SQL_DIR"] = os.path.join(self.src, "sql")
        return env

    def admin(self, inst, *args):
        r = subprocess.run([self.admin_bin, "--config", inst.config, "--json"] + list(args),
                           capture_output=True, text=True, env=self.env(inst), timeout=120)
        if r.returncode != 0:
            raise StageError("hookfan-admin %s: %s%s" % (" ".join(args), r.stderr.strip(),
                                                        r.stdout.strip()))
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def write_config(self, inst, settings):
        with open(inst.config, "w") as f:
            for k, v in settings.items():
                f.write("%s = %s\n" % (k, v))
        os.chmod(inst.config, 0o600)

    def stage(self, name, fn, *a):
        log("stage: " + name)
        started = time.monotonic()
        try:
            fn(*a)
        except StageError as e:
            self.errors.append("%s: %s" % (name, e))
            log("stage %s FAILED: %s" % (name, e))
        except Exception as e:     # a broken stage must not hide the others
            self.errors.append("%s: %s: %s" % (name, type(e).__name__, e))
            log("stage %s FAILED: %r" % (name, e))
        log("stage %s took %.1fs" % (name, time.monotonic() - started))

    # ------------------------------------------------------------ servers
    def start_db(self):
        self.db = MariaDB(self.work, self.sizes)
        self.db.start([i.db for i in self.installs], self.args.db_template)
        for inst in self.installs:
            self.migrate(inst)

    def migrate(self, inst):
        settings = {"db_socket": self.db.socket, "db_name": inst.db,
                    "db_user": "hookfan", "db_password": DB_PASSWORD,
                    "allow_private_targets": "yes",
                    # Deliveries pile up while ingest is measured alone.
                    "max_pending_per_endpoint": "0"}
        while True:
            self.write_config(inst, settings)
            r = subprocess.run([self.admin_bin, "--config", inst.config, "migrate"],
                               capture_output=True, text=True, env=self.env(inst))
            m = re.search(r'unknown key "([a-z_]+)"', r.stderr)
            if r.returncode != 0 and m and m.group(1) in settings:
                if inst is self.empty:
                    self.notes.append("config key %s unknown to this build" % m.group(1))
                del settings[m.group(1)]
                continue
            if r.returncode != 0:
                raise StageError("hookfan-admin migrate: " + r.stderr.strip())
            break

    def start_receiver(self):
        """nginx answering 200 to every request, one worker, no access log."""
        if self.smoke and not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
            self.notes.append("nginx not installed: a Python receiver stood in")
            self.nginx_port = self.python_receiver(lambda body, headers: None)
            return
        self.nginx_port = free_port()
        d = os.path.join(self.work, "nginx")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_config(d, self.nginx_port))
        nginx = find("nginx")
        self.nginx = spawn(d, "nginx", [nginx, "-p", d, "-c", conf, "-e", d + "/error.log"])
        wait_for(lambda: port_open(self.nginx_port) or self.nginx.poll() is not None, 20, "nginx")
        if self.nginx.poll() is not None:
            raise StageError("nginx did not start: " + open(d + "/nginx.log").read()[-500:])

    def start_lighttpd(self):
        """lighttpd with hookfan.fcgi at /, the trivial responder at
        /trivial/ and the durable floor at /floor/, the same number of
        processes each, on Unix sockets; the old-rows installation's
        hookfan.fcgi on a second port."""
        self.empty.port = free_port()
        self.old.port = free_port()
        d = os.path.join(self.work, "lighttpd")
        os.makedirs(os.path.join(d, "www"), exist_ok=True)
        conf = os.path.join(d, "lighttpd.conf")
        common = ('"check-local" => "disable", "fix-root-scriptname" => "enable", '
                  '"max-procs" => %d' % self.procs)
        with open(conf, "w") as f:
            f.write("""server.document-root = "%(d)s/www"
server.bind = "127.0.0.1"
server.port = %(port)d
server.errorlog = "%(d)s/error.log"
server.modules = ("mod_fastcgi")
server.max-connections = 2048
server.max-keep-alive-requests = 1000000
server.max-keep-alive-idle = 60
$SERVER["socket"] == "127.0.0.1:%(old_port)d" {
  fastcgi.server = ("/" => (("socket" => "%(d)s/hookfan-old.sock",
    "bin-path" => "%(fcgi)s", %(common)s,
    "bin-environment" => ("HOOKFAN_CONFIG" => "%(old_config)s"))))
} else $HTTP["url"] =~ "^/trivial/" {
  fastcgi.server = ("/" => (("socket" => "%(d)s/trivial.sock",
    "bin-path" => "%(trivial)s", %(common)s)))
} else $HTTP["url"] =~ "^/floor/" {
  fastcgi.server = ("/" => (("socket" => "%(d)s/floor.sock",
    "bin-path" => "%(floor)s", %(common)s,
    "bin-environment" => ("BENCH_DB_SOCKET" => "%(db_socket)s",
      "BENCH_DB_USER" => "hookfan", "BENCH_DB_PASSWORD" => "%(db_password)s",
      "BENCH_DB_NAME" => "hookfan"))))
} else {
  fastcgi.server = ("/" => (("socket" => "%(d)s/hookfan.sock",
    "bin-path" => "%(fcgi)s", %(common)s,
    "bin-environment" => ("HOOKFAN_CONFIG" => "%(config)s"))))
}
""" % {"d": d, "port": self.empty.port, "trivial": self.trivial_bin,
                "floor": self.floor_bin, "db_socket": self.db.socket,
                "db_password": DB_PASSWORD, "fcgi": self.fcgi_bin, "common": common,
                "config": self.empty.config, "old_port": self.old.port,
                "old_config": self.old.config})
        self.lighttpd = spawn(d, "lighttpd", [find("lighttpd"), "-D", "-f", conf])
        wait_for(lambda: (port_open(self.empty.port) and port_open(self.old.port))
                 or self.lighttpd.poll() is not None, 20, "lighttpd")
        if self.lighttpd.poll() is not None:
            raise StageError("lighttpd did not start: " + open(d + "/error.log").read()[-800:])

    def fcgi_pids(self):
        target = os.path.realpath(self.fcgi_bin)
        pids = []
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    if os.path.realpath("/proc/%s/exe" % name) == target:
                        pids.append(int(name))
                except OSError:
                    pass
        return pids

    def sample_fcgi_rss(self):
        for pid in self.fcgi_pids():
            self.fcgi_hwm = max(self.fcgi_hwm, vm_hwm_kib(pid) or 0)

    def python_receiver(self, on_post):
        """A receiver thread answering 200 to every POST; on_post(body,
        headers) sees each request on arrival.  Returns its port."""
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                on_post(self.rfile.read(n), self.headers)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        atexit.register(server.shutdown)
        return server.server_address[1]

    def start_e2e_receiver(self):
        """Records, for each delivery, arrival time minus the sent_at the
        client put in the payload (one clock: same host)."""
        arrivals = self.e2e_arrivals = []

        def on_post(body, headers):
            now = time.time()
            try:
                obj = json.loads(body)
                if "sent_at" not in obj and isinstance(obj.get("payload"), dict):
                    obj = obj["payload"]
                arrivals.append((obj["seq"], now - obj["sent_at"], headers.get("webhook-id")))
            except (ValueError, KeyError, TypeError):
                arrivals.append((None, None, None))

        self.e2e_port = self.python_receiver(on_post)

    # ------------------------------------------------------------ setup
    def setup_tenants(self, inst):
        """Workspaces with 1, 3 and 10 endpoints on the receiver, one with
        an endpoint on the e2e receiver, and a key each."""
        for fanout in (1, 3, 10):
            ws = self.admin(inst, "workspace", "create", "--name", "bench-fanout-%d" % fanout)["id"]
            eps = [self.admin(inst, "endpoint", "create", "--workspace", ws, "--url",
                              "http://127.0.0.1:%d/hook/f%d/%d" % (self.nginx_port, fanout, i))["id"]
                   for i in range(fanout)]
            key = self.admin(inst, "key", "create", "--workspace", ws)["key"]
            inst.ws[fanout] = {"id": ws, "endpoints": eps, "key": key}
        ws = self.admin(inst, "workspace", "create", "--name", "bench-e2e")["id"]
        ep = self.admin(inst, "endpoint", "create", "--workspace", ws, "--url",
                        "http://127.0.0.1:%d/e2e" % self.e2e_port)["id"]
        key = self.admin(inst, "key", "create", "--workspace", ws)["key"]
        inst.ws["e2e"] = {"id": ws, "endpoints": [ep], "key": key}

    def settle(self, what, timeout=120):
        """Let InnoDB finish what the last writes left it -- dirty pages to
        flush, old row versions to purge -- so that it does not run during
        the next measurement (the retire UPDATE before an old-rows round
        left both, and moved that figure by 10-15% either way)."""
        self.db.sql("SET GLOBAL innodb_max_dirty_pages_pct = 0; "
                    "SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0", db=None)
        try:
            wait_for(lambda: self.db.status("Innodb_buffer_pool_pages_dirty") < 1000
                     and self.db.status("Innodb_history_list_length") < 1000,
                     timeout, "InnoDB to flush and purge " + what)
        except StageError as e:
            self.notes.append("%s (dirty pages %d, history length %d); measured anyway" % (
                e, self.db.status("Innodb_buffer_pool_pages_dirty"),
                self.db.status("Innodb_history_list_length")))
        finally:
            self.db.sql("SET GLOBAL innodb_max_dirty_pages_pct = 90; "
                        "SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0", db=None)

    def reset_traffic(self, inst):
        """Start a round with nothing due: the empty installation's tables
        are emptied (until keep_history); otherwise the waiting deliveries
        are marked done, so that the rows of earlier rounds (and the old
        installation's old rows) stay."""
        if inst is self.empty and not self.keep_history:
            tables = [t for t in self.db.sql("SHOW TABLES", inst.db).split()
                      if t in ("attempts", "deliveries", "messages", "rate_limits")]
            self.db.sql("SET foreign_key_checks = 0; " +
                        " ".join("TRUNCATE TABLE %s;" % t for t in tables), inst.db)
        else:
            self.db.sql("UPDATE deliveries SET status = 'succeeded', due_at = NULL, "
                        "attempts = GREATEST(attempts, 1), last_status_code = 200, "
                        "lease_token = '' "
                        "WHERE due_at IS NOT NULL", inst.db)

    def learn_prefixes(self):
        """Use the id prefixes hookfan itself gives messages, deliveries and
        attempts, if some exist, so generated rows look the same."""
        for key, table in (("msg", "messages"), ("del", "deliveries"), ("att", "attempts")):
            v = self.db.value("SELECT id FROM %s ORDER BY id DESC LIMIT 1" % table)
            if v and "_" in v:
                self.prefix[key] = v.split("_", 1)[0]

    # ------------------------------------------------------------ wrk
    def wrk(self, url, body, key=None, headers="", connections=None, seconds=None,
            threads=2):
        seconds = seconds or self.sizes["wrk_seconds"]
        env = dict(os.environ)
        env["BENCH_BODY"] = body
        env["BENCH_KEY"] = key or ""
        env["BENCH_HEADERS"] = headers
        cmd = [find("wrk"), "-t%d" % threads, "-c%d" % (connections or self.conns),
               "-d%ds" % seconds, "--timeout", "10s", "--latency",
               "-s", os.path.join(HERE, "post.lua"), url]
        io = self.db_io()
        snap = cpu_snapshot()
        r = subprocess.run(cmd, capture_output=True, text=True, env=env,
                           timeout=seconds + 60)
        if r.returncode != 0:
            raise StageError("wrk failed: " + (r.stderr or r.stdout)[-500:])
        res = parse_wrk(r.stdout)
        res["foreign_cpu"] = foreign_cpu(snap)
        res.update(self.db_io(since=io))
        # CPU the benchmark's own processes (servers, wrk) spent per
        # request: steadier than the rate on a shared machine.
        own = (cpu_snapshot()[2] - snap[2]) * 1e6 / os.sysconf("SC_CLK_TCK")
        res["cpu_us_per_request"] = int(own / res["requests"]) if res["requests"] else 0
        return res

    def db_io(self, since=None):
        """InnoDB's page reads from disk and page writes (flushes), or their
        growth since an earlier call, with the buffer pool's free pages at
        that call: a round that had to read pages did not find its working
        set in the pool, and one that started with few free pages had to
        write pages out to make room."""
        now = {"db_pages_read": self.db.status("Innodb_buffer_pool_reads"),
               "db_pages_flushed": self.db.status("Innodb_buffer_pool_pages_flushed")}
        if not since:
            now["db_pages_free"] = self.db.status("Innodb_buffer_pool_pages_free")
            return now
        return dict({k: v - since[k] for k, v in now.items()},
                    db_pages_free=since["db_pages_free"])

    def ingest_body(self):
        return json.dumps({"payload": PAYLOAD}, separators=(",", ":"))

    def probe_ingest(self, inst, fanout, event):
        """One request by hand: 202 with one delivery per endpoint."""
        c = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=30)
        c.request("POST", "/api/ingest/event/" + event, self.ingest_body(),
                  {"Authorization": "Bearer " + inst.ws[fanout]["key"],
                   "Content-Type": "application/json"})
        resp = c.getresponse()
        text = resp.read().decode(errors="replace")
        c.close()
        if resp.status != 202:
            raise StageError("ingest answered %d: %s" % (resp.status, text[:300]))
        try:
            ids = json.loads(text).get("deliveryIds")
        except ValueError:
            raise StageError("ingest answered non-JSON: " + text[:300])
        if ids is None or len(ids) != fanout:
            raise StageError("fan-out %d queued %r" % (fanout, ids))

    # ------------------------------------------------------------ stages
    def stage_trivial(self):
        url = "http://127.0.0.1:%d/trivial/api/ingest/event/bench.trivial" % self.empty.port
        if self.sizes["warmup_seconds"]:
            self.wrk(url, self.ingest_body(), "x", seconds=self.sizes["warmup_seconds"])
        w = self.best_of(lambda: self.wrk(url, self.ingest_body(), "x"))
        if w["non2xx"] or w["errors"]:
            raise StageError("trivial responder: %d non-2xx, %d socket errors"
                             % (w["non2xx"], w["errors"]))
        self.fig["trivial"] = w

    def stage_floor(self):
        """The least a durable ingest does: one committed INSERT per request."""
        url = "http://127.0.0.1:%d/floor/api/ingest/event/bench.floor" % self.empty.port
        if self.sizes["warmup_seconds"]:
            self.wrk(url, self.ingest_body(), "x", seconds=self.sizes["warmup_seconds"])
        self.settle("before the floor")
        before = int(self.db.value("SELECT COUNT(*) FROM bench_floor"))
        rounds = []

        def measure():
            rounds.append(self.wrk(url, self.ingest_body(), "x"))
            return rounds[-1]
        w = self.best_of(measure)
        if any(r["non2xx"] or r["errors"] for r in rounds):
            raise StageError("durable floor: non-2xx answers or socket errors: %r" % rounds)
        answered = sum(r["requests"] for r in rounds)
        stored = int(self.db.value("SELECT COUNT(*) FROM bench_floor")) - before
        if stored < answered:
            raise StageError("durable floor: %d requests answered 202, %d rows stored"
                             % (answered, stored))
        self.fig["floor"] = w

    def best_of(self, measure):
        return fastest([measure() for _ in range(self.sizes["rounds"])], "rps")

    def alternate(self, measure):
        """measure(install) for the empty and the old installation in turn,
        old_rounds times each, the order reversed every round (ABBA), so
        that a drift of the machine during the rounds weighs on both alike.
        Returns each installation's runs by tag."""
        runs = {inst.tag: [] for inst in self.installs}
        for i in range(self.sizes["old_rounds"]):
            for inst in self.installs if i % 2 == 0 else self.installs[::-1]:
                runs[inst.tag].append(measure(inst))
        return runs

    def ingest_url(self, inst, fanout):
        return "http://127.0.0.1:%d/api/ingest/event/bench.fanout%d" % (inst.port, fanout)

    def warm_ingest(self, inst, fanout):
        """A request checked by hand, then load that is not measured."""
        self.reset_traffic(inst)
        self.probe_ingest(inst, fanout, "bench.fanout%d" % fanout)
        if self.sizes["warmup_seconds"]:
            self.wrk(self.ingest_url(inst, fanout), self.ingest_body(), inst.ws[fanout]["key"],
                     seconds=self.sizes["warmup_seconds"])

    def ingest_round(self, inst, fanout):
        """One measured round, from the tables the installation starts
        every round with: emptied, or its old rows only."""
        self.reset_traffic(inst)
        self.settle("before ingest fan-out %d" % fanout)
        due = "SELECT COUNT(*) FROM deliveries WHERE due_at IS NOT NULL"
        before = int(self.db.value(due, inst.db))
        w = self.wrk(self.ingest_url(inst, fanout), self.ingest_body(), inst.ws[fanout]["key"])
        if w["non2xx"] or w["errors"]:
            raise StageError("ingest fan-out %d: %d non-2xx, %d socket errors of %d"
                             % (fanout, w["non2xx"], w["errors"], w["requests"]))
        # Every answered request stored its deliveries (+ those in flight).
        w["stored_deliveries"] = int(self.db.value(due, inst.db)) - before
        if w["stored_deliveries"] < w["requests"] * fanout:
            raise StageError("ingest fan-out %d: %d requests but %d deliveries stored"
                             % (fanout, w["requests"], w["stored_deliveries"]))
        return w

    def stage_ingest(self, fanout):
        self.warm_ingest(self.empty, fanout)
        self.fig["ingest%d_empty" % fanout] = self.best_of(
            lambda: self.ingest_round(self.empty, fanout))
        self.sample_fcgi_rss()

    def stage_old_ingest(self):
        """Ingest fan-out 3 with the old rows, against the installation
        without them, in alternating rounds."""
        for inst in self.installs:
            self.warm_ingest(inst, 3)
        self.old_rows_figures("ingest3", "rps", lambda inst: self.ingest_round(inst, 3),
                              lambda runs: fastest(runs, "rps"))
        self.sample_fcgi_rss()

    def old_rows_figures(self, name, rate, measure, summary):
        """NAME_old and NAME_control (no old rows) from alternating rounds;
        NAME_old also gets the cost of the old rows (paired_cost) and each
        pair of rounds' cost."""
        runs = self.alternate(measure)
        self.fig[name + "_old"] = summary(runs["old"])
        self.fig[name + "_control"] = summary(runs["empty"])
        self.fig[name + "_old"]["cost"] = paired_cost(runs, rate)
        for inst in self.installs:
            self.fig[name + "_" + ("old" if inst is self.old else "control")][
                "median_rate"] = statistics.median(r[rate] for r in runs[inst.tag])
        self.fig[name + "_old"]["round_costs"] = round_costs(runs, rate)

    def stage_receiver_ceiling(self):
        body = json.dumps(PAYLOAD, separators=(",", ":"))
        headers = ("webhook-id: msg_01jd8v7k3xq2m9c4b6n0p5r8st\n"
                   "webhook-timestamp: 1735732800\n"
                   "webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=")
        url = "http://127.0.0.1:%d/hook/ceiling/0" % self.nginx_port
        conns = self.args.sweep_ceiling_connections
        if self.sizes["warmup_seconds"]:
            self.wrk(url, body, headers=headers, connections=conns,
                     seconds=self.sizes["warmup_seconds"])
        w = self.best_of(lambda: self.wrk(url, body, headers=headers, connections=conns))
        if w["non2xx"] or w["errors"]:
            raise StageError("receiver: %d non-2xx, %d errors" % (w["non2xx"], w["errors"]))
        self.fig["receiver"] = w

    def prepare_due(self, inst, n, marker):
        """N pending deliveries, due in the past, 10 per message, to the
        fan-out-10 workspace's endpoints on the receiver."""
        ws = inst.ws[10]
        per = len(ws["endpoints"])
        msgs = (n + per - 1) // per
        start = now_ms() - msgs * 10 - 60000
        eps = ", ".join(sql_str(e) for e in ws["endpoints"])
        self.db.sql("""
SET foreign_key_checks = 0; SET unique_checks = 0;
INSERT INTO messages (id, workspace_id, event_type, payload, status, created_at, updated_at)
SELECT %(mid)s, %(ws)s, %(marker)s, %(payload)s, 'pending',
       FROM_UNIXTIME(t.ms / 1000), FROM_UNIXTIME(t.ms / 1000)
FROM (SELECT seq, %(start)d + seq * 10 AS ms FROM seq_0_to_%(last)d) t;
INSERT INTO deliveries (id, message_id, endpoint_id, status, attempts, due_at, created_at, updated_at)
SELECT %(did)s, x.mid, x.ep, 'pending', 0, FROM_UNIXTIME(x.ms / 1000),
       FROM_UNIXTIME(x.ms / 1000), FROM_UNIXTIME(x.ms / 1000)
FROM (SELECT m.id AS mid, ELT(s.seq + 1, %(eps)s) AS ep,
             CAST(UNIX_TIMESTAMP(m.created_at) * 1000 AS UNSIGNED) + s.seq AS ms
      FROM messages m JOIN seq_0_to_%(plast)d s
      WHERE m.workspace_id = %(ws)s AND m.created_at >= FROM_UNIXTIME(%(start)d / 1000)
        AND m.event_type = %(marker)s AND m.status = 'pending') x
LIMIT %(n)d;
""" % {"mid": sql_id(self.prefix["msg"], "t.ms"), "ws": sql_str(ws["id"]),
            "payload": payload_sql("t.seq"), "start": start, "last": msgs - 1,
            "did": sql_id(self.prefix["del"], "x.ms"), "eps": eps, "plast": per - 1,
            "n": n, "marker": sql_str(marker)}, inst.db)
        due = int(self.db.value("SELECT COUNT(*) FROM deliveries WHERE due_at <= NOW(3) "
                                "AND status = 'pending'", inst.db))
        if due != n:
            raise StageError("prepared %d due deliveries, wanted %d" % (due, n))
        return start

    def run_sweep(self, inst, extra=(), timeout=None, profile=None):
        """Run hookfan-sweep to completion; returns (seconds, rc, maxrss KiB).
        With --perf DIR, the whole machine is profiled meanwhile into
        DIR/<profile>.data."""
        cmd = [self.sweep_bin, "--config", inst.config,
               "--max-seconds", str(self.sizes["sweep_max_seconds"])] + list(extra)
        perf = self.start_perf(profile)
        try:
            io = self.db_io()
            snap = cpu_snapshot()
            started = time.monotonic()
            p = spawn(self.work, "sweep", cmd, env=self.env(inst))
            deadline = started + (timeout or self.sizes["sweep_max_seconds"] + 60)
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() > deadline:
                    stop(p)
                    raise StageError("hookfan-sweep did not exit in time")
                time.sleep(0.01)
            elapsed = time.monotonic() - started
            self.last_foreign = foreign_cpu(snap)
            self.last_own_cpu_us = ((cpu_snapshot()[2] - snap[2]) * 1e6
                                    / os.sysconf("SC_CLK_TCK"))
            self.last_io = self.db_io(since=io)
            p.returncode = os.waitstatus_to_exitcode(status)
            _procs.remove(p)
        finally:
            if perf:
                stop(perf, 60)
                _procs.remove(perf)
        return elapsed, p.returncode, ru.ru_maxrss

    def start_perf(self, name):
        """perf record of every CPU, with call graphs, until SIGTERM (its
        CPU counts in the benchmark's own, so the CPU figures of a
        profiled run are not comparable)."""
        if not (self.args.perf and name):
            return None
        os.makedirs(self.args.perf, exist_ok=True)
        p = spawn(self.work, "perf", [find("perf"), "record", "-a", "-g", "-F", "999", "-o",
                                      os.path.join(os.path.abspath(self.args.perf),
                                                   name + ".data")])
        time.sleep(0.5)     # perf needs a moment before it records
        if p.poll() is not None:
            _procs.remove(p)
            raise StageError("perf record exited at once (see %s/perf.log)" % self.work)
        return p

    def stage_sweep(self):
        """The fastest of sweep_rounds drains; peak RSS of all."""
        self.fig["sweep_empty"] = self.sweep_figure(
            [self.sweep_once(self.empty) for _ in range(self.sizes["sweep_rounds"])])

    def stage_old_sweep(self):
        """Drains with the old rows, against drains without them in
        alternating rounds, after one drain of each that is not measured
        (as ingest warms up: the first rounds after the fill ran slower)."""
        for inst in self.installs:
            self.sweep_once(inst)
        self.old_rows_figures("sweep", "rate", self.sweep_once, self.sweep_figure)
        self.settle("after the sweep rounds")
        self.fig["btree_levels"] = {inst.tag: self.btree_levels(inst) for inst in self.installs}

    def btree_levels(self, inst):
        """How many levels deep each index of the tables the sweep writes
        is: one more level is one more page searched at every lookup.
        Read off each root page's PAGE_LEVEL in the .ibd file, once InnoDB
        has flushed; "?" if the page read is not that index page (yet)."""
        page_size = int(self.db.value("SELECT @@innodb_page_size", db=None))
        rows = self.db.sql(
            "SELECT t.NAME, i.NAME, i.PAGE_NO FROM information_schema.INNODB_SYS_INDEXES i"
            " JOIN information_schema.INNODB_SYS_TABLES t ON t.TABLE_ID = i.TABLE_ID"
            " WHERE t.NAME IN (%s)" % ", ".join(
                sql_str("%s/%s" % (inst.db, t)) for t in ("messages", "deliveries", "attempts")),
            db=None)
        levels = []
        for line in rows.splitlines():
            table, index, root = line.split("\t")
            with open(os.path.join(self.db.datadir, table + ".ibd"), "rb") as f:
                f.seek(int(root) * page_size)
                page = f.read(66)
            # FIL header: page number at byte 4, page type at 24 (17855 is
            # an index page); the index page header's PAGE_LEVEL at 64.
            ok = (len(page) == 66 and int.from_bytes(page[4:8], "big") == int(root)
                  and int.from_bytes(page[24:26], "big") == 17855)
            levels.append("%s.%s=%s" % (table.split("/")[1], index,
                                        int.from_bytes(page[64:66], "big") + 1 if ok else "?"))
        return " ".join(sorted(levels))

    def sweep_figure(self, runs):
        f = fastest(runs, "rate")
        f["rss_kib"] = max(r["rss_kib"] for r in runs)
        if f["left"]:
            self.notes.append("a sweep drain left %d of %d deliveries undelivered"
                              % (f["left"], self.sizes["sweep_deliveries"]))
        return f

    def sweep_once(self, inst):
        """One drain of sweep_deliveries due deliveries."""
        self.reset_traffic(inst)
        n = self.sizes["sweep_deliveries"]
        started = time.monotonic()
        self.sweep_round = getattr(self, "sweep_round", 0) + 1
        marker = "bench.sweep.%d" % self.sweep_round
        self.prepare_due(inst, n, marker)
        self.settle("the due deliveries")
        log("prepared %d due deliveries in %.1fs" % (n, time.monotonic() - started))
        elapsed, rc, rss = self.run_sweep(inst, self.args.sweep_args.split(),
                                          profile="sweep-%d-%s" % (self.sweep_round, inst.tag))
        left = int(self.db.value("SELECT COUNT(*) FROM deliveries WHERE due_at IS NOT NULL",
                                 inst.db))
        # Only this round's deliveries: their messages carry its marker.
        done = int(self.db.value(
            "SELECT COUNT(*) FROM messages m JOIN deliveries d ON d.message_id = m.id "
            "WHERE m.workspace_id = %s AND m.event_type = %s "
            "AND d.status = 'succeeded' AND d.due_at IS NULL"
            % (sql_str(inst.ws[10]["id"]), sql_str(marker)), inst.db))
        if rc != 0:
            raise StageError("hookfan-sweep exited %d (see %s/sweep.log)" % (rc, self.work))
        if done == 0:
            raise StageError("hookfan-sweep delivered nothing")
        # As cpu_us_per_request: the CPU of the sweep, MariaDB and nginx.
        return {"rate": done / elapsed, "delivered": done, "left": left,
                "seconds": elapsed, "rss_kib": rss, "foreign_cpu": self.last_foreign,
                "cpu_us_per_delivery": int(self.last_own_cpu_us / done), **self.last_io}

    def stage_e2e(self):
        self.reset_traffic(self.empty)
        del self.e2e_arrivals[:]
        ws = self.empty.ws["e2e"]
        sweep = spawn(self.work, "sweep-loop",
                      [self.sweep_bin, "--config", self.empty.config, "--loop",
                       "--max-seconds", "3600"], env=self.env(self.empty))
        try:
            time.sleep(0.5 if self.smoke else 2)    # let it connect and go idle
            if sweep.poll() is not None:
                raise StageError("hookfan-sweep --loop exited %d" % sweep.returncode)
            rate, seconds = self.sizes["e2e_rate"], self.sizes["e2e_seconds"]
            n = rate * seconds
            c = http.client.HTTPConnection("127.0.0.1", self.empty.port, timeout=30)
            t0 = time.monotonic()
            ingest_lat = []
            for i in range(n):
                delay = t0 + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                body = json.dumps({"payload": {"seq": i, "sent_at": time.time(),
                                               "order": PAYLOAD}})
                s = time.monotonic()
                c.request("POST", "/api/ingest/event/bench.e2e", body,
                          {"Authorization": "Bearer " + ws["key"],
                           "Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                ingest_lat.append(time.monotonic() - s)
                if r.status != 202:
                    raise StageError("e2e ingest answered %d" % r.status)
            c.close()
            wait_for(lambda: len(self.e2e_arrivals) >= n, 30, "e2e deliveries")
        finally:
            s = time.monotonic()
            stop(sweep, 10 if self.smoke else 30)
            self.sweep_stop_seconds = time.monotonic() - s
        if sweep.returncode not in (0, None):
            self.notes.append("hookfan-sweep --loop exited %d on SIGTERM (%.1fs)"
                              % (sweep.returncode, self.sweep_stop_seconds))
        lat = sorted(a[1] for a in self.e2e_arrivals if a[1] is not None)
        if len(lat) < n:
            raise StageError("e2e: %d of %d arrivals readable" % (len(lat), n))
        dup = len(self.e2e_arrivals) - len({a[0] for a in self.e2e_arrivals})
        self.fig["e2e"] = {"p50": pct(lat, 50), "p99": pct(lat, 99), "n": n, "dup": dup,
                           "ingest_p50": pct(sorted(ingest_lat), 50),
                           "sigterm_exit_s": self.sweep_stop_seconds}

    def stage_fill_old(self):
        """Old, finished traffic in the old installation: N deliveries (3 per
        message, succeeded, due_at NULL), their messages, and one attempt
        each (5% two: a 500 first)."""
        inst = self.old
        self.reset_traffic(inst)
        total = self.sizes["old_deliveries"]
        ws = inst.ws[3]
        msgs = (total + 2) // 3
        end = now_ms() - 86400 * 1000            # the newest is a day old
        span = 89 * 86400 * 1000                 # 90 days of history
        step = max(10, span // msgs)
        base = end - msgs * step
        eps = ", ".join(sql_str(e) for e in ws["endpoints"])
        chunk = 50000 if not self.smoke else msgs
        started = time.monotonic()
        session = "SET foreign_key_checks = 0; SET unique_checks = 0;\n"
        todo = list(range(0, msgs, chunk))
        done = []
        failures = []
        lock = threading.Lock()

        def worker():
            while not failures:
                with lock:
                    if not todo:
                        return
                    lo = todo.pop(0)
                try:
                    fill_chunk(lo)
                except Exception as e:
                    failures.append(e)
                    return
                with lock:
                    done.append(lo)
                    if not self.smoke and len(done) % 5 == 0:
                        log("old rows: %d of %d messages (%.0fs)" % (
                            min(msgs, len(done) * chunk), msgs, time.monotonic() - started))

        def fill_chunk(lo):
            hi = min(msgs, lo + chunk)             # message seqs [lo, hi)
            lo_ms, hi_ms = base + lo * step, base + hi * step
            self.db.sql(session + """
INSERT INTO messages (id, workspace_id, event_type, payload, status, created_at, updated_at)
SELECT %(mid)s, %(ws)s, 'order.paid', %(payload)s, 'delivered',
       FROM_UNIXTIME(t.ms / 1000), FROM_UNIXTIME(t.ms / 1000 + 2)
FROM (SELECT seq, %(base)d + seq * %(step)d AS ms FROM seq_%(lo)d_to_%(hilast)d) t;
INSERT INTO deliveries (id, message_id, endpoint_id, status, attempts, due_at,
                        last_status_code, created_at, updated_at)
SELECT %(did)s, x.mid, x.ep, 'succeeded', IF(RAND() < 0.05, 2, 1), NULL, 200,
       FROM_UNIXTIME(x.ms / 1000), FROM_UNIXTIME(x.ms / 1000 + 1)
FROM (SELECT m.id AS mid, ELT(s.seq + 1, %(eps)s) AS ep,
             CAST(UNIX_TIMESTAMP(m.created_at) * 1000 AS UNSIGNED) + s.seq AS ms
      FROM messages m JOIN seq_0_to_2 s
      WHERE m.id >= %(mlo)s AND m.id < %(mhi)s) x;
INSERT INTO attempts (id, attempt_number, delivery_id, started_at, duration_ms,
                      status_code, response_excerpt)
SELECT %(aid)s, x.n, x.did, FROM_UNIXTIME(x.ms / 1000), 20 + FLOOR(RAND() * 80),
       IF(x.n < x.attempts, 500, 200), IF(x.n < x.attempts, 'error', 'ok')
FROM (SELECT d.id AS did, s.seq AS n, d.attempts,
             CAST(UNIX_TIMESTAMP(d.created_at) * 1000 AS UNSIGNED) + 50 + (s.seq - 1) * 5000 AS ms
      FROM deliveries d JOIN seq_1_to_2 s ON s.seq <= d.attempts
      WHERE d.id >= %(dlo)s AND d.id < %(dhi)s) x;
""" % {"mid": sql_id(self.prefix["msg"], "t.ms"), "ws": sql_str(ws["id"]),
                "payload": payload_sql("t.seq"), "base": base, "step": step, "lo": lo,
                "hilast": hi - 1, "did": sql_id(self.prefix["del"], "x.ms"), "eps": eps,
                "mlo": sql_str(id_bound(self.prefix["msg"], lo_ms)),
                "mhi": sql_str(id_bound(self.prefix["msg"], hi_ms)),
                "aid": sql_id(self.prefix["att"], "x.ms"),
                "dlo": sql_str(id_bound(self.prefix["del"], lo_ms)),
                "dhi": sql_str(id_bound(self.prefix["del"], hi_ms))}, inst.db)

        # One writer per core: the server, not the client, does the work.
        threads = [threading.Thread(target=worker) for _ in range(os.cpu_count() or 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            raise failures[0]
        counts = {t: int(self.db.value("SELECT COUNT(*) FROM %s" % t, inst.db))
                  for t in ("messages", "deliveries", "attempts")}
        if counts["deliveries"] < total:
            raise StageError("old rows: only %d deliveries" % counts["deliveries"])
        fill = time.monotonic() - started
        # The old-rows rounds start from here: the installations then
        # differ in the old rows alone (bench/README.md).
        self.reset_traffic(self.empty)
        self.keep_history = True
        self.settle("the old rows", 300)
        size = self.db.value("SELECT ROUND(SUM(data_length + index_length) / 1048576)"
                             " FROM information_schema.tables WHERE table_schema = %s"
                             % sql_str(inst.db))
        self.fig["old"] = dict(counts, seconds=fill, flushed=time.monotonic() - started - fill,
                               mib_on_disk=int(size or 0))

    # ------------------------------------------------------------ run
    def run(self):
        os.makedirs(self.work, exist_ok=True)
        for b in (self.admin_bin, self.sweep_bin, self.fcgi_bin, self.trivial_bin,
                  self.floor_bin):
            if not os.access(b, os.X_OK):
                raise StageError("missing binary " + b)
        t0 = time.monotonic()
        self.start_db()
        self.start_receiver()
        self.start_e2e_receiver()
        self.start_lighttpd()
        for inst in self.installs:
            self.setup_tenants(inst)
        log("servers up in %.1fs: lighttpd :%d (old rows :%d), nginx :%d, e2e receiver :%d"
            % (time.monotonic() - t0, self.empty.port, self.old.port, self.nginx_port,
               self.e2e_port))
        want = set(self.args.stages.split(","))
        if "trivial" in want:
            self.stage("trivial FastCGI ceiling", self.stage_trivial)
        if "ingest" in want:
            for fanout in (1, 3, 10):
                self.stage("ingest fan-out %d" % fanout, self.stage_ingest, fanout)
        # After ingest: the rows it writes are flushed while later stages run.
        if "floor" in want:
            self.stage("durable floor (one committed INSERT)", self.stage_floor)
        self.learn_prefixes()
        if "receiver" in want:
            self.stage("receiver ceiling (wrk POST)", self.stage_receiver_ceiling)
        if "sweep" in want:
            self.stage("sweep", self.stage_sweep)
        self.learn_prefixes()
        if "e2e" in want:
            self.stage("end-to-end with --loop", self.stage_e2e)
        if "old" in want:
            self.stage("fill old rows", self.stage_fill_old)
        if "old" in self.fig:
            if "ingest" in want:
                self.stage("ingest fan-out 3, old rows against empty tables",
                           self.stage_old_ingest)
            if "sweep" in want:
                self.stage("sweep, old rows against empty tables", self.stage_old_sweep)
        self.sample_fcgi_rss()
        self.total_seconds = time.monotonic() - t0

    # ------------------------------------------------------------ report
    def table(self):
        f = self.fig
        rows = []

        def add(figure, value, ceiling, ratio, target, ok, *figs):
            verdict = "" if ok is None else ("PASS" if ok else "MISS")
            if verdict and any(x and x.get("foreign_cpu", 0) > 0.10 for x in figs):
                verdict += " (disturbed)"
            rows.append((figure, value, ceiling, ratio, target, verdict))

        triv = f.get("trivial")
        for fanout in (1, 3, 10):
            w = f.get("ingest%d_empty" % fanout)
            if not w:
                add("ingest fan-out %d: req/s" % fanout, "—", fmt_rate(triv), "—",
                    "≥ 50%" if fanout == 3 else "", False if fanout == 3 else None)
                if fanout == 3:
                    add("ingest fan-out 3: p99", "—", fmt_ms(triv, "p99"), "", "< 20 ms", False)
                continue
            ratio = w["rps"] / triv["rps"] if triv else None
            add("ingest fan-out %d: req/s" % fanout, fmt_rate(w), fmt_rate(triv),
                fmt_pct(ratio), "≥ 50%" if fanout == 3 else "",
                (ratio is not None and ratio >= 0.5) if fanout == 3 else None, w, triv)
            add("ingest fan-out %d: p50 / p99" % fanout,
                "%s / %s" % (fmt_ms(w, "p50"), fmt_ms(w, "p99")),
                "%s / %s" % (fmt_ms(triv, "p50"), fmt_ms(triv, "p99")) if triv else "—", "",
                "p99 < 20 ms" if fanout == 3 else "",
                (w["p99"] < 0.020) if fanout == 3 else None, w)
        # What the durable commit alone costs, and what hookfan adds to it.
        fl, ing3 = f.get("floor"), f.get("ingest3_empty")
        add("durable floor, one committed INSERT per request: req/s", fmt_rate(fl),
            fmt_rate(triv), fmt_pct(fl["rps"] / triv["rps"] if fl and triv else None),
            "", None, fl, triv)
        add("ingest fan-out 3 against the durable floor", fmt_rate(ing3),
            fmt_rate(fl) + " (floor)" if fl else "—",
            fmt_pct(ing3["rps"] / fl["rps"] if ing3 and fl else None), "", None, ing3, fl)
        s, rcv = f.get("sweep_empty"), f.get("receiver")
        ratio = s["rate"] / rcv["rps"] if s and rcv else None
        add("sweep: deliveries/s draining %s" % fmt_int(self.sizes["sweep_deliveries"]),
            "%s/s" % fmt_int(s["rate"]) if s else "—",
            "%s/s (wrk POST, -c%d)" % (fmt_int(rcv["rps"]), self.args.sweep_ceiling_connections)
            if rcv else "—", fmt_pct(ratio), "≥ 20% and ≥ 10,000/s",
            bool(s and ratio is not None and ratio >= 0.2 and s["rate"] >= 10000), s, rcv)
        e = f.get("e2e")
        add("end-to-end ingest → receiver, --loop: p50 / p99",
            "%.1f / %.1f ms" % (e["p50"] * 1000, e["p99"] * 1000) if e else "—", "—", "",
            "p50 < 100 ms, p99 < 1 s", bool(e and e["p50"] < 0.1 and e["p99"] < 1.0))
        old = f.get("old")
        label = fmt_int(old["deliveries"]) if old else fmt_int(self.sizes["old_deliveries"])
        # Against the installation without the old rows, measured in the
        # rounds between (alternate): the median rounds, and the median
        # pair's cost.
        beside = " (no old rows, rounds alternating)"

        def old_rows(name, figure):
            """The row of NAME_old against NAME_control: median rounds and
            the median pair's cost."""
            old, new = f.get(name + "_old"), f.get(name + "_control")
            n = self.sizes["old_rounds"]
            cost = old["cost"] if old and new else None
            add("%s with %s old deliveries: %s (median round)" % (figure[0], label, figure[1]),
                "%s/s" % fmt_int(old["median_rate"]) if old else "—",
                "%s/s%s" % (fmt_int(new["median_rate"]), beside) if new else "—",
                "%s (median of %d pair%s)" % (fmt_cost(cost), n, "s"[:n > 1])
                if cost is not None else "—",
                "cost ≤ 10%", cost is not None and cost <= 0.10, old, new)
            return old, new

        w_old, w_new = old_rows("ingest3", ("ingest fan-out 3", "req/s"))
        if w_old:
            add("ingest fan-out 3 with %s old deliveries: p50 / p99 (fastest round)" % label,
                "%s / %s" % (fmt_ms(w_old, "p50"), fmt_ms(w_old, "p99")),
                "%s / %s" % (fmt_ms(w_new, "p50"), fmt_ms(w_new, "p99")) if w_new else "—",
                "", "", None)
        s_old, s_new = old_rows("sweep", ("sweep", "deliveries/s"))
        add("peak RSS, one hookfan.fcgi process under load",
            fmt_mib(self.fcgi_hwm) if self.fcgi_hwm else "—", "—", "", "< 16 MiB",
            bool(self.fcgi_hwm) and self.fcgi_hwm < 16 * 1024)
        rss = max([x["rss_kib"] for x in (s, s_new, s_old) if x] or [0])
        add("peak RSS, hookfan-sweep draining %s" % fmt_int(self.sizes["sweep_deliveries"]),
            fmt_mib(rss) if rss else "—", "—", "", "< 64 MiB", bool(rss) and rss < 64 * 1024)
        return rows

    def missing_figures(self):
        return [r[0] for r in self.table() if r[1] == "—"]

    def markdown(self):
        host = socket.gethostname()
        cpu = ""
        try:
            with open("/proc/cpuinfo") as fh:
                m = re.search(r"model name\s*:\s*(.*)", fh.read())
                cpu = m.group(1).strip() if m else ""
        except OSError:
            pass
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        commit = os.environ.get("BENCH_COMMIT") or source_version(self.src)
        lines = ["# hookfan benchmark: %s on %s%s" % (
            datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), host,
            " (SMOKE: tiny sizes, figures meaningless)" if self.smoke else ""), ""]
        lines.append("Machine: %d × %s, %.0f GiB RAM, %s; hookfan %s." % (
            os.cpu_count(), cpu, mem, distro(), commit))
        lines.append("Setup: MariaDB %s (innodb_flush_log_at_trx_commit=1, doublewrite, no binlog, "
                     "buffer pool %s); lighttpd %s, %d FastCGI processes per program on Unix sockets; "
                     "nginx %s (1 worker) as the receiver; wrk %s, 2 threads, %d connections for "
                     "ingest, best of %d %ds runs%s; sweep %s." % (
                         version(["mariadbd", "--version"], r"Ver (\S+)"), self.sizes["buffer_pool"],
                         version(["lighttpd", "-v"], r"lighttpd/(\S+)"), self.procs,
                         version(["nginx", "-v"], r"nginx/(\S+)"),
                         version(["wrk", "-v"], r"wrk (\S+)"), self.conns,
                         self.sizes["rounds"], self.sizes["wrk_seconds"],
                         " after %ds warm-up" % self.sizes["warmup_seconds"]
                         if self.sizes["warmup_seconds"] else "",
                         ("hookfan-sweep " + self.args.sweep_args).strip()
                         if self.args.sweep_args else "with default --batch/--concurrency"))
        foreign = [(k, v["foreign_cpu"]) for k, v in sorted(self.fig.items())
                   if isinstance(v, dict) and "foreign_cpu" in v]
        if foreign:
            worst = max(foreign, key=lambda kv: kv[1])
            lines.append("Other processes on the machine used at most %.0f%% of its CPUs during a "
                         "measurement (%s)%s." % (worst[1] * 100, worst[0],
                                                  "; figures are DISTURBED" if worst[1] > 0.10 else ""))
        lines.append("")
        lines.append("| figure | hookfan | ceiling (same run) | ratio | target | |")
        lines.append("|---|---|---|---|---|---|")
        for r in self.table():
            lines.append("| " + " | ".join(r) + " |")
        lines.append("")
        details = []
        for k in sorted(self.fig):
            v = self.fig[k]
            details.append("- %s: %s" % (k, ", ".join(
                "%s=%s" % (a, ("%.4g" % b) if isinstance(b, float) else b) for a, b in v.items())))
        if self.fcgi_hwm:
            details.append("- fcgi VmHWM max over processes: %d KiB" % self.fcgi_hwm)
        lines += ["Details:", ""] + details + [""]
        if self.notes:
            lines += ["Notes:", ""] + ["- " + n for n in self.notes] + [""]
        if self.errors:
            lines += ["Stages without a figure:", ""] + ["- " + e for e in self.errors] + [""]
        lines.append("Total bench time %.0fs." % getattr(self, "total_seconds", 0))
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- formatting
def parse_wrk(out):
    def dur(s):
        m = re.match(r"([\d.]+)(us|ms|s|m)", s)
        v = float(m.group(1))
        return v * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(2)]

    res = {}
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    if not m:
        raise StageError("no Requests/sec in wrk output: " + out[-500:])
    res["rps"] = float(m.group(1))
    for p in ("50", "90", "99"):
        m = re.search(r"^\s*%s%%\s+(\S+)" % p, out, re.M)
        res["p" + p] = dur(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["errors"] = sum(int(x) for x in m.groups()) if m else 0
    return res


def fastest(runs, rate):
    """The fastest of several runs: on a shared machine other processes
    only ever slow a run down, so the fastest is the least disturbed one.
    Every run's rate is kept with it, for the details."""
    top = dict(max(runs, key=lambda r: r[rate]))
    top["rounds"] = "/".join(str(int(r[rate])) for r in runs)
    # What any round met, not only the fastest one.
    for key, worst in (("db_pages_read", max), ("db_pages_flushed", max),
                       ("db_pages_free", min), ("left", max)):
        if key in top:
            top[key] = worst(r[key] for r in runs)
    return top


def pair_costs(runs, rate):
    """What the old rows cost in each pair of alternating rounds: 1 - the
    old round's rate / the empty round's beside it."""
    return [1 - old[rate] / empty[rate] for empty, old in zip(runs["empty"], runs["old"])]


def paired_cost(runs, rate):
    """The cost of the old rows: the median of the pairs' costs.  A pair
    ran back to back, so the machine's drift cancels within it,
    and the median drops the pair a burst of other work hit.  (The
    fastest round of each side against the other's compares two single
    rounds that need not have run back to back.)"""
    return statistics.median(pair_costs(runs, rate))


def round_costs(runs, rate):
    return "/".join("%+.0f%%" % (c * 100) for c in pair_costs(runs, rate))


def pct(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


def fmt_int(v):
    return "{:,}".format(int(round(v)))


def fmt_rate(w):
    return "%s/s" % fmt_int(w["rps"]) if w else "—"


def fmt_ms(w, key):
    if not w or w.get(key) is None:
        return "—"
    return "%.2f ms" % (w[key] * 1000)


def fmt_pct(r):
    return "%.0f%%" % (r * 100) if r is not None else "—"


def fmt_cost(c):
    return ("cost %+.1f%%" % (c * 100)) if c is not None else "—"


def fmt_mib(kib):
    return "%.1f MiB" % (kib / 1024.0)


def version(cmd, pattern):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
        m = re.search(pattern, r.stdout + r.stderr)
        return m.group(1) if m else "?"
    except OSError:
        return "?"


def source_version(src):
    """The commit the sources are at, or, where they are no git checkout or
    git is not installed (a release tarball on a fresh machine), the
    version configure.ac gives."""
    if shutil.which("git"):
        described = subprocess.run(
            ["git", "-C", src, "describe", "--always", "--dirty"],
            capture_output=True, text=True).stdout.strip()
        if described:
            return described
    try:
        with open(os.path.join(src, "configure.ac")) as fh:
            m = re.search(r"AC_INIT\(\[[^]]*\], \[([^]]+)\]", fh.read())
    except OSError:
        m = None
    return "%s (not a git checkout)" % m.group(1) if m else "unknown"


def distro():
    try:
        with open("/etc/os-release") as f:
            m = re.search(r'PRETTY_NAME="([^"]*)"', f.read())
            return m.group(1) if m else platform.platform()
    except OSError:
        return platform.platform()


def extract_table(text):
    return "\n".join(line for line in text.splitlines() if line.startswith("|"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    ap.add_argument("--builddir", required=True, help="where hookfan's binaries are")
    ap.add_argument("--srcdir", default=os.path.dirname(HERE))
    ap.add_argument("--workdir", help="scratch directory (default: a new temp dir)")
    ap.add_argument("--trivial", required=True, help="the built trivial_fcgi")
    ap.add_argument("--commit-floor", required=True, help="the built commit_fcgi")
    ap.add_argument("--results-dir", help="write <date>-<time>-<host>.md here and compare "
                    "with the newest earlier file")
    ap.add_argument("--procs", type=int, default=8,
                    help="FastCGI processes per program (as the shipped lighttpd config)")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections for ingest")
    ap.add_argument("--sweep-ceiling-connections", type=int, default=256,
                    help="wrk connections for the receiver ceiling (64 and 256 measure alike)")
    ap.add_argument("--sweep-args", default="--batch 1000 --concurrency 64",
                    help="hookfan-sweep options for the drain (measured best on 2 cores)")
    ap.add_argument("--old-deliveries", type=int)
    ap.add_argument("--buffer-pool", help="innodb_buffer_pool_size, e.g. 1G (default 6G)")
    ap.add_argument("--sweep-deliveries", type=int)
    ap.add_argument("--wrk-seconds", type=int)
    ap.add_argument("--db-template", help="an initialised MariaDB datadir to copy")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--perf", metavar="DIR", help="profile every sweep drain with perf "
                    "record (whole machine, call graphs) into DIR/sweep-ROUND-TABLES.data")
    ap.add_argument("--stages", default="trivial,ingest,floor,receiver,sweep,e2e,old",
                    help="comma-separated subset of the stages to run")
    args = ap.parse_args()
    made_workdir = not args.workdir
    if made_workdir:
        args.workdir = tempfile.mkdtemp(prefix="hookfan-bench-")
    bench = Bench(args)
    try:
        try:
            bench.run()
        except StageError as e:
            bench.errors.append("setup: %s" % e)
            log("setup FAILED: %s" % e)
    finally:
        stop_all()
    text = bench.markdown()
    print(text)
    if args.results_dir:
        os.makedirs(args.results_dir, exist_ok=True)
        # Date and time: several runs a day each keep their file.
        name = "%s-%s.md" % (datetime.datetime.now().strftime("%Y-%m-%d-%H%M"),
                             socket.gethostname())
        path = os.path.join(args.results_dir, name)
        earlier = sorted(f for f in os.listdir(args.results_dir)
                         if f.endswith(".md") and f != name)
        with open(path, "w") as f:
            f.write(text)
        log("wrote " + path)
        if earlier:
            with open(os.path.join(args.results_dir, earlier[-1])) as f:
                print("Previous result (%s):\n\n%s\n" % (earlier[-1], extract_table(f.read())))
    missing = bench.missing_figures()
    if missing or bench.errors:
        log("%d figure(s) missing: %s" % (len(missing), "; ".join(missing)))
        for e in bench.errors:
            log("error: " + e)
    if made_workdir and not args.keep and not (bench.errors and args.smoke):
        shutil.rmtree(args.workdir, ignore_errors=True)
    elif bench.errors:
        log("logs kept in " + args.workdir)
    sys.exit(1 if (missing or bench.errors) else 0)


if __name__ == "__main__":
    main()

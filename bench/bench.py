#!/usr/bin/env python3
"""The hookfan benchmark (issue 5): how close hookfan runs to this machine's
limits.  bench/run installs the packages and builds hookfan, then runs this.

Every hookfan figure is printed next to a ceiling measured in the same run:

  ingest (trigger API, fan-out 1/3/10) through lighttpd + hookfan.fcgi
      vs a trivial FastCGI responder behind the same lighttpd, same wrk,
      and vs the durable floor (one committed INSERT a request);
  ingest fan-out 3 with 9,000 deliveries pending on each endpoint
      vs the same workspaces with none pending, rounds alternating;
  hookfan-sweep draining N due deliveries to a do-nothing receiver (nginx)
      vs wrk's POST rate to the same receiver, without options and with
      --batch 200 (the old default) in alternating rounds;
  end-to-end latency ingest -> receiver with hookfan-sweep --loop;
  ingest and sweep with millions of old deliveries in the tables
      vs the same figures on empty tables;
  peak RSS (VmHWM / ru_maxrss) of a FastCGI process and of the sweep.

The main column runs hookfan on its shipped defaults against MariaDB with
Debian 12's settings; the tuned column, the same server restarted with a
large buffer pool and redo log and an SSD's io capacity, and the sweep with
--batch 1000 --concurrency 64 (the old rows are measured there only).

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

# Sizes of a full run and of the smoke run (make check).
# old_rounds: rounds of each side when old rows and empty tables alternate;
# backlog_rounds the same for a backlog and none, of backlog_seconds each
# (shorter than wrk_seconds: a round may add no more than MAX_PENDING -
# BACKLOG deliveries to an endpoint, so its length sets how many
# workspaces the backlog needs, and how long making it takes);
# sweep_rounds the drains of each sweep setting; backlog_margin how many
# times the fan-out-3 rate measured before a backlog round may run (a smoke
# run shares the machine with other tests: its estimate read 890/s, a
# quarter of a round's rate once they ended).
FULL = dict(wrk_seconds=5, rounds=3, sweep_rounds=3, old_rounds=3, backlog_rounds=3,
            backlog_seconds=3, backlog_margin=2, warmup_seconds=2, sweep_deliveries=100000,
            old_deliveries=5000000, e2e_rate=20, e2e_seconds=10, sweep_max_seconds=600)
SMOKE = dict(wrk_seconds=1, rounds=1, sweep_rounds=1, old_rounds=1, backlog_rounds=1,
             backlog_seconds=1, backlog_margin=5, warmup_seconds=0, sweep_deliveries=1000,
             old_deliveries=10000, e2e_rate=10, e2e_seconds=1, sweep_max_seconds=15)
# The tuned column's MariaDB.  Its buffer pool holds all the data, as a
# database sized for it does: the 5 million old deliveries (3.4 GB with
# their messages and attempts) and the empty installation's rounds, ~4 GB
# at the end.  Too small a pool is full, and InnoDB writes pages out during
# the rounds to make room (with 1 GiB ~7,000 per old-rows sweep round,
# which cost it 10-14% more CPU; bench/README.md); each round's details
# give the free pages it began with.  io_capacity: an SSD.
TUNED = dict(buffer_pool="6G", log_file_size="1G", io_capacity=20000, io_capacity_max=40000)
SMOKE_TUNED = dict(TUNED, buffer_pool="128M", log_file_size="48M")
# What a fan-out leaves for a round: the shipped max_pending_per_endpoint,
# and the backlog the backlog stage puts on each endpoint.
MAX_PENDING = 10000
# The drain without options is compared with this --batch in alternating
# rounds: the default until 2026-12-02, when 1000 drained 33% faster.
COMPARED_BATCH = "200"
BACKLOG = 9000
# How often hookfan checks an endpoint's backlog (HF_BACKLOG_CHECK_MS).
BACKLOG_CHECK_MS = 5000

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
    return free_ports(1)[0]


def free_ports(n):
    """n different free ports: each is held until all are found (one at
    a time, the kernel once gave lighttpd's two ports the same number, and
    every request went to the old rows' installation)."""
    held = []
    try:
        for _ in range(n):
            s = socket.socket()
            held.append(s)
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


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
    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "db")
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.proc = None
        self.tuned = None       # the tuned settings it runs with, if any
        self.settings = ""      # what the running server reports of its own

    def start(self, databases, template=None, tuned=None):
        """A new data directory, the server on it (stock, or with the
        tuned settings), the hookfan account and the databases."""
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
        self.launch(tuned)
        self.sql("CREATE USER 'hookfan'@'localhost' IDENTIFIED BY '%s';" % DB_PASSWORD +
                 "".join("CREATE DATABASE %s CHARACTER SET utf8mb4;"
                         "GRANT ALL ON %s.* TO 'hookfan'@'localhost';" % (d, d)
                         for d in databases), db=None)
        # The durable floor's table (commit_fcgi prepares its INSERT at start).
        self.sql("CREATE TABLE bench_floor (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
                 " body MEDIUMTEXT NOT NULL) ENGINE=InnoDB")

    def launch(self, tuned=None):
        """mariadbd on the data directory.  Stock: what running in the
        scratch directory needs, and what Debian 12's 50-server.cnf sets
        (the character set; the rest of it is paths); MariaDB's defaults
        otherwise, durable among them (innodb_flush_log_at_trx_commit=1,
        doublewrite; Debian ships no binary log).  tuned: a dict of
        buffer_pool, log_file_size, io_capacity, io_capacity_max."""
        cmd = [find("mariadbd", "mysqld"), "--no-defaults",
               "--datadir=" + self.datadir, "--socket=" + self.socket,
               "--skip-networking", "--skip-log-bin",
               "--pid-file=" + os.path.join(self.dir, "pid"),
               "--log-error=" + os.path.join(self.dir, "error.log"),
               "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci"]
        if tuned:
            cmd += ["--innodb-buffer-pool-size=" + tuned["buffer_pool"],
                    "--innodb-log-file-size=" + tuned["log_file_size"],
                    "--innodb-io-capacity=%d" % tuned["io_capacity"],
                    "--innodb-io-capacity-max=%d" % tuned["io_capacity_max"]]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        self.proc = spawn(self.dir, "mariadbd", cmd)
        self.tuned = tuned

        def answers():
            if self.proc.poll() is not None:
                raise StageError("mariadbd exited: " + self.error_log())
            return subprocess.run(self.client() + ["-e", "SELECT 1"],
                                  capture_output=True).returncode == 0
        wait_for(answers, 120, "mariadbd")
        self.settings = self.sql(
            "SELECT CONCAT('buffer pool ', @@innodb_buffer_pool_size DIV 1048576, 'M, redo log ',"
            " @@innodb_log_file_size DIV 1048576, 'M, innodb_io_capacity ', @@innodb_io_capacity,"
            " '/', @@innodb_io_capacity_max, ', innodb_flush_log_at_trx_commit=',"
            " @@innodb_flush_log_at_trx_commit, ', doublewrite ', @@innodb_doublewrite,"
            " ', log_bin ', @@log_bin, ', max_connections ', @@max_connections)", db=None).strip()

    def restart(self, tuned=None):
        """A clean shutdown, then the server again on the same data."""
        stop(self.proc, 300)
        _procs.remove(self.proc)
        self.launch(tuned)

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
        # fan-out (or "e2e", "backlog") -> workspaces, each a dict of id,
        # endpoints, key: the load of a round is spread over them.
        self.ws = {}


class Bench:
    def __init__(self, args):
        self.args = args
        self.smoke = args.smoke
        self.sizes = dict(SMOKE if args.smoke else FULL)
        if args.old_deliveries is not None:
            self.sizes["old_deliveries"] = args.old_deliveries
        self.tuned = dict(SMOKE_TUNED if args.smoke else TUNED)
        if args.buffer_pool:
            self.tuned["buffer_pool"] = args.buffer_pool
        if args.sweep_deliveries is not None:
            self.sizes["sweep_deliveries"] = args.sweep_deliveries
        if args.wrk_seconds is not None:
            self.sizes["wrk_seconds"] = args.wrk_seconds
            self.sizes["backlog_seconds"] = min(args.wrk_seconds, self.sizes["backlog_seconds"])
        self.build = os.path.abspath(args.builddir)
        self.src = os.path.abspath(args.srcdir)
        self.work = os.path.abspath(args.workdir)
        self.admin_bin = os.path.join(self.build, "hookfan-admin")
        self.sweep_bin = os.path.join(self.build, "hookfan-sweep")
        self.fcgi_bin = os.path.join(self.build, "hookfan.fcgi")
        self.trivial_bin = os.path.abspath(args.trivial)
        self.floor_bin = os.path.abspath(args.commit_floor)
        # hookfan.fcgi as the shipped lighttpd snippet runs it; the trivial
        # responder and the floor, which serve one request per process,
        # with as many processes as the snippet had before it shared commits.
        self.procs = args.procs or snippet_procs(self.src)
        self.baseline_procs = args.baseline_procs
        self.conns = args.connections
        self.rows = []          # result table rows
        self.errors = []        # stages that produced no figure
        self.fig = {}           # figures by name, for ratios
        self.fcgi_hwm = 0
        self.notes = []
        self.db_settings = {}   # "stock", "tuned": what each server reported
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
        self.db = MariaDB(self.work)
        self.db.start([i.db for i in self.installs], self.args.db_template)
        self.db_settings = {"stock": self.db.settings}
        for inst in self.installs:
            self.migrate(inst)

    def migrate(self, inst):
        # The connection and the receiver's address on 127.0.0.1, nothing
        # tuned: max_pending_per_endpoint and the rest are hookfan's defaults.
        settings = {"db_socket": self.db.socket, "db_name": inst.db,
                    "db_user": "hookfan", "db_password": DB_PASSWORD,
                    "allow_private_targets": "yes"}
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

    def restart_tuned(self):
        """MariaDB again on the same data with the tuned settings; lighttpd
        again, so that every FastCGI process connects to it afresh."""
        stop(self.lighttpd)
        _procs.remove(self.lighttpd)
        self.db.restart(self.tuned)
        self.db_settings["tuned"] = self.db.settings
        self.start_lighttpd()
        log("MariaDB restarted: " + self.db.settings)

    def start_lighttpd(self):
        """lighttpd with hookfan.fcgi at /, the trivial responder at
        /trivial/ and the durable floor at /floor/, on Unix sockets; the
        old-rows installation's hookfan.fcgi on a second port."""
        self.empty.port, self.old.port = free_ports(2)
        d = os.path.join(self.work, "lighttpd")
        os.makedirs(os.path.join(d, "www"), exist_ok=True)
        conf = os.path.join(d, "lighttpd.conf")
        common = '"check-local" => "disable", "fix-root-scriptname" => "enable", '
        hookfan = common + '"max-procs" => %d' % self.procs
        baseline = common + '"max-procs" => %d' % self.baseline_procs
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
    "bin-path" => "%(fcgi)s", %(hookfan)s,
    "bin-environment" => ("HOOKFAN_CONFIG" => "%(old_config)s"))))
} else $HTTP["url"] =~ "^/trivial/" {
  fastcgi.server = ("/" => (("socket" => "%(d)s/trivial.sock",
    "bin-path" => "%(trivial)s", %(baseline)s)))
} else $HTTP["url"] =~ "^/floor/" {
  fastcgi.server = ("/" => (("socket" => "%(d)s/floor.sock",
    "bin-path" => "%(floor)s", %(baseline)s,
    "bin-environment" => ("BENCH_DB_SOCKET" => "%(db_socket)s",
      "BENCH_DB_USER" => "hookfan", "BENCH_DB_PASSWORD" => "%(db_password)s",
      "BENCH_DB_NAME" => "hookfan"))))
} else {
  fastcgi.server = ("/" => (("socket" => "%(d)s/hookfan.sock",
    "bin-path" => "%(fcgi)s", %(hookfan)s,
    "bin-environment" => ("HOOKFAN_CONFIG" => "%(config)s"))))
}
""" % {"d": d, "port": self.empty.port, "trivial": self.trivial_bin,
                "floor": self.floor_bin, "db_socket": self.db.socket,
                "db_password": DB_PASSWORD, "fcgi": self.fcgi_bin, "hookfan": hookfan,
                "baseline": baseline,
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
        """For each fan-out 1, 3 and 10, --ingest-workspaces workspaces with
        that many endpoints on the receiver; one with an endpoint on the
        e2e receiver; a key each.  An ingest round spreads its requests
        over a fan-out's workspaces, so that no endpoint reaches
        max_pending_per_endpoint in a round."""
        for fanout in (1, 3, 10):
            inst.ws[fanout] = [self.make_workspace(inst, "bench-fanout-%d-%d" % (fanout, n),
                                                   ["/hook/f%d/%d/%d" % (fanout, n, i)
                                                    for i in range(fanout)])
                               for n in range(self.args.ingest_workspaces)]
        inst.ws["e2e"] = [self.make_workspace(inst, "bench-e2e", ["/e2e"], self.e2e_port)]

    def make_workspace(self, inst, name, paths, port=None, event_type=None):
        """A workspace with an endpoint at each path of the receiver (or of
        port), subscribed to event_type if given (else to every event), and
        a key."""
        ws = self.admin(inst, "workspace", "create", "--name", name)["id"]
        only = ["--event-type", event_type] if event_type else []
        eps = [self.admin(inst, "endpoint", "create", "--workspace", ws, "--url",
                          "http://127.0.0.1:%d%s" % (port or self.nginx_port, path), *only)["id"]
               for path in paths]
        key = self.admin(inst, "key", "create", "--workspace", ws)["key"]
        return {"id": ws, "endpoints": eps, "key": key}

    def settle(self, what, timeout=120):
        """Let InnoDB finish what the last writes left it -- dirty pages to
        flush, old row versions to purge -- so that it does not run during
        the next measurement (the retire UPDATE before an old-rows round
        left both, and moved that figure by 10-15% either way).  Meanwhile
        InnoDB may write as fast as the tuned server does: at the stock
        innodb_io_capacity (200) each step of a smoke run's backlog took
        11-18 s to flush; the rounds run with the server's own."""
        io = self.db.sql("SELECT @@innodb_io_capacity, @@innodb_io_capacity_max",
                         db=None).split()
        self.db.sql("SET GLOBAL innodb_io_capacity_max = %d; SET GLOBAL innodb_io_capacity = %d;"
                    "SET GLOBAL innodb_max_dirty_pages_pct = 0; "
                    "SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0"
                    % (max(int(io[1]), TUNED["io_capacity_max"]),
                       max(int(io[0]), TUNED["io_capacity"])), db=None)
        started = time.monotonic()
        try:
            # The history list counts transactions, not rows: one UPDATE of
            # 400,000 rows is one entry, whose purge would run during the
            # round.  This waits for all of it (MariaDB 10.5.7 and later).
            self.db.sql("SET GLOBAL innodb_max_purge_lag_wait = 0", db=None)
            wait_for(lambda: self.db.status("Innodb_buffer_pool_pages_dirty") < 1000
                     and self.db.status("Innodb_history_list_length") < 1000,
                     timeout, "InnoDB to flush and purge " + what)
        except StageError as e:
            self.notes.append("%s (dirty pages %d, history length %d); measured anyway" % (
                e, self.db.status("Innodb_buffer_pool_pages_dirty"),
                self.db.status("Innodb_history_list_length")))
        finally:
            self.db.sql("SET GLOBAL innodb_max_dirty_pages_pct = 90; "
                        "SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0; "
                        "SET GLOBAL innodb_io_capacity = %s; SET GLOBAL innodb_io_capacity_max = %s"
                        % (io[0], io[1]), db=None)
            if time.monotonic() - started > 2:
                log("InnoDB flushed and purged %s in %.1fs" % (what, time.monotonic() - started))

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
        # One key, or a list: post.lua then sends them in turn.
        env["BENCH_KEY"] = key if isinstance(key, str) else ""
        env["BENCH_KEYS"] = "\n".join(key) if isinstance(key, list) else ""
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
        # Index entries MariaDB stepped through per request: a count that
        # reads a backlog shows here as thousands.
        res["db_index_reads_per_request"] = (
            int(res.pop("db_index_reads") / res["requests"]) if res["requests"] else 0)
        return res

    def db_io(self, since=None):
        """InnoDB's page reads from disk and page writes (flushes), or their
        growth since an earlier call, with the buffer pool's free pages at
        that call: a round that had to read pages did not find its working
        set in the pool, and one that started with few free pages had to
        write pages out to make room."""
        now = {"db_pages_read": self.db.status("Innodb_buffer_pool_reads"),
               "db_pages_flushed": self.db.status("Innodb_buffer_pool_pages_flushed"),
               "db_index_reads": self.db.status("Handler_read_next")
               + self.db.status("Handler_read_prev")}
        if not since:
            now["db_pages_free"] = self.db.status("Innodb_buffer_pool_pages_free")
            return now
        return dict({k: v - since[k] for k, v in now.items()},
                    db_pages_free=since["db_pages_free"])

    def ingest_body(self):
        return json.dumps({"payload": PAYLOAD}, separators=(",", ":"))

    def post_ingest(self, inst, ws, event):
        """One request by hand; returns the 202's JSON."""
        c = http.client.HTTPConnection("127.0.0.1", inst.port, timeout=30)
        c.request("POST", "/api/ingest/event/" + event, self.ingest_body(),
                  {"Authorization": "Bearer " + ws["key"],
                   "Content-Type": "application/json"})
        resp = c.getresponse()
        text = resp.read().decode(errors="replace")
        c.close()
        if resp.status != 202:
            raise StageError("ingest answered %d: %s" % (resp.status, text[:300]))
        try:
            return json.loads(text)
        except ValueError:
            raise StageError("ingest answered non-JSON: " + text[:300])

    def probe_ingest(self, inst, ws, event):
        """One request by hand: 202 with one delivery per endpoint."""
        ids = self.post_ingest(inst, ws, event).get("deliveryIds")
        if ids is None or len(ids) != len(ws["endpoints"]):
            raise StageError("fan-out %d queued %r" % (len(ws["endpoints"]), ids))

    def keys(self, workspaces):
        return [ws["key"] for ws in workspaces]

    def check_nothing_refused(self, inst, w, since_ms, workspaces, what):
        """A round that met the backlog cap measured refusals, not ingest:
        every message it stored since since_ms must have one delivery per
        endpoint of its workspace (none left out as endpoint_backlog_full,
        none 'failed'), and no endpoint may have reached
        max_pending_per_endpoint.  Adds the round's counts to w."""
        if w["non2xx"] or w["errors"]:
            raise StageError("%s: %d non-2xx, %d socket errors of %d"
                             % (what, w["non2xx"], w["errors"], w["requests"]))
        fanout = len(workspaces[0]["endpoints"])
        # One statement, one snapshot: a message commits with its deliveries.
        # Requests still in flight when wrk stopped commit meanwhile: wait.
        query = ("SELECT (SELECT COUNT(*) FROM messages WHERE id >= %s),"
                 " (SELECT COUNT(*) FROM messages WHERE id >= %s AND status = 'failed'),"
                 " (SELECT COUNT(*) FROM deliveries WHERE id >= %s)"
                 % (sql_str(id_bound(self.prefix["msg"], since_ms)),
                    sql_str(id_bound(self.prefix["msg"], since_ms)),
                    sql_str(id_bound(self.prefix["del"], since_ms))))
        counts, deadline = None, time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.2)
            last, counts = counts, [int(x) for x in self.db.sql(query, inst.db).split()]
            if counts == last:
                break
        w["stored_messages"], failed, w["stored_deliveries"] = counts
        eps = ", ".join(sql_str(e) for ws in workspaces for e in ws["endpoints"])
        w["max_pending"] = int(self.db.value(
            "SELECT COUNT(*) AS n FROM deliveries WHERE endpoint_id IN (%s) AND status = 'pending'"
            " GROUP BY endpoint_id ORDER BY n DESC LIMIT 1" % eps, inst.db) or 0)
        if (failed or w["stored_messages"] < w["requests"]
                or w["stored_deliveries"] != w["stored_messages"] * fanout):
            raise StageError("%s: %d requests answered, %d messages stored (%d failed) with "
                             "%d deliveries at fan-out %d: refused for backlog?"
                             % (what, w["requests"], w["stored_messages"], failed,
                                w["stored_deliveries"], fanout))
        if w["max_pending"] >= MAX_PENDING:
            raise StageError("%s: an endpoint reached %d pending deliveries, the cap: spread "
                             "the load over more workspaces" % (what, w["max_pending"]))

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

    def floor_url(self):
        return "http://127.0.0.1:%d/floor/api/ingest/event/bench.floor" % self.empty.port

    def warm_floor(self):
        if self.sizes["warmup_seconds"]:
            self.wrk(self.floor_url(), self.ingest_body(), "x",
                     seconds=self.sizes["warmup_seconds"])

    def floor_round(self):
        """One measured round of the floor, checked: every 202 stored."""
        self.settle("before the floor")
        before = int(self.db.value("SELECT COUNT(*) FROM bench_floor"))
        w = self.wrk(self.floor_url(), self.ingest_body(), "x")
        if w["non2xx"] or w["errors"]:
            raise StageError("durable floor: non-2xx answers or socket errors: %r" % w)
        stored = int(self.db.value("SELECT COUNT(*) FROM bench_floor")) - before
        if stored < w["requests"]:
            raise StageError("durable floor: %d requests answered 202, %d rows stored"
                             % (w["requests"], stored))
        return w

    def stage_floor(self, name="floor"):
        """The least a durable ingest does: one committed INSERT per request."""
        self.warm_floor()
        self.fig[name] = self.best_of(self.floor_round)

    def stage_floor_and_ingest3(self, floor_name="floor", ingest_name="ingest3_empty"):
        """The floor and ingest fan-out 3 in alternating rounds (floor,
        ingest, ingest, floor, ...): fan-out 3's share of the floor is the
        median of the pairs' shares, each of two rounds run back to back,
        so that the machine's drift between two stages is not in it.  Each
        side's figure is its fastest round, with its median round beside."""
        self.warm_floor()
        self.warm_ingest(self.empty, 3)
        runs = self.alternate(lambda side: self.floor_round() if side == "floor"
                              else self.ingest_round(self.empty, 3),
                              [("floor", "floor"), ("ingest", "ingest")], self.sizes["rounds"])
        for name, side in ((floor_name, "floor"), (ingest_name, "ingest")):
            self.fig[name] = fastest(runs[side], "rps")
            self.fig[name]["median_rate"] = statistics.median(r["rps"] for r in runs[side])
            self.fig[name]["median_p99"] = statistics.median(r["p99"] for r in runs[side])
        shares = [i["rps"] / f["rps"] for f, i in zip(runs["floor"], runs["ingest"])]
        self.fig[ingest_name]["floor_share"] = statistics.median(shares)
        self.fig[ingest_name]["round_shares"] = "/".join("%.0f%%" % (x * 100) for x in shares)
        self.sample_fcgi_rss()

    def best_of(self, measure):
        return fastest([measure() for _ in range(self.sizes["rounds"])], "rps")

    def alternate(self, measure, sides=None, rounds=None):
        """measure(side) for two sides in turn (by default the empty and the
        old installation), rounds times each (old_rounds), the order
        reversed every round (ABBA), so that a drift of the machine during
        the rounds weighs on both alike.  sides: (tag, side) pairs.
        Returns each side's runs by tag, in order: the i-th of each side
        ran back to back, a pair."""
        sides = sides or [(inst.tag, inst) for inst in self.installs]
        runs = {tag: [] for tag, _ in sides}
        for i in range(rounds or self.sizes["old_rounds"]):
            for tag, side in sides if i % 2 == 0 else sides[::-1]:
                runs[tag].append(measure(side))
        return runs

    def ingest_url(self, inst, event):
        return "http://127.0.0.1:%d/api/ingest/event/%s" % (inst.port, event)

    def warm_ingest(self, inst, fanout):
        """A request checked by hand, then load that is not measured."""
        self.reset_traffic(inst)
        event = "bench.fanout%d" % fanout
        self.probe_ingest(inst, inst.ws[fanout][0], event)
        if self.sizes["warmup_seconds"]:
            self.wrk(self.ingest_url(inst, event), self.ingest_body(),
                     self.keys(inst.ws[fanout]), seconds=self.sizes["warmup_seconds"])

    def ingest_round(self, inst, fanout):
        """One measured round, from the tables the installation starts
        every round with: emptied, or its old rows only."""
        self.reset_traffic(inst)
        self.settle("before ingest fan-out %d" % fanout)
        since = now_ms()
        w = self.wrk(self.ingest_url(inst, "bench.fanout%d" % fanout), self.ingest_body(),
                     self.keys(inst.ws[fanout]))
        self.check_nothing_refused(inst, w, since, inst.ws[fanout], "ingest fan-out %d" % fanout)
        return w

    def stage_ingest(self, fanout, name="ingest%d_empty"):
        self.warm_ingest(self.empty, fanout)
        self.fig[name % fanout] = self.best_of(lambda: self.ingest_round(self.empty, fanout))
        self.sample_fcgi_rss()

    def stage_old_ingest(self):
        """Ingest fan-out 3 with the old rows, against the installation
        without them, in alternating rounds."""
        for inst in self.installs:
            self.warm_ingest(inst, 3)
        self.old_rows_figures("ingest3", "rps", lambda inst: self.ingest_round(inst, 3),
                              lambda runs: fastest(runs, "rps"))
        self.sample_fcgi_rss()

    # ------------------------------------------------------------ backlog
    def stage_backlog(self):
        """The backlog of issue 18: workspaces with 3 endpoints on
        order.paid, BACKLOG deliveries pending on each endpoint and not
        due (an endpoint that is down: retried in 30-60 minutes), against
        the same workspaces with none pending (the same deliveries marked
        delivered), in alternating rounds with the shipped
        max_pending_per_endpoint.  Each round's deliveries are deleted
        after it, so every round starts from exactly BACKLOG (or none) a
        endpoint, and spreads its load over enough workspaces that no
        endpoint reaches the cap."""
        inst = self.empty
        self.reset_traffic(inst)
        workspaces = [self.make_workspace(inst, "bench-backlog-%d" % n,
                                          ["/hook/backlog/%d/%d" % (n, i) for i in range(3)],
                                          event_type="order.paid")
                      for n in range(self.backlog_workspace_count())]
        started = time.monotonic()
        for ws in workspaces:
            self.fill_backlog(inst, ws, BACKLOG)
        self.backlog_state = "backlog"
        self.check_cap_enforced(inst)
        fill = time.monotonic() - started
        # One round that is not measured, with the backlog as made.
        self.backlog_round(inst, workspaces, "backlog", self.sizes["warmup_seconds"] or 1)
        runs = self.alternate(lambda side: self.backlog_round(inst, workspaces, side,
                                                              self.sizes["backlog_seconds"]),
                              [("none", "none"), ("backlog", "backlog")],
                              self.sizes["backlog_rounds"])
        self.paired_figures("backlog3_none", runs["none"], "backlog3", runs["backlog"], "rps",
                            lambda r: fastest(r, "rps"))
        self.fig["backlog3"].update(workspaces=len(workspaces), fill_seconds=fill)
        self.sample_fcgi_rss()

    def backlog_workspace_count(self):
        """Enough workspaces that a round, spread over them evenly, adds
        fewer than MAX_PENDING - BACKLOG deliveries to any endpoint: from
        the faster of the fan-out-3 rate measured before and a short run
        now, backlog_margin times over: a busy machine reads either low (a 1 s run read
        half the rate of the rounds after it, which came within 9% of the
        cap with 1.5 times)."""
        if self.args.backlog_workspaces:
            return self.args.backlog_workspaces
        self.warm_ingest(self.empty, 3)
        now = self.wrk(self.ingest_url(self.empty, "bench.fanout3"), self.ingest_body(),
                       self.keys(self.empty.ws[3]), seconds=1)
        self.reset_traffic(self.empty)
        rate = max(now["rps"], self.fig.get("ingest3_empty", now)["rps"])
        per_round = self.sizes["backlog_margin"] * rate * self.sizes["backlog_seconds"]
        return max(2, int(per_round / (0.95 * (MAX_PENDING - BACKLOG))) + 1)

    def fill_backlog(self, inst, ws, n, marker="order.paid"):
        """n messages of the workspace, made over the last 30 minutes, each
        with a delivery to every endpoint: pending, 2 attempts answered
        503, the next one due in 30 to 60 minutes.  (No attempts rows:
        ingest does not read them.)"""
        start = now_ms() - 30 * 60 * 1000
        self.insert_pending(inst, ws, n, start, 30 * 60 * 1000 // n, marker, attempts=2,
                            due="FROM_UNIXTIME(x.ms / 1000) + INTERVAL 60 MINUTE",
                            last_status="503")

    def pending_counts(self, inst, workspaces):
        """Pending deliveries per endpoint of the workspaces (0 for none)."""
        eps = [e for ws in workspaces for e in ws["endpoints"]]
        counts = dict.fromkeys(eps, 0)
        for line in self.db.sql("SELECT endpoint_id, COUNT(*) FROM deliveries WHERE endpoint_id"
                                " IN (%s) AND status = 'pending' GROUP BY endpoint_id"
                                % ", ".join(sql_str(e) for e in eps), inst.db).splitlines():
            ep, n = line.split("\t")
            counts[ep] = int(n)
        return counts

    def check_cap_enforced(self, inst):
        """The backlog is made in SQL: check that hookfan counts such rows
        against its cap, or the backlog rounds would measure no backlog.
        A workspace whose one endpoint has MAX_PENDING of them must be
        refused as endpoint_backlog_full, once the request that finds its
        reading old (made so here) has had its count after the answer, and
        no process keeps the lookup that found it old (a second)."""
        ws = self.make_workspace(inst, "bench-backlog-full", ["/hook/backlog/full"],
                                 event_type="order.paid")
        self.fill_backlog(inst, ws, MAX_PENDING)
        ep = sql_str(ws["endpoints"][0])
        self.db.sql("UPDATE endpoint_backlog SET checked_at = '2000-01-01' WHERE endpoint_id = "
                    + ep, inst.db)
        self.post_ingest(inst, ws, "order.paid")
        deadline = time.monotonic() + 5
        while self.db.value("SELECT checked_at > '2001-01-01' FROM endpoint_backlog"
                            " WHERE endpoint_id = " + ep, inst.db) != "1":
            if time.monotonic() > deadline:
                raise StageError("an old backlog reading was not counted again within 5 s"
                                 " of a request that found it")
            time.sleep(0.05)
        time.sleep(1.1)
        answer = self.post_ingest(inst, ws, "order.paid")
        codes = [f.get("code") for f in answer.get("failures") or []]
        if answer.get("deliveryIds") or codes != ["endpoint_backlog_full"]:
            raise StageError("an endpoint with %d pending deliveries made in SQL was not "
                             "refused as endpoint_backlog_full: %r" % (MAX_PENDING, answer))

    def set_backlog(self, inst, workspaces, side):
        """Mark the workspaces' deliveries pending again (their retry 30-60
        minutes after they were made) or delivered, and check that every
        endpoint has exactly BACKLOG pending, or none."""
        eps = ", ".join(sql_str(e) for ws in workspaces for e in ws["endpoints"])
        if side != self.backlog_state:
            if side == "backlog":
                change = ("status = 'pending', due_at = created_at + INTERVAL 60 MINUTE, "
                          "last_status_code = 503")
            else:
                change = "status = 'succeeded', due_at = NULL, last_status_code = 200"
            started = time.monotonic()
            self.db.sql("UPDATE deliveries SET %s WHERE endpoint_id IN (%s)" % (change, eps),
                        inst.db)
            self.backlog_state = side
            log("backlog: %s in %.1fs" % (side, time.monotonic() - started))
        want = BACKLOG if side == "backlog" else 0
        counts = self.pending_counts(inst, workspaces)
        if set(counts.values()) != {want}:
            raise StageError("backlog: wanted %d pending on each endpoint, found %s"
                             % (want, sorted(set(counts.values()))))

    def void_backlog_counts(self, inst, workspaces, seconds):
        """Have hookfan count every endpoint's backlog once in the next
        seconds, at evenly spread times: its reading's count void (as
        hookfan's own ways to make deliveries pending leave it,
        hf_ingest_backlog_grew), its check due after i / n of them.  Once
        a round is more often than a steady flow counts (at most every
        BACKLOG_CHECK_MS); readings kept from the fill would count none."""
        eps = [e for ws in workspaces for e in ws["endpoints"]]
        self.db.sql("".join(
            "UPDATE endpoint_backlog SET counted_at = NULL, checked_at = NOW(3) - INTERVAL %d"
            " MICROSECOND WHERE endpoint_id = %s;"
            % ((BACKLOG_CHECK_MS - i * seconds * 1000 // len(eps)) * 1000, sql_str(e))
            for i, e in enumerate(eps)), inst.db)

    def backlog_round(self, inst, workspaces, side, seconds):
        """A round of fan-out 3 over the workspaces, with the backlog or
        none; then what it stored is deleted."""
        self.set_backlog(inst, workspaces, side)
        self.settle("before ingest with %s backlog" % side)
        self.void_backlog_counts(inst, workspaces, seconds)
        since = now_ms()
        try:
            w = self.wrk(self.ingest_url(inst, "order.paid"), self.ingest_body(),
                         self.keys(workspaces), seconds=seconds)
            self.check_nothing_refused(inst, w, since, workspaces,
                                       "ingest fan-out 3 with %s backlog" % side)
            # Backlogs hookfan counted during the round (at most one count
            # per endpoint a round: a reading is checked every 5 s).
            w["backlog_counts"] = int(self.db.value(
                "SELECT COUNT(*) FROM endpoint_backlog WHERE counted_at >= FROM_UNIXTIME(%d / 1000)"
                " AND endpoint_id IN (%s)" % (since, ", ".join(
                    sql_str(e) for ws in workspaces for e in ws["endpoints"])), inst.db))
        finally:
            self.db.sql("DELETE FROM deliveries WHERE id >= %s; DELETE FROM messages WHERE "
                        "id >= %s AND workspace_id IN (%s)"
                        % (sql_str(id_bound(self.prefix["del"], since)),
                           sql_str(id_bound(self.prefix["msg"], since)),
                           ", ".join(sql_str(ws["id"]) for ws in workspaces)), inst.db)
        return w

    def old_rows_figures(self, name, rate, measure, summary):
        """NAME_old and NAME_control (no old rows) from alternating rounds;
        NAME_old also gets the cost of the old rows (paired_cost) and each
        pair of rounds' cost."""
        runs = self.alternate(measure)
        self.paired_figures(name + "_control", runs["empty"], name + "_old", runs["old"],
                            rate, summary)

    def paired_figures(self, base_name, base, other_name, other, rate, summary):
        """The figures of two sides measured in alternating rounds: each
        side's summary(runs) with its median round (rate, and p50/p99 if
        the runs have them); the other side's also the paired cost (the
        median of the pairs' costs) and each pair's."""
        for name, runs in ((base_name, base), (other_name, other)):
            self.fig[name] = summary(runs)
            self.fig[name]["median_rate"] = statistics.median(r[rate] for r in runs)
            for p in ("p50", "p99"):
                if all(r.get(p) is not None for r in runs):
                    self.fig[name]["median_" + p] = statistics.median(r[p] for r in runs)
        self.fig[other_name]["cost"] = paired_cost(base, other, rate)
        self.fig[other_name]["round_costs"] = round_costs(base, other, rate)

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
        first fan-out-10 workspace's endpoints on the receiver."""
        ws = inst.ws[10][0]
        per = len(ws["endpoints"])
        msgs = (n + per - 1) // per
        start = now_ms() - msgs * 10 - 60000
        self.insert_pending(inst, ws, msgs, start, 10, marker, limit=n)
        due = int(self.db.value("SELECT COUNT(*) FROM deliveries WHERE due_at <= NOW(3) "
                                "AND status = 'pending'", inst.db))
        if due != n:
            raise StageError("prepared %d due deliveries, wanted %d" % (due, n))
        return start

    def insert_pending(self, inst, ws, msgs, start, step, marker, limit=None, attempts=0,
                       due="FROM_UNIXTIME(x.ms / 1000)", last_status="NULL"):
        """msgs pending messages of the workspace with event type marker,
        made from unix ms start on, one every step ms, each with a pending
        delivery to every endpoint of the workspace (at most limit in
        all): attempts already made, the last answered last_status, due at
        due (SQL of x.ms, the delivery's creation time in ms)."""
        eps = ", ".join(sql_str(e) for e in ws["endpoints"])
        self.db.sql("""
SET foreign_key_checks = 0; SET unique_checks = 0;
INSERT INTO messages (id, workspace_id, event_type, payload, status, created_at, updated_at)
SELECT %(mid)s, %(ws)s, %(marker)s, %(payload)s, 'pending',
       FROM_UNIXTIME(t.ms / 1000), FROM_UNIXTIME(t.ms / 1000)
FROM (SELECT seq, %(start)d + seq * %(step)d AS ms FROM seq_0_to_%(last)d) t;
INSERT INTO deliveries (id, message_id, endpoint_id, status, attempts, due_at,
                        last_status_code, created_at, updated_at)
SELECT %(did)s, x.mid, x.ep, 'pending', %(attempts)d, %(due)s, %(last_status)s,
       FROM_UNIXTIME(x.ms / 1000), FROM_UNIXTIME(x.ms / 1000)
FROM (SELECT m.id AS mid, ELT(s.seq + 1, %(eps)s) AS ep,
             CAST(UNIX_TIMESTAMP(m.created_at) * 1000 AS UNSIGNED) + s.seq AS ms
      FROM messages m JOIN seq_0_to_%(plast)d s
      WHERE m.workspace_id = %(ws)s AND m.created_at >= FROM_UNIXTIME(%(start)d / 1000)
        AND m.event_type = %(marker)s AND m.status = 'pending') x
%(limit)s;
""" % {"mid": sql_id(self.prefix["msg"], "t.ms"), "ws": sql_str(ws["id"]),
            "marker": sql_str(marker), "payload": payload_sql("t.seq"), "start": start,
            "step": step, "last": msgs - 1, "did": sql_id(self.prefix["del"], "x.ms"),
            "attempts": attempts, "due": due, "last_status": last_status, "eps": eps,
            "plast": len(ws["endpoints"]) - 1,
            "limit": "LIMIT %d" % limit if limit else ""}, inst.db)

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
        """hookfan-sweep without options (its default --batch) and with
        --batch COMPARED_BATCH, in alternating rounds, sweep_rounds drains
        each: the fastest drain of each, and the paired cost of the other."""
        extra = self.args.sweep_args.split()
        runs = self.alternate(lambda args: self.sweep_once(self.empty, extra + args),
                              [("default", []), ("other", ["--batch", COMPARED_BATCH])],
                              self.sizes["sweep_rounds"])
        self.paired_figures("sweep_empty", runs["default"], "sweep_other_batch",
                            runs["other"], "rate", self.sweep_figure)

    def stage_tuned_sweep(self):
        """The fastest of sweep_rounds drains with --tuned-sweep-args."""
        tuned = self.args.tuned_sweep_args.split()
        self.fig["sweep_tuned"] = self.sweep_figure(
            [self.sweep_once(self.empty, tuned) for _ in range(self.sizes["sweep_rounds"])])

    def stage_old_sweep(self):
        """Drains with the old rows, against drains without them in
        alternating rounds, after one drain of each that is not measured
        (as ingest warms up: the first rounds after the fill ran slower)."""
        tuned = self.args.tuned_sweep_args.split()
        for inst in self.installs:
            self.sweep_once(inst, tuned)
        self.old_rows_figures("sweep", "rate", lambda inst: self.sweep_once(inst, tuned),
                              self.sweep_figure)
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

    def sweep_once(self, inst, options):
        """One drain of sweep_deliveries due deliveries by hookfan-sweep
        with these options."""
        self.reset_traffic(inst)
        n = self.sizes["sweep_deliveries"]
        started = time.monotonic()
        self.sweep_round = getattr(self, "sweep_round", 0) + 1
        marker = "bench.sweep.%d" % self.sweep_round
        self.prepare_due(inst, n, marker)
        self.settle("the due deliveries")
        log("prepared %d due deliveries in %.1fs" % (n, time.monotonic() - started))
        elapsed, rc, rss = self.run_sweep(inst, options,
                                          profile="sweep-%d-%s" % (self.sweep_round, inst.tag))
        left = int(self.db.value("SELECT COUNT(*) FROM deliveries WHERE due_at IS NOT NULL",
                                 inst.db))
        # Only this round's deliveries: their messages carry its marker.
        done = int(self.db.value(
            "SELECT COUNT(*) FROM messages m JOIN deliveries d ON d.message_id = m.id "
            "WHERE m.workspace_id = %s AND m.event_type = %s "
            "AND d.status = 'succeeded' AND d.due_at IS NULL"
            % (sql_str(inst.ws[10][0]["id"]), sql_str(marker)), inst.db))
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
        ws = self.empty.ws["e2e"][0]
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
        each (5% two: a 500 first), to the fan-out-3 workspaces' endpoints,
        each chunk of messages to one workspace in turn."""
        inst = self.old
        self.reset_traffic(inst)
        total = self.sizes["old_deliveries"]
        msgs = (total + 2) // 3
        end = now_ms() - 86400 * 1000            # the newest is a day old
        span = 89 * 86400 * 1000                 # 90 days of history
        step = max(10, span // msgs)
        base = end - msgs * step
        chunk = 50000 if not self.smoke else msgs
        started = time.monotonic()
        # A chunk is one transaction: the two writers' INSERT ... SELECTs
        # can deadlock on each other's gap locks, and a chunk that loses
        # is then rolled back whole and written again.
        session = "SET foreign_key_checks = 0; SET unique_checks = 0; START TRANSACTION;\n"
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
            for attempt in range(3):
                try:
                    return fill_chunk_once(lo)
                except StageError as e:
                    if "Deadlock found" not in str(e) or attempt == 2:
                        raise
                    log("old rows: chunk %d deadlocked; again" % lo)

        def fill_chunk_once(lo):
            hi = min(msgs, lo + chunk)             # message seqs [lo, hi)
            lo_ms, hi_ms = base + lo * step, base + hi * step
            ws = inst.ws[3][lo // chunk % len(inst.ws[3])]
            eps = ", ".join(sql_str(e) for e in ws["endpoints"])
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
COMMIT;
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
        paired = {"ingest", "floor"} <= want
        if "ingest" in want:
            for fanout in (1, 10) if paired else (1, 3, 10):
                self.stage("ingest fan-out %d" % fanout, self.stage_ingest, fanout)
        # After ingest: the rows it writes are flushed while later stages run.
        if paired:
            self.stage("durable floor and ingest fan-out 3, rounds alternating",
                       self.stage_floor_and_ingest3)
        elif "floor" in want:
            self.stage("durable floor (one committed INSERT)", self.stage_floor)
        self.learn_prefixes()
        if "receiver" in want:
            self.stage("receiver ceiling (wrk POST)", self.stage_receiver_ceiling)
        if "sweep" in want:
            self.stage("sweep", self.stage_sweep)
        self.learn_prefixes()
        if "e2e" in want:
            self.stage("end-to-end with --loop", self.stage_e2e)
        if "backlog" in want:
            self.stage("ingest fan-out 3, %d pending per endpoint against none" % BACKLOG,
                       self.stage_backlog)
        # The tuned column, and the old rows, which need its buffer pool.
        if want & {"tuned", "old"}:
            self.stage("restart MariaDB with the tuned settings", self.restart_tuned)
        if "tuned" in want and self.db.tuned:
            self.stage("tuned: durable floor and ingest fan-out 3, rounds alternating",
                       self.stage_floor_and_ingest3, "floor_tuned", "ingest3_tuned")
            self.stage("tuned: sweep", self.stage_tuned_sweep)
        if "old" in want and self.db.tuned:
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
        """The result rows: figure, the main column (shipped defaults,
        stock MariaDB), the tuned column, the ceiling beside them, their
        ratio, the target and its verdict (on the main column, or on the
        tuned one where only it has a figure).  "—" is a figure a stage
        should have given and did not; "" one the row has not."""
        rows = []

        def add(figure, value, tuned, ceiling, ratio, target, ok, *figs):
            verdict = "" if ok is None else ("PASS" if ok else "MISS")
            if verdict and any(x and x.get("foreign_cpu", 0) > 0.10 for x in figs):
                verdict += " (disturbed)"
            rows.append((figure, value, tuned, ceiling, ratio, target, verdict))

        self.ingest_rows(add)
        self.backlog_rows(add)
        self.sweep_rows(add)
        e = self.fig.get("e2e")
        add("end-to-end ingest → receiver, --loop: p50 / p99",
            "%.1f / %.1f ms" % (e["p50"] * 1000, e["p99"] * 1000) if e else "—", "", "—", "",
            "p50 < 100 ms, p99 < 1 s", bool(e and e["p50"] < 0.1 and e["p99"] < 1.0))
        self.old_rows(add)
        add("peak RSS, one hookfan.fcgi process under load",
            fmt_mib(self.fcgi_hwm) if self.fcgi_hwm else "—", "", "—", "", "< 16 MiB",
            bool(self.fcgi_hwm) and self.fcgi_hwm < 16 * 1024)
        rss = max([x["rss_kib"] for x in (self.fig.get(k) for k in (
            "sweep_empty", "sweep_other_batch", "sweep_tuned", "sweep_control", "sweep_old"))
            if x] or [0])
        add("peak RSS, hookfan-sweep draining %s" % fmt_int(self.sizes["sweep_deliveries"]),
            fmt_mib(rss) if rss else "—", "", "—", "", "< 64 MiB", bool(rss) and rss < 64 * 1024)
        return rows

    def ingest_rows(self, add):
        """Ingest at fan-out 1, 3 and 10 against the trivial responder and
        the durable floor; fan-out 3 in the tuned column too."""
        f = self.fig
        triv, fl, flt = f.get("trivial"), f.get("floor"), f.get("floor_tuned")
        for fanout in (1, 3, 10):
            w = f.get("ingest%d_empty" % fanout)
            t = f.get("ingest%d_tuned" % fanout)
            three = fanout == 3
            ratio = ", ".join(x for x in (
                ratio_to(w, triv, "rps", "trivial"), floor_share(w, fl),
                three and floor_share(t, flt, "tuned: ")) if x) or "—"
            add("ingest fan-out %d: req/s" % fanout, fmt_rate(w),
                fmt_rate(t) if three else "", fmt_rate(triv), ratio,
                "≥ 70% of floor" if three else "",
                bool(w and fl and share_of_floor(w, fl) >= 0.7) if three else None, w, fl)
            # The p99 of the median round, where the rounds alternated
            # with the floor's (else the fastest round's).
            add("ingest fan-out %d: p50 / p99" % fanout, fmt_p50_p99(w),
                fmt_p50_p99(t) if three else "", fmt_p50_p99(triv),
                "median round's p99: %s" % fmt_ms(w, "median_p99")
                if three and w and "median_p99" in w else "",
                "p99 < 20 ms" if three else "",
                bool(w and w.get("median_p99", w["p99"]) < 0.020) if three else None, w)
        add("durable floor, one committed INSERT per request: req/s", fmt_rate(fl),
            fmt_rate(flt), fmt_rate(triv), ratio_to(fl, triv, "rps", "trivial") or "—", "",
            None, fl, triv)

    def backlog_rows(self, add):
        """Fan-out 3 with BACKLOG deliveries pending on each endpoint
        against none, in alternating rounds: the median rounds, the median
        pair's cost, each against the floor."""
        f = self.fig
        b, n, fl = f.get("backlog3"), f.get("backlog3_none"), f.get("floor")
        pairs = self.sizes["backlog_rounds"]
        label = "ingest fan-out 3, %s pending on each endpoint" % fmt_int(BACKLOG)
        cost = b["cost"] if b and n else None
        add(label + ": req/s (median round)", fmt_median_rate(b), "",
            "%s (none pending, rounds alternating)" % fmt_median_rate(n) if n else "—",
            "%s (median of %s)" % (fmt_cost(cost), plural(pairs, "pair")) if b else "—",
            "cost ≤ 10%", cost is not None and cost <= 0.10, b, n)
        for figure, w in ((label, b), ("ingest fan-out 3, none pending (the same workspaces)", n)):
            add(figure + ": against the durable floor", fmt_median_rate(w), "", fmt_rate(fl),
                ratio_to(w, fl, "median_rate", "floor") or "—", "≥ 70% of floor",
                bool(w and fl and w["median_rate"] >= 0.7 * fl["rps"]), w, fl)
        add(label + ": p50 / p99 (median rounds)", fmt_p50_p99(b, "median_"), "",
            "%s (none pending)" % fmt_p50_p99(n, "median_") if n else "—", "", "p99 < 20 ms",
            bool(b and n and max(b["median_p99"], n["median_p99"]) < 0.020), b, n)

    def sweep_rows(self, add):
        """The drain without options (and the tuned one) against wrk's rate
        to the receiver; the drain with --batch COMPARED_BATCH against it."""
        f = self.fig
        s, b, t, rcv = (f.get(k) for k in ("sweep_empty", "sweep_other_batch", "sweep_tuned",
                                           "receiver"))
        n = fmt_int(self.sizes["sweep_deliveries"])
        options = self.args.sweep_args or "without options (--batch %s)" % self.sweep_default(
            "batch")
        ratio = ", ".join(x for x in (ratio_to(s, rcv, "rate", "receiver"),
                                      ratio_to(t, rcv, "rate", "receiver", "tuned: ")) if x)
        add("sweep %s: deliveries/s draining %s (fastest drain)" % (options, n),
            fmt_rate(s, "rate"), fmt_rate(t, "rate"),
            "%s (wrk POST, -c%d)" % (fmt_rate(rcv), self.args.sweep_ceiling_connections)
            if rcv else "—", ratio or "—", "≥ 20% and ≥ 10,000/s",
            bool(s and rcv and s["rate"] >= 0.2 * rcv["rps"] and s["rate"] >= 10000), s, rcv)
        pairs = self.sizes["sweep_rounds"]
        add("sweep %s --batch %s: deliveries/s draining %s (fastest drain, rounds "
            "alternating with the row above)" % (self.args.sweep_args, COMPARED_BATCH, n)
            if self.args.sweep_args
            else "sweep --batch %s: deliveries/s draining %s (fastest drain, rounds "
            "alternating with the row above)" % (COMPARED_BATCH, n),
            fmt_rate(b, "rate"), "", fmt_rate(s, "rate"),
            "rate %+.1f%% (median of %s)" % (-b["cost"] * 100, plural(pairs, "pair"))
            if b else "—", "", None, b, s)

    def old_rows(self, add):
        """The old rows' figures against the installation without them,
        in alternating rounds: measured on the tuned server only (its
        buffer pool holds them), so in the tuned column."""
        f = self.fig
        old = f.get("old")
        label = fmt_int(old["deliveries"]) if old else fmt_int(self.sizes["old_deliveries"])
        pairs = plural(self.sizes["old_rounds"], "pair")
        for name, figure in (("ingest3", ("ingest fan-out 3", "req/s")),
                             ("sweep", ("sweep " + self.args.tuned_sweep_args, "deliveries/s"))):
            o, c = f.get(name + "_old"), f.get(name + "_control")
            cost = o["cost"] if o and c else None
            add("%s with %s old deliveries: %s (median round)" % (figure[0], label, figure[1]),
                "", fmt_median_rate(o),
                "%s (no old rows, rounds alternating)" % fmt_median_rate(c) if c else "—",
                "%s (median of %s)" % (fmt_cost(cost), pairs) if cost is not None else "—",
                "cost ≤ 10%", cost is not None and cost <= 0.10, o, c)
            if name == "ingest3" and o:
                add("ingest fan-out 3 with %s old deliveries: p50 / p99 (fastest round)" % label,
                    "", fmt_p50_p99(o), fmt_p50_p99(c), "", "", None)

    def sweep_default(self, option):
        """The default of a hookfan-sweep option, from its --help."""
        r = subprocess.run([self.sweep_bin, "--help"], capture_output=True, text=True)
        m = re.search(r"--%s N .*\(default (\d+)" % option, r.stdout + r.stderr)
        return m.group(1) if m else "?"

    def missing_figures(self):
        return [r[0] for r in self.table() if "—" in (r[1], r[2])]

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
        lines.append(
            "Setup: lighttpd %s on Unix sockets, %d hookfan.fcgi process%s (%d threads each), "
            "%d FastCGI processes for the trivial responder and the floor; nginx %s "
            "(1 worker) as the receiver; wrk %s, 2 threads, %d connections for ingest, best of "
            "%d %ds runs%s (the floor and fan-out 3 in alternating rounds), each round spread "
            "over %d workspaces per fan-out." % (
                version(["lighttpd", "-v"], r"lighttpd/(\S+)"), self.procs,
                "" if self.procs == 1 else "es", limit(self.src, "HF_FCGI_THREADS"),
                self.baseline_procs,
                version(["nginx", "-v"], r"nginx/(\S+)"), version(["wrk", "-v"], r"wrk (\S+)"),
                self.conns, self.sizes["rounds"], self.sizes["wrk_seconds"],
                " after %ds warm-up" % self.sizes["warmup_seconds"]
                if self.sizes["warmup_seconds"] else "", self.args.ingest_workspaces))
        lines.append(
            "Main column: hookfan's shipped defaults (its config only the connection and "
            "allow_private_targets: max_pending_per_endpoint %s), hookfan-sweep %s, against "
            "MariaDB %s with Debian 12's settings (%s)." % (
                fmt_int(MAX_PENDING), self.args.sweep_args or "without options",
                version(["mariadbd", "--version"], r"Ver (\S+)"),
                self.db_settings.get("stock", "not started")))
        lines.append(
            "Tuned column: the same MariaDB restarted with innodb_buffer_pool_size=%s, "
            "innodb_log_file_size=%s, innodb_io_capacity=%d, innodb_io_capacity_max=%d (%s), "
            "hookfan-sweep %s; the old rows are measured on it only." % (
                self.tuned["buffer_pool"], self.tuned["log_file_size"],
                self.tuned["io_capacity"], self.tuned["io_capacity_max"],
                self.db_settings.get("tuned", "not run"), self.args.tuned_sweep_args))
        b = self.fig.get("backlog3")
        if b:
            lines.append(
                "Backlog: %s workspaces with 3 endpoints on order.paid, %s deliveries pending "
                "on each endpoint, not due (2 attempts answered 503, retried 30-60 minutes "
                "later), against the same deliveries marked delivered; rounds of %ds." % (
                    b["workspaces"], fmt_int(BACKLOG), self.sizes["backlog_seconds"]))
        foreign = [(k, v["foreign_cpu"]) for k, v in sorted(self.fig.items())
                   if isinstance(v, dict) and "foreign_cpu" in v]
        if foreign:
            worst = max(foreign, key=lambda kv: kv[1])
            lines.append("Other processes on the machine used at most %.0f%% of its CPUs during a "
                         "measurement (%s)%s." % (worst[1] * 100, worst[0],
                                                  "; figures are DISTURBED" if worst[1] > 0.10 else ""))
        lines.append("")
        lines.append("| figure | defaults, stock MariaDB | tuned | ceiling (same run) | ratio "
                     "| target | |")
        lines.append("|---|---|---|---|---|---|---|")
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


def pair_costs(base, other, rate):
    """What the other side (old rows, a backlog, a sweep option) costs in
    each pair of alternating rounds: 1 - its round's rate / the base
    round's beside it (negative: faster than the base)."""
    return [1 - o[rate] / b[rate] for b, o in zip(base, other)]


def paired_cost(base, other, rate):
    """The cost of the other side: the median of the pairs' costs.  A pair
    ran back to back, so the machine's drift cancels within it,
    and the median drops the pair a burst of other work hit.  (The
    fastest round of each side against the other's compares two single
    rounds that need not have run back to back.)"""
    return statistics.median(pair_costs(base, other, rate))


def round_costs(base, other, rate):
    return "/".join("%+.0f%%" % (c * 100) for c in pair_costs(base, other, rate))


def pct(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


def fmt_int(v):
    return "{:,}".format(int(round(v)))


def fmt_rate(w, key="rps"):
    return "%s/s" % fmt_int(w[key]) if w else "—"


def fmt_median_rate(w):
    return fmt_rate(w, "median_rate")


def fmt_ms(w, key):
    if not w or w.get(key) is None:
        return "—"
    return "%.2f ms" % (w[key] * 1000)


def fmt_p50_p99(w, prefix=""):
    return "%s / %s" % (fmt_ms(w, prefix + "p50"), fmt_ms(w, prefix + "p99")) if w else "—"


def ratio_to(w, base, key, name, prefix=""):
    """w[key] as a share of base's req/s, e.g. "31% of floor"; None
    without both."""
    if not (w and base and base["rps"]):
        return None
    return "%s%.0f%% of %s" % (prefix, w[key] * 100 / base["rps"], name)


def share_of_floor(w, floor):
    """w's req/s as a share of the floor's: the median of the pairs' when
    their rounds alternated (floor_share), else against the floor's
    fastest round."""
    return w.get("floor_share", w["rps"] / floor["rps"])


def floor_share(w, floor, prefix=""):
    """share_of_floor as the table's ratio, e.g. "72% of floor (median of
    3 pairs)"; None without both."""
    if not (w and floor and floor["rps"]):
        return None
    paired = " (median of %s)" % plural(len(w["round_shares"].split("/")), "pair") \
        if "floor_share" in w else ""
    return "%s%.0f%% of floor%s" % (prefix, share_of_floor(w, floor) * 100, paired)


def plural(n, word):
    return "%d %s%s" % (n, word, "s"[:n != 1])


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


def snippet_procs(src):
    """max-procs of the shipped lighttpd snippet: what a user runs."""
    with open(os.path.join(src, "apache", "hookfan-lighttpd.conf.in")) as f:
        return int(re.search(r'"max-procs" => (\d+)', f.read()).group(1))


def limit(src, name):
    """A number #defined in hookfan's src/limits.h."""
    with open(os.path.join(src, "src", "limits.h")) as f:
        return int(re.search(r"#define %s (\d+)" % name, f.read()).group(1))


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
    ap.add_argument("--procs", type=int,
                    help="hookfan.fcgi processes (default: the shipped lighttpd snippet's)")
    ap.add_argument("--baseline-procs", type=int, default=8,
                    help="processes of the trivial responder and the durable floor, which "
                    "serve one request at a time each")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections for ingest")
    ap.add_argument("--sweep-ceiling-connections", type=int, default=256,
                    help="wrk connections for the receiver ceiling (64 and 256 measure alike)")
    ap.add_argument("--sweep-args", default="",
                    help="hookfan-sweep options for the main column's drains (default none: "
                    "the sweep's defaults)")
    ap.add_argument("--tuned-sweep-args", default="--batch 1000 --concurrency 64",
                    help="hookfan-sweep options for the tuned column's drains and the old rows'")
    ap.add_argument("--ingest-workspaces", type=int, default=8,
                    help="workspaces per fan-out an ingest round spreads its requests over, "
                    "so that no endpoint reaches max_pending_per_endpoint (10,000) in a round")
    ap.add_argument("--backlog-workspaces", type=int,
                    help="workspaces of the backlog stage (default: enough for the fan-out-3 "
                    "rate measured before)")
    ap.add_argument("--old-deliveries", type=int)
    ap.add_argument("--buffer-pool", help="the tuned MariaDB's innodb_buffer_pool_size, "
                    "e.g. 1G (default 6G)")
    ap.add_argument("--sweep-deliveries", type=int)
    ap.add_argument("--wrk-seconds", type=int)
    ap.add_argument("--db-template", help="an initialised MariaDB datadir to copy")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--perf", metavar="DIR", help="profile every sweep drain with perf "
                    "record (whole machine, call graphs) into DIR/sweep-ROUND-TABLES.data")
    ap.add_argument("--stages",
                    default="trivial,ingest,floor,receiver,sweep,e2e,backlog,tuned,old",
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

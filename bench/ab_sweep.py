#!/usr/bin/env python3
"""A/B drains: two builds of hookfan-sweep, CPU per delivery side by side.

    bench/ab_sweep.py --base BUILD --new BUILD [--deliveries N]
        [--endpoints E] [--rounds R] [--batch B] [--concurrency C]
        [--slow-log]

BUILD is a build directory (hookfan-sweep and hookfan-admin in it, its
Makefile naming the source tree whose sql/ it migrates).  Both builds get
a database of their own on one mariadbd, each migrated by its own
hookfan-admin, so their schemas may differ.  Each round inserts N due
deliveries (one per message, a 300-byte payload) to E endpoints of one
build's database, a do-nothing nginx, and drains them with that build's
`hookfan-sweep --batch B --concurrency C`; rounds alternate (base, new,
new, base, ...) so that a machine getting busier or the tables growing
weigh on both alike.  Measured per round: the drain's rate, and the CPU
time per delivery of the sweep (its rusage) and of mariadbd
(/proc/PID/stat), the latter from the drain's start until InnoDB has
purged what the drain left (a round pays for its own purge, not for the
one before).  Printed: each round, then the medians per build and new
against base.  --slow-log also logs every statement of every round
and prints, per build, where mariadbd's statement time went (which
slows every round: compare CPU per delivery from runs without it).

Build both alike (e.g. CFLAGS=-O2, no sanitizers).  Run as root or as a
user that may start mariadbd and nginx; everything lives in a temp
directory and listens on 127.0.0.1 or Unix sockets.  Not part of
bench/run.
"""
import argparse
import collections
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import free_port, log, port_open, wait_for  # noqa: E402
PASSWORD = "bench-ab"
TICK = os.sysconf("SC_CLK_TCK")
PAYLOAD = '{"order":12345,"customer":"%s","items":[1,2,3]}' % ("c" * 250)
BUILDS = ("base", "new")


def proc_cpu_us(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e6 / TICK


def source_dir(build):
    """The source tree a build directory was configured from."""
    with open(os.path.join(build, "Makefile")) as f:
        for line in f:
            if line.startswith("abs_top_srcdir = "):
                return line.split("=", 1)[1].strip()
    raise SystemExit("%s/Makefile names no abs_top_srcdir: not a build directory" % build)


class Bed:
    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="hf-ab-sweep-")
        self.procs = []
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.builds = {"base": args.base, "new": args.new}

    def spawn(self, name, cmd):
        out = open(os.path.join(self.dir, name + ".log"), "w")
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def client(self, sql, db=None):
        cmd = ["mariadb", "--no-defaults", "--socket=" + self.socket, "-uroot",
               "--batch", "--skip-column-names"] + ([db] if db else []) + ["-e", sql]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    def config(self, which):
        return os.path.join(self.dir, which + ".conf")

    def start(self):
        data = os.path.join(self.dir, "data")
        root = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + data,
                        "--auth-root-authentication-method=socket"] + root,
                       check=True, capture_output=True)
        # Durable as in production and bench/run: every commit flushed.
        self.mysqld = self.spawn("mariadbd", [
            "mariadbd", "--no-defaults", "--datadir=" + data, "--socket=" + self.socket,
            "--skip-networking", "--skip-log-bin", "--tmpdir=" + self.dir,
            "--pid-file=" + os.path.join(self.dir, "pid"),
            "--innodb-flush-log-at-trx-commit=1",
            "--innodb-buffer-pool-size=" + self.args.buffer_pool,
            "--innodb-log-file-size=512M", "--max-connections=200",
            ] + root)
        wait_for(lambda: subprocess.run(
            ["mariadb", "--no-defaults", "--socket=" + self.socket, "-uroot", "-e",
             "SELECT 1"], capture_output=True).returncode == 0, 60, "mariadbd")
        self.client("CREATE USER hookfan@localhost IDENTIFIED BY '%s';" % PASSWORD +
                    "".join("CREATE DATABASE hookfan_%s CHARACTER SET utf8mb4;"
                            "GRANT ALL ON hookfan_%s.* TO hookfan@localhost;" % (b, b)
                            for b in BUILDS))
        # Only keys every build knows.
        for which in BUILDS:
            with open(self.config(which), "w") as f:
                f.write("db_socket = %s\ndb_name = hookfan_%s\ndb_password = %s\n"
                        "allow_private_targets = yes\n" % (self.socket, which, PASSWORD))
            self.admin(which, "migrate")
        self.nginx_port = free_port()
        d = os.path.join(self.dir, "nginx")
        os.makedirs(d)
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("daemon off; worker_processes 1; pid %s/nginx.pid;\n"
                    "error_log %s/error.log warn;\nevents { worker_connections 4096; }\n"
                    "http { access_log off; client_body_temp_path %s/body;\n"
                    " keepalive_requests 1000000; keepalive_timeout 60s;\n"
                    " server { listen 127.0.0.1:%d backlog=4096;\n"
                    "  location / { return 200 \"ok\\n\"; } } }\n"
                    % (d, d, d, self.nginx_port))
        self.spawn("nginx", ["nginx", "-p", d, "-c", os.path.join(d, "nginx.conf"),
                             "-e", os.path.join(d, "error.log")])
        wait_for(lambda: port_open(self.nginx_port), 20, "nginx")

    def admin(self, which, *args):
        build = self.builds[which]
        env = dict(os.environ, HOOKFAN_SQL_DIR=os.path.join(source_dir(build), "sql"))
        r = subprocess.run([os.path.join(build, "hookfan-admin"), "--config",
                            self.config(which)] + list(args), capture_output=True,
                           text=True, env=env)
        if r.returncode != 0:
            raise SystemExit("%s hookfan-admin %s: %s" % (which, " ".join(args), r.stderr))
        return r.stdout.split("\n")[0]

    def history_length(self):
        """Undo logs InnoDB has yet to purge."""
        status = self.client("SHOW ENGINE INNODB STATUS")
        m = re.search(r"History list length (\d+)", status.replace("\\n", "\n"))
        return int(m.group(1)) if m else 0

    def wait_purged(self, timeout=120):
        deadline = time.monotonic() + timeout
        while self.history_length() > 100 and time.monotonic() < deadline:
            time.sleep(0.2)

    def stop(self):
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
        if not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def fill_due(bed, which, ws, endpoints, n, tag):
    """n messages, each with one delivery due now, spread over endpoints."""
    per = n // len(endpoints)
    db = "hookfan_" + which
    bed.client("INSERT INTO messages (id, workspace_id, event_type, payload, status)"
               " SELECT CONCAT('msg_%s', LPAD(seq, 20, '0')), '%s', 'bench.ab',"
               " '%s', 'pending' FROM seq_1_to_%d"
               % (tag, ws, PAYLOAD, per * len(endpoints)), db)
    for k, ep in enumerate(endpoints):
        bed.client("INSERT INTO deliveries (id, message_id, endpoint_id, status, due_at)"
                   " SELECT CONCAT('del_%s', LPAD(seq, 20, '0')),"
                   " CONCAT('msg_%s', LPAD(seq, 20, '0')), '%s', 'pending', NOW(3)"
                   " FROM seq_%d_to_%d" % (tag, tag, ep, k * per + 1, (k + 1) * per), db)
    return per * len(endpoints)


def slow_log_path(bed, which):
    return os.path.join(bed.dir, "slow-%s.log" % which)


def drain(bed, which, n, slow_log=False):
    cmd = [os.path.join(bed.builds[which], "hookfan-sweep"), "--config", bed.config(which),
           "--max-seconds", "600", "--batch", str(bed.args.batch),
           "--concurrency", str(bed.args.concurrency)]
    bed.wait_purged()
    if slow_log:
        bed.client("SET GLOBAL slow_query_log_file = '%s', long_query_time = 0,"
                   " slow_query_log = 1" % slow_log_path(bed, which))
    db_before = proc_cpu_us(bed.mysqld.pid)
    started = time.monotonic()
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    _, status, ru = os.wait4(p.pid, 0)
    elapsed = time.monotonic() - started
    if slow_log:
        bed.client("SET GLOBAL slow_query_log = 0")
    bed.wait_purged()
    db_us = proc_cpu_us(bed.mysqld.pid) - db_before
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("%s sweep failed: %s" % (which, p.stderr.read()))
    left = int(bed.client("SELECT COUNT(*) FROM deliveries WHERE due_at IS NOT NULL"
                          " AND status = 'pending'", "hookfan_" + which))
    sweep_us = (ru.ru_utime + ru.ru_stime) * 1e6
    return {"rate": n / elapsed, "sweep_us": sweep_us / n, "db_us": db_us / n,
            "total_us": (sweep_us + db_us) / n, "left": left}


def shape(statement):
    """A statement with its literals taken out, to group by."""
    s = re.sub(r"'(?:[^'\\]|\\.)*'", "?", statement)
    s = re.sub(r"\b\d+(\.\d+)?\b", "N", s)
    return re.sub(r"\s+", " ", s).strip()


def slow_log_summary(path, which, deliveries, top=25):
    """Where mariadbd's time went in the logged rounds, by statement."""
    time_by, rows_by, count_by = (collections.Counter() for _ in range(3))
    query_time = rows = 0
    lines = []
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("# Query_time:"):
                m = re.search(r"Query_time: ([\d.]+).*Rows_examined: (\d+)", line)
                query_time, rows = float(m.group(1)), int(m.group(2))
                lines = []
            elif line.startswith("#") or line.startswith("SET timestamp") or \
                    line.startswith("use "):
                continue
            else:
                lines.append(line.strip())
                if line.rstrip().endswith(";"):
                    key = shape(" ".join(lines))[:110]
                    time_by[key] += query_time
                    rows_by[key] += rows
                    count_by[key] += 1
                    lines = []
    total = sum(time_by.values())
    print("\nslow log of %s's rounds: %.2f s of statement time, %.1f us a delivery"
          % (which, total, total * 1e6 / deliveries))
    print("| statement | count | us a delivery | rows examined a delivery |")
    print("|---|---|---|---|")
    for key, t in time_by.most_common(top):
        print("| `%s` | %d | %.2f | %.2f |" % (key.replace("|", "\\|"), count_by[key],
                                              t * 1e6 / deliveries,
                                              rows_by[key] / deliveries))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="the build to compare against")
    ap.add_argument("--new", required=True, help="the build with the change")
    ap.add_argument("--deliveries", type=int, default=100000, help="per round")
    ap.add_argument("--endpoints", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3, help="pairs of drains")
    ap.add_argument("--batch", type=int, default=1000, help="the sweeps' --batch")
    ap.add_argument("--concurrency", type=int, default=64, help="the sweeps' --concurrency")
    ap.add_argument("--buffer-pool", default="1G")
    ap.add_argument("--slow-log", action="store_true",
                    help="log every statement and say where the time went")
    ap.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = ap.parse_args()
    for which in BUILDS:
        build = getattr(args, which)
        for program in ("hookfan-sweep", "hookfan-admin"):
            if not os.access(os.path.join(build, program), os.X_OK):
                raise SystemExit("%s: no %s in %s" % (which, program, build))
    bed = Bed(args)
    try:
        bed.start()
        eps = {}
        for which in BUILDS:
            ws = bed.admin(which, "workspace", "create", "--name", "bench")
            eps[which] = (ws, [bed.admin(which, "endpoint", "create", "--workspace", ws,
                                         "--url", "http://127.0.0.1:%d/hook/%d"
                                         % (bed.nginx_port, i))
                               for i in range(args.endpoints)])
            # Warm up: the server's caches and the sweep's first claims.
            drain(bed, which, fill_due(bed, which, ws, eps[which][1], 2000, "W"))
        results = {which: [] for which in BUILDS}
        order = []
        for r in range(args.rounds):
            order += [BUILDS, BUILDS[::-1]][r % 2]
        logged = collections.Counter()
        for i, which in enumerate(order):
            ws, endpoints = eps[which]
            n = fill_due(bed, which, ws, endpoints, args.deliveries, "R%02d" % i)
            res = drain(bed, which, n, slow_log=args.slow_log)
            logged[which] += n
            results[which].append(res)
            log("round %d %-4s %8.0f deliveries/s  sweep %5.1f us  mariadbd %5.1f us"
                "  total %5.1f us a delivery  (left %d)"
                % (i + 1, which, res["rate"], res["sweep_us"], res["db_us"],
                   res["total_us"], res["left"]))
        print("%d deliveries to %d endpoints a round, --batch %d --concurrency %d,"
              " %d rounds each; medians" % (args.deliveries, args.endpoints, args.batch,
                                           args.concurrency, args.rounds))
        print("| build | drain rate | CPU us/delivery: sweep | mariadbd | total |")
        print("|---|---|---|---|---|")
        med = {}
        for which in BUILDS:
            rs = results[which]
            med[which] = {k: statistics.median(r[k] for r in rs)
                          for k in ("rate", "sweep_us", "db_us", "total_us")}
            print("| %s | %.0f/s | %.1f | %.1f | %.1f |" % (
                which, med[which]["rate"], med[which]["sweep_us"], med[which]["db_us"],
                med[which]["total_us"]))
        print("| new - base | %+.1f%% | %+.1f | %+.1f | %+.1f (%+.1f%%) |" % (
            (med["new"]["rate"] / med["base"]["rate"] - 1) * 100,
            med["new"]["sweep_us"] - med["base"]["sweep_us"],
            med["new"]["db_us"] - med["base"]["db_us"],
            med["new"]["total_us"] - med["base"]["total_us"],
            (med["new"]["total_us"] / med["base"]["total_us"] - 1) * 100))
        spread = {which: (min(r["total_us"] for r in results[which]),
                          max(r["total_us"] for r in results[which])) for which in BUILDS}
        print("spread of total CPU us/delivery across rounds: base %.1f-%.1f, new %.1f-%.1f"
              % (spread["base"] + spread["new"]))
        for which in BUILDS if args.slow_log else ():
            slow_log_summary(slow_log_path(bed, which), which, logged[which])
    finally:
        bed.stop()


if __name__ == "__main__":
    sys.exit(main())

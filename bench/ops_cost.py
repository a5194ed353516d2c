#!/usr/bin/env python3
"""What the operations work costs, measured in one run (bench/README.md,
"Operations"):

  - the sweep's hot path: drains of N due deliveries to E endpoints (a
    do-nothing nginx) by two builds of hookfan-sweep, one without the
    attempt counters and ops hooks (--base) and one with them (--ops), in
    alternating rounds against the same MariaDB: rate, and the CPU time
    per delivery of the sweep and of mariadbd, read from the kernel;
  - GET /metrics on a table of many old deliveries (--old-rows), timed
    as a plain CGI run of the --ops build's hookfan.fcgi.

    bench/ops_cost.py --base BUILDDIR --ops BUILDDIR [--deliveries N]
        [--endpoints E] [--rounds R] [--old-rows M]

Both builds must be configured alike (e.g. CFLAGS=-O2, no sanitizers).
Run as root or as a user that may start mariadbd and nginx; everything
lives in a temp directory and listens on 127.0.0.1 or Unix sockets.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench import free_port, log, port_open, wait_for  # noqa: E402
SRC = os.path.dirname(HERE)
PASSWORD = "bench-ops"
METRICS_KEY = "bench-metrics-key"
TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu_us(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1e6 / TICK


class Bed:
    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="hf-ops-cost-")
        self.procs = []
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.config = os.path.join(self.dir, "hookfan.conf")

    def spawn(self, name, cmd):
        out = open(os.path.join(self.dir, name + ".log"), "w")
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def client(self, sql, db="hookfan"):
        cmd = ["mariadb", "--no-defaults", "--socket=" + self.socket, "-uroot",
               "--batch", "--skip-column-names"] + ([db] if db else []) + ["-e", sql]
        return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

    def start(self):
        data = os.path.join(self.dir, "data")
        root = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=" + data,
                        "--auth-root-authentication-method=socket"] + root,
                       check=True, capture_output=True)
        self.mysqld = self.spawn("mariadbd", [
            "mariadbd", "--no-defaults", "--datadir=" + data, "--socket=" + self.socket,
            "--skip-networking", "--tmpdir=" + self.dir,
            "--pid-file=" + os.path.join(self.dir, "pid"),
            "--innodb-buffer-pool-size=" + self.args.buffer_pool,
            "--innodb-log-file-size=512M", "--max-connections=200",
            ] + root)
        wait_for(lambda: subprocess.run(
            ["mariadb", "--no-defaults", "--socket=" + self.socket, "-uroot", "-e",
             "SELECT 1"], capture_output=True).returncode == 0, 60, "mariadbd")
        self.client("CREATE DATABASE hookfan CHARACTER SET utf8mb4;"
                    "CREATE USER hookfan@localhost IDENTIFIED BY '%s';"
                    "GRANT ALL ON hookfan.* TO hookfan@localhost;" % PASSWORD, db=None)
        # The build without the change knows no metrics_key.
        self.base_config = os.path.join(self.dir, "base.conf")
        common = ("db_socket = %s\ndb_password = %s\nallow_private_targets = yes\n"
                  % (self.socket, PASSWORD))
        with open(self.base_config, "w") as f:
            f.write(common)
        with open(self.config, "w") as f:
            f.write(common + "metrics_key = %s\n" % METRICS_KEY)
        self.admin("migrate")
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

    def admin(self, *args):
        env = dict(os.environ, HOOKFAN_SQL_DIR=os.path.join(SRC, "sql"))
        return subprocess.run([os.path.join(self.args.ops, "hookfan-admin"), "--config",
                               self.config] + list(args), check=True, capture_output=True,
                              text=True, env=env).stdout.split("\n")[0]

    def stop(self):
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(60)
            except subprocess.TimeoutExpired:
                p.kill()
        if not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def fill_due(bed, ws, endpoints, n, tag):
    """n messages, each with one delivery due now, spread over endpoints."""
    per = n // len(endpoints)
    bed.client("INSERT INTO messages (id, workspace_id, event_type, payload, status)"
               " SELECT CONCAT('msg_%s', LPAD(seq, 20, '0')), '%s', 'bench.ops',"
               " '{\"order\":12345,\"items\":[1,2,3]}', 'pending' FROM seq_1_to_%d"
               % (tag, ws, per * len(endpoints)))
    for k, ep in enumerate(endpoints):
        bed.client("INSERT INTO deliveries (id, message_id, endpoint_id, status, due_at)"
                   " SELECT CONCAT('del_%s', LPAD(seq, 20, '0')),"
                   " CONCAT('msg_%s', LPAD(seq, 20, '0')), '%s', 'pending', NOW(3)"
                   " FROM seq_%d_to_%d" % (tag, tag, ep, k * per + 1, (k + 1) * per))
    return per * len(endpoints)


def drain(bed, build, n, config):
    cmd = [os.path.join(build, "hookfan-sweep"), "--config", config,
           "--max-seconds", "600", "--batch", str(bed.args.batch), "--concurrency", "64"]
    db_before = proc_cpu_us(bed.mysqld.pid)
    started = time.monotonic()
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    _, status, ru = os.wait4(p.pid, 0)
    elapsed = time.monotonic() - started
    db_us = proc_cpu_us(bed.mysqld.pid) - db_before
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError("sweep failed: " + p.stderr.read())
    left = int(bed.client("SELECT COUNT(*) FROM deliveries WHERE due_at IS NOT NULL"))
    sweep_us = (ru.ru_utime + ru.ru_stime) * 1e6
    return {"rate": n / elapsed, "sweep_us": sweep_us / n, "db_us": db_us / n,
            "total_us": (sweep_us + db_us) / n, "left": left}


REPLAYS = 2000


def added_statements_us(bed, ws, endpoints):
    """mariadbd's CPU for the statements hookfan-sweep adds to each batch
    of results (src/db_ops.c: the read of the batch's endpoints and
    workspaces, the upsert of its counters; here three cells, as a batch
    of successes spread over a few duration buckets makes), replayed
    REPLAYS times in one transaction, as the sweep runs them inside its
    own."""
    ids = "[%s]" % ",".join('"%s"' % e for e in endpoints)
    cells = '[["%s","2xx",0,150,400,0],["%s","2xx",1,40,300,0],["%s","2xx",2,10,150,0]]' % (
        ws, ws, ws)
    bed.client("""DELIMITER //
CREATE OR REPLACE PROCEDURE bench_added(n INT, ids TEXT, cells TEXT)
BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE i < n DO
    SELECT COUNT(*) INTO @seen FROM JSON_TABLE(ids, '$[*]' COLUMNS (
        id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin PATH '$')) j
      STRAIGHT_JOIN endpoints e ON e.id = j.id
      STRAIGHT_JOIN workspaces w ON w.id = e.workspace_id;
    INSERT INTO attempt_counters (workspace_id, outcome, bucket, shard, attempts,
        duration_ms, gave_up)
      SELECT j.ws, j.outcome, j.bucket, i % 8, j.n, j.ms, j.g
      FROM JSON_TABLE(cells, '$[*]' COLUMNS (
        ws VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin PATH '$[0]',
        outcome VARCHAR(16) CHARACTER SET ascii PATH '$[1]',
        bucket INT UNSIGNED PATH '$[2]', n BIGINT UNSIGNED PATH '$[3]',
        ms BIGINT UNSIGNED PATH '$[4]', g BIGINT UNSIGNED PATH '$[5]')) j
      ON DUPLICATE KEY UPDATE attempts = attempts + VALUES(attempts),
        duration_ms = duration_ms + VALUES(duration_ms), gave_up = gave_up + VALUES(gave_up);
    SET i = i + 1;
  END WHILE;
END//""")
    before = proc_cpu_us(bed.mysqld.pid)
    bed.client("START TRANSACTION; CALL bench_added(%d, '%s', '%s'); ROLLBACK;"
               % (REPLAYS, ids, cells))
    return (proc_cpu_us(bed.mysqld.pid) - before) / REPLAYS


def scrape_seconds(bed, uri="/metrics", runs=5):
    env = {"PATH": os.environ["PATH"], "GATEWAY_INTERFACE": "CGI/1.1",
           "REQUEST_METHOD": "GET", "REQUEST_URI": uri, "SCRIPT_NAME": "",
           "SERVER_PROTOCOL": "HTTP/1.1", "HOOKFAN_CONFIG": bed.config,
           "HTTP_AUTHORIZATION": "Bearer " + METRICS_KEY}
    times = []
    for _ in range(runs):
        started = time.monotonic()
        r = subprocess.run([os.path.join(bed.args.ops, "hookfan.fcgi")], env=env,
                           capture_output=True, check=True)
        times.append(time.monotonic() - started)
        if b"Status: 200" not in r.stdout:
            raise RuntimeError("scrape failed: %r" % r.stdout[:300])
    return min(times), statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--base", required=True, help="build without the change")
    ap.add_argument("--ops", required=True, help="build with it (its admin migrates)")
    ap.add_argument("--deliveries", type=int, default=100000)
    ap.add_argument("--endpoints", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3, help="pairs of drains")
    ap.add_argument("--old-rows", type=int, default=0,
                    help="then this many finished deliveries, and time GET /metrics")
    ap.add_argument("--buffer-pool", default="1G")
    ap.add_argument("--batch", type=int, default=1000, help="the sweeps' --batch")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    bed = Bed(args)
    try:
        bed.start()
        ws = bed.admin("workspace", "create", "--name", "bench")
        eps = [bed.admin("endpoint", "create", "--workspace", ws, "--url",
                         "http://127.0.0.1:%d/hook/%d" % (bed.nginx_port, i))
               for i in range(args.endpoints)]
        results = {"base": [], "ops": []}
        order = []
        for r in range(args.rounds):
            order += [("base", "ops"), ("ops", "base")][r % 2]
        drain(bed, args.ops, fill_due(bed, ws, eps, 2000, "W"), bed.config)    # warm up
        for i, which in enumerate(order):
            n = fill_due(bed, ws, eps, args.deliveries, "R%02d" % i)
            build, config = ((args.base, bed.base_config) if which == "base"
                             else (args.ops, bed.config))
            res = drain(bed, build, n, config)
            results[which].append(res)
            log("round %d %-4s %8.0f deliveries/s  sweep %5.1f us  mariadbd %5.1f us"
                "  total %5.1f us a delivery  (left %d)"
                % (i + 1, which, res["rate"], res["sweep_us"], res["db_us"],
                   res["total_us"], res["left"]))
        print("| build | drain rate (median) | CPU us/delivery sweep | mariadbd | total |")
        print("|---|---|---|---|---|")
        for which in ("base", "ops"):
            rs = results[which]
            print("| %s | %.0f/s | %.1f | %.1f | %.1f |" % (
                which, statistics.median(r["rate"] for r in rs),
                statistics.median(r["sweep_us"] for r in rs),
                statistics.median(r["db_us"] for r in rs),
                statistics.median(r["total_us"] for r in rs)))
        base = statistics.median(r["total_us"] for r in results["base"])
        ops = statistics.median(r["total_us"] for r in results["ops"])
        print("CPU per delivery, ops against base: %+.1f%%" % ((ops / base - 1) * 100))
        added = added_statements_us(bed, ws, eps)
        print("the two statements the change adds to a batch, replayed %d times inside"
              " one transaction: %.0f us of mariadbd CPU a batch, %.2f us a delivery at"
              " --batch %d (the round trips come on top: see the drains)"
              % (REPLAYS, added, added / args.batch, args.batch))
        if args.old_rows:
            have = int(bed.client("SELECT COUNT(*) FROM deliveries"))
            more = max(0, args.old_rows - have)
            log("adding %d finished deliveries (%d there)" % (more, have))
            chunk = 500000
            for lo in range(0, more, chunk):
                hi = min(more, lo + chunk)
                bed.client("INSERT INTO messages (id, workspace_id, event_type, payload,"
                           " status) SELECT CONCAT('msg_O', LPAD(seq, 24, '0')), '%s',"
                           " 'bench.old', '{}', 'delivered' FROM seq_%d_to_%d;"
                           "INSERT INTO deliveries (id, message_id, endpoint_id, status,"
                           " attempts, due_at) SELECT CONCAT('del_O', LPAD(seq, 24, '0')),"
                           " CONCAT('msg_O', LPAD(seq, 24, '0')),"
                           " ELT(1 + seq %% %d, %s), 'succeeded', 1, NULL FROM seq_%d_to_%d"
                           % (ws, lo + 1, hi, len(eps), ", ".join("'%s'" % e for e in eps),
                              lo + 1, hi))
            # The history alone, then with a backlog due.
            health, _ = scrape_seconds(bed, "/healthz")
            print("GET /healthz (process start and connection alone): %.0f ms"
                  % (health * 1000))
            due = 0
            for backlog in (0, 10000, 100000):
                if backlog > due:
                    due += fill_due(bed, ws, eps, backlog - due, "B%d" % backlog)
                total = int(bed.client("SELECT COUNT(*) FROM deliveries"))
                best, median = scrape_seconds(bed)
                print("GET /metrics, %d deliveries of which %d due: fastest %.0f ms,"
                      " median %.0f ms of 5 CGI runs" % (total, due, best * 1000,
                                                         median * 1000))
    finally:
        bed.stop()


if __name__ == "__main__":
    sys.exit(main())

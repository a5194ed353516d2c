#!/usr/bin/env python3
"""hookfan on a 3-node MariaDB Galera cluster beside one plain server.

    python3 bench/galera.py --builddir DIR [--seconds 10] [--deliveries 20000]

DIR is a configured and built hookfan tree (an optimised one: configure
CFLAGS=-O2, no sanitizers).  In one run, with the same server settings
(durable, 64 MiB buffer pool, as the test servers), it measures:

- ingest (fan-out 3) through lighttpd + hookfan.fcgi, wrk with 16
  connections: against the plain server; against node 1 of the cluster;
  and through two lighttpd on nodes 1 and 2 at once (the sum);
- hookfan-sweep draining N due deliveries to a do-nothing nginx: one
  sweep on the plain server, then 1, 2, 3 and 6 sweeps spread over the
  cluster's nodes, with the certification conflicts they met: the nodes'
  wsrep_local_cert_failures + wsrep_local_bf_aborts per claimed batch.

The cluster's nodes share the machine with each other (and with whatever
else runs on it): the figures say what replication costs hookfan on one
host, not what three hosts would give.  Compare the ratios of one run.
Uses the test bed's servers (tests/lib); prints a Markdown table.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--builddir", required=True)
    p.add_argument("--seconds", type=int, default=10, help="each wrk run")
    p.add_argument("--deliveries", type=int, default=20000, help="each drain")
    p.add_argument("--batch", type=int, default=200)
    p.add_argument("--sweeps", default="1,2,3,6")
    return p.parse_args()


args = parse_args()
os.environ["HF_BUILDDIR"] = os.path.abspath(args.builddir)
os.environ["HF_SRCDIR"] = SRCDIR
sys.path.insert(0, os.path.join(SRCDIR, "tests", "lib"))
import hftest  # noqa: E402
sys.path.insert(0, HERE)
import bench  # noqa: E402  (the nginx receiver's config)
import galera  # noqa: E402
import webservers  # noqa: E402

BATCH_SIZES = [int(x) for x in args.sweeps.split(",")]
BODY = '{"payload": {"order": 1234, "status": "shipped", "note": "%s"}}' % ("x" * 200)


def start_nginx():
    d = tempfile.mkdtemp(prefix="hf-nginx-")
    port = hftest.free_port()
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(bench.nginx_config(d, port))
    p = subprocess.Popen([hftest._find("nginx"), "-p", d, "-c", conf, "-e", d + "/error.log"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @hftest.cleanup
    def _stop():
        p.terminate()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)
    hftest.wait_for(lambda: webservers._port_open(port), 20, "nginx")
    return "http://127.0.0.1:%d/hook" % port


def tenant(node, url, fanout=3):
    ws = node.admin("workspace", "create", "--name", "bench")["id"]
    for _ in range(fanout):
        node.admin("endpoint", "create", "--workspace", ws, "--url", url)
    return ws, node.admin("key", "create", "--workspace", ws)["key"]


def wrk(server, key, seconds):
    env = dict(os.environ, BENCH_BODY=BODY, BENCH_KEY=key, BENCH_HEADERS="")
    cmd = [hftest._find("wrk"), "-t2", "-c16", "-d%ds" % seconds, "--timeout", "10s",
           "-s", os.path.join(HERE, "post.lua"),
           "http://127.0.0.1:%d/api/ingest/event/bench.event" % server.port]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def wrk_result(p):
    out, err = p.communicate()
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


def paused_ns(nodes):
    """Time the nodes spent paused by flow control (a lagging applier)."""
    return sum(int(n.status("wsrep_flow_control_paused_ns")) for n in nodes)


def ingest(servers_keys, seconds, nodes=()):
    """Rates of wrk runs at once on each server: (total req/s, non-2xx,
    certification conflicts, share of the time paused by flow control)."""
    for server, key in servers_keys:        # warm up: connections, caches
        wrk_result(wrk(server, key, 2))
    clashes, paused = (conflicts(nodes), paused_ns(nodes)) if nodes else (0, 0)
    started = time.monotonic()
    runs = [wrk(server, key, seconds) for server, key in servers_keys]
    results = [wrk_result(p) for p in runs]
    elapsed = time.monotonic() - started
    if nodes:
        clashes = conflicts(nodes) - clashes
        paused = (paused_ns(nodes) - paused) / 1e9 / len(nodes) / elapsed
    return (sum(r for r, _ in results), sum(b for _, b in results), clashes, paused)


def make_due(node, ws_url, count):
    """count due deliveries on one endpoint (as ingest would store them)."""
    ws, _ = ws_url
    ep = node.value("SELECT id FROM endpoints WHERE workspace_id = '%s' LIMIT 1" % ws)
    tag = "%x" % int(time.time() * 1000)
    node.root_sql(
        "USE hookfan;"
        "INSERT INTO messages (id, workspace_id, event_type, payload, status)"
        " SELECT CONCAT('msg_', LPAD(CONCAT('%(t)s', seq), 26, '0')), '%(ws)s',"
        " 'bench.event', '{\"n\": 1}', 'pending' FROM seq_1_to_%(n)d;"
        "INSERT INTO deliveries (id, message_id, endpoint_id, status, due_at)"
        " SELECT CONCAT('del_', LPAD(CONCAT('%(t)s', seq), 26, '0')),"
        " CONCAT('msg_', LPAD(CONCAT('%(t)s', seq), 26, '0')), '%(ep)s', 'pending', NOW(3)"
        " FROM seq_1_to_%(n)d;" % {"t": tag, "ws": ws, "ep": ep, "n": count})


def conflicts(nodes):
    return sum(int(n.status("wsrep_local_cert_failures")) +
               int(n.status("wsrep_local_bf_aborts")) for n in nodes)


def drain(nodes, sweeps, count):
    """Run `sweeps` one-shot sweeps spread over nodes until nothing is due;
    (deliveries/s, claimed batches, conflicts)."""
    before = conflicts(nodes) if len(nodes) > 1 else 0
    started = time.monotonic()
    procs = []
    for i in range(sweeps):
        node = nodes[i % len(nodes)]
        procs.append(subprocess.Popen(
            [hftest.SWEEP, "--config", node.config_path, "--batch", str(args.batch),
             "--concurrency", "64", "--verbose", "--max-seconds", "300"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=node.env()))
    claims = 0
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError("sweep failed: " + err[-1000:])
        claims += sum(1 for line in err.splitlines()
                      if re.search(r"claimed [1-9]\d* deliveries", line))
    elapsed = time.monotonic() - started
    # Once node 1 has applied what the other nodes committed.
    left = nodes[0].root_sql("SET SESSION wsrep_sync_wait = 1; USE hookfan;"
                             " SELECT COUNT(*) FROM deliveries WHERE status <> 'succeeded'"
                             if len(nodes) > 1 else
                             "USE hookfan; SELECT COUNT(*) FROM deliveries"
                             " WHERE status <> 'succeeded'").strip()
    if left != "0":
        raise RuntimeError("%s deliveries not delivered" % left)
    after = conflicts(nodes) if len(nodes) > 1 else 0
    return count / elapsed, claims, after - before


def main():
    load = os.getloadavg()
    receiver = start_nginx()
    plain = hftest.MariaDB.start(allow_private_targets="yes")
    cluster = galera.Cluster.start(allow_private_targets="yes")
    n1, n2, _ = cluster.nodes
    rows = []

    plain_tenant = tenant(plain, receiver)
    cluster_tenant = tenant(n1, receiver)
    plain_web = webservers.Lighttpd(plain, procs=4)
    web1 = webservers.Lighttpd(n1, procs=4)
    web2 = webservers.Lighttpd(n2, procs=4)
    rate_plain, bad_plain, _, _ = ingest([(plain_web, plain_tenant[1])], args.seconds)
    rate_one, bad_one, clash_one, paused_one = ingest(
        [(web1, cluster_tenant[1])], args.seconds, cluster.nodes)
    rate_two, bad_two, clash_two, paused_two = ingest(
        [(web1, cluster_tenant[1]), (web2, cluster_tenant[1])], args.seconds, cluster.nodes)
    rows.append(("ingest, fan-out 3, req/s", "%.0f" % rate_plain, "%.0f" % rate_one,
                 "%.0f%%" % (100 * rate_one / rate_plain)))
    rows.append(("ingest through 2 web servers on 2 nodes, req/s", "—", "%.0f" % rate_two,
                 "%.0f%%" % (100 * rate_two / rate_plain)))
    # Drain what ingest stored first, then time fresh drains.
    drain([plain], 2, 0)
    drain(cluster.nodes, 3, 0)
    make_due(plain, plain_tenant, args.deliveries)
    sweep_plain = drain([plain], 1, args.deliveries)[0]
    rows.append(("sweep, 1 sweep, deliveries/s", "%.0f" % sweep_plain, "", ""))
    conflict_rows = []
    for sweeps in BATCH_SIZES:
        make_due(n1, cluster_tenant, args.deliveries)
        cluster.wait_consistent("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")
        rate, claims, clashes = drain(cluster.nodes, sweeps, args.deliveries)
        if sweeps == 1:
            rows[-1] = (rows[-1][0], rows[-1][1], "%.0f" % rate,
                        "%.0f%%" % (100 * rate / sweep_plain))
        else:
            rows.append(("sweep, %d sweeps over 3 nodes, deliveries/s" % sweeps, "—",
                         "%.0f" % rate, "%.0f%%" % (100 * rate / sweep_plain)))
        conflict_rows.append((sweeps, claims, clashes, clashes / claims if claims else 0))

    print("load average at the start: %.2f %.2f %.2f; %d CPUs" % (load + (os.cpu_count(),)))
    print("non-2xx answers during ingest: plain %d, cluster %d, two servers %d" %
          (bad_plain, bad_one, bad_two))
    print("ingest on the cluster: %d / %d certification conflicts, paused by flow"
          " control %.0f%% / %.0f%% of the time (one web server / two)\n" %
          (clash_one, clash_two, 100 * paused_one, 100 * paused_two))
    print("| figure | one server | 3-node Galera | cluster / server |")
    print("|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %s |" % r)
    print("\n| sweeps | claimed batches | certification conflicts | per batch |")
    print("|---|---|---|---|")
    for sweeps, claims, clashes, rate in conflict_rows:
        print("| %d | %d | %d | %.3f |" % (sweeps, claims, clashes, rate))


if __name__ == "__main__":
    try:
        main()
    finally:
        hftest._run_cleanups()

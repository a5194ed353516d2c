#!/usr/bin/env python3
"""hookfan on a 3-node MariaDB Galera cluster, one node killed mid-run.

Ingest goes through two lighttpd servers, one on node 1 and one on node 2;
two `hookfan-sweep --loop` run on each of the three nodes over 10,000
deliveries to four receivers.  While messages are coming in and going
out, node 2 is killed with SIGKILL and brought back (IST).  Checked:

- every message answered 2xx is stored on every node and delivered;
- each attempt is made once: a delivery reaches its receiver once, except
  the ones whose lease a sweep on the killed node held when it died (it
  may have sent them and could not record it), and those duplicates are
  counted and bounded by the leases in flight at the kill;
- the web server whose node stayed up answers no 5xx but a 504 "nothing
  was stored" while the cluster pauses to evict the dead node, or a 503
  "cannot tell" for a store whose commit was waiting when the pause began
  and outlasted its statement timeout and then the look for its message
  (this is the one case it cannot tell); the one on the killed node also
  503 (the client then retries on the other one, as a load balancer
  would); an answer saying "nothing was stored" stored nothing, and a
  message stored without a 202 had an answer that allows it;
- a node cut off from the others (outside the primary component) answers
  503 "nothing was stored" and /healthz 503, and serves again once back;
- migrate run on all three nodes at once succeeds everywhere (its lock
  holds across nodes, which GET_LOCK alone does not), and a node whose
  settings break hookfan's guarantees is refused with one line;
- max_in_flight_per_endpoint holds across nodes: two claims of one
  endpoint on two nodes at once never grant more slots than the cap
  (row locks are local to a node: the claim writes the endpoint's lock
  row so that one of the two is rolled back and redone), and sweeps on
  every node never have more requests at once at a slow endpoint.
"""
import collections
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import galera  # noqa: E402
import subprocess  # noqa: E402
import sweeptest as st  # noqa: E402
import webservers  # noqa: E402
from receivers import Receiver  # noqa: E402

why_not = galera.available()
if why_not:
    print("1..0 # SKIP " + why_not)
    sys.exit(0)

MESSAGES = 2500
RECEIVERS = 4
SWEEPS_PER_NODE = 2
SWEEP_BATCH = 100       # results a sweep writes at once, at most
KILL_AFTER = MESSAGES * 2 // 5      # accepted messages before the kill
DOWN_SECONDS = 3
CLIENTS = 4
TRIES = 40
CAP = 8                             # max_in_flight_per_endpoint's default
CLAIM_PROBE = os.path.join(hftest.BUILDDIR, "tests", "claim_probe")

cluster = galera.Cluster.start(lease_seconds="5", **st.FAST)
n1, n2, n3 = cluster.nodes


def synced_value(node, query):
    """query on node once it has applied everything committed before."""
    out = node.root_sql("SET SESSION wsrep_sync_wait = 1; USE hookfan; " + query)
    return out.strip()


@hftest.test
def migrate_on_three_nodes_at_once():
    procs = [subprocess.Popen([hftest.ADMIN, "--config", n.config_path, "migrate"],
                              env=n.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for n in cluster.nodes]
    for n, p in zip(cluster.nodes, procs):
        out, err = p.communicate(timeout=120)
        hftest.eq((p.returncode, err), (0, ""), "migrate on " + n.name)
    hftest.eq(synced_value(n3, "SELECT COUNT(*) FROM schema_migrations_lock"), "0",
              "lock rows left behind")


@hftest.test
def a_lock_held_on_another_node_makes_migrate_wait():
    # A live holder on node 1 (as another migrate would be); it lapses
    # in 2 s, so migrate on node 3 waits that long, then runs.  The
    # INSERT first waits for node 1 to apply the last migrate's release
    # (wsrep_sync_wait bit 4), else it may find that node's lock row.
    n1.root_sql("SET SESSION wsrep_sync_wait = 4; USE hookfan;"
                " INSERT INTO schema_migrations_lock"
                " VALUES ('migrate', 'someone-else', NOW(3) + INTERVAL 2 SECOND)")
    started = time.monotonic()
    r = n3.run_admin("migrate")
    waited = time.monotonic() - started
    hftest.eq((r.returncode, r.stderr), (0, ""), "migrate on node 3")
    assert waited >= 1.0, "migrate did not wait for the other node's lock (%.1fs)" % waited


@hftest.test
def every_table_has_a_primary_key():
    hftest.eq(n1.rows(
        "SELECT t.table_name FROM information_schema.tables t"
        " WHERE t.table_schema = 'hookfan' AND t.table_type = 'BASE TABLE'"
        " AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints c"
        "  WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name"
        "  AND c.constraint_type = 'PRIMARY KEY')"), [], "tables without a primary key")


def ingest(servers, key, accepted, answers, lock, counter):
    """Post messages until MESSAGES are accepted; a 5xx or a broken
    connection is retried on the other server."""
    while True:
        with lock:
            seq = next(counter)
        if seq >= MESSAGES:
            return
        server = seq % 2
        for attempt in range(TRIES):
            tag = "%d.%d" % (seq, attempt)
            try:
                status, _, body = servers[server].api(
                    "POST", "/api/ingest/event/galera.test",
                    {"payload": {"seq": seq, "try": tag}}, key=key)
            except OSError as e:
                status, body = 0, {"message": str(e)}
            with lock:
                answers.append((server, status, tag, (body or {}).get("message", "")))
            if status == 202:
                with lock:
                    accepted[seq] = body["deliveryIds"]
                break
            time.sleep(0.2)
            server = 1 - server
        else:
            raise AssertionError("message %d never accepted" % seq)


@hftest.test
def ten_thousand_deliveries_with_a_node_killed():
    rxs = [Receiver() for _ in range(RECEIVERS)]
    ws = st.workspace(n1)
    for rx in rxs:
        n1.admin("endpoint", "create", "--workspace", ws, "--url", rx.url)
    key = n1.admin("key", "create", "--workspace", ws)["key"]
    # Through node 2: its own web server must see the key at once.
    servers = [webservers.Lighttpd(n1, procs=2), webservers.Lighttpd(n2, procs=2)]
    sweeps = [(node, st.start_sweep(node, "--loop", "--concurrency", "16",
                                    "--batch", str(SWEEP_BATCH)))
              for node in cluster.nodes for _ in range(SWEEPS_PER_NODE)]

    accepted, answers, lock = {}, [], threading.Lock()
    counter = iter(range(10 ** 9))
    errors = []

    def client():
        try:
            ingest(servers, key, accepted, answers, lock, counter)
        except Exception as e:  # reported below
            errors.append(e)
    started = time.monotonic()
    clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for c in clients:
        c.start()
    hftest.wait_for(lambda: len(accepted) >= KILL_AFTER or errors, 300,
                    "%d accepted messages" % KILL_AFTER)
    n2.kill()
    killed_at = time.monotonic()
    # Every lease a sweep on node 2 had committed is on node 1 too.
    in_flight = int(synced_value(n1, "SELECT COUNT(*) FROM deliveries"
                                 " WHERE lease_token <> '' AND due_at > NOW(3)"))
    time.sleep(DOWN_SECONDS)
    n2.rejoin()
    back_after = time.monotonic() - killed_at
    hftest.eq(n2.last_state_transfer(), "IST", "how node 2 caught up")
    for c in clients:
        c.join(600)
    hftest.eq(errors, [], "ingest clients")
    ingest_seconds = time.monotonic() - started
    total = sum(len(ids) for ids in accepted.values())
    hftest.eq(len(accepted), MESSAGES, "accepted messages")
    hftest.eq(total, MESSAGES * RECEIVERS, "accepted deliveries")

    def all_sent():
        return synced_value(n1, "SELECT COUNT(*) FROM deliveries WHERE status <> 'succeeded'") == "0"
    hftest.wait_for(all_sent, 300, "every delivery to succeed")
    sweep_seconds = time.monotonic() - started
    for node, p in sweeps:
        p.terminate()
    dropped = 0
    for node, p in sweeps:
        status, err = st.finish(p, timeout=60)
        # A sweep on the killed node could not write the results of what
        # it had in flight: it says so and exits 1 (its database was
        # unusable); those deliveries went out again after their lease.
        lost = [int(line.split("dropping ")[1].split()[0])
                for line in err.splitlines() if "dropping " in line]
        dropped += sum(lost)
        if node is n2 and lost:
            hftest.eq(status, 1, "sweep on node 2 exit status (%s)" % err[-1500:])
        else:
            hftest.eq(status, 0, "sweep on %s exit status (%s)" % (node.name, err[-1500:]))

    # Answers: from the server whose node stayed up, 202, or 504 "nothing
    # was stored" while the cluster paused to evict the dead node (every
    # commit waits then); from the other also 503 and broken connections.
    # Whatever said "nothing was stored" must have stored nothing.
    by = collections.Counter((server, status) for server, status, _, _ in answers)
    print("# answers (server, status): %s" % sorted(by.items()))
    refused = [tag for _, status, tag, message in answers
               if status in (503, 504) and "nothing was stored" in message]
    cannot_tell = [tag for _, status, tag, message in answers
                   if status == 503 and "cannot tell" in message]
    bad_a = [a for a in answers if a[0] == 0 and a[1] != 202 and a[2] not in refused
             and a[2] not in cannot_tell]
    hftest.eq(bad_a, [], "answers other than 202, 504 and 503 'cannot tell'"
              " from the web server on node 1")
    bad_b = [a for a in answers if a[0] == 1 and a[1] not in (202, 503, 504, 0)]
    hftest.eq(bad_b, [], "answers other than 202, 503 and 504 from the web server on node 2")
    unknown = [tag for _, status, tag, message in answers
               if status in (0, 503, 504) and "nothing was stored" not in message]
    stored_tags = set(r[0] for r in n1.rows(
        "SELECT JSON_VALUE(payload, '$.try') FROM messages"))
    hftest.eq(sorted(set(refused) & stored_tags), [],
              "messages stored though the answer said nothing was")
    accepted_tags = set(tag for _, status, tag, _ in answers if status == 202)
    extra = stored_tags - accepted_tags
    assert extra <= set(unknown), "stored without an answer that allows it: %r" % (
        sorted(extra - set(unknown))[:5],)
    print("# %d answers of 503/504 'nothing was stored', %d broken or 'cannot tell'"
          " (%d of those stored)" % (len(refused), len(unknown), len(extra)))

    # Every stored delivery succeeded on every node, at its first attempt
    # but for the leases in flight at the kill (counted below).
    deliveries = MESSAGES * RECEIVERS + len(extra) * RECEIVERS
    by_attempts = dict((attempts, int(n)) for status, attempts, n in cluster.wait_consistent(
        "SELECT status, attempts, COUNT(*) FROM deliveries GROUP BY status, attempts")
        if status == "succeeded")
    hftest.eq(sum(by_attempts.values()), deliveries, "succeeded deliveries on every node")
    retried = deliveries - by_attempts.get("1", 0)
    cluster.wait_consistent("SELECT COUNT(*) FROM attempts")
    recorded = int(n3.value("SELECT COUNT(*) FROM attempts"))
    for seq, ids in accepted.items():
        assert len(ids) == RECEIVERS, "message %d: %r" % (seq, ids)
    accepted_ids = [i for ids in accepted.values() for i in ids]
    on_killed = set(r[0] for r in n2.rows("SELECT id FROM deliveries"))
    hftest.eq(sorted(set(accepted_ids) - on_killed), [],
              "accepted deliveries missing on the node that was killed")

    # At the receivers: each delivery once, but for the leases in flight.
    per_endpoint = collections.defaultdict(set)
    for message_id, url in n1.rows("SELECT d.message_id, e.url FROM deliveries d"
                                   " JOIN endpoints e ON e.id = d.endpoint_id"):
        per_endpoint[url].add(message_id)
    duplicates = 0
    for rx in rxs:
        counts = collections.Counter(rx.ids())
        hftest.eq(set(counts), per_endpoint[rx.url], "message ids at " + rx.url)
        duplicates += sum(v - 1 for v in counts.values())
    print("# %d duplicate sends, %d deliveries claimed twice, %d attempts recorded;"
          " %d results dropped by sweeps on node 2; %d leases in flight when it died"
          % (duplicates, retried, recorded, dropped, in_flight))
    assert retried <= in_flight, "%d deliveries claimed twice, more than %d leases" % (
        retried, in_flight)
    assert deliveries <= recorded <= deliveries + in_flight, (
        "%d attempts recorded for %d deliveries" % (recorded, deliveries))
    # A sweep on node 2 may also have had a write of results in flight
    # at the kill that committed without its hearing so: it drops those
    # too, though they are stored (the counts above show nothing sent
    # twice or lost), and they were no longer leases to count.
    most_dropped = in_flight + SWEEPS_PER_NODE * SWEEP_BATCH
    assert dropped <= most_dropped, (
        "%d results dropped, more than %d leases and a write a sweep (%d)"
        % (dropped, in_flight, most_dropped))
    assert duplicates <= in_flight, "%d duplicates, more than the %d leases in flight" % (
        duplicates, in_flight)

    conflicts = {n.name: (n.status("wsrep_local_cert_failures"),
                          n.status("wsrep_local_bf_aborts")) for n in cluster.nodes}
    print("# certification failures, brute-force aborts per node: %r" % conflicts)
    print("# node 2 back (Synced) %.1fs after SIGKILL; %d messages ingested in %.1fs,"
          " %d deliveries done after %.1fs" % (back_after, MESSAGES, ingest_seconds,
                                                 deliveries, sweep_seconds))


def probe_output(text):
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def claim_as(node, holder, endpoint):
    """Start one claim on node as the sweep holder, which holds more of
    endpoint's deliveries than it may queue (so the claim takes none and
    only renews its slots)."""
    return subprocess.Popen([CLAIM_PROBE, node.config_path, holder, endpoint, "100000"],
                            env=node.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def claimed_slots(p):
    out, err = p.communicate(timeout=60)
    result = probe_output(out)
    hftest.eq((p.returncode, result.get("result")), (0, "ok"), "claim (%s%s)" % (out, err))
    return int(result["slots"])


def slots_held(node, endpoint):
    return int(synced_value(node, "SELECT COALESCE(SUM(slots), 0) FROM endpoint_slots"
                                  " WHERE endpoint_id = '%s' AND holder <> ''"
                                  " AND until > NOW(3)" % endpoint))


@hftest.test
def two_claims_on_two_nodes_grant_no_more_than_the_cap():
    """Sweep one on node 1 reads the slots others hold, then waits (for
    a lock this test holds) before it records its grant; meanwhile sweep
    two claims the same endpoint on node 2 and commits.  Sweep one saw
    no other sweep and would take the whole cap (8), sweep two saw sweep
    one waiting without a slot and took half (4): 12 of 8, unless the
    two claims conflict and sweep one is redone after sweep two's grant."""
    if not os.path.exists(CLAIM_PROBE):
        raise hftest.Skip("tests/claim_probe is not built (make check builds it)")
    ws = st.workspace(n1)
    ep = n1.admin("endpoint", "create", "--workspace", ws, "--url",
                  "http://127.0.0.1:9/never")["id"]
    st.messages(n1, ws, [ep])
    one, two = "probe-one", "probe-two"
    # The endpoint's lock row, and sweep one waiting for a slot (a row of 0).
    n1.root_sql("USE hookfan; INSERT INTO endpoint_slots (endpoint_id, holder, slots, until)"
                " VALUES ('%s', '', 0, NULL), ('%s', '%s', 0, NOW(3) + INTERVAL 1 MINUTE)"
                % (ep, ep, one))
    synced_value(n2, "SELECT COUNT(*) FROM endpoint_slots")
    blocker = subprocess.Popen(n1._client() + ["hookfan", "-e",
                               "START TRANSACTION; SELECT slots FROM endpoint_slots"
                               " WHERE endpoint_id = '%s' AND holder = '%s' FOR UPDATE;"
                               " DO SLEEP(60); ROLLBACK;" % (ep, one)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sleeping = None
    try:
        sleeping = hftest.wait_for(lambda: n1.value(
            "SELECT id FROM information_schema.processlist WHERE info = 'DO SLEEP(60)'"),
            10, "the lock to be held")
        first = claim_as(n1, one, ep)
        # It waits for the lock in the statement that records its grant.
        hftest.wait_for(lambda: n1.value(
            "SELECT COUNT(*) FROM information_schema.processlist"
            " WHERE info LIKE 'INSERT INTO endpoint_slots%'") == "1", 10,
            "sweep one to wait for the lock")
        second = claimed_slots(claim_as(n2, two, ep))
        hftest.eq(second, CAP // 2, "sweep two's share (one other sweep)")
    finally:
        # The sleep ends early; the lock goes with the ROLLBACK.
        if sleeping:
            n1.root_sql("KILL QUERY %s" % sleeping)
        else:
            blocker.kill()
        blocker.wait(30)
    granted = claimed_slots(first)
    print("# granted: %d on node 1, %d on node 2" % (granted, second))
    hftest.eq(granted, CAP - second, "sweep one's grant, redone after sweep two's")
    hftest.eq(slots_held(n3, ep), CAP, "slots held of the endpoint, on node 3")
    st.retire(n1, ep)
    n1.root_sql("USE hookfan; DELETE FROM endpoint_slots WHERE endpoint_id = '%s'" % ep)


@hftest.test
def sweeps_on_every_node_keep_a_slow_endpoint_within_its_cap():
    """Two sweeps on each node drain a backlog to an endpoint that takes
    a second to answer: never more than the cap at once at the receiver."""
    rx = Receiver(default=("slow", 1.0))
    ep, _, ws = st.endpoint(n1, rx.url)
    st.messages(n1, ws, [ep], count=1000, due="NOW(3) - INTERVAL 1 MINUTE")
    sweeps = []
    for node in cluster.nodes:
        config = node.write_config(os.path.join(node.dir, "capped.conf"),
                                   **dict(st.FAST, lease_seconds="5",
                                          max_in_flight_per_endpoint=str(CAP)))
        sweeps += [st.start_sweep(node, "--loop", "--batch", "100", config=config)
                   for _ in range(SWEEPS_PER_NODE)]
    most_held = 0
    started = time.monotonic()
    while time.monotonic() - started < 12:
        most_held = max(most_held, slots_held(n1, ep))
        time.sleep(0.2)
    for p in sweeps:
        p.terminate()
    for p in sweeps:
        status, err = st.finish(p)
        hftest.eq(status, 0, "sweep exit status (%s)" % err[-1500:])
    print("# %d requests, at most %d at once; at most %d slots held (read on node 1)"
          % (rx.count(), rx.most_at_once, most_held))
    assert rx.count() >= 4 * CAP, "only %d requests in 12 s" % rx.count()
    assert rx.most_at_once <= CAP, "%d requests at once, past the cap of %d" % (
        rx.most_at_once, CAP)
    assert most_held <= CAP, "%d slots held, past the cap of %d" % (most_held, CAP)
    st.retire(n1, ep)
    n1.root_sql("USE hookfan; DELETE FROM endpoint_slots WHERE endpoint_id = '%s'" % ep)


@hftest.test
def a_node_cut_off_from_the_others_answers_503_and_stores_nothing():
    rx = Receiver()
    ws = st.workspace(n1)
    n1.admin("endpoint", "create", "--workspace", ws, "--url", rx.url)
    key = n1.admin("key", "create", "--workspace", ws)["key"]
    web = webservers.Lighttpd(n3, procs=1)

    def post(tag):
        return web.api("POST", "/api/ingest/event/galera.test",
                       {"payload": {"try": tag}}, key=key)
    hftest.eq(post("before")[0], 202, "through node 3")
    n3.root_sql("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=1'")
    try:
        hftest.wait_for(lambda: n3.status("wsrep_cluster_status") != "Primary", 30,
                        "node 3 to leave the primary component")
        status, _, body = post("cut-off")
        # 503 when the node refuses at once, 504 when a read first waits
        # for the cluster (wsrep_sync_wait) past the ingest budget.
        assert status in (503, 504) and "nothing was stored" in body["message"], (
            status, body)
        hftest.eq(web.request("GET", "/healthz")[0], 503, "/healthz there")
    finally:
        n3.root_sql("SET GLOBAL wsrep_provider_options = 'gmcast.isolate=0'")
    hftest.wait_for(n3.synced, 60, "node 3 to be back")
    cluster.wait_size(3)
    hftest.wait_for(lambda: web.request("GET", "/healthz")[0] == 200, 30, "/healthz 200 again")
    hftest.eq(post("after")[0], 202, "through node 3 once back")
    hftest.eq(synced_value(n1, "SELECT JSON_VALUE(payload, '$.try') FROM messages"
                               " WHERE JSON_VALUE(payload, '$.try') IN ('before', 'cut-off', 'after')"
                               " ORDER BY 1").split(), ["after", "before"],
              "what was stored")


@hftest.test
def a_node_with_settings_that_break_hookfan_is_refused():
    n3.stop()
    n3.boot(extra=["--innodb-autoinc-lock-mode=1"])
    r = n3.run_admin("workspace", "create", "--name", "refused")
    hftest.eq(r.returncode, 1, "admin exit status")
    lines = r.stderr.strip().splitlines()
    hftest.eq(len(lines), 1, "one line (%r)" % r.stderr)
    assert "innodb_autoinc_lock_mode=2" in lines[0], lines[0]
    p = st.sweep(n3, check=False)
    hftest.eq(p.returncode, 1, "sweep exit status")
    assert "innodb_autoinc_lock_mode=2" in p.stderr, p.stderr


hftest.main()

#!/usr/bin/env python3
"""hookfan-sweep delivers: what an endpoint receives (CONTRACT §6), the
default and --loop modes (§5), and its exit statuses."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver  # noqa: E402

db = st.start_db()


@hftest.test
def delivers_a_message_with_standard_webhooks_headers():
    rx = Receiver()
    ep, secret, ws = st.endpoint(db, rx.url)
    payload = {"type": "invoice.paid", "amount": 1250, "note": "caf\u00e9"}
    [msg] = st.messages(db, ws, [ep], payload=payload)
    before = int(time.time())
    st.sweep(db)
    hftest.eq(rx.count(), 1, "requests")
    req = rx.requests[0]
    hftest.eq(req.method, "POST", "method")
    hftest.eq(req.path, "/hook", "path")
    hftest.eq(req.headers["content-type"], "application/json", "content type")
    hftest.eq(req.headers["webhook-id"], msg, "webhook-id is the message id")
    ts = int(req.headers["webhook-timestamp"])
    assert before - 1 <= ts <= int(time.time()) + 1, ts
    sig = req.headers["webhook-signature"]
    assert sig.startswith("v1,") and " " not in sig, sig
    assert req.headers.get("user-agent", "").startswith("hookfan/"), req.headers
    assert "expect" not in req.headers, req.headers
    hftest.eq(json.loads(req.body), payload, "body is the payload")
    hftest.eq(st.delivery(db, msg), ("succeeded", "1", "200", None), "delivery")
    hftest.eq(st.attempts(db, msg), [("1", "200", None, st.attempts(db, msg)[0][3], "2")],
              "one attempt, excerpt 'ok'")
    hftest.eq(db.value("SELECT status FROM messages WHERE id = '%s'" % msg),
              "delivered", "message status")
    hftest.eq(db.value("SELECT due_at IS NULL AND lease_token = '' FROM deliveries"
                       " WHERE message_id = '%s'" % msg), "1", "nothing left due")


@hftest.test
def fans_out_and_reuses_connections():
    rxs = [Receiver() for _ in range(3)]
    ws = st.workspace(db)
    eps = [st.endpoint(db, rx.url, ws)[0] for rx in rxs]
    ids = st.messages(db, ws, eps, count=20)
    st.sweep(db, "--concurrency", "4")
    for rx in rxs:
        hftest.eq(sorted(rx.ids()), sorted(ids), "each endpoint got every message")
        # Four slots at most, so at most four connections per receiver.
        assert rx.connections <= 4, "connections not reused: %d" % rx.connections
    hftest.eq(db.value("SELECT COUNT(*) FROM deliveries WHERE message_id IN (%s)"
                       " AND status = 'succeeded'" % ",".join("'%s'" % i for i in ids)),
              "60", "all succeeded")
    hftest.eq(db.value("SELECT COUNT(*) FROM messages WHERE id IN (%s)"
                       " AND status = 'delivered'" % ",".join("'%s'" % i for i in ids)),
              "20", "all messages delivered")


@hftest.test
def proxy_variables_are_ignored():
    proxy = Receiver()
    rx = Receiver()
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    st.sweep(db, env={"http_proxy": proxy.url, "HTTP_PROXY": proxy.url,
                      "https_proxy": proxy.url, "ALL_PROXY": proxy.url,
                      "all_proxy": proxy.url, "no_proxy": "", "NO_PROXY": ""})
    hftest.eq(proxy.connections, 0, "the proxy saw nothing")
    hftest.eq(rx.ids(), [msg], "sent straight to the endpoint")


@hftest.test
def only_http_and_https_urls_are_fetched():
    rx = Receiver()
    ws = st.workspace(db)
    ep = st.endpoint(db, rx.url, ws)[0]
    # The admin tool refuses such URLs; a row edited by hand must not work.
    msgs = []
    for url in ("file:///etc/passwd", "dict://127.0.0.1:%d/x" % rx.port,
                "gopher://127.0.0.1:%d/x" % rx.port, "ftp://127.0.0.1:%d/x" % rx.port):
        db.root_sql("USE hookfan; UPDATE endpoints SET url = '%s' WHERE id = '%s'" % (url, ep))
        [msg] = st.messages(db, ws, [ep])
        st.sweep(db)
        msgs.append(msg)
        [(n, code, error, _, _)] = st.attempts(db, msg)
        hftest.eq(code, None, url)
        assert "protocol" in error.lower(), (url, error)
    hftest.eq(rx.connections, 0, "no connection for another protocol")
    st.retire(db, ep)


@hftest.test
def responses_are_not_decompressed():
    import gzip
    packed = gzip.compress(b"A" * 100000)
    rx = Receiver(default=("status", 200, {"Content-Encoding": "gzip"}, packed))
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    st.sweep(db)
    assert "accept-encoding" not in rx.requests[0].headers, rx.requests[0].headers
    hftest.eq(db.value("SELECT HEX(LEFT(a.response_excerpt, 2)) FROM attempts a"
                       " JOIN deliveries d ON d.id = a.delivery_id"
                       " WHERE d.message_id = '%s'" % msg), "1F8B",
              "the excerpt holds the compressed bytes")
    hftest.eq(st.delivery(db, msg)[0], "succeeded", "delivered")


@hftest.test
def default_mode_exits_when_nothing_is_due():
    started = time.monotonic()
    r = st.sweep(db)
    hftest.eq(r.returncode, 0, "exit status")
    assert time.monotonic() - started < 5, "an empty sweep should be quick"


@hftest.test
def max_seconds_ends_a_run_and_hands_back_the_rest():
    rx = Receiver(default=("slow", 0.4))
    ep, _, ws = st.endpoint(db, rx.url)
    ids = st.messages(db, ws, [ep], count=40)
    started = time.monotonic()
    st.sweep(db, "--max-seconds", "1", "--concurrency", "2", "--batch", "10")
    elapsed = time.monotonic() - started
    assert elapsed < 2.5, "a 1-second run took %.1fs" % elapsed
    sent = rx.count()
    assert 2 <= sent < 40, sent
    hftest.eq(db.rows("SELECT status, attempts, COUNT(*) FROM deliveries"
                      " WHERE endpoint_id = '%s' GROUP BY status, attempts"
                      " ORDER BY status" % ep),
              [("pending", "0", str(40 - sent)), ("succeeded", "1", str(sent))],
              "what was not sent is due again, its attempt not counted")
    st.sweep(db, "--concurrency", "40")
    hftest.eq(sorted(rx.ids()), sorted(ids), "the next run sends the rest")


@hftest.test
def without_max_seconds_a_run_is_not_cut_short():
    """CONTRACT §5: --max-seconds defaults to 55.  The lower side: a plain
    run with about 6 s of work does all of it and exits, handing nothing
    back (the upper side is the next test)."""
    count, each = 10, 0.6
    rx = Receiver(default=("slow", each))
    ep, _, ws = st.endpoint(db, rx.url)
    ids = st.messages(db, ws, [ep], count=count)
    started = time.monotonic()
    r = st.sweep(db, "--concurrency", "1")
    elapsed = time.monotonic() - started
    hftest.eq(r.returncode, 0, "exit status")
    assert elapsed >= count * each - 0.1, "the work took %.1fs only" % elapsed
    hftest.eq(sorted(rx.ids()), sorted(ids), "everything sent in one run")
    hftest.eq(db.rows("SELECT status, attempts, COUNT(*) FROM deliveries"
                      " WHERE endpoint_id = '%s' GROUP BY status, attempts" % ep),
              [("succeeded", "1", str(count))], "nothing handed back")


@hftest.test
def without_max_seconds_a_run_stops_starting_requests_after_55_s_and_exits_0():
    """CONTRACT §5, the upper side of the 55 s default (this file's one
    slow test, about a minute): 70 requests of 1 s each, one at a time,
    are more than 55 s of work.  The run exits 0 after 54-60 s (55 s,
    then the request in flight finished); what it did not send is pending
    again, never attempted, and the next run sends it."""
    count, each = 70, 1.0
    rx = Receiver(default=("slow", each))
    ep, _, ws = st.endpoint(db, rx.url)
    ids = st.messages(db, ws, [ep], count=count)
    started = time.monotonic()
    r = st.sweep(db, "--concurrency", "1", timeout=150)
    elapsed = time.monotonic() - started
    sent = rx.count()
    print("# the run took %.1fs and sent %d of %d" % (elapsed, sent, count))
    hftest.eq(r.returncode, 0, "exit status")
    assert 54 <= elapsed <= 60, "a run without --max-seconds took %.1fs" % elapsed
    assert 45 <= sent < count, "%d requests of %g s in %.1fs" % (sent, each, elapsed)
    hftest.eq(db.rows("SELECT status, attempts, COUNT(*) FROM deliveries"
                      " WHERE endpoint_id = '%s' GROUP BY status, attempts"
                      " ORDER BY status" % ep),
              [("pending", "0", str(count - sent)), ("succeeded", "1", str(sent))],
              "what was not sent is pending again, its attempt not counted")
    hftest.eq(db.value("SELECT COUNT(*) FROM attempts a JOIN deliveries d"
                       " ON d.id = a.delivery_id WHERE d.endpoint_id = '%s'"
                       " AND d.status = 'pending'" % ep), "0",
              "no attempt on record for what was not sent")
    hftest.eq(db.value("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '%s'"
                       " AND status = 'pending' AND (lease_token <> ''"
                       " OR due_at > NOW(3))" % ep), "0",
              "what was not sent is due now, held by no sweep")
    st.sweep(db, "--concurrency", "40")
    hftest.eq(sorted(rx.ids()), sorted(ids), "the next run sends the rest, each once")


@hftest.test
def help_states_the_defaults():
    """--help (exit 0, stdout) names every option with its default, so
    the 55 s of CONTRACT §5 can be read off the installed program."""
    r = subprocess.run([hftest.SWEEP, "--help"], capture_output=True, text=True, timeout=60)
    hftest.eq(r.returncode, 0, "exit status")
    hftest.eq(r.stderr, "", "stderr")
    assert r.stdout.startswith("usage: hookfan-sweep [--config FILE] [--loop] [--max-seconds N]"
                               " [--batch N] [--concurrency N] [--verbose] [--metrics-file FILE]\n"), r.stdout
    config = os.path.join(hftest.build_variable("sysconfdir"), "hookfan.conf")
    for line in ("not started, finish what is in flight (1 to 604800,",
                 "default 55; with --loop no limit unless given)",
                 "--batch N         deliveries claimed at a time (default 1000, at most 5000)",
                 "--concurrency N   requests in flight at once (default 64, at most 1024)",
                 "--config FILE     config file (else $HOOKFAN_CONFIG, else %s)" % config):
        assert line in r.stdout, "%r not in %r" % (line, r.stdout)


@hftest.test
def not_yet_due_is_left_alone():
    rx = Receiver()
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep], due="NOW(3) + INTERVAL 1 HOUR")
    st.sweep(db)
    hftest.eq(rx.count(), 0, "requests")
    hftest.eq(st.delivery(db, msg), ("pending", "0", None, None), "delivery")


@hftest.test
def a_disabled_endpoint_is_never_sent_to():
    rx = Receiver()
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    # Disabled behind the sweep's back: its delivery is still pending.
    db.root_sql("USE hookfan; UPDATE endpoints SET active = 0 WHERE id = '%s'" % ep)
    st.sweep(db)
    hftest.eq(rx.count(), 0, "requests")
    hftest.eq(st.delivery(db, msg), ("paused", "0", None, None),
              "parked, the claimed attempt taken back")
    db.admin("endpoint", "enable", "--endpoint", ep)
    st.sweep(db)
    hftest.eq(rx.ids(), [msg], "sent once enabled")
    hftest.eq(st.delivery(db, msg)[:2], ("succeeded", "1"), "delivered")


@hftest.test
def loop_picks_up_new_work_within_a_second_and_stops_on_sigterm():
    rx = Receiver()
    ep, _, ws = st.endpoint(db, rx.url)
    p = st.start_sweep(db, "--loop")
    time.sleep(1.0)  # let it go idle
    [msg] = st.messages(db, ws, [ep])
    inserted = time.time()
    hftest.wait_for(lambda: rx.count() == 1, 5, "the loop to deliver")
    latency = rx.requests[0].at - inserted
    assert latency < 1.0, "picked up after %.2fs" % latency
    # Something in flight when SIGTERM arrives is finished and written.
    rx.script(("slow", 1.5))
    [slow] = st.messages(db, ws, [ep])
    hftest.wait_for(lambda: rx.count() == 2, 5, "the slow request to arrive")
    p.send_signal(signal.SIGTERM)
    status, err = st.finish(p, timeout=20)
    hftest.eq(status, 0, "exit status after SIGTERM (%s)" % err)
    hftest.eq(st.delivery(db, slow), ("succeeded", "1", "200", None),
              "in-flight delivery finished and written")
    hftest.eq(st.delivery(db, msg)[0], "succeeded", "first delivery")


@hftest.test
def the_shortest_lease_accepted_still_sends():
    """lease_seconds may be as short as delivery_timeout_ms + 2 s: the room
    kept to write a result (an eighth of the lease) must not grow past what
    that leaves, or every claimed delivery would be handed back unsent."""
    rx = Receiver()
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    short = db.write_config(os.path.join(db.dir, "short-lease.conf"),
                            delivery_timeout_ms=30000, lease_seconds=32)
    st.sweep(db, config=short)
    hftest.eq(st.delivery(db, msg)[:2], ("succeeded", "1"), "sent at once")
    hftest.eq(rx.ids(), [msg], "received once")
    shorter = db.write_config(os.path.join(db.dir, "shorter-lease.conf"),
                              delivery_timeout_ms=30000, lease_seconds=31)
    r = st.sweep(db, config=shorter, check=False)
    hftest.eq(r.returncode, 1, "a lease under the timeout + 2 s is refused")
    assert "lease_seconds must exceed delivery_timeout_ms by at least 2 seconds" in r.stderr, r.stderr


@hftest.test
def unusable_config_or_database_exits_1_with_one_line():
    bad = os.path.join(db.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write("retry_schedule = soon\n")
    r = st.sweep(db, config=bad, check=False)
    hftest.eq(r.returncode, 1, "bad config")
    hftest.eq(len(r.stderr.strip().splitlines()), 1, "one line: %r" % r.stderr)
    assert "bad.conf:1" in r.stderr, r.stderr

    nodb = db.write_config(os.path.join(db.dir, "nodb.conf"),
                           db_socket=os.path.join(db.dir, "nothing-here.sock"))
    r = st.sweep(db, config=nodb, check=False)
    hftest.eq(r.returncode, 1, "no database")
    hftest.eq(len(r.stderr.strip().splitlines()), 1, "one line: %r" % r.stderr)
    assert "database" in r.stderr, r.stderr

    r = st.sweep(db, "--batch", "0", check=False)
    hftest.eq(r.returncode, 2, "bad usage")

    # CONTRACT §2: without --config the sweep reads HOOKFAN_CONFIG.
    env = dict(db.env(), HOOKFAN_CONFIG=bad)
    r = subprocess.run([hftest.SWEEP], env=env, capture_output=True, text=True, timeout=60)
    hftest.eq(r.returncode, 1, "HOOKFAN_CONFIG read")
    assert "bad.conf:1" in r.stderr, r.stderr
    r = subprocess.run([hftest.SWEEP], env=dict(db.env()), capture_output=True, text=True,
                       timeout=60)
    hftest.eq(r.returncode, 0, "a good HOOKFAN_CONFIG alone: %s" % r.stderr)


hftest.main()

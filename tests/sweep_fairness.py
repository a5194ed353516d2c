#!/usr/bin/env python3
"""One endpoint never holds the sweep hostage: at most
max_in_flight_per_endpoint of its attempts are in flight at once, across
every sweep, and a due delivery to another endpoint is sent within a
couple of seconds even while the first has thousands waiting and answers
slowly (README "Delivery")."""
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver  # noqa: E402

CAP = 8
SLOW = 5.0
# A 5 s answer is a success: the timeout is longer (the lease is then
# 2 * 6 + 10 s).
db = st.start_db(delivery_timeout_ms="6000", max_in_flight_per_endpoint=str(CAP))


def stop_and_forget(sweeps, endpoints):
    """Kill the sweeps, set the rest of the endpoints' deliveries aside and
    drop the slots, so the next test starts from a quiet database."""
    for p in sweeps:
        p.kill()
        p.wait(30)
    db.root_sql("USE hookfan; UPDATE deliveries SET status = 'paused', due_at = NULL,"
                " lease_token = '' WHERE endpoint_id IN (%s) AND status = 'pending';"
                " DELETE FROM endpoint_slots;"
                % ", ".join("'%s'" % e for e in endpoints))


def tenant_a_backlog(count=2000, behaviour=("slow", SLOW), config=None):
    """Tenant A: count deliveries, due a minute ago (older than anything
    B will send), to a receiver that answers slowly."""
    rx = Receiver(default=behaviour)
    ep, _, ws = st.endpoint(db, rx.url)
    st.messages(db, ws, [ep], count=count, due="NOW(3) - INTERVAL 1 MINUTE")
    return rx, ep


def b_is_sent_within_2_s(sweeps_args):
    rx_a, ep_a = tenant_a_backlog()
    sweeps = [st.start_sweep(db, *args) for args in sweeps_args]
    try:
        # A holds its slots, the rest of its 2,000 due and older than B.
        hftest.wait_for(lambda: rx_a.at_once >= CAP, 10, "A at its cap")
        rx_b = Receiver()
        ws_b = st.workspace(db)
        db.admin("endpoint", "create", "--workspace", ws_b, "--url", rx_b.url,
                 "--event-type", "b.ping")
        key = db.admin("key", "create", "--workspace", ws_b)["key"]
        sent = time.monotonic()
        r = hftest.run_cgi("POST", "/api/ingest/event/b.ping", b'{"payload": {"n": 1}}',
                           HTTP_AUTHORIZATION="Bearer " + key, HOOKFAN_CONFIG=db.config_path)
        hftest.eq(r.status, 202, "B's event ingested: %r" % r.body)
        hftest.wait_for(lambda: rx_b.count() > 0, 2.0, "B's delivery")
        print("# B had it %.2f s after its ingest began" % (time.monotonic() - sent))
        hftest.eq(json.loads(rx_b.requests[0].body), {"n": 1}, "B's delivery")
        # Past A's first answers: its next ones started as slots freed.
        hftest.wait_for(lambda: rx_a.count() > CAP, SLOW + 3, "A's second round")
        time.sleep(0.5)
        hftest.eq(rx_a.most_at_once, CAP, "most of A's requests at once")
        for p in sweeps:
            hftest.eq(p.poll(), None, "the sweep is still running")
    finally:
        stop_and_forget(sweeps, [ep_a])
    return rx_a


@hftest.test
def a_slow_backlog_does_not_delay_another_tenant():
    b_is_sent_within_2_s([("--loop",)])


@hftest.test
def nor_with_two_sweeps_which_share_the_cap():
    rx_a = b_is_sent_within_2_s([("--loop",), ("--loop",)])
    print("# A: %d requests, at most %d at once" % (rx_a.count(), rx_a.most_at_once))


@hftest.test
def a_failing_endpoint_gets_a_quarter_of_the_cap():
    """An endpoint with failing_since set (it has been timing out or
    erroring) runs at most CAP / 4 attempts at once: each holds a slot for
    its whole timeout, and its retries likely fail again."""
    rx_a, ep_a = tenant_a_backlog(count=200)
    db.root_sql("USE hookfan; UPDATE endpoints SET failing_since = NOW(3) - INTERVAL 1 HOUR"
                " WHERE id = '%s'" % ep_a)
    rx_h = Receiver(default=("slow", SLOW))
    ep_h, _, ws_h = st.endpoint(db, rx_h.url)
    st.messages(db, ws_h, [ep_h], count=200, due="NOW(3) - INTERVAL 1 MINUTE")
    p = st.start_sweep(db, "--loop")
    try:
        hftest.wait_for(lambda: rx_h.at_once >= CAP, 10, "the healthy one at its cap")
        hftest.wait_for(lambda: rx_a.at_once > 0, 2, "the failing one started")
        time.sleep(1.0)
        hftest.eq(rx_a.most_at_once, CAP // 4, "most of the failing endpoint's at once")
        hftest.eq(rx_h.most_at_once, CAP, "the healthy one keeps its cap")
        hftest.eq(db.value("SELECT slots FROM endpoint_slots WHERE endpoint_id = '%s'"
                           " AND holder <> ''" % ep_a), str(CAP // 4),
                  "the slots recorded for the failing endpoint")
    finally:
        stop_and_forget([p], [ep_a, ep_h])


@hftest.test
def a_killed_sweep_leaves_no_slot_held_past_its_lease():
    """The in-flight count is slots granted for a lease: a sweep killed
    with every slot of an endpoint in use holds them until the lease ends
    (no other sweep oversteps the cap meanwhile), then another sweep
    claims the endpoint again."""
    lease = 4
    conf = db.write_config(os.path.join(db.dir, "short-lease.conf"),
                           **dict(st.FAST, delivery_timeout_ms="2000",
                                  lease_seconds=str(lease),
                                  max_in_flight_per_endpoint=str(CAP)))
    rx_a, ep_a = tenant_a_backlog(count=100, behaviour=("slow", 1.5))
    first = st.start_sweep(db, "--loop", config=conf)
    hftest.wait_for(lambda: rx_a.at_once >= CAP, 10, "A at its cap")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed = time.time()
    hftest.eq(db.value("SELECT SUM(slots) FROM endpoint_slots WHERE endpoint_id = '%s'"
                       " AND holder <> '' AND until > NOW(3)" % ep_a), str(CAP),
              "the dead sweep's slots are still counted")
    second = st.start_sweep(db, "--loop", config=conf)
    try:
        hftest.wait_for(lambda: any(r.at > killed for r in rx_a.requests),
                        lease + 4, "A claimed again")
        resumed = min(r.at for r in rx_a.requests if r.at > killed) - killed
        print("# A's requests resumed %.2f s after the kill (lease %d s)" % (resumed, lease))
        assert resumed >= 2.0, "another sweep took the dead one's slots after %.2f s" % resumed
        hftest.wait_for(lambda: rx_a.at_once >= CAP, 5, "A at its cap again")
        hftest.eq(db.value("SELECT COUNT(*) FROM endpoint_slots WHERE endpoint_id = '%s'"
                           " AND holder <> '' AND until > NOW(3) AND slots > 0" % ep_a), "1",
                  "one sweep holds A's slots now")
    finally:
        stop_and_forget([second], [ep_a])


@hftest.test
def a_claim_reads_no_finished_delivery():
    """The claim finds an endpoint's oldest due delivery in one index
    entry, however many finished deliveries the endpoint has: with
    100,000 finished ones beside one due, a sweep reads a few rows, not
    the history."""
    rx = Receiver()
    ep, _, ws = st.endpoint(db, rx.url)
    old = st.messages(db, ws, [ep], count=1)[0]
    db.root_sql("USE hookfan; UPDATE deliveries SET status = 'succeeded', due_at = NULL"
                " WHERE message_id = '%s';"
                " INSERT INTO deliveries (id, message_id, endpoint_id, status)"
                " SELECT CONCAT('del_old', LPAD(seq, 20, '0')), '%s', '%s', 'succeeded'"
                " FROM seq_1_to_100000; ANALYZE TABLE deliveries" % (old, old, ep))
    st.messages(db, ws, [ep], count=1)

    def rows_read():
        return sum(int(v) for _, v in db.rows(
            "SHOW GLOBAL STATUS WHERE Variable_name IN"
            " ('Handler_read_next', 'Handler_read_prev', 'Handler_read_rnd_next')"))
    before = rows_read()
    st.sweep(db, "--max-seconds", "10")
    read = rows_read() - before
    hftest.eq(len(rx.requests), 1, "the due delivery was sent")
    print("# rows read by the sweep: %d" % read)
    assert read < 20000, "the sweep read %d rows: the claim walks the history" % read


hftest.main()

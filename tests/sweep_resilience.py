#!/usr/bin/env python3
"""A sweep killed at any moment loses nothing, and neither does a
database restart during a sweep (CONTRACT §5)."""
import collections
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver  # noqa: E402

# Short leases so that a dead sweep's work comes back within seconds.  No
# cap per endpoint: a dead sweep's slots would hold the endpoint until its
# lease ends (tests/sweep_fairness.py), and these tests run a sweep that
# must finish meanwhile.
db = st.start_db(lease_seconds=4, delivery_timeout_ms=1500, max_in_flight_per_endpoint=0)
# Leases long enough that a sweep run meanwhile, however slow the machine,
# ends while they still hold.
KILLED_LEASE = 10
killed_sweep_config = db.write_config(
    path=os.path.join(db.dir, "killed-sweep.conf"),
    **dict(st.FAST, lease_seconds=KILLED_LEASE, delivery_timeout_ms=1500,
           max_in_flight_per_endpoint=0))


def statuses(ep):
    """Counts by the status hookfan-admin shows: 'sending' is a pending
    delivery whose lease holds."""
    return dict(db.rows("SELECT IF(status = 'pending' AND lease_token <> ''"
                        " AND due_at > NOW(3), 'sending', status), COUNT(*)"
                        " FROM deliveries WHERE endpoint_id = '%s' GROUP BY 1" % ep))


@hftest.test
def a_sweep_killed_mid_batch_loses_nothing():
    rx = Receiver(default=("slow", 0.2))
    ep, _, ws = st.endpoint(db, rx.url)
    ids = st.messages(db, ws, [ep], count=200)
    p = st.start_sweep(db, "--concurrency", "8", "--batch", "20", config=killed_sweep_config)
    hftest.wait_for(lambda: rx.count() >= 40, 30, "the sweep to be well under way")
    p.send_signal(signal.SIGKILL)
    p.wait()
    killed_at = time.monotonic()
    time.sleep(0.2)     # what was on the wire reaches the receiver
    # The dead sweep's leases: message -> (token, expiry in Unix seconds).
    leased = {m: (token, float(expires)) for m, token, expires in db.rows(
        "SELECT message_id, lease_token, UNIX_TIMESTAMP(due_at) FROM deliveries"
        " WHERE endpoint_id = '%s' AND status = 'pending' AND lease_token <> ''"
        " AND due_at > NOW(3)" % ep)}
    in_flight = len(leased)
    assert in_flight > 0, "killed between batches: %r" % statuses(ep)
    seen = rx.count()
    # A sweep right away leaves the dead sweep's leased rows alone ...
    st.sweep(db, "--concurrency", "32")
    # ... whatever it took: none is sent before its lease expires, and a
    # lease still running has its row untouched.  (A slow sweep may take
    # a row whose lease ran out meanwhile: that is allowed.)
    for r in rx.requests[seen:]:
        msg = r.headers.get("webhook-id")
        if msg in leased:
            assert r.at >= leased[msg][1] - 0.05, \
                "%s sent %.2fs before its lease expired" % (msg, leased[msg][1] - r.at)
    rows = db.rows("SELECT message_id, lease_token, UNIX_TIMESTAMP(NOW(3)) FROM deliveries"
                   " WHERE message_id IN (%s)" % ",".join("'%s'" % m for m in leased))
    still_leased = [(m, token) for m, token, now in rows if float(now) < leased[m][1]]
    assert still_leased, "the sweep outlived the %d s leases: nothing checked" % KILLED_LEASE
    hftest.eq(still_leased, [(m, leased[m][0]) for m, _ in still_leased], "running leases untouched")
    # ... and takes them once the lease has expired.
    time.sleep(max(0, killed_at + KILLED_LEASE + 0.2 - time.monotonic()))
    st.sweep(db, "--concurrency", "32")
    hftest.eq(statuses(ep), {"succeeded": "200"}, "every delivery succeeded")
    counts = collections.Counter(rx.ids())
    hftest.eq(set(counts), set(ids), "every message arrived")
    twice = [k for k, v in counts.items() if v > 1]
    # Only what was on the wire at the kill can have gone out twice.
    assert len(twice) <= in_flight, (len(twice), in_flight)
    hftest.eq(db.value("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '%s'"
                       " AND lease_token <> ''" % ep), "0", "no lease left")


@hftest.test
def a_sweep_whose_lease_was_taken_over_changes_nothing():
    rx = Receiver(default=("slow", 1.0))
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    p = st.start_sweep(db, "--verbose")
    hftest.wait_for(lambda: rx.count() == 1, 10, "the request to arrive")
    # Another sweep takes the delivery over while the request is out.
    other = "f" * 32
    db.root_sql("USE hookfan; UPDATE deliveries SET lease_token = '%s'"
                " WHERE message_id = '%s'" % (other, msg))
    status, err = st.finish(p, timeout=30)
    hftest.eq(status, 0, "exit status (%s)" % err)
    assert "after the lease was taken over" in err, err
    hftest.eq(db.rows("SELECT status, attempts, lease_token FROM deliveries"
                      " WHERE message_id = '%s'" % msg),
              [("pending", "1", other)], "the new owner's claim untouched")
    hftest.eq(st.attempts(db, msg), [], "no attempt written by the old owner")
    hftest.eq(db.value("SELECT status FROM messages WHERE id = '%s'" % msg), "pending",
              "message untouched")
    st.retire(db, ep)
    db.root_sql("USE hookfan; UPDATE deliveries SET status = 'failed', due_at = NULL,"
                " lease_token = '' WHERE message_id = '%s'" % msg)


@hftest.test
def sigterm_hands_back_what_was_not_started():
    rx = Receiver(default=("slow", 0.3))
    ep, _, ws = st.endpoint(db, rx.url)
    st.messages(db, ws, [ep], count=60)
    p = st.start_sweep(db, "--loop", "--concurrency", "4", "--batch", "40")
    hftest.wait_for(lambda: rx.count() >= 4, 30, "the sweep to start sending")
    p.send_signal(signal.SIGTERM)
    status, err = st.finish(p, timeout=30)
    hftest.eq(status, 0, "exit status (%s)" % err)
    s = statuses(ep)
    hftest.eq(s.get("sending"), None, "nothing left leased: %r" % s)
    hftest.eq(int(s.get("succeeded", 0)), rx.count(), "every request was recorded")
    hftest.eq(db.value("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '%s'"
                       " AND status = 'pending' AND attempts = 0" % ep),
              str(60 - rx.count()), "the rest handed back, their attempt not counted")
    st.sweep(db, "--concurrency", "32")
    hftest.eq(statuses(ep), {"succeeded": "60"}, "a later sweep sends the rest")


@hftest.test
def a_database_restart_during_a_sweep_loses_nothing():
    rx = Receiver(default=("slow", 0.05))
    ep, _, ws = st.endpoint(db, rx.url)
    ids = st.messages(db, ws, [ep], count=400)
    p = st.start_sweep(db, "--loop", "--concurrency", "8", "--batch", "20")
    hftest.wait_for(lambda: rx.count() >= 40, 30, "the sweep to be under way")
    db.stop()
    time.sleep(1.0)
    db.boot()
    hftest.wait_for(lambda: statuses(ep).get("succeeded") == "400", 60,
                    "every delivery to succeed after the restart")
    p.send_signal(signal.SIGTERM)
    status, err = st.finish(p, timeout=30)
    hftest.eq(status, 0, "exit status")
    assert "will retry" in err, "the sweep never noticed the restart: %s" % err
    counts = collections.Counter(rx.ids())
    hftest.eq(set(counts), set(ids), "every message arrived")
    hftest.eq(db.value("SELECT COUNT(*) FROM attempts a JOIN deliveries d"
                       " ON d.id = a.delivery_id WHERE d.endpoint_id = '%s'" % ep),
              str(sum(counts.values())), "an attempt row for every request")


hftest.main()

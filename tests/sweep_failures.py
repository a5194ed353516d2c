#!/usr/bin/env python3
"""What hookfan-sweep does when endpoints misbehave (CONTRACT §6):
retries on the schedule, Retry-After, 410, redirects, timeouts, trickles,
huge responses, refused connections, giving up, disabling endpoints."""
import email.utils
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver, closed_port, unanswered_port  # noqa: E402

db = st.start_db()


def seconds_until_due(msg):
    return float(db.value("SELECT TIMESTAMPDIFF(MICROSECOND, NOW(3), due_at) / 1e6"
                          " FROM deliveries WHERE message_id = '%s'" % msg))


@hftest.test
def error_then_success_retries_on_the_schedule():
    rx = Receiver()
    rx.script("500")
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    st.sweep(db)
    hftest.eq(st.delivery(db, msg), ("pending", "1", "500", None), "after the 500")
    # retry_schedule = 1,1: the next attempt is 1 s +-20% away.
    wait = seconds_until_due(msg)
    assert 0.5 <= wait <= 1.25, "next attempt in %.3fs" % wait
    hftest.eq(db.value("SELECT failing_since IS NOT NULL FROM endpoints WHERE id = '%s'" % ep),
              "1", "failing_since set")
    time.sleep(wait + 0.1)
    st.sweep(db)
    hftest.eq(st.delivery(db, msg), ("succeeded", "2", "200", None), "after the 200")
    hftest.eq(rx.ids(), [msg, msg], "same webhook-id on the retry")
    hftest.eq([a[:2] for a in st.attempts(db, msg)], [("1", "500"), ("2", "200")], "attempts")
    hftest.eq(db.value("SELECT failing_since IS NULL FROM endpoints WHERE id = '%s'" % ep),
              "1", "a success clears failing_since")
    hftest.eq(db.value("SELECT status FROM messages WHERE id = '%s'" % msg), "delivered",
              "message")


@hftest.test
def any_2xx_is_success_and_nothing_else_is():
    ws = st.workspace(db)
    cases = {}
    for code in (200, 201, 202, 204, 226, 299, 300, 304, 400, 404, 408, 499, 500, 599):
        # 204 and 304 carry no body; the others an empty one.
        rx = Receiver(default=("status", code, {}, b""))
        ep = st.endpoint(db, rx.url, ws)[0]
        [msg] = st.messages(db, ws, [ep])
        cases[code] = (rx, ep, msg)
    # A retry a minute away cannot come within this sweep.
    config = db.write_config(os.path.join(db.dir, "slow-retry.conf"), retry_schedule="60",
                             **{k: v for k, v in st.FAST.items() if k != "retry_schedule"})
    started = time.monotonic()
    st.sweep(db, config=config)
    assert time.monotonic() - started < 5, "the sweep waited for something"
    for code, (rx, ep, msg) in sorted(cases.items()):
        hftest.eq(rx.count(), 1, "one request for %d" % code)
        want = "succeeded" if 200 <= code <= 299 else "pending"
        hftest.eq(st.delivery(db, msg)[:3], (want, "1", str(code)), "after a %d" % code)
        hftest.eq(db.value("SELECT active FROM endpoints WHERE id = '%s'" % ep), "1",
                  "only 410 disables (%d)" % code)
        st.retire(db, ep)


@hftest.test
def retry_after_seconds_and_http_date_are_honoured():
    rx = Receiver()
    rx.script(("status", 429, {"Retry-After": "30"}, b"slow down"),
              ("status", 503, {"Retry-After": email.utils.formatdate(time.time() + 90,
                                                                       usegmt=True)}, b""))
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    st.sweep(db)
    hftest.eq(st.delivery(db, msg)[:3], ("pending", "1", "429"), "after the 429")
    wait = seconds_until_due(msg)
    assert 28 <= wait <= 30.5, "Retry-After: 30 gave %.3fs" % wait
    st.make_due(db, msg)
    st.sweep(db)
    hftest.eq(st.delivery(db, msg)[:3], ("pending", "2", "503"), "after the 503")
    wait = seconds_until_due(msg)
    assert 84 <= wait <= 91, "Retry-After date 90 s ahead gave %.3fs" % wait
    st.make_due(db, msg)
    st.sweep(db)
    hftest.eq(st.delivery(db, msg)[:3], ("succeeded", "3", "200"), "then success")


@hftest.test
def retry_after_beyond_bounds_is_capped():
    rx = Receiver()
    rx.script(("status", 429, {"Retry-After": "99999999"}, b""))
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    st.sweep(db)
    wait = seconds_until_due(msg)
    assert 86390 <= wait <= 86401, "capped at a day: %.0fs" % wait


@hftest.test
def gone_disables_the_endpoint_keeps_and_resumes_its_deliveries():
    rx = Receiver(default="410")
    ep, _, ws = st.endpoint(db, rx.url)
    due = st.messages(db, ws, [ep], count=3)
    [later] = st.messages(db, ws, [ep], due="NOW(3) + INTERVAL 1 HOUR")
    st.sweep(db)
    active, reason = db.rows("SELECT active, disabled_reason FROM endpoints"
                             " WHERE id = '%s'" % ep)[0]
    hftest.eq(active, "0", "endpoint disabled")
    assert "410" in reason, reason
    for msg in due + [later]:
        hftest.eq(st.delivery(db, msg)[0], "paused", "delivery kept, paused")
    # What a sysadmin sees of it.
    shown = db.admin("endpoint", "list", "--workspace", ws, "--disabled")["endpoints"]
    hftest.eq([(e["id"], e["disabled_reason"], e["paused"]) for e in shown],
              [(ep, reason, 4)], "endpoint list --disabled")
    hftest.eq(db.value("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '%s'"
                       " AND due_at IS NOT NULL" % ep), "0", "nothing due")
    seen = rx.count()
    st.sweep(db)
    hftest.eq(rx.count(), seen, "a disabled endpoint gets nothing")
    rx.default = "200"
    db.admin("endpoint", "enable", "--endpoint", ep)
    st.sweep(db)
    for msg in due + [later]:
        hftest.eq(st.delivery(db, msg)[0], "succeeded", "resumed after enable")
    assert set(due + [later]) <= set(rx.ids())


@hftest.test
def redirects_are_not_followed():
    target = Receiver()
    rx = Receiver(default=("redirect", 302, target.url))
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    st.sweep(db)
    hftest.eq(target.count(), 0, "the redirect target got nothing")
    hftest.eq(target.connections, 0, "not even a connection")
    hftest.eq(st.delivery(db, msg)[:3], ("pending", "1", "302"), "a 302 is a failure")
    st.retire(db, ep)


@hftest.test
def a_silent_endpoint_times_out_without_holding_up_the_others():
    silent = Receiver(default=("hang",))
    healthy = Receiver()
    ws = st.workspace(db)
    ep_silent = st.endpoint(db, silent.url, ws)[0]
    ep_ok = st.endpoint(db, healthy.url, ws)[0]
    [stuck] = st.messages(db, ws, [ep_silent])
    fine = st.messages(db, ws, [ep_ok], count=30)
    started = time.time()
    st.sweep(db, "--concurrency", "4")
    hftest.eq(sorted(healthy.ids()), sorted(fine), "healthy endpoint got everything")
    last = max(r.at for r in healthy.requests) - started
    assert last < 1.5, "healthy deliveries waited for the silent one (%.2fs)" % last
    [(n, code, error, duration, _)] = st.attempts(db, stuck)
    hftest.eq(code, None, "no status code")
    assert error.startswith("timeout"), error
    assert 1900 <= int(duration) <= 3500, duration  # delivery_timeout_ms = 2000
    hftest.eq(st.delivery(db, stuck)[0], "pending", "retried later")
    st.retire(db, ep_silent)


@hftest.test
def a_trickling_2xx_times_out_but_counts_as_delivered():
    # The 200 status line arrived: the endpoint has the message, and sending
    # it again would deliver it twice.  The timeout is still on record.
    rx = Receiver(default=("trickle",))
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    started = time.monotonic()
    st.sweep(db)
    assert time.monotonic() - started < 5, "the trickle held the sweep"
    [(n, code, error, duration, _)] = st.attempts(db, msg)
    hftest.eq(code, "200", "status code kept")
    assert error.startswith("timeout"), error
    assert 1900 <= int(duration) <= 3500, duration
    hftest.eq(st.delivery(db, msg)[0], "succeeded", "not sent twice")
    st.retire(db, ep)


@hftest.test
def a_huge_response_is_capped_in_memory_and_time():
    rx = Receiver(default=("big", 256 * 1024 * 1024))
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    started = time.monotonic()
    st.sweep(db)
    elapsed = time.monotonic() - started
    assert elapsed < 3, "reading the huge answer took %.1fs" % elapsed
    [(n, code, error, duration, excerpt_len)] = st.attempts(db, msg)
    hftest.eq((code, error, excerpt_len), ("200", None, "1024"), "capped excerpt")
    hftest.eq(db.value("SELECT response_excerpt = REPEAT('B', 1024) FROM attempts a"
                       " JOIN deliveries d ON d.id = a.delivery_id"
                       " WHERE d.message_id = '%s'" % msg), "1", "excerpt bytes")
    hftest.eq(st.delivery(db, msg)[0], "succeeded", "a 200 is a success")
    # Every child so far, the sweep included, stayed far below 256 MiB.
    maxrss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert maxrss_kib < 64 * 1024, "a child reached %d KiB" % maxrss_kib


@hftest.test
def a_refused_connection_is_retried():
    url = "http://127.0.0.1:%d/hook" % closed_port()
    ep, _, ws = st.endpoint(db, url)
    [msg] = st.messages(db, ws, [ep])
    st.sweep(db)
    (n, code, error, duration, _) = st.attempts(db, msg)[0]
    hftest.eq(code, None, "no status")
    assert error.startswith("connection failed"), error
    status, attempts, last_code, last_error = st.delivery(db, msg)
    hftest.eq((status, last_code), ("pending", None), "delivery")
    hftest.eq(last_error, error, "last_error")
    st.retire(db, ep)


@hftest.test
def a_connect_that_never_completes_is_given_up_after_connect_timeout_ms():
    """CONTRACT §2: connect_timeout_ms bounds the TCP connect of each
    attempt on its own, well inside delivery_timeout_ms."""
    connect_ms, delivery_ms = 500, 10000
    config = db.write_config(os.path.join(db.dir, "connect-timeout.conf"),
                             **dict(st.FAST, connect_timeout_ms=connect_ms,
                                    delivery_timeout_ms=delivery_ms))
    ep, _, ws = st.endpoint(db, "http://127.0.0.1:%d/hook" % unanswered_port())
    [msg] = st.messages(db, ws, [ep])
    started = time.monotonic()
    st.sweep(db, config=config)
    elapsed = time.monotonic() - started
    # The handshake never completes: only connect_timeout_ms ends it.
    assert elapsed < delivery_ms / 2000.0, \
        "the sweep took %.1fs, near delivery_timeout_ms (%d ms)" % (elapsed, delivery_ms)
    [(n, code, error, duration, _)] = st.attempts(db, msg)
    hftest.eq((n, code), ("1", None), "one attempt, no status code")
    assert error.startswith("timeout:") and "connect" in error.lower(), error
    assert connect_ms - 50 <= int(duration) <= connect_ms + 2500, \
        "attempt took %s ms for a %d ms connect timeout" % (duration, connect_ms)
    status, attempts, last_code, last_error = st.delivery(db, msg)
    hftest.eq((status, attempts, last_code, last_error), ("pending", "1", None, error),
              "the failed attempt is on record, the delivery kept")
    due = float(db.value("SELECT TIMESTAMPDIFF(MICROSECOND, a.started_at, d.due_at) / 1e6"
                         " FROM deliveries d JOIN attempts a ON a.delivery_id = d.id"
                         " WHERE d.message_id = '%s'" % msg))
    # retry_schedule 1,1: due 1 s (±20% jitter, src/retry.c) after the
    # attempt ended, plus however long the result took to be written.
    ended = int(duration) / 1000.0
    assert ended + 0.8 - 0.05 <= due <= ended + 1.2 + 2.0, \
        "retry due %.2fs after the attempt started, which took %.2fs" % (due, ended)
    hftest.eq(db.value("SELECT lease_token FROM deliveries WHERE message_id = '%s'" % msg),
              "", "no lease left: a retry, not an attempt in flight")
    st.retire(db, ep)


@hftest.test
def gives_up_after_the_last_attempt():
    rx = Receiver(default="500")
    ep, _, ws = st.endpoint(db, rx.url)
    [msg, other] = st.messages(db, ws, [ep], count=2)
    for _ in range(3):  # retry_schedule = 1,1: three attempts
        st.sweep(db)
        st.make_due(db, endpoint_id=ep)
    hftest.eq(st.delivery(db, msg), ("failed", "3", "500", None), "failed")
    hftest.eq(db.value("SELECT status FROM messages WHERE id = '%s'" % msg), "failed",
              "message failed")
    st.sweep(db)
    hftest.eq(rx.count(), 6, "no fourth attempt")
    hftest.eq(db.value("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '%s'"
                       " AND due_at IS NULL AND status = 'failed'" % ep), "2", "both done")


@hftest.test
def an_endpoint_failing_too_long_is_disabled():
    config = db.write_config(os.path.join(db.dir, "disable.conf"),
                             endpoint_disable_after_seconds=1,
                             retry_schedule="1,1,1,1,1", **{
                                 k: v for k, v in st.FAST.items()
                                 if k != "retry_schedule"})
    rx = Receiver(default="503")
    ep, _, ws = st.endpoint(db, rx.url)
    [msg, later] = st.messages(db, ws, [ep], count=2)
    st.sweep(db, config=config)
    hftest.eq(db.value("SELECT active FROM endpoints WHERE id = '%s'" % ep), "1",
              "not yet: failing for less than a second")
    time.sleep(1.2)
    st.make_due(db, msg)
    st.sweep(db, config=config)
    active, reason = db.rows("SELECT active, disabled_reason FROM endpoints"
                             " WHERE id = '%s'" % ep)[0]
    hftest.eq(active, "0", "disabled after failing for over a second")
    assert reason.startswith("failing without a success since"), reason
    shown = db.admin("endpoint", "show", ep)
    hftest.eq((shown["active"], shown["disabled_reason"], shown["paused"], shown["pending"]),
              (False, reason, 2, 0), "endpoint show")
    hftest.eq(st.delivery(db, msg)[0], "paused", "this delivery kept")
    hftest.eq(st.delivery(db, later)[0], "paused", "the waiting one parked too")


hftest.main()

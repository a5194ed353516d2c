#!/usr/bin/env python3
"""hookfan-admin's delivery commands: delivery list/show/retry and
message resend, with --json and without."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver  # noqa: E402

db = st.start_db()
rx = Receiver()
rx.script(("status", 500, {}, b'{"error":"boom"}'))
ws = st.workspace(db)
ep1 = st.endpoint(db, rx.url, ws)[0]
ep2 = st.endpoint(db, rx.url, ws)[0]
[msg] = st.messages(db, ws, [ep1, ep2])
[other] = st.messages(db, ws, [ep2])
st.sweep(db, "--concurrency", "1")


def delivery_of(message, endpoint):
    return db.value("SELECT id FROM deliveries WHERE message_id = '%s' AND endpoint_id = '%s'"
                    % (message, endpoint))


@hftest.test
def list_filters_and_shapes():
    out = db.admin("delivery", "list", "--message", msg)
    rows = out["deliveries"]
    hftest.eq(sorted(r["endpoint_id"] for r in rows), sorted([ep1, ep2]), "by message")
    for r in rows:
        hftest.eq(r["message_id"], msg, "message id")
        assert r["status"] in ("succeeded", "pending"), r
        assert isinstance(r["attempts"], int), r
        assert r["created_at"].endswith("Z"), r
    rows = db.admin("delivery", "list", "--endpoint", ep2)["deliveries"]
    hftest.eq(sorted(r["message_id"] for r in rows), sorted([msg, other]), "by endpoint")
    failed_one = [r for r in db.admin("delivery", "list", "--status", "pending")["deliveries"]]
    hftest.eq(len(failed_one), 1, "one delivery got the 500")
    hftest.eq(failed_one[0]["last_status_code"], 500, "its status code")
    hftest.eq(db.admin("delivery", "list", "--endpoint", ep1, "--status", "failed"),
              {"deliveries": []}, "empty list")
    hftest.eq(len(db.admin("delivery", "list", "--limit", "1")["deliveries"]), 1, "limit")
    r = db.run_admin("delivery", "list", "--status", "lost")
    hftest.eq(r.returncode, 1, "unknown status")
    assert "unknown status" in r.stderr, r.stderr
    r = db.run_admin("delivery", "list", "--message", msg)
    hftest.eq(len(r.stdout.splitlines()), 2, "plain output: a line per delivery")
    assert "id=del_" in r.stdout and "status=" in r.stdout, r.stdout


@hftest.test
def show_has_every_attempt():
    pending = db.admin("delivery", "list", "--status", "pending")["deliveries"][0]["id"]
    st.make_due(db)
    st.sweep(db)
    shown = db.admin("delivery", "show", pending)
    hftest.eq(shown["id"], pending, "id")
    hftest.eq(shown["status"], "succeeded", "status")
    hftest.eq(shown["url"], rx.url, "url")
    hftest.eq([(a["attempt_number"], a["status_code"]) for a in shown["attempts"]],
              [(1, 500), (2, 200)], "attempts")
    hftest.eq(shown["attempts"][0]["response_excerpt"], '{"error":"boom"}', "excerpt")
    assert isinstance(shown["attempts"][0]["duration_ms"], int), shown
    plain = db.run_admin("delivery", "show", pending)
    hftest.eq(plain.stdout.splitlines()[0], pending, "plain output: the delivery id first")
    r = db.run_admin("delivery", "show", "del_nope")
    hftest.eq(r.returncode, 1, "unknown delivery")
    assert "unknown delivery" in r.stderr, r.stderr
    hftest.eq(len(r.stderr.strip().splitlines()), 1, "one line: %r" % r.stderr)
    r = db.run_admin("delivery", "show")
    hftest.eq(r.returncode, 2, "missing id is bad usage")


@hftest.test
def retry_sends_once_more():
    d = delivery_of(other, ep2)
    hftest.eq(st.delivery(db, other)[0], "succeeded", "before")
    before = rx.ids().count(other)
    out = db.admin("delivery", "retry", d)
    hftest.eq(out, {"id": d, "status": "pending", "previous_status": "succeeded"}, "json")
    hftest.eq(db.value("SELECT status FROM messages WHERE id = '%s'" % other), "pending",
              "message pending again")
    st.sweep(db)
    hftest.eq(rx.ids().count(other), before + 1, "sent once more")
    hftest.eq(db.value("SELECT status FROM messages WHERE id = '%s'" % other), "delivered",
              "message delivered again")
    plain = db.run_admin("delivery", "retry", d)
    hftest.eq(plain.stdout.splitlines()[0], d, "plain output: the delivery id first")
    st.sweep(db)
    r = db.run_admin("delivery", "retry", "del_nope")
    hftest.eq(r.returncode, 1, "unknown delivery")
    hftest.eq(len(r.stderr.strip().splitlines()), 1, "one line: %r" % r.stderr)
    db.admin("endpoint", "disable", "--endpoint", ep2)
    r = db.run_admin("delivery", "retry", d)
    hftest.eq(r.returncode, 1, "refused while the endpoint is disabled")
    assert "disabled" in r.stderr, r.stderr
    hftest.eq(len(r.stderr.strip().splitlines()), 1, "one line: %r" % r.stderr)
    db.admin("endpoint", "enable", "--endpoint", ep2)


@hftest.test
def a_delivery_is_sending_while_its_lease_holds():
    """The sweep leaves a claimed delivery 'pending' and gives it a lease:
    hookfan-admin shows it as sending, will not retry it and will not park
    it, until the lease runs out."""
    ep3 = st.endpoint(db, rx.url, ws)[0]
    held_msg, free_msg = st.messages(db, ws, [ep3], count=2, due="NOW(3) + INTERVAL 1 HOUR")
    held, free = delivery_of(held_msg, ep3), delivery_of(free_msg, ep3)
    token = "c" * 32
    db.root_sql("USE hookfan; UPDATE deliveries SET lease_token = '%s', attempts = 1,"
                " due_at = NOW(3) + INTERVAL 1 MINUTE WHERE id = '%s'" % (token, held))
    hftest.eq(db.admin("delivery", "show", held)["status"], "sending", "shown")
    hftest.eq([r["id"] for r in db.admin("delivery", "list", "--endpoint", ep3,
                                         "--status", "sending")["deliveries"]],
              [held], "listed by --status sending")
    hftest.eq([r["id"] for r in db.admin("delivery", "list", "--endpoint", ep3,
                                         "--status", "pending")["deliveries"]],
              [free], "not listed as pending")
    r = db.run_admin("delivery", "retry", held)
    hftest.eq(r.returncode, 1, "retry refused")
    assert "is being sent right now" in r.stderr, r.stderr
    db.admin("endpoint", "disable", "--endpoint", ep3)
    hftest.eq(db.rows("SELECT id, status, lease_token FROM deliveries WHERE endpoint_id = '%s'"
                      " ORDER BY id" % ep3),
              sorted([(held, "pending", token), (free, "paused", "")]),
              "disabling parks the waiting one, leaves the held one to its sweep")
    db.admin("endpoint", "enable", "--endpoint", ep3)
    # The lease runs out (its sweep died): due again, parked by a disable ...
    expire = ("USE hookfan; UPDATE deliveries SET lease_token = '%s',"
              " due_at = NOW(3) - INTERVAL 1 SECOND WHERE id = '%s'" % (token, held))
    db.root_sql(expire)
    hftest.eq(db.admin("delivery", "show", held)["status"], "pending", "lease ran out")
    db.admin("endpoint", "disable", "--endpoint", ep3)
    hftest.eq(db.rows("SELECT status, lease_token FROM deliveries WHERE id = '%s'" % held),
              [("paused", "")], "a dead sweep's delivery is parked, its lease cleared")
    db.admin("endpoint", "enable", "--endpoint", ep3)
    # ... and retry may take it.
    db.root_sql(expire)
    out = db.admin("delivery", "retry", held)
    hftest.eq(out["previous_status"], "pending", "retried")
    hftest.eq(db.value("SELECT lease_token FROM deliveries WHERE id = '%s'" % held), "",
              "the dead sweep's lease is cleared")
    st.sweep(db)
    hftest.eq(db.admin("delivery", "show", held)["status"], "succeeded", "sent")
    st.retire(db, ep3)


@hftest.test
def resend_makes_new_deliveries_for_the_original_endpoints():
    before = db.value("SELECT COUNT(*) FROM deliveries WHERE message_id = '%s'" % msg)
    out = db.admin("message", "resend", msg)
    hftest.eq(out["id"], msg, "id")
    hftest.eq(len(out["deliveries"]), 2, "one per original endpoint")
    hftest.eq(db.value("SELECT COUNT(*) FROM deliveries WHERE message_id = '%s'" % msg),
              str(int(before) + 2), "new rows, old ones kept")
    sent = rx.ids().count(msg)
    st.sweep(db)
    hftest.eq(rx.ids().count(msg), sent + 2, "sent to both endpoints again")
    for d in out["deliveries"]:
        hftest.eq(db.admin("delivery", "show", d)["status"], "succeeded", d)
    r = db.run_admin("message", "resend", "msg_nope")
    hftest.eq(r.returncode, 1, "unknown message")
    assert "unknown message" in r.stderr, r.stderr
    hftest.eq(len(r.stderr.strip().splitlines()), 1, "one line: %r" % r.stderr)
    r = db.run_admin("message", "resend")
    hftest.eq(r.returncode, 2, "missing id is bad usage")
    plain = db.run_admin("message", "resend", other)
    hftest.eq(plain.stdout.splitlines()[0], other, "plain output: the message id first")
    json.loads(plain.stdout.splitlines()[1])  # the list of new ids


hftest.main()

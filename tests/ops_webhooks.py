#!/usr/bin/env python3
"""Operational webhooks: a workspace's ops endpoint receives, as ordinary
signed deliveries, endpoint.disabled / endpoint.enabled and
message.attempt.failing / .exhausted / .recovered in Svix's shapes,
checked with the standardwebhooks verifier; its own failures make none."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver  # noqa: E402

# Six attempts, a second apart; make_due pulls each retry forward.
db = st.start_db(retry_schedule="1,1,1,1,1")


def ops_workspace(ops_default="200"):
    """A workspace with an ops endpoint; (workspace, ops receiver, its
    endpoint id, its secret)."""
    ws = st.workspace(db)
    ops = Receiver(default=ops_default)
    ops_ep, secret, _ = st.endpoint(db, ops.url, ws)
    made = db.admin("workspace", "set", "--workspace", ws, "--ops-endpoint", ops_ep)
    hftest.eq(made, {"id": ws, "ops_endpoint": ops_ep}, "workspace set")
    return ws, ops, ops_ep, secret


def events(ops, secret):
    """What the ops endpoint received: the parsed bodies, each verified."""
    verdicts = st.verify([(secret, r) for r in ops.requests])
    for ok, error in verdicts:
        assert ok, "signature refused: %s" % error
    return [json.loads(r.body) for r in ops.requests]


def drive(times):
    """times sweeps, each after pulling every retry forward."""
    for _ in range(times):
        st.make_due(db)
        st.sweep(db)


def ops_messages(ws, pattern):
    return int(db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'"
                        " AND event_type LIKE '%s'" % (ws, pattern)))


@hftest.test
def a_410_sends_exactly_one_endpoint_disabled():
    ws, ops, ops_ep, secret = ops_workspace()
    gone = Receiver(default="410")
    ep = st.endpoint(db, gone.url, ws)[0]
    st.messages(db, ws, [ep], count=3)
    st.sweep(db)
    st.sweep(db)
    got = events(ops, secret)
    hftest.eq(len(got), 1, "one event: %r" % got)
    hftest.eq(got[0]["type"], "endpoint.disabled", "type")
    data = got[0]["data"]
    hftest.eq((data["endpointId"], data["appId"], data["trigger"]), (ep, None, "automatic"),
              "data")
    assert "410" in data["reason"], data
    assert "failSince" in data, data
    # An ordinary message of the workspace, sent with its id as webhook-id.
    hftest.eq(db.value("SELECT event_type FROM messages WHERE id = '%s'"
                       % ops.requests[0].headers["webhook-id"]), "endpoint.disabled",
              "the message behind it")
    hftest.eq(st.delivery(db, ops.requests[0].headers["webhook-id"], ops_ep)[0],
              "succeeded", "delivered as any delivery")

    # By hand: enabled, then disabled with hookfan-admin's reason; enabling
    # an enabled endpoint changes nothing and says nothing.
    db.admin("endpoint", "enable", "--endpoint", ep)
    db.admin("endpoint", "enable", "--endpoint", ep)
    gone.default = "200"
    st.sweep(db)
    db.admin("endpoint", "disable", "--endpoint", ep)
    st.sweep(db)
    got = events(ops, secret)
    hftest.eq([e["type"] for e in got],
              ["endpoint.disabled", "endpoint.enabled", "endpoint.disabled"], "types")
    hftest.eq(got[1]["data"], {"appId": None, "endpointId": ep}, "enabled data")
    hftest.eq((got[2]["data"]["trigger"], got[2]["data"]["reason"]),
              ("manual", "disabled by hookfan-admin"), "disabled by hand")


@hftest.test
def four_failures_send_failing_and_the_success_recovered():
    ws, ops, _, secret = ops_workspace()
    rx = Receiver()
    rx.script("500", "500", "500", "503")
    ep = st.endpoint(db, rx.url, ws)[0]
    [msg] = st.messages(db, ws, [ep])
    drive(3)
    hftest.eq(ops.count(), 0, "nothing after three failures")
    drive(1)
    got = events(ops, secret)
    hftest.eq([e["type"] for e in got], ["message.attempt.failing"], "after the 4th")
    data = got[0]["data"]
    [(attempt_id, started)] = db.rows(
        "SELECT a.id, CONCAT(LEFT(DATE_FORMAT(a.started_at, '%Y-%m-%dT%H:%i:%s.%f'), 23), 'Z')"
        " FROM attempts a JOIN deliveries d ON d.id = a.delivery_id"
        " WHERE d.message_id = '" + msg + "' AND a.attempt_number = 4")
    hftest.eq(data, {"appId": None, "endpointId": ep, "msgId": msg, "msgEventId": None,
                     "lastAttempt": {"id": attempt_id, "timestamp": started,
                                     "responseStatusCode": 503}}, "Svix's shape")
    drive(1)
    hftest.eq(st.delivery(db, msg)[0], "succeeded", "the 5th attempt")
    got = events(ops, secret)
    hftest.eq([e["type"] for e in got], ["message.attempt.failing",
                                          "message.attempt.recovered"], "then recovered")
    hftest.eq(got[1]["data"]["lastAttempt"]["responseStatusCode"], 200, "recovered by a 200")
    # A success that follows no failing event says nothing.
    [other] = st.messages(db, ws, [ep])
    rx.script("500")
    drive(2)
    hftest.eq(st.delivery(db, other)[0], "succeeded", "other delivery")
    hftest.eq(ops.count(), 2, "no event for two attempts")


@hftest.test
def the_last_failure_sends_exhausted():
    ws, ops, _, secret = ops_workspace()
    rx = Receiver(default="503")
    ep = st.endpoint(db, rx.url, ws)[0]
    [msg] = st.messages(db, ws, [ep])
    drive(6)
    hftest.eq(st.delivery(db, msg)[:2], ("failed", "6"), "gave up after 6 attempts")
    got = events(ops, secret)
    hftest.eq([e["type"] for e in got], ["message.attempt.failing",
                                          "message.attempt.exhausted"], "types")
    hftest.eq((got[1]["data"]["msgId"], got[1]["data"]["endpointId"]), (msg, ep), "which")
    st.retire(db, ep)


@hftest.test
def the_ops_endpoint_failing_makes_no_events():
    ws, ops, ops_ep, secret = ops_workspace(ops_default="500")
    rx = Receiver(default="500")
    ep = st.endpoint(db, rx.url, ws)[0]
    st.messages(db, ws, [ep])
    # Its own deliveries: failing, exhausted, then a 410.
    [own] = st.messages(db, ws, [ops_ep])
    drive(6)
    hftest.eq(st.delivery(db, own)[0], "failed", "the ops endpoint's own delivery")
    # One failing and one exhausted, both about ep; the ops endpoint's own
    # six failures and its failing deliveries of those events made none.
    hftest.eq(ops_messages(ws, "message.attempt.%"), 2, "events about ep only")
    hftest.eq(int(db.value("SELECT COUNT(*) FROM messages m JOIN deliveries d"
                           " ON d.message_id = m.id WHERE m.workspace_id = '%s'"
                           " AND m.event_type LIKE 'message.attempt.%%'"
                           " AND d.endpoint_id <> '%s'" % (ws, ops_ep))), 0,
              "every event goes to the ops endpoint")
    ops.default = "410"
    st.messages(db, ws, [ops_ep])
    drive(1)
    hftest.eq(db.value("SELECT active FROM endpoints WHERE id = '%s'" % ops_ep), "0",
              "the ops endpoint disabled itself")
    hftest.eq(ops_messages(ws, "endpoint.%"), 0, "and said nothing of it")
    # A disabled ops endpoint is told nothing: no message is made.
    db.admin("endpoint", "disable", "--endpoint", ep)
    hftest.eq(ops_messages(ws, "endpoint.%"), 0, "nothing for a disabled ops endpoint")
    st.retire(db, ep)
    st.retire(db, ops_ep)


@hftest.test
def workspace_set_checks_the_endpoint_and_clears_with_none():
    ws, ops, ops_ep, _ = ops_workspace()
    other_ws = st.workspace(db)
    theirs = st.endpoint(db, ops.url, other_ws)[0]
    r = db.run_admin("workspace", "set", "--workspace", ws, "--ops-endpoint", theirs)
    hftest.eq(r.returncode, 1, "another workspace's endpoint: %s" % r.stderr)
    assert "another workspace" in r.stderr, r.stderr
    hftest.eq(len(r.stderr.strip().splitlines()), 1, "one line")
    r = db.run_admin("workspace", "set", "--workspace", ws, "--ops-endpoint", "ep_nope")
    hftest.eq(r.returncode, 1, "unknown endpoint")
    assert "unknown endpoint" in r.stderr, r.stderr
    r = db.run_admin("workspace", "set", "--workspace", "ws_nope", "--ops-endpoint", ops_ep)
    hftest.eq(r.returncode, 1, "unknown workspace")
    assert "unknown workspace" in r.stderr, r.stderr
    r = db.run_admin("workspace", "set", "--workspace", ws)
    hftest.eq(r.returncode, 2, "--ops-endpoint is required")
    hftest.eq(db.value("SELECT ops_endpoint_id FROM workspaces WHERE id = '%s'" % ws), ops_ep,
              "unchanged by the refusals")
    hftest.eq(db.admin("workspace", "set", "--workspace", ws, "--ops-endpoint", "none"),
              {"id": ws, "ops_endpoint": None}, "cleared")
    hftest.eq(db.value("SELECT ops_endpoint_id FROM workspaces WHERE id = '%s'" % ws), None,
              "none")
    gone = Receiver(default="410")
    ep = st.endpoint(db, gone.url, ws)[0]
    st.messages(db, ws, [ep])
    st.sweep(db)
    hftest.eq(ops_messages(ws, "endpoint.%"), 0, "no ops endpoint, no event")


hftest.main()

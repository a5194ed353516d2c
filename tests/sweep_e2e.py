#!/usr/bin/env python3
"""End to end: events posted to hookfan.fcgi (run as a plain CGI) reach a
receiver through hookfan-sweep, signed so that the npm standardwebhooks
verifier accepts them, and the message's status follows the delivery."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver  # noqa: E402

db = st.start_db()
rx = Receiver()
ws = st.workspace(db)
app = db.admin("app", "create", "--workspace", ws, "--name", "a")["id"]
made = db.admin("endpoint", "create", "--workspace", ws, "--app", app, "--url", rx.url,
                "--event-type", "order.paid")
ep, secret = made["id"], made["secret"]
key = db.admin("key", "create", "--workspace", ws)["key"]
st.node_modules()


def post(uri, document):
    r = hftest.run_cgi("POST", uri, json.dumps(document).encode(),
                       HTTP_AUTHORIZATION="Bearer " + key, HOOKFAN_CONFIG=db.config_path)
    return r.status, r.json()


@hftest.test
def a_triggered_event_arrives_signed():
    status, answer = post("/api/ingest/event/order.paid",
                          {"payload": {"orderId": "ord_1", "total": 12.5}})
    hftest.eq(status, 202, "trigger accepted: %r" % answer)
    [delivery] = answer["deliveryIds"]
    st.sweep(db)
    [req] = rx.requests
    hftest.eq(json.loads(req.body), {"orderId": "ord_1", "total": 12.5}, "payload")
    hftest.eq(st.verify([(secret, req)]), [(True, None)], "standardwebhooks verifies")
    message = db.value("SELECT message_id FROM deliveries WHERE id = '%s'" % delivery)
    hftest.eq(req.headers["webhook-id"], message, "webhook-id is the message id")
    hftest.eq(db.value("SELECT status FROM messages WHERE id = '%s'" % message),
              "delivered", "message delivered")


@hftest.test
def a_sent_message_arrives_signed_and_its_status_follows():
    rx.script("500")
    status, answer = post("/v1/applications/%s/messages" % app,
                          {"event_type": "order.paid", "payload": {"n": 1}})
    hftest.eq(status, 201, "message accepted: %r" % answer)
    message = answer["message"]["id"]
    hftest.eq(answer["message"]["status"], "pending", "pending at first")
    st.sweep(db)
    hftest.eq(db.value("SELECT status FROM messages WHERE id = '%s'" % message),
              "pending", "still pending after a 500")
    st.make_due(db, message)
    st.sweep(db)
    hftest.eq(db.value("SELECT status FROM messages WHERE id = '%s'" % message),
              "delivered", "delivered after the retry")
    reqs = [r for r in rx.requests if r.headers["webhook-id"] == message]
    hftest.eq(len(reqs), 2, "two attempts")
    hftest.eq(st.verify([(secret, r) for r in reqs]), [(True, None)] * 2, "both verify")



@hftest.test
def a_string_or_null_payload_arrives_as_that_json_body():
    """CONTRACT §6: the body is the message payload as JSON, whatever JSON
    value the send-message call may carry: an object (above), a string or
    null (the seed sends "payload": null)."""
    for payload in ("plain text", None):
        before = len(rx.requests)
        status, answer = post("/v1/applications/%s/messages" % app,
                              {"event_type": "order.paid", "payload": payload})
        hftest.eq(status, 201, "accepted: %r" % answer)
        st.sweep(db)
        [req] = rx.requests[before:]
        hftest.eq(req.headers["webhook-id"], answer["message"]["id"], "this message")
        hftest.eq(req.headers["content-type"], "application/json", "content type")
        hftest.eq(json.loads(req.body), payload, "body of %r" % (payload,))
        hftest.eq(st.verify([(secret, req)]), [(True, None)], "verifies: %r" % (payload,))


hftest.main()

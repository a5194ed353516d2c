#!/usr/bin/env python3
"""Signatures checked by the npm `standardwebhooks` package (CONTRACT §6),
through a secret rotation (hookfan-admin endpoint rotate-secret)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver  # noqa: E402

db = st.start_db()
st.node_modules()  # install the verifier before the first test runs


@hftest.test
def the_standard_webhooks_verifier_accepts_our_signature():
    rx = Receiver()
    ep, secret, ws = st.endpoint(db, rx.url)
    st.messages(db, ws, [ep], payload={"text": "h\u00e9llo \u2603", "n": [1, 2.5, None]})
    st.messages(db, ws, [ep], payload={})
    st.sweep(db)
    hftest.eq(rx.count(), 2, "requests")
    results = st.verify([(secret, r) for r in rx.requests])
    hftest.eq(results, [(True, None), (True, None)], "verified")
    # The verifier is not a rubber stamp.
    other = db.admin("endpoint", "create", "--workspace", ws, "--url", rx.url)["secret"]
    hftest.eq([ok for ok, _ in st.verify([(other, rx.requests[0])])], [False],
              "a different secret fails")
    tampered = rx.requests[0]._replace(body=rx.requests[0].body + b" ")
    hftest.eq([ok for ok, _ in st.verify([(secret, tampered)])], [False],
              "a changed body fails")


@hftest.test
def a_retry_keeps_the_id_and_signs_its_own_timestamp():
    rx = Receiver()
    rx.script("500")
    ep, secret, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    st.sweep(db)
    time.sleep(2.1)  # the retry's timestamp must be a later second
    st.make_due(db, msg)
    before = int(time.time())
    st.sweep(db)
    hftest.eq(st.delivery(db, msg)[:2], ("succeeded", "2"), "retried once")
    first, retry = rx.requests
    hftest.eq([first.headers["webhook-id"], retry.headers["webhook-id"]], [msg, msg],
              "webhook-id is the message id on every attempt")
    t1, t2 = int(first.headers["webhook-timestamp"]), int(retry.headers["webhook-timestamp"])
    assert t2 >= t1 + 2, "the retry reused the first timestamp: %d, %d" % (t1, t2)
    assert before - 1 <= t2 <= int(time.time()) + 1, "not this attempt's time: %d" % t2
    assert first.headers["webhook-signature"] != retry.headers["webhook-signature"]
    hftest.eq(st.verify([(secret, first), (secret, retry)]), [(True, None), (True, None)],
              "each attempt verifies")


@hftest.test
def during_rotation_both_secrets_verify():
    rx = Receiver()
    ep, old, ws = st.endpoint(db, rx.url)
    rotated = db.admin("endpoint", "rotate-secret", "--endpoint", ep, "--grace-hours", "1")
    hftest.eq(rotated["id"], ep, "id")
    new = rotated["secret"]
    assert new.startswith("whsec_") and new != old, rotated
    assert rotated["previous_secrets_expire_at"], rotated
    st.messages(db, ws, [ep])
    st.sweep(db)
    [req] = rx.requests
    sigs = req.headers["webhook-signature"].split(" ")
    hftest.eq(len(sigs), 2, "two signatures while rotating")
    hftest.eq(st.verify([(old, req), (new, req)]), [(True, None), (True, None)],
              "old and new secret both verify")


@hftest.test
def after_the_grace_period_only_the_new_secret_signs():
    rx = Receiver()
    ep, old, ws = st.endpoint(db, rx.url)
    new = db.admin("endpoint", "rotate-secret", "--endpoint", ep,
                   "--grace-hours", "0")["secret"]
    st.messages(db, ws, [ep])
    st.sweep(db)
    [req] = rx.requests
    hftest.eq(len(req.headers["webhook-signature"].split(" ")), 1, "one signature")
    hftest.eq([ok for ok, _ in st.verify([(old, req), (new, req)])], [False, True],
              "only the new secret verifies")


@hftest.test
def rotation_default_grace_is_a_day_and_errors_are_clear():
    rx = Receiver()
    ep, _, _ = st.endpoint(db, rx.url)
    db.admin("endpoint", "rotate-secret", "--endpoint", ep)
    hours = db.value("SELECT ROUND(TIMESTAMPDIFF(SECOND, NOW(3), MIN(expires_at)) / 3600)"
                     " FROM endpoint_secrets WHERE endpoint_id = '%s'" % ep)
    hftest.eq(hours, "24", "default grace in hours")
    r = db.run_admin("endpoint", "rotate-secret", "--endpoint", "ep_nope")
    hftest.eq(r.returncode, 1, "unknown endpoint")
    assert "unknown endpoint" in r.stderr, r.stderr
    r = db.run_admin("endpoint", "rotate-secret", "--endpoint", ep, "--grace-hours", "x")
    hftest.eq(r.returncode, 1, "bad grace")
    r = db.run_admin("endpoint", "rotate-secret", "--endpoint", ep)
    lines = r.stdout.splitlines()
    hftest.eq(lines[0], ep, "plain output: the endpoint id first")
    assert lines[1].startswith("whsec_"), lines


hftest.main()

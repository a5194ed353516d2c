"""The management API's message log (/v1/messages, /v1/deliveries, resend,
retry) and the OpenAPI document, through a real lighttpd (and Apache for
one flow), a real MariaDB, real receivers and hookfan-sweep.  Every answer
goes through tests/lib/mgmtclient.py, so each is checked against
doc/openapi.json as well as by the assertions here."""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import mgmtclient  # noqa: E402
import receivers  # noqa: E402
import sweeptest  # noqa: E402
import webservers  # noqa: E402
from hftest import eq  # noqa: E402

db = sweeptest.start_db()
lighttpd = webservers.Lighttpd(db)
BINARY = b"\xff\xfe not UTF-8 \x00\x01"
ok_receiver = receivers.Receiver()
bad_receiver = receivers.Receiver(default=("status", 500, {"Content-Type": "text/plain"}, BINARY))
hftest.cleanup(ok_receiver.close)
hftest.cleanup(bad_receiver.close)


class Tenant:
    """A workspace with an environment "prod", an application in it and
    one without, an endpoint of each (one answering 200, one 500), a
    management key of the workspace and one of prod, and an ingest key."""

    def __init__(self):
        a = db.admin
        self.ws = a("workspace", "create", "--name", "t")["id"]
        self.prod = a("env", "create", "--workspace", self.ws, "--name", "prod")["id"]
        self.app = a("app", "create", "--workspace", self.ws, "--env", self.prod,
                     "--name", "shop")["id"]
        self.other_app = a("app", "create", "--workspace", self.ws, "--name", "misc")["id"]
        self.ep_ok = a("endpoint", "create", "--workspace", self.ws, "--env", self.prod,
                       "--app", self.app, "--url", ok_receiver.url)["id"]
        self.ep_bad = a("endpoint", "create", "--workspace", self.ws, "--env", self.prod,
                        "--app", self.app, "--url", bad_receiver.url)["id"]
        self.ep_other = a("endpoint", "create", "--workspace", self.ws,
                          "--app", self.other_app, "--url", ok_receiver.url)["id"]
        self.key = a("key", "create", "--workspace", self.ws, "--management")["key"]
        self.prod_key = a("key", "create", "--workspace", self.ws, "--env", self.prod,
                          "--management")["key"]
        self.ingest_key = a("key", "create", "--workspace", self.ws)["key"]
        self.api = mgmtclient.Client(lighttpd, self.key)

    def send(self, app=None, event_type="order.paid", payload=None, server=None):
        """POST /v1/applications/{app}/messages; the answer's message."""
        client = mgmtclient.Client(server or lighttpd, self.ingest_key)
        r = client.expect("POST", "/v1/applications/%s/messages" % (app or self.app), 201,
                          body={"event_type": event_type,
                                "payload": payload if payload is not None else {"n": 1}})
        return r.json["message"]


A = Tenant()
B = Tenant()
sent = [A.send(payload={"n": i}) for i in range(3)]
sent.append(A.send(event_type="order.refunded"))
other = A.send(app=A.other_app, event_type="user.created")
b_message = B.send()
sweeptest.sweep(db)


def delivery_of(message_id, endpoint_id, api=None):
    r = (api or A.api).expect("GET", "/v1/deliveries", 200,
                              query={"message_id": message_id, "endpoint_id": endpoint_id})
    eq(len(r.json["data"]), 1, "deliveries of %s to %s" % (message_id, endpoint_id))
    return r.json["data"][0]


@hftest.test
def the_document_is_valid_and_covers_every_route():
    eq(mgmtclient.validate_document(mgmtclient.DOCUMENT), [], "validator's complaints")
    with open(mgmtclient.DOCUMENT) as f:
        doc = json.load(f)
    expected = [
        ("post", "/api/ingest/event/{eventType}"), ("post", "/v1/applications/{appId}/messages"),
        ("get", "/healthz"), ("get", "/v1/openapi.json"),
        ("get", "/v1/workspace"), ("patch", "/v1/workspace"),
        ("get", "/v1/environments"), ("post", "/v1/environments"),
        ("get", "/v1/applications"), ("post", "/v1/applications"),
        ("get", "/v1/applications/{id}"), ("patch", "/v1/applications/{id}"),
        ("delete", "/v1/applications/{id}"),
        ("get", "/v1/endpoints"), ("post", "/v1/endpoints"), ("get", "/v1/endpoints/{id}"),
        ("patch", "/v1/endpoints/{id}"), ("delete", "/v1/endpoints/{id}"),
        ("get", "/v1/applications/{appId}/endpoints"),
        ("post", "/v1/applications/{appId}/endpoints"),
        ("get", "/v1/applications/{appId}/endpoints/{id}"),
        ("patch", "/v1/applications/{appId}/endpoints/{id}"),
        ("delete", "/v1/applications/{appId}/endpoints/{id}"),
        ("get", "/v1/endpoints/{id}/secret"), ("post", "/v1/endpoints/{id}/rotate-secret"),
        ("get", "/v1/event-types"), ("post", "/v1/event-types"),
        ("get", "/v1/messages"), ("get", "/v1/applications/{appId}/messages"),
        ("get", "/v1/messages/{id}"), ("get", "/v1/applications/{appId}/messages/{id}"),
        ("post", "/v1/messages/{id}/resend"), ("get", "/v1/deliveries"),
        ("get", "/v1/deliveries/{id}"), ("post", "/v1/deliveries/{id}/retry"),
        ("get", "/v1/keys"), ("post", "/v1/keys"), ("delete", "/v1/keys/{id}")]
    missing = [(m, p) for m, p in expected if m not in doc["paths"].get(p, {})]
    eq(missing, [], "routes the document lacks")
    # Every POST of the management API (and send-message) takes
    # Idempotency-Key, but the portal link's, whose stored answer would
    # keep its token (400 under one).
    for path, item in doc["paths"].items():
        post = item.get("post")
        if post and path.startswith("/v1/") and path != "/v1/applications/{id}/portal":
            names = [p.get("$ref", "") for p in post.get("parameters", [])]
            assert "#/components/parameters/IdempotencyKey" in names, path


@hftest.test
def the_validator_refuses_a_broken_document():
    with open(mgmtclient.DOCUMENT) as f:
        doc = json.load(f)
    del doc["paths"]["/v1/messages"]["get"]["responses"]
    doc["paths"]["/v1/deliveries"]["get"]["parameters"][0] = {"name": "x"}
    folder = tempfile.mkdtemp(prefix="hf-openapi-")
    hftest.cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    path = os.path.join(folder, "broken.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    assert mgmtclient.validate_document(path), "a document without responses passed"


@hftest.test
def the_served_document_is_the_installed_file():
    destdir = tempfile.mkdtemp(prefix="hf-install-")
    hftest.cleanup(lambda: shutil.rmtree(destdir, ignore_errors=True))
    r = subprocess.run(["make", "install-dist_pkgdataDATA", "DESTDIR=" + destdir],
                       cwd=hftest.BUILDDIR, capture_output=True, text=True,
                       env=hftest.make_environment(), timeout=120)
    eq(r.returncode, 0, "make install-dist_pkgdataDATA: " + r.stderr[-1000:])
    installed = destdir + hftest.build_variable("pkgdatadir") + "/openapi.json"
    with open(installed, "rb") as f:
        expected = f.read()
    anonymous = A.api.with_key(None)
    served = anonymous.expect("GET", "/v1/openapi.json", 200)
    eq(served.headers.get("content-type"), "application/json", "content type")
    eq(served.body, expected, "served document")
    head = anonymous.expect("HEAD", "/v1/openapi.json", 200)
    eq(head.body, b"", "HEAD body")


@hftest.test
def the_log_lists_what_send_message_sent_newest_first():
    r = A.api.expect("GET", "/v1/applications/%s/messages" % A.app, 200)
    eq([m["id"] for m in r.json["data"]], [m["id"] for m in reversed(sent)], "ids")
    eq(r.json["next_cursor"], None, "next_cursor")
    for listed, answered in zip(r.json["data"], reversed(sent)):
        for field in ("id", "org_id", "env_id", "application_id", "event_type", "payload",
                      "created_at"):
            eq(listed[field], answered[field], field)
    eq(json.loads(r.json["data"][-1]["payload"]), {"n": 0}, "payload, stored JSON text")
    everything = A.api.expect("GET", "/v1/messages", 200).json["data"]
    eq([m["id"] for m in everything], [other["id"]] + [m["id"] for m in reversed(sent)],
       "every message of the workspace")
    eq(everything[0]["env_id"], "", "no environment")


@hftest.test
def pages_neither_repeat_nor_skip_while_messages_arrive():
    before = [m["id"] for m in A.api.list_all("/v1/messages")]
    seen, cursor = [], None
    while True:
        r = A.api.expect("GET", "/v1/messages", 200, query={"limit": 2, "cursor": cursor})
        assert len(r.json["data"]) <= 2, r
        seen.extend(m["id"] for m in r.json["data"])
        A.send(event_type="late.arrival")     # newer than every row of the walk
        cursor = r.json["next_cursor"]
        if cursor is None:
            break
    eq(seen, before, "rows of the walk")
    eq(len(set(seen)), len(seen), "no repeats")
    now = [m["id"] for m in A.api.list_all("/v1/messages", limit=3)]
    eq(now[len(now) - len(before):], before, "the old rows, after the new ones")
    eq(sorted(now, reverse=True), now, "newest first")


@hftest.test
def message_filters():
    get = lambda **q: [m["id"] for m in A.api.expect("GET", "/v1/messages", 200,
                                                      query=q).json["data"]]
    eq(get(event_type="order.refunded"), [sent[3]["id"]], "event_type")
    eq(get(event_type="user.created", application_id=A.other_app), [other["id"]],
       "event_type and application_id")
    eq(get(application_id=A.other_app, event_type="order.paid"), [], "no match")
    eq(set(get(application_id=A.app, event_type="order.paid")),
       {m["id"] for m in sent[:3]}, "application_id")
    first, last = sent[0]["created_at"], sent[3]["created_at"]
    eq(get(before=first, application_id=A.app), [], "before the first")
    ids = get(after=first, application_id=A.app, event_type="order.paid")
    assert sent[0]["id"] not in ids, ids
    eq(get(after="2000-01-01T00:00:00+01:00", before="2000-01-02T00:00:00Z"), [],
       "an old window")
    # The same instant in another zone: before 1 ms after the last is the last too.
    assert sent[3]["id"] in get(before="2999-01-01T00:00:00.000-05:00"), "zone offset"
    eq(get(after=last, before=last), [], "an empty window")
    eq(get(status="delivered", application_id=A.app), [], "status: none delivered yet")
    eq(get(status="delivered", application_id=A.other_app), [other["id"]], "status")


@hftest.test
def message_with_its_deliveries_and_attempts():
    m = sent[0]
    for path in ("/v1/messages/%s" % m["id"],
                 "/v1/applications/%s/messages/%s" % (A.app, m["id"])):
        r = A.api.expect("GET", path, 200)
        eq(r.json["message"]["id"], m["id"], "message")
        by_endpoint = {d["endpoint_id"]: d for d in r.json["deliveries"]}
        eq(sorted(by_endpoint), sorted([A.ep_ok, A.ep_bad]), "deliveries")
        good = by_endpoint[A.ep_ok]
        eq((good["status"], good["last_status_code"]), ("succeeded", 200), "the good delivery")
        eq([(a["attempt_number"], a["status_code"], a["response_excerpt_encoding"])
            for a in good["attempts"]], [(1, 200, "utf-8")], "its attempts")
    r = A.api.expect("GET", "/v1/messages/%s" % m["id"], 200)
    bad = [d for d in r.json["deliveries"] if d["endpoint_id"] == A.ep_bad][0]
    eq([(a["attempt_number"], a["status_code"]) for a in bad["attempts"]], [(1, 500)],
       "attempts of the failing delivery")
    eq(bad["attempts"][0]["response_excerpt_encoding"], "base64", "binary excerpt")
    eq(base64.b64decode(bad["attempts"][0]["response_excerpt"]), BINARY, "excerpt bytes")
    eq(A.api.expect("GET", "/v1/messages/%s" % m["id"], 200).json["message"]["status"],
       "pending", "a message with a delivery still retrying")


@hftest.test
def deliveries_list_filters_and_one_delivery():
    good = delivery_of(sent[1]["id"], A.ep_ok)
    eq(good["status"], "succeeded", "status")
    eq(good["next_attempt_at"], None, "nothing waiting")
    bad = delivery_of(sent[1]["id"], A.ep_bad)
    eq(bad["status"], "pending", "a retry waiting")
    assert bad["next_attempt_at"] is not None, bad
    statuses = {d["status"] for d in A.api.list_all("/v1/deliveries", status="succeeded")}
    eq(statuses, {"succeeded"}, "status filter")
    of_endpoint = A.api.list_all("/v1/deliveries", limit=2, endpoint_id=A.ep_bad)
    eq({d["endpoint_id"] for d in of_endpoint}, {A.ep_bad}, "endpoint filter")
    eq(len(of_endpoint), len({d["id"] for d in of_endpoint}), "pages repeat nothing")
    one = A.api.expect("GET", "/v1/deliveries/%s" % bad["id"], 200).json
    eq([a["attempt_number"] for a in one["attempt_list"]], [1], "attempt_list")
    eq(one["attempt_list"][0]["status_code"], 500, "status code")
    eq({k: v for k, v in one.items() if k != "attempt_list"}, bad, "as listed")


@hftest.test
def retry_of_a_failed_delivery_and_refusals():
    bad = delivery_of(sent[2]["id"], A.ep_bad)
    db.root_sql("USE hookfan; UPDATE deliveries SET status = 'failed', due_at = NULL"
                " WHERE id = '%s'" % bad["id"])
    r = A.api.expect("POST", "/v1/deliveries/%s/retry" % bad["id"], 200)
    eq(r.json["status"], "pending", "pending again")
    assert r.json["next_attempt_at"] is not None, r
    bad_receiver.default = "200"
    try:
        sweeptest.sweep(db)
    finally:
        bad_receiver.default = ("status", 500, {}, BINARY)
    one = A.api.expect("GET", "/v1/deliveries/%s" % bad["id"], 200).json
    eq(one["status"], "succeeded", "after the retry")
    eq([a["status_code"] for a in one["attempt_list"]][-1], 200, "the new attempt")
    # Being sent now: 409.
    db.root_sql("USE hookfan; UPDATE deliveries SET lease_token = REPEAT('x', 32),"
                " status = 'pending', due_at = NOW(3) + INTERVAL 1 HOUR WHERE id = '%s'"
                % bad["id"])
    eq(delivery_of(sent[2]["id"], A.ep_bad)["status"], "sending", "shown as sending")
    A.api.expect("POST", "/v1/deliveries/%s/retry" % bad["id"], 409, code="conflict")
    db.root_sql("USE hookfan; UPDATE deliveries SET lease_token = '', status = 'failed',"
                " due_at = NULL WHERE id = '%s'" % bad["id"])
    # Its endpoint disabled: 409, nothing changed.
    db.admin("endpoint", "disable", "--endpoint", A.ep_bad)
    try:
        A.api.expect("POST", "/v1/deliveries/%s/retry" % bad["id"], 409, code="conflict")
        eq(delivery_of(sent[2]["id"], A.ep_bad)["status"], "failed", "unchanged")
    finally:
        db.admin("endpoint", "enable", "--endpoint", A.ep_bad)
    A.api.expect("POST", "/v1/deliveries/%s/retry" % bad["id"], 400,
                 body={"now": True}, code="invalid_request")


@hftest.test
def resend_makes_new_deliveries_once_per_idempotency_key():
    m = sent[1]["id"]
    count = lambda: int(db.value("SELECT COUNT(*) FROM deliveries WHERE message_id = '%s'" % m))
    first = count()
    r = A.api.expect("POST", "/v1/messages/%s/resend" % m, 201, idempotency_key="resend-1")
    eq(r.json["message_id"], m, "message_id")
    eq(len(r.json["delivery_ids"]), 2, "one per endpoint")
    again = A.api.expect("POST", "/v1/messages/%s/resend" % m, 201, idempotency_key="resend-1")
    eq(again.body, r.body, "the first answer again")
    eq(count(), first + 2, "one effect")
    A.api.expect("POST", "/v1/messages/%s/resend" % m, 422, body={"x": 1},
                 idempotency_key="resend-1", code="idempotency_key_reused")
    listed = {d["id"] for d in A.api.list_all("/v1/deliveries", message_id=m)}
    assert set(r.json["delivery_ids"]) <= listed, (r.json, listed)
    A.api.expect("POST", "/v1/messages/%s/resend" % m, 400, body={"all": True},
                 code="invalid_request")
    eq(count(), first + 2, "the refusals changed nothing")


@hftest.test
def every_bad_query_is_a_400_naming_the_field():
    cases = [
        ("/v1/messages", {"before": "yesterday"}, "invalid_request", "before"),
        ("/v1/messages", {"after": "2026-02-31T00:00:00Z"}, "invalid_request", "after"),
        ("/v1/messages", {"after": "2026-01-01T00:00:00"}, "invalid_request", "after"),
        ("/v1/messages", {"event_type": "bad type"}, "invalid_request", "event_type"),
        ("/v1/messages", {"application_id": "not an id!"}, "invalid_request", "application_id"),
        ("/v1/messages", {"limit": "0"}, "invalid_request", "limit"),
        ("/v1/messages", {"limit": "101"}, "invalid_request", "limit"),
        ("/v1/messages", {"cursor": "garbage"}, "invalid_cursor", "cursor"),
        ("/v1/messages", {"cursor": delivery_of(sent[0]["id"], A.ep_ok)["id"]},
         "invalid_cursor", "cursor"),
        ("/v1/messages", {"colour": "red"}, "invalid_request", "colour"),
        ("/v1/messages", {"status": "sending"}, "invalid_request", "status"),
        ("/v1/applications/%s/messages" % A.app, {"application_id": A.app},
         "invalid_request", "application_id"),
        ("/v1/deliveries", {"status": "lost"}, "invalid_request", "status"),
        ("/v1/deliveries", {"endpoint_id": "x y"}, "invalid_request", "endpoint_id"),
        ("/v1/deliveries", {"message_id": "x;y"}, "invalid_request", "message_id"),
        ("/v1/deliveries", {"cursor": sent[0]["id"]}, "invalid_cursor", "cursor"),
    ]
    for path, query, code, field in cases:
        r = A.api.expect("GET", path, 400, query=query, code=code)
        assert field in r.json["message"], (path, query, r.json)


@hftest.test
def unknown_and_other_tenants_objects_are_404():
    b_delivery = delivery_of(b_message["id"], B.ep_ok, api=B.api)["id"]
    unknown_message = "msg_" + "0" * 26
    for m in (b_message["id"], unknown_message):
        A.api.expect("GET", "/v1/messages/%s" % m, 404, code="not_found")
        A.api.expect("GET", "/v1/applications/%s/messages/%s" % (A.app, m), 404)
        A.api.expect("POST", "/v1/messages/%s/resend" % m, 404, code="not_found")
        A.api.expect("GET", "/v1/deliveries", 404, query={"message_id": m})
    # A's message under another application of A, or under B's application.
    A.api.expect("GET", "/v1/applications/%s/messages/%s" % (A.other_app, sent[0]["id"]), 404)
    A.api.expect("GET", "/v1/applications/%s/messages/%s" % (B.app, sent[0]["id"]), 404)
    for d in (b_delivery, "del_" + "0" * 26):
        A.api.expect("GET", "/v1/deliveries/%s" % d, 404, code="not_found")
        A.api.expect("POST", "/v1/deliveries/%s/retry" % d, 404, code="not_found")
    for app in (B.app, "app_" + "0" * 26):
        A.api.expect("GET", "/v1/applications/%s/messages" % app, 404, code="not_found")
        A.api.expect("GET", "/v1/messages", 404, query={"application_id": app})
    for ep in (B.ep_ok, "ep_" + "0" * 26):
        A.api.expect("GET", "/v1/deliveries", 404, query={"endpoint_id": ep})
    # And B's lists hold nothing of A's.
    eq({m["org_id"] for m in B.api.list_all("/v1/messages")}, {B.ws}, "B's log")


@hftest.test
def an_environment_key_sees_its_environment_only():
    prod = A.api.with_key(A.prod_key)
    eq({m["id"] for m in prod.list_all("/v1/messages")},
       {m["id"] for m in A.api.list_all("/v1/messages", application_id=A.app)},
       "prod's messages")
    prod.expect("GET", "/v1/messages/%s" % other["id"], 404, code="not_found")
    prod.expect("GET", "/v1/applications/%s/messages" % A.other_app, 404)
    prod.expect("GET", "/v1/deliveries", 404, query={"endpoint_id": A.ep_other})
    outside = delivery_of(other["id"], A.ep_other)["id"]
    prod.expect("GET", "/v1/deliveries/%s" % outside, 404)
    prod.expect("POST", "/v1/deliveries/%s/retry" % outside, 404)
    prod.expect("POST", "/v1/messages/%s/resend" % other["id"], 404)
    eq({d["endpoint_id"] for d in prod.list_all("/v1/deliveries")}, {A.ep_ok, A.ep_bad},
       "prod's deliveries")


@hftest.test
def keys_that_cannot_read_the_log():
    for path in ("/v1/messages", "/v1/deliveries", "/v1/messages/%s" % sent[0]["id"]):
        A.api.expect("GET", path, 403, key=A.ingest_key, code="forbidden")
        A.api.expect("GET", path, 401, key="", code="unauthorized")
        A.api.expect("GET", path, 401, key="hfm_" + "0" * 64, code="unauthorized")
    x_api_key = mgmtclient.Client(lighttpd, A.key, header="x-api-key")
    x_api_key.expect("GET", "/v1/deliveries", 200, query={"message_id": sent[0]["id"]})


@hftest.test
def through_apache_send_list_show_and_retry():
    apache = webservers.Apache(db)
    api = mgmtclient.Client(apache, A.key)
    m = A.send(server=apache, event_type="via.apache")
    r = api.expect("GET", "/v1/applications/%s/messages" % A.app, 200, query={"limit": 1})
    eq(r.json["data"][0]["id"], m["id"], "newest first")
    sweeptest.sweep(db)
    shown = api.expect("GET", "/v1/messages/%s" % m["id"], 200).json
    bad = [d for d in shown["deliveries"] if d["endpoint_id"] == A.ep_bad][0]
    sweeptest.retire(db, A.ep_bad)
    r = api.expect("POST", "/v1/deliveries/%s/retry" % bad["id"], 200, idempotency_key="ap-1")
    eq(r.json["status"], "pending", "retried")
    again = api.expect("POST", "/v1/deliveries/%s/retry" % bad["id"], 200, idempotency_key="ap-1")
    eq(again.body, r.body, "replayed")
    sweeptest.retire(db, A.ep_bad)


hftest.main()

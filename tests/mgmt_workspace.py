#!/usr/bin/env python3
"""GET and PATCH /v1/workspace through a real lighttpd and a real Apache +
mod_fcgid: the key's workspace, and its ops endpoint named over HTTP,
which then receives endpoint.disabled (checked with the standardwebhooks
verifier); every refusal (unknown field, wrong type, another workspace's
or a deleted endpoint, an environment key, an ingest key), and that
deleting the ops endpoint clears it, also when the two race; its events
are listed for workspace keys only, not for an application's listing, its
portal or an environment key, even with the ops endpoint in them."""
import json
import os
import re
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hfids  # noqa: E402
import hftest  # noqa: E402
import mgmtclient  # noqa: E402
import sweeptest as st  # noqa: E402
import webservers  # noqa: E402
from hftest import eq  # noqa: E402
from receivers import Receiver  # noqa: E402

db = st.start_db()
servers = webservers.start_all(db)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
URL = "http://127.0.0.1:9/hook"


class Tenant:
    """A workspace with an environment, a management key of the whole
    workspace, one of the environment, and an ingest key."""

    def __init__(self, server):
        a = db.admin
        self.ws = st.workspace(db)
        env = a("env", "create", "--workspace", self.ws, "--name", "prod")["id"]
        self.api = mgmtclient.Client(server, a("key", "create", "--workspace", self.ws,
                                               "--management")["key"])
        self.env_api = self.api.with_key(a("key", "create", "--workspace", self.ws,
                                           "--env", env, "--management")["key"])
        self.ingest_api = self.api.with_key(a("key", "create", "--workspace", self.ws)["key"])

    def stored(self):
        return db.value("SELECT ops_endpoint_id FROM workspaces WHERE id = '%s'" % self.ws)

    def set_ops(self, endpoint_id):
        r = self.api.expect("PATCH", "/v1/workspace", 200, {"ops_endpoint_id": endpoint_id})
        eq(r.json["ops_endpoint_id"], endpoint_id, "PATCH answers the new ops endpoint")
        eq(self.stored(), endpoint_id, "stored")
        return r.json


def refused(r, status, code, what, names=None):
    eq((r.status, r.code), (status, code), "%s: %r" % (what, r))
    if names is not None and names not in r.json["message"]:
        raise AssertionError("%s: message %r does not name %r" % (what, r.json["message"], names))


@hftest.test
def get_and_patch_the_ops_endpoint():
    for server in servers:
        t = Tenant(server)
        w = t.api.expect("GET", "/v1/workspace", 200).json
        eq(sorted(w), ["created_at", "id", "max_payload_bytes", "name", "ops_endpoint_id"],
           server.name + " fields")
        eq((w["id"], w["ops_endpoint_id"], w["max_payload_bytes"]), (t.ws, None, None),
           server.name + " a new workspace")
        assert w["name"].startswith("ws") and ISO.match(w["created_at"]), w
        db.root_sql("USE hookfan; UPDATE workspaces SET max_payload_bytes = 4096"
                    " WHERE id = '%s'" % t.ws)
        eq(t.api.get("/v1/workspace").json["max_payload_bytes"], 4096, "its own cap")
        ep = t.api.expect("POST", "/v1/endpoints", 201, {"url": URL}).json["id"]
        changed = t.set_ops(ep)
        eq(changed, dict(w, ops_endpoint_id=ep, max_payload_bytes=4096), "the rest unchanged")
        eq(t.api.get("/v1/workspace").json, changed, "GET shows it")
        eq(t.api.expect("PATCH", "/v1/workspace", 200, {}).json, changed, "{} keeps it")
        eq(t.env_api.expect("GET", "/v1/workspace", 200).json, changed,
           "an environment key reads its workspace")
        eq(t.set_ops(None)["ops_endpoint_id"], None, "null clears it")


@hftest.test
def every_refusal_changes_nothing():
    for server in servers:
        t = Tenant(server)
        ep = t.api.expect("POST", "/v1/endpoints", 201, {"url": URL}).json["id"]
        t.set_ops(ep)
        other = Tenant(server)
        theirs = other.api.expect("POST", "/v1/endpoints", 201, {"url": URL}).json["id"]
        gone = t.api.expect("POST", "/v1/endpoints", 201, {"url": URL}).json["id"]
        t.api.expect("DELETE", "/v1/endpoints/" + gone, 204)
        p = lambda body, api=t.api: api.patch("/v1/workspace", body)  # noqa: E731
        refused(p({"ops_endpoint_id": ep, "name": "x"}), 400, "invalid_request",
                "unknown field", "name")
        refused(p({"ops_endpoint_id": 7}), 400, "invalid_request", "a number", "ops_endpoint_id")
        refused(p({"ops_endpoint_id": [ep]}), 400, "invalid_request", "an array",
                "ops_endpoint_id")
        refused(p({"ops_endpoint_id": "ep x"}), 400, "invalid_request", "not an id",
                "ops_endpoint_id")
        refused(t.api.request("PATCH", "/v1/workspace", raw=b"[]"), 400, "invalid_request",
                "not an object")
        unknown = p({"ops_endpoint_id": theirs})
        refused(unknown, 404, "not_found", "another workspace's endpoint", theirs)
        assert "another" not in unknown.json["message"], unknown
        refused(p({"ops_endpoint_id": gone}), 404, "not_found", "a deleted endpoint", gone)
        nobody = hfids.new_id("ep", hfids.now_ms())
        refused(p({"ops_endpoint_id": nobody}), 404, "not_found", "an unknown endpoint",
                nobody)
        refused(p({"ops_endpoint_id": None}, t.env_api), 403, "forbidden", "environment key")
        refused(p({"ops_endpoint_id": None}, t.ingest_api), 403, "forbidden", "ingest key")
        refused(t.ingest_api.get("/v1/workspace"), 403, "forbidden", "ingest key GET")
        refused(t.api.with_key("hf_nope").get("/v1/workspace"), 401, "unauthorized", "bad key")
        eq(t.stored(), ep, server.name + " unchanged by the refusals")
        eq(other.stored(), None, "the other workspace unchanged")
    r = db.run_admin("workspace", "set", "--workspace", t.ws, "--ops-endpoint", gone)
    eq(r.returncode, 1, "workspace set refuses a deleted endpoint too: %s" % r.stderr)
    assert "unknown endpoint" in r.stderr, r.stderr


@hftest.test
def the_ops_endpoint_set_over_http_hears_of_a_410():
    t = Tenant(servers[0])
    ops = Receiver(default="200")
    made = t.api.expect("POST", "/v1/endpoints", 201, {"url": ops.url}).json
    secret = t.api.expect("GET", "/v1/endpoints/%s/secret" % made["id"], 200).json
    t.set_ops(made["id"])
    gone = Receiver(default="410")
    ep = st.endpoint(db, gone.url, t.ws)[0]
    st.messages(db, t.ws, [ep])
    st.sweep(db)    # the 410: disabled, and the event made
    st.sweep(db)    # the event sent
    for verdict, error in st.verify([(secret["secret"], r) for r in ops.requests]):
        assert verdict, "signature refused: %s" % error
    got = [json.loads(r.body) for r in ops.requests]
    eq([(e["type"], e["data"]["endpointId"], e["data"]["trigger"]) for e in got],
       [("endpoint.disabled", ep, "automatic")], "one endpoint.disabled: %r" % got)


@hftest.test
def ops_events_are_seen_by_workspace_keys_only():
    t = Tenant(servers[0])
    app = t.env_api.expect("POST", "/v1/applications", 201, {"name": "Shop"}).json["id"]
    ops = Receiver(default="200")
    ops_ep = t.env_api.expect("POST", "/v1/applications/%s/endpoints" % app, 201,
                              {"url": ops.url}).json["id"]
    t.set_ops(ops_ep)
    gone = Receiver(default="410")
    ep = st.endpoint(db, gone.url, t.ws)[0]
    st.messages(db, t.ws, [ep])
    st.sweep(db)    # the 410: disabled, and the event made
    [event] = [r[0] for r in db.rows("SELECT id FROM messages WHERE workspace_id = '%s'"
                                     " AND event_type = 'endpoint.disabled'" % t.ws)]
    ids = lambda api, path: [m["id"] for m in api.list_all(path)]  # noqa: E731
    assert event in ids(t.api, "/v1/messages"), "a workspace key lists it"
    t.api.expect("GET", "/v1/messages/" + event, 200)
    assert event not in ids(t.api, "/v1/applications/%s/messages" % app), \
        "the ops endpoint's application lists it"
    t.api.expect("GET", "/v1/applications/%s/messages/%s" % (app, event), 404)
    assert event not in ids(t.env_api, "/v1/messages"), "an environment key lists it"
    t.env_api.expect("GET", "/v1/messages/" + event, 404)
    url = t.api.expect("POST", "/v1/applications/%s/portal" % app, 201, {}).json["url"]
    customer = t.api.with_key(url.split("#portal=")[1].split("&")[0])
    assert event not in ids(customer, "/v1/applications/%s/messages" % app), \
        "the application's portal lists it"
    customer.expect("GET", "/v1/applications/%s/messages/%s" % (app, event), 404)
    eq(db.value("SELECT environment_id IS NULL AND application_id IS NULL FROM messages"
                " WHERE id = '%s'" % event), "1", "stored with neither")


@hftest.test
def deleting_the_ops_endpoint_clears_it():
    for server in servers:
        t = Tenant(server)
        ep = t.api.expect("POST", "/v1/endpoints", 201, {"url": URL}).json["id"]
        plain = t.api.expect("POST", "/v1/endpoints", 201, {"url": URL}).json["id"]
        t.set_ops(ep)
        t.api.expect("DELETE", "/v1/endpoints/" + plain, 204)
        eq(t.stored(), ep, server.name + " another endpoint's deletion keeps it")
        t.api.expect("DELETE", "/v1/endpoints/" + ep, 204)
        eq(t.stored(), None, server.name + " deleting it clears it")
        eq(t.api.get("/v1/workspace").json["ops_endpoint_id"], None, "GET shows none")


@hftest.test
def naming_an_endpoint_while_it_is_deleted_never_keeps_it():
    t = Tenant(servers[0])
    outcomes = set()
    for _ in range(12):
        ep = t.api.expect("POST", "/v1/endpoints", 201, {"url": URL}).json["id"]
        answers = {}
        start = threading.Barrier(2)

        def run(name, method, path, body=None):
            start.wait()
            answers[name] = t.api.request(method, path, body=body).status

        threads = [threading.Thread(target=run, args=("patch", "PATCH", "/v1/workspace",
                                                      {"ops_endpoint_id": ep})),
                   threading.Thread(target=run, args=("delete", "DELETE", "/v1/endpoints/" + ep))]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        eq(answers.get("delete"), 204, "the deletion")
        assert answers.get("patch") in (200, 404), answers
        outcomes.add(answers["patch"])
        eq(t.stored(), None, "a deleted endpoint is never left as the ops endpoint (%r)" % answers)
    print("# PATCH answers seen: %s" % sorted(outcomes), flush=True)


hftest.main()

"""Idempotency-Key is per API key, through a real lighttpd and a real
Apache + mod_fcgid against a real MariaDB: another caller's request under
the same header runs its own handler (its reach checks: 404, never the
first caller's answer, never 422) on rotate-secret, POST /v1/keys and
send-message; no stored row holds a secret, a new key or the header in
plain text; a changed stored answer is a 422, not a crash; the same
caller's replay is still the first answer byte for byte."""
import base64
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import mgmtclient  # noqa: E402
import webservers  # noqa: E402
from hftest import eq  # noqa: E402

db = hftest.MariaDB.start()
servers = webservers.start_all(db)
URL = "http://127.0.0.1:9/hook"


class Tenant:
    """A workspace with environments E1 and E2, an endpoint in each, a
    management key of the whole workspace and one of E2, a workspace
    ingest key and an ingest key scoped to E1's endpoint."""

    def __init__(self):
        a = db.admin
        self.ws = a("workspace", "create", "--name", "w")["id"]
        self.e1 = a("env", "create", "--workspace", self.ws, "--name", "e1")["id"]
        self.e2 = a("env", "create", "--workspace", self.ws, "--name", "e2")["id"]
        self.app = a("app", "create", "--workspace", self.ws, "--env", self.e1,
                     "--name", "a")["id"]
        self.ep1 = a("endpoint", "create", "--workspace", self.ws, "--app", self.app,
                     "--url", URL)["id"]
        self.key = a("key", "create", "--workspace", self.ws, "--management")["key"]
        self.e2_key = a("key", "create", "--workspace", self.ws, "--env", self.e2,
                        "--management")["key"]
        self.ingest_key = a("key", "create", "--workspace", self.ws)["key"]
        self.ep_key = a("key", "create", "--workspace", self.ws, "--endpoint",
                        self.ep1)["key"]


def replayed(r):
    return r.headers.get("idempotent-replayed") == "true"


def same_answer(first, again, what):
    eq((again.status, again.body), (first.status, first.body), what + ", byte for byte")
    eq(replayed(again), True, what + " marked as a replay")


@hftest.test
def another_key_with_the_same_header_runs_its_own_handler():
    t = Tenant()
    for server in servers:
        n = server.name
        ws = mgmtclient.Client(server, t.key)
        e2 = ws.with_key(t.e2_key)
        k = "rotate-" + n
        path = "/v1/endpoints/%s/rotate-secret" % t.ep1
        first = ws.expect("POST", path, 200, {"grace_hours": 0}, idempotency_key=k)
        assert first.json["secret"].startswith("whsec_"), first
        r = e2.expect("POST", path, 404, {"grace_hours": 0}, code="not_found",
                      idempotency_key=k)
        eq(replayed(r), False, n + " E2's key: its own 404, not a replay")
        assert b"whsec_" not in r.body, r
        eq(ws.expect("GET", "/v1/endpoints/%s/secret" % t.ep1, 200).json["secret"],
           first.json["secret"], n + " the secret E2's key asked for is unchanged")
        same_answer(first, ws.expect("POST", path, 200, {"grace_hours": 0},
                                     idempotency_key=k), n + " the first caller's replay")
        ws.expect("POST", path, 422, {"grace_hours": 1}, code="idempotency_key_reused",
                  idempotency_key=k)

        # POST /v1/keys: E2's key cannot make a key in E1.
        k = "key-" + n
        made = ws.expect("POST", "/v1/keys", 201, {"env_id": t.e1}, idempotency_key=k)
        assert made.json["key"].startswith("hfk_"), made
        r = e2.request("POST", "/v1/keys", {"env_id": t.e1}, idempotency_key=k)
        assert r.status in (403, 404) and not replayed(r), r
        assert b"hfk_" not in r.body, r
        same_answer(made, ws.expect("POST", "/v1/keys", 201, {"env_id": t.e1},
                                    idempotency_key=k), n + " the key's replay")

        # A header claimed first by another key blocks nobody, and stays
        # that key's own.
        k = "pre-claimed-" + n
        e2.expect("POST", "/v1/applications", 201, {"name": "squatter"}, idempotency_key=k)
        ws.expect("POST", path, 200, {"grace_hours": 0}, idempotency_key=k)
        e2.expect("POST", "/v1/applications", 422, {"name": "another"},
                  code="idempotency_key_reused", idempotency_key=k)


@hftest.test
def send_message_keys_are_per_ingest_key():
    t = Tenant()
    body = {"event_type": "order.paid", "payload": {"n": 1}}
    path = "/v1/applications/%s/messages" % t.app
    for server in servers:
        n = server.name
        k = "msg-" + n
        whole = mgmtclient.Client(server, t.ingest_key)
        scoped = whole.with_key(t.ep_key)
        first = whole.expect("POST", path, 201, body, idempotency_key=k)
        own = scoped.expect("POST", path, 201, body, idempotency_key=k)
        eq(replayed(own), False, n + " the endpoint key's own answer")
        assert own.json["message"]["id"] != first.json["message"]["id"], (own, first)
        same_answer(first, whole.expect("POST", path, 201, body, idempotency_key=k),
                    n + " the workspace key's replay")
        same_answer(own, scoped.expect("POST", path, 201, body, idempotency_key=k),
                    n + " the endpoint key's replay")
        scoped.expect("POST", path, 422, {"event_type": "order.paid", "payload": {}},
                      code="idempotency_key_reused", idempotency_key=k)
        eq(db.value("SELECT COUNT(*) FROM messages WHERE id IN ('%s', '%s')"
                    % (first.json["message"]["id"], own.json["message"]["id"])), "2",
           n + " two messages")


@hftest.test
def no_row_holds_a_secret_a_key_or_the_header_in_plain_text():
    t = Tenant()
    ws = mgmtclient.Client(servers[0], t.key)
    header = "plain-text-probe-3f9a"
    rotated = ws.expect("POST", "/v1/endpoints/%s/rotate-secret" % t.ep1, 200, {},
                        idempotency_key=header + "-1").json["secret"]
    made = ws.expect("POST", "/v1/keys", 201, {}, idempotency_key=header + "-2").json["key"]
    ep = ws.expect("POST", "/v1/endpoints", 201, {"url": URL},
                   idempotency_key=header + "-3").json["secret"]
    rows = db.rows("SELECT workspace_id, idempotency_key, request_hash, status, body"
                   " FROM idempotency_keys WHERE workspace_id = '%s'" % t.ws)
    eq(len(rows), 3, "three answers kept")
    for row in rows:
        texts = [" ".join(row).encode()]
        texts.append(base64.b64decode(row[4]))     # in case it were plain base64
        for text in texts:
            for secret in ("whsec_", "hfk_", header, rotated[6:], made[4:], ep[6:]):
                assert secret.encode() not in text, (secret, row)
        eq(len(row[1]), 64, "the stored key is a hash")

    # A stored answer changed under the caller is a 422 (it does not
    # open), never a crash or the changed bytes.
    db.root_sql("USE hookfan; UPDATE idempotency_keys SET body = CONCAT(IF(LEFT(body, 1)"
                " = 'A', 'B', 'A'), SUBSTRING(body, 2)) WHERE workspace_id = '%s'" % t.ws)
    for server in servers:
        ws = mgmtclient.Client(server, t.key)
        ws.expect("POST", "/v1/keys", 422, {}, code="idempotency_key_reused",
                  idempotency_key=header + "-2")
        ws.expect("POST", "/v1/endpoints", 422, {"url": URL},
                  code="idempotency_key_reused", idempotency_key=header + "-3")


hftest.main()

"""Both seed APIs through a real lighttpd and a real Apache + mod_fcgid,
against a real MariaDB: shapes, status and error codes, scope rules,
strict input, and the rows that land (or don't)."""
import json
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import webservers  # noqa: E402
from hftest import eq  # noqa: E402

CAP = 65536          # max_payload_bytes for this file
MAX_PENDING = 3      # max_pending_per_endpoint for this file
db = hftest.MariaDB.start(max_payload_bytes=CAP, max_pending_per_endpoint=MAX_PENDING)
servers = webservers.start_all(db)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


class World:
    """A fresh workspace: an environment, applications, endpoints, keys."""

    def __init__(self, max_payload=None):
        a = db.admin
        extra = ["--max-payload-bytes", str(max_payload)] if max_payload else []
        self.ws = a("workspace", "create", "--name", "w", *extra)["id"]
        self.env = a("env", "create", "--workspace", self.ws, "--name", "prod")["id"]
        self.app = a("app", "create", "--workspace", self.ws, "--env", self.env,
                     "--name", "billing")["id"]
        self.app_noenv = a("app", "create", "--workspace", self.ws, "--name", "plain")["id"]
        self.app_off = a("app", "create", "--workspace", self.ws, "--name", "off",
                         "--inactive")["id"]
        url = "http://127.0.0.1:9/hook"
        # every type, no environment
        self.ep_all = a("endpoint", "create", "--workspace", self.ws, "--url", url)["id"]
        # order.paid only, in the environment
        self.ep_env = a("endpoint", "create", "--workspace", self.ws, "--env", self.env,
                        "--url", url, "--event-type", "order.paid")["id"]
        # the application's endpoint, every type
        self.ep_app = a("endpoint", "create", "--workspace", self.ws, "--app", self.app,
                        "--url", url)["id"]
        # the application's second endpoint, invoice.paid only
        self.ep_app2 = a("endpoint", "create", "--workspace", self.ws, "--app", self.app,
                         "--url", url, "--event-type", "invoice.paid")["id"]
        # subscribed to everything but disabled
        self.ep_off = a("endpoint", "create", "--workspace", self.ws, "--url", url)["id"]
        a("endpoint", "disable", "--endpoint", self.ep_off)
        # another type only
        self.ep_other = a("endpoint", "create", "--workspace", self.ws, "--url", url,
                          "--event-type", "user.created")["id"]
        self.key = a("key", "create", "--workspace", self.ws)["key"]
        self.env_key = a("key", "create", "--workspace", self.ws, "--env", self.env)["key"]
        self.ep_key = a("key", "create", "--workspace", self.ws,
                        "--endpoint", self.ep_app)["key"]
        revoked = a("key", "create", "--workspace", self.ws)
        a("key", "revoke", "--key-id", revoked["id"])
        self.revoked_key = revoked["key"]

    def messages(self):
        return db.rows("SELECT id, environment_id, application_id, event_type, payload,"
                       " metadata, status FROM messages WHERE workspace_id = '%s'"
                       " ORDER BY id" % self.ws)

    def deliveries(self, message_id):
        return db.rows("SELECT id, endpoint_id, status, attempts, due_at IS NOT NULL"
                       " FROM deliveries WHERE message_id = '%s' ORDER BY id" % message_id)

    def delivery_count(self):
        return int(db.value("SELECT COUNT(*) FROM deliveries d JOIN messages m"
                            " ON m.id = d.message_id WHERE m.workspace_id = '%s'" % self.ws))


def trigger(server, key, event_type="order.paid", body=None, **kw):
    if body is None:
        body = {"payload": {"orderId": "ord_123", "status": "paid"},
                "metadata": {"source": "checkout-service"}}
    return server.api("POST", "/api/ingest/event/" + event_type, body, key=key, **kw)


def send(server, key, app, body=None, **kw):
    if body is None:
        body = {"event_type": "invoice.paid", "payload": None}
    return server.api("POST", "/v1/applications/%s/messages" % app, body, key=key, **kw)


def expect_error(result, status, code, what):
    got_status, headers, body = result
    eq(got_status, status, what + " status")
    eq(headers.get("content-type"), "application/json", what + " content type")
    eq(sorted(body.keys()), ["code", "message"], what + " error keys")
    eq(body["code"], code, what + " code")
    if not body["message"]:
        raise AssertionError(what + ": empty message")
    return headers


def expect_nothing_stored(world, what):
    eq(len(world.messages()), 0, what + ": messages stored")
    eq(world.delivery_count(), 0, what + ": deliveries stored")


@hftest.test
def trigger_fans_out_to_every_subscribed_active_endpoint():
    for server in servers:
        w = World()
        status, headers, body = trigger(server, w.key)
        eq(status, 202, server.name)
        eq(headers["content-type"], "application/json")
        eq(sorted(body.keys()), ["deliveryIds", "eventTypeId", "failures", "status"])
        eq(body["status"], "accepted")
        eq(body["failures"], [])
        if not body["eventTypeId"].startswith("evt_"):
            raise AssertionError("eventTypeId %r" % body["eventTypeId"])
        eq(len(body["deliveryIds"]), 3, "ep_all, ep_env, ep_app")
        messages = w.messages()
        eq(len(messages), 1, "one message")
        mid, env, app, etype, payload, metadata, mstatus = messages[0]
        eq((env, app, etype, mstatus), (None, None, "order.paid", "pending"))
        eq(json.loads(payload), {"orderId": "ord_123", "status": "paid"})
        eq(json.loads(metadata), {"source": "checkout-service"})
        rows = w.deliveries(mid)
        eq(sorted(r[0] for r in rows), sorted(body["deliveryIds"]), "one row per id")
        eq(sorted(r[1] for r in rows), sorted([w.ep_all, w.ep_env, w.ep_app]), "endpoints")
        for r in rows:
            eq(r[2:], ("pending", "0", "1"), "new delivery state")
        eq(db.value("SELECT event_type_id FROM messages WHERE id = '%s'" % mid),
           body["eventTypeId"])
        # The same type keeps its id.
        again = trigger(server, w.key)[2]
        eq(again["eventTypeId"], body["eventTypeId"], "stable event type id")


@hftest.test
def trigger_seed_curl_example_body():
    body = ('{\n"payload": { "orderId": "ord_123", "status": "paid" },\n'
            '"metadata": { "source": "checkout-service" }\n}')
    for server in servers:
        w = World()
        status, _, answer = server.api("POST", "/api/ingest/event/order.paid", body,
                                       key=w.key)
        eq(status, 202, server.name)
        eq(len(answer["deliveryIds"]), 3)


@hftest.test
def trigger_with_nothing_subscribed_is_202_with_no_deliveries():
    for server in servers:
        ws = db.admin("workspace", "create", "--name", "quiet")["id"]
        db.admin("endpoint", "create", "--workspace", ws, "--url", "http://127.0.0.1:9/",
                 "--event-type", "something.else")
        key = db.admin("key", "create", "--workspace", ws)["key"]
        status, _, body = trigger(server, key, "nobody.listens")
        eq(status, 202, server.name)
        eq((body["deliveryIds"], body["failures"], body["status"]), ([], [], "accepted"))
        eq(db.rows("SELECT status FROM messages WHERE workspace_id = '%s'" % ws),
           [("no_subscribers",)])
        eq(db.value("SELECT COUNT(*) FROM deliveries d JOIN messages m ON m.id ="
                    " d.message_id WHERE m.workspace_id = '%s'" % ws), "0")


@hftest.test
def trigger_environment_key_reaches_its_environment_only():
    for server in servers:
        w = World()
        status, _, body = trigger(server, w.env_key)
        eq(status, 202, server.name)
        rows = w.deliveries(w.messages()[0][0])
        # ep_env is in the environment; ep_app through its application.
        eq(sorted(r[1] for r in rows), sorted([w.ep_env, w.ep_app]))
        eq(len(body["deliveryIds"]), 2)
        eq(w.messages()[0][1], w.env)


@hftest.test
def trigger_with_endpoint_key_is_400_invalid_api_key():
    for server in servers:
        w = World()
        expect_error(trigger(server, w.ep_key), 400, "invalid_api_key", server.name)
        expect_nothing_stored(w, server.name)


@hftest.test
def bad_keys_are_401_on_both_apis():
    for server in servers:
        w = World()
        for name, headers in [
            ("missing", {}),
            ("unknown", {"Authorization": "Bearer hfk_" + "0" * 64}),
            ("revoked", {"Authorization": "Bearer " + w.revoked_key}),
            ("basic scheme", {"Authorization": "Basic " + w.key}),
            ("empty bearer", {"Authorization": "Bearer "}),
            ("unknown x-api-key", {"X-API-Key": "nope"}),
        ]:
            what = "%s %s" % (server.name, name)
            for h in (expect_error(trigger(server, None, headers=headers), 401,
                                   "unauthorized", what),
                      expect_error(send(server, None, w.app, headers=headers), 401,
                                   "unauthorized", what)):
                # Whether refused before or after the database lookup.
                eq(h.get("www-authenticate"), "Bearer", what + " WWW-Authenticate")
        # A bad key wins over a bad body.
        expect_error(trigger(server, "hfk_nope", body="{nope"), 401, "unauthorized",
                     server.name + " bad key and bad body")
        expect_nothing_stored(w, server.name)


@hftest.test
def x_api_key_header_works_on_both_apis():
    for server in servers:
        w = World()
        eq(trigger(server, None, headers={"X-API-Key": w.key})[0], 202, server.name)
        eq(send(server, None, w.app, headers={"X-API-Key": w.key})[0], 201, server.name)


@hftest.test
def send_message_seed_example_answers_201_with_the_seed_shape():
    for server in servers:
        w = World()
        # The seed's curl line, byte for byte.
        body = '{\n"event_type": "invoice.paid",\n"payload": null\n}'
        status, headers, answer = server.api(
            "POST", "/v1/applications/%s/messages" % w.app, body, key=w.key)
        eq(status, 201, server.name)
        eq(headers["content-type"], "application/json")
        eq(list(answer.keys()), ["message"])
        m = answer["message"]
        eq(sorted(m.keys()), sorted(["id", "org_id", "env_id", "application_id",
                                     "event_type", "payload", "status", "created_at",
                                     "updated_at"]))
        eq((m["org_id"], m["env_id"], m["application_id"], m["event_type"]),
           (w.ws, w.env, w.app, "invoice.paid"))
        eq(m["payload"], "null")
        eq(m["status"], "pending")
        if not m["id"].startswith("msg_") or not ISO.match(m["created_at"]) \
                or m["updated_at"] != m["created_at"]:
            raise AssertionError("bad message fields %r" % m)
        rows = w.messages()
        eq([(r[0], r[1], r[2], r[3], r[4]) for r in rows],
           [(m["id"], w.env, w.app, "invoice.paid", "null")])
        stored = db.value("SELECT DATE_FORMAT(created_at, '%%Y-%%m-%%dT%%H:%%i:%%s.%%f')"
                          " FROM messages WHERE id = '%s'" % m["id"])
        eq(stored[:23] + "Z", m["created_at"], "created_at is the stored time")
        # The application's active endpoints subscribed to the type or *.
        eq(sorted(r[1] for r in w.deliveries(m["id"])), sorted([w.ep_app, w.ep_app2]))


@hftest.test
def send_message_payload_object_string_and_missing():
    for server in servers:
        w = World()
        cases = [({"event_type": "order.paid", "payload": {"a": [1, 2.5, "é"]}},
                  {"a": [1, 2.5, "é"]}),
                 ({"event_type": "order.paid", "payload": "plain text"}, "plain text"),
                 ({"event_type": "order.paid"}, None)]
        for body, expected in cases:
            status, _, answer = send(server, w.key, w.app_noenv, body)
            eq(status, 201, server.name)
            m = answer["message"]
            eq(json.loads(m["payload"]), expected, "payload round trip")
            eq(m["env_id"], "", "no environment: still a string")
            eq(m["status"], "no_subscribers", "app_noenv has no endpoints")
            eq(db.value("SELECT payload FROM messages WHERE id = '%s'" % m["id"]),
               m["payload"], "stored payload")


@hftest.test
def send_message_bad_bodies_are_400_invalid_request():
    for server in servers:
        w = World()
        for body in [{"payload": {}},
                     {"event_type": 5},
                     {"event_type": ""},
                     {"event_type": "bad type"},
                     {"event_type": "*"},
                     {"event_type": "x" * 129},
                     {"event_type": "order.paid", "payload": 5},
                     {"event_type": "order.paid", "payload": [1]},
                     {"event_type": "order.paid", "payload": True},
                     [1, 2]]:
            expect_error(send(server, w.key, w.app, json.dumps(body)), 400,
                         "invalid_request", "%s %r" % (server.name, body))
        expect_nothing_stored(w, server.name)


@hftest.test
def send_message_scope_rules():
    for server in servers:
        w = World()
        other = World()
        n = server.name
        expect_error(send(server, w.key, "app_01m000000000000000000000000"), 404,
                     "not_found", n + " unknown app")
        expect_error(send(server, w.key, "junk"), 404, "not_found", n + " junk id")
        expect_error(send(server, w.key, other.app), 404, "not_found",
                     n + " app of another workspace")
        expect_error(send(server, w.env_key, w.app_noenv), 404, "not_found",
                     n + " app outside the key's environment")
        expect_error(send(server, w.ep_key, w.app_noenv), 404, "not_found",
                     n + " app other than the endpoint key's")
        expect_error(send(server, w.key, w.app_off), 400, "application_inactive",
                     n + " inactive app")
        expect_nothing_stored(w, n)
        expect_nothing_stored(other, n)
        # Within reach.
        status, _, answer = send(server, w.env_key, w.app)
        eq(status, 201, n + " environment key, its app")
        eq(len(w.deliveries(answer["message"]["id"])), 2)
        # An endpoint key sends to its own endpoint only.
        status, _, answer = send(server, w.ep_key, w.app)
        eq(status, 201, n + " endpoint key, its app")
        eq([r[1] for r in w.deliveries(answer["message"]["id"])], [w.ep_app])


@hftest.test
def invalid_json_classes_are_400_invalid_json():
    deep = "[" * 40 + "]" * 40
    bodies = [
        (b'{"payload":{}} x', "trailing bytes"),
        (b'{"payload":{}}{}', "two documents"),
        (b'{"payload":{}} // c', "line comment"),
        (b'{/* c */"payload":{}}', "block comment"),
        (b'{"payload":{"a":"\xff"}}', "invalid UTF-8"),
        (b'{"payload":{"a":"\xc0\xaf"}}', "overlong UTF-8"),
        (b'{"payload":{"a":NaN}}', "NaN"),
        (b'{"payload":{"a":Infinity}}', "Infinity"),
        (b'{"payload":{"a":"x\x00y"}}', "raw NUL"),
        (b'{"payload":{"a":"x\\u0000y"}}', "escaped NUL"),
        (b"{'payload':{}}", "single quotes"),
        (b'{"payload":{"a":' + deep.encode() + b'}}', "too deep"),
        (b'{"payload":{},"payload":{}}', "duplicate key"),
        (b'{"payload":{"n":99999999999999999999999}}', "integer overflow"),
        (b'{"payload":{}', "truncated"),
        (b'', "empty body"),
    ]
    for server in servers:
        w = World()
        for body, what in bodies:
            expect_error(trigger(server, w.key, body=body), 400, "invalid_json",
                         "%s trigger %s" % (server.name, what))
        expect_error(send(server, w.key, w.app, b'{"event_type":"a","payload":nan}'), 400,
                     "invalid_json", server.name + " send-message NaN")
        expect_nothing_stored(w, server.name)


@hftest.test
def bad_event_type_names_are_400_invalid_request():
    # "a%2Fb": Apache passes encoded slashes on (AllowEncodedSlashes
    # NoDecode in the shipped config) instead of its own HTML 404.
    names = ["order%20paid", "a" * 129, "a*", "%2A", "caf%C3%A9", "a%2Fb"]
    for server in servers:
        w = World()
        for name in names:
            expect_error(trigger(server, w.key, name), 400, "invalid_request",
                         "%s %s" % (server.name, name))
        # Every allowed character, and the longest name.
        eq(trigger(server, w.key, "Ab-9_x:y.z")[0], 202, "allowed characters")
        eq(trigger(server, w.key, "b" * 128)[0], 202, "128 characters")


@hftest.test
def trigger_bad_bodies_and_metadata_limits():
    for server in servers:
        w = World()
        n = server.name
        bad = [
            ({}, "payload missing"),
            ({"payload": [1]}, "payload array"),
            ({"payload": "text"}, "payload string"),
            ({"payload": None}, "payload null"),
            ([], "body array"),
            ({"payload": {}, "metadata": "x"}, "metadata string"),
            ({"payload": {}, "metadata": ["a"]}, "metadata array"),
            ({"payload": {}, "metadata": {"a": 1}}, "metadata number value"),
            ({"payload": {}, "metadata": {"a": None}}, "metadata null value"),
            ({"payload": {}, "metadata": {"a": {"b": "c"}}}, "metadata nested"),
            ({"payload": {}, "metadata": {str(i): "v" for i in range(6)}}, "6 keys"),
            ({"payload": {}, "metadata": {"k" * 65: "v"}}, "long key"),
            ({"payload": {}, "metadata": {"": "v"}}, "empty key"),
            ({"payload": {}, "metadata": {"k": "v" * 513}}, "long value"),
        ]
        for body, what in bad:
            expect_error(trigger(server, w.key, body=json.dumps(body)), 400,
                         "invalid_request", "%s %s" % (n, what))
        expect_nothing_stored(w, n)
        good = [{"payload": {}, "metadata": {str(i): "v" * 512 for i in range(5)}},
                {"payload": {}, "metadata": {"k" * 64: ""}},
                {"payload": {}, "metadata": None},
                {"payload": {}, "metadata": {}},
                {"payload": {"nested": {"deep": [1, {"x": None}]}}}]
        for body in good:
            eq(trigger(server, w.key, "user.created", body=json.dumps(body))[0], 202,
               "%s accepts %r" % (n, body))


@hftest.test
def content_type_other_than_json_is_415():
    for server in servers:
        w = World()
        for ctype in ["text/plain", "application/x-www-form-urlencoded",
                      "application/json; charset=latin1", "application/jsonx", None]:
            r = server.api("POST", "/api/ingest/event/order.paid", '{"payload":{}}',
                           key=w.key, content_type=ctype)
            expect_error(r, 415, "unsupported_media_type", "%s %r" % (server.name, ctype))
            r = server.api("POST", "/v1/applications/%s/messages" % w.app,
                           '{"event_type":"a"}', key=w.key, content_type=ctype)
            expect_error(r, 415, "unsupported_media_type", "%s %r" % (server.name, ctype))
        expect_nothing_stored(w, server.name)
        for ctype in ["application/json; charset=utf-8", "Application/JSON"]:
            r = server.api("POST", "/api/ingest/event/user.created", '{"payload":{}}',
                           key=w.key, content_type=ctype)
            eq(r[0], 202, "%s %r" % (server.name, ctype))


@hftest.test
def wrong_method_is_405_with_allow_and_unknown_path_404():
    for server in servers:
        w = World()
        n = server.name
        for method in ["GET", "PUT", "DELETE", "PATCH"]:
            h = expect_error(server.api(method, "/api/ingest/event/order.paid",
                                        key=w.key), 405, "method_not_allowed", n)
            eq(h.get("allow"), "POST", n + " Allow")
            if method == "GET":     # the management API's message log
                continue
            h = expect_error(server.api(method, "/v1/applications/%s/messages" % w.app,
                                        key=w.key), 405, "method_not_allowed", n)
            eq(h.get("allow"), "POST, GET", n + " Allow")
        h = expect_error(server.api("POST", "/healthz", key=w.key), 405,
                         "method_not_allowed", n)
        eq(h.get("allow"), "GET, HEAD", n + " Allow")
        for path in ["/", "/api/ingest/event/", "/api/ingest/event/a/b",
                     "/api/ingest/event", "/v1/applications//messages",
                     "/v1/applications/%s/messages/x/y" % w.app,
                     "/healthz/", "/index.html",
                     "/api/ingest/event/../../etc/passwd"]:
            expect_error(server.api("POST", path, {"payload": {}}, key=w.key), 404,
                         "not_found", "%s %s" % (n, path))
        expect_nothing_stored(w, n)
        status, _, body = server.api("GET", "/healthz", content_type=None)
        eq((status, body), (200, {"status": "ok"}), n + " healthz")
        status, headers, raw = server.request("HEAD", "/healthz")
        eq((status, headers.get("content-type"), raw), (200, "application/json", b""),
           n + " HEAD healthz")
        # Query strings are not part of the route.
        eq(server.api("GET", "/healthz?x=1", content_type=None)[0], 200)
        eq(trigger(server, w.key, "user.created?source=x")[0], 202, n + " query string")


@hftest.test
def path_segments_that_are_not_ascii_are_refused_with_valid_json():
    # The answers quote the segment: raw bytes would make them invalid UTF-8.
    # (lighttpd itself refuses %FF and control characters; ingest_cgi.py
    # sends those straight to the program.)
    for server in servers:
        w = World()
        n = server.name
        for segment in ["caf%C3%A9", "a%20b", "a%2Fb"]:
            expect_error(send(server, w.key, segment), 404, "not_found",
                         "%s app %s" % (n, segment))
            expect_error(trigger(server, w.key, segment), 400, "invalid_request",
                         "%s event type %s" % (n, segment))
        expect_nothing_stored(w, n)


@hftest.test
def oversize_bodies_are_413_before_parsing():
    for server in servers:
        w = World()
        small = World(max_payload=1000)
        n = server.name
        big = '{"payload":{"a":"%s"}}' % ("x" * CAP)
        expect_error(trigger(server, w.key, body=big), 413, "payload_too_large",
                     n + " over max_payload_bytes")
        # Over the cap and not even JSON: still 413, never parsed.
        expect_error(trigger(server, w.key, body="{" * (CAP + 1)), 413,
                     "payload_too_large", n + " oversize garbage")
        chunks = [b'{"payload":{"a":"'] + [b"x" * 8192] * 9 + [b'"}}']
        expect_error(trigger(server, w.key, body=chunks), 413, "payload_too_large",
                     n + " chunked over the cap")
        body = '{"payload":{"a":"%s"}}' % ("y" * 1000)
        expect_error(trigger(server, small.key, body=body), 413, "payload_too_large",
                     n + " over the workspace cap")
        expect_error(send(server, small.key, small.app,
                          '{"event_type":"a","payload":"%s"}' % ("y" * 1000)), 413,
                     "payload_too_large", n + " send-message over the workspace cap")
        expect_nothing_stored(w, n)
        expect_nothing_stored(small, n)
        # Just under the caps is fine, chunked too.
        eq(trigger(server, small.key, "user.created",
                   body='{"payload":{"a":"%s"}}' % ("y" * 900))[0], 202, n)
        exact = '{"payload":{"a":"%s"}}' % ("z" * (CAP - 20))
        eq(len(exact), CAP)
        eq(trigger(server, w.key, "user.created", body=exact)[0], 202, n + " exactly cap")
        eq(trigger(server, w.key, "user.created",
                   body=[b'{"payload":', b'{"chunked":', b'true}}'])[0], 202,
           n + " chunked")
        # Far past anything the server takes: still the contract's JSON
        # 413, answered by the web server itself.
        stored = len(w.messages())
        for body, what in ((b"x" * (9 * 1024 * 1024), " 9 MiB"),
                           ([b"x" * (1024 * 1024)] * 9, " 9 MiB chunked")):
            expect_error(trigger(server, w.key, body=body), 413, "payload_too_large",
                         n + what)
        eq(len(w.messages()), stored, n + ": nothing stored of 9 MiB")


def raw_answer(server, data):
    """Send bytes as they are (a request no HTTP client would write);
    returns every byte of the answer, until the server closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(data)
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return answer
            answer += chunk


def raw_request(server, data):
    """raw_answer, parsed: (status, headers, body bytes)."""
    answer = raw_answer(server, data)
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


@hftest.test
def what_the_web_servers_refuse_themselves_is_json_too():
    """Requests that never reach hookfan.fcgi: the shipped configs make
    lighttpd's and Apache's own error answers the contract's JSON."""
    cases = [
        ("a NUL in the path",
         b"POST /api/ingest/event/a%00b HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
         b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
         {"lighttpd": (400, "invalid_request"), "apache": (404, "not_found")}),
        ("a 70 kB header",
         b"POST /api/ingest/event/a HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 +
         b"\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
         {"lighttpd": (431, "invalid_request"), "apache": (400, "invalid_request")}),
        ("a 70 kB path",
         b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
         {"lighttpd": (431, "invalid_request"), "apache": (414, "invalid_request")}),
        ("a Content-Length that is no number",
         b"POST /api/ingest/event/a HTTP/1.1\r\nHost: x\r\nContent-Length: abc"
         b"\r\nConnection: close\r\n\r\n{}",
         {"lighttpd": (400, "invalid_request"), "apache": (400, "invalid_request")}),
        ("no HTTP at all", b"HELLO\r\n\r\n",
         {"lighttpd": (400, "invalid_request"), "apache": (400, "invalid_request")}),
        ("TRACE, which would echo the API key back",
         b"TRACE /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer hfk_secret\r\n"
         b"Connection: close\r\n\r\n",
         {"lighttpd": (405, "method_not_allowed"), "apache": (405, "method_not_allowed")}),
        # Apache passes these on to hookfan.fcgi, which answers them.
        ("a POST with neither a body nor a length",
         b"POST /api/ingest/event/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
         b"\r\nConnection: close\r\n\r\n",
         {"lighttpd": (411, "invalid_request"), "apache": (401, "unauthorized")}),
        ("an HTTP/1.0 POST without a length",
         b"POST /api/ingest/event/a HTTP/1.0\r\nContent-Type: application/json\r\n\r\n",
         {"lighttpd": (411, "invalid_request"), "apache": (401, "unauthorized")}),
        ("an Expect other than 100-continue",
         b"POST /api/ingest/event/a HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\n"
         b"Content-Length: 2\r\nConnection: close\r\n\r\n{}",
         {"lighttpd": (401, "unauthorized"), "apache": (417, "invalid_request")}),
        ("a method no server knows",
         b"FROB /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
         {"lighttpd": (501, "invalid_request"), "apache": (405, "method_not_allowed")}),
        ("an unknown transfer coding",
         b"POST /api/ingest/event/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
         b"Connection: close\r\n\r\n{}",
         {"lighttpd": (501, "invalid_request"), "apache": (400, "invalid_request")}),
        # Apache answers these as HTTP/1.1, with hookfan's 200.
        ("HTTP/3.0 in the request line",
         b"GET /healthz HTTP/3.0\r\nHost: x\r\nConnection: close\r\n\r\n",
         {"lighttpd": (505, "invalid_request")}),
        ("a Range past the end of the answer",
         b"GET /healthz HTTP/1.1\r\nHost: x\r\nRange: bytes=9999-\r\n"
         b"Connection: close\r\n\r\n",
         {"lighttpd": (416, "invalid_request")}),
    ]
    for server in servers:
        for what, data, expected in cases:
            if server.name not in expected:
                continue
            status, headers, body = raw_request(server, data)
            label = "%s, %s" % (server.name, what)
            eq(status, expected[server.name][0], label + ": status")
            eq(headers.get("content-type"), "application/json", label + ": type")
            answer = json.loads(body)
            assert b"hfk_secret" not in body, label + ": the key echoed"
            eq(sorted(answer.keys()), ["code", "message"], label)
            eq(answer["code"], expected[server.name][1], label + ": code")
        # hookfan.fcgi's own answer of such a status passes through as it
        # was (Apache's page for its own 404 says something else).
        eq(server.api("GET", "/no/such/path", content_type=None)[2],
           {"code": "not_found", "message": "no such path"}, server.name + ": hookfan's 404")


@hftest.test
def a_request_sent_too_slowly_gets_json_or_nothing():
    """408: Apache with mod_reqtimeout (Debian enables it) answers a
    request whose headers come too slowly with its own 408, JSON; lighttpd
    closes such a connection (server.max-read-idle) without a word, and
    a body that stops coming reaches hookfan.fcgi's own JSON either way."""
    slow = [webservers.Lighttpd(db, procs=1, extra="server.max-read-idle = 2\n"),
            webservers.Apache(db, max_procs=1, modules=("reqtimeout",),
                              extra="RequestReadTimeout header=2 body=2\n")]
    partial = b"POST /api/ingest/event/a HTTP/1.1\r\nHost: x\r\n"
    for server in slow:
        answer = raw_answer(server, partial)
        server.stop()
        if server.name == "lighttpd":
            eq(answer, b"", "lighttpd closes without an answer")
            continue
        head, _, body = answer.partition(b"\r\n\r\n")
        eq(head.split(b"\r\n")[0], b"HTTP/1.1 408 Request Timeout", "apache: status")
        assert b"\r\nContent-Type: application/json" in head, head
        eq(json.loads(body)["code"], "invalid_request", "apache: code")


# How long after a backlog reaches the cap ingest refuses it at the latest
# while requests keep coming: its reading gets old (HF_BACKLOG_CHECK_MS)
# while a process may keep a lookup made before (HF_INGEST_CACHE_MS); the
# first lookup to find it old, which a process keeps as long, is followed
# by its count; with room for a slow machine.
CACHE_S = 1.0
BACKLOG_BOUND_S = 5.0 + 2 * CACHE_S + 0.3
# Until readings are old and no process keeps a lookup made before.
READINGS_OLD_S = 5.0 + CACHE_S + 0.3
# How long the count after the answer may take to commit, at most.
RECOUNT_S = 2.0


def count_again(server, key, event_type, endpoints):
    """The first request to find the endpoints' readings old goes by them
    as they are, and its process counts the backlogs again once it has
    answered: send one, wait until the new readings are in and until no
    process keeps the lookup that found them old.  The request's own
    answer is returned."""
    since = db.value("SELECT NOW(3)")
    answer = trigger(server, key, event_type)
    eq(answer[0], 202, "the request that finds the readings old")
    listed = ", ".join("'%s'" % e for e in endpoints)
    hftest.wait_for(lambda: int(db.value(
        "SELECT COUNT(*) FROM endpoint_backlog WHERE endpoint_id IN (%s)"
        " AND checked_at >= '%s'" % (listed, since))) == len(endpoints),
        RECOUNT_S, server.name + ": the count after the answer")
    time.sleep(CACHE_S + 0.1)
    return answer


@hftest.test
def backlog_over_the_cap_is_a_partial_fan_out():
    for server in servers:
        a = db.admin
        ws = a("workspace", "create", "--name", "backlog")["id"]
        url = "http://127.0.0.1:9/hook"
        busy = a("endpoint", "create", "--workspace", ws, "--url", url,
                 "--event-type", "shared", "--event-type", "busy.only")["id"]
        calm = a("endpoint", "create", "--workspace", ws, "--url", url,
                 "--event-type", "shared")["id"]
        key = a("key", "create", "--workspace", ws)["key"]
        for _ in range(MAX_PENDING):
            eq(len(trigger(server, key, "busy.only")[2]["deliveryIds"]), 1)
        time.sleep(READINGS_OLD_S)
        # Still the reading from before the cap: the count follows.
        eq(len(count_again(server, key, "shared", [busy, calm])[2]["deliveryIds"]), 2,
           "the request that finds the readings old goes by them")
        status, _, body = trigger(server, key, "shared")
        eq(status, 202, server.name)
        eq(body["status"], "accepted")
        eq(len(body["deliveryIds"]), 1, "over the cap, the next delivery is refused")
        eq(len(body["failures"]), 1)
        f = body["failures"][0]
        eq(sorted(f.keys()), ["code", "endpointId", "message"])
        eq((f["endpointId"], f["code"]), (busy, "endpoint_backlog_full"))
        mid = db.value("SELECT message_id FROM deliveries WHERE id = '%s'"
                       % body["deliveryIds"][0])
        eq(db.rows("SELECT endpoint_id FROM deliveries WHERE message_id = '%s'" % mid),
           [(calm,)], "only the calm endpoint queued")
        # Sent or failed deliveries no longer count against the cap, once
        # the reading is counted again.
        db.root_sql("UPDATE hookfan.deliveries SET status = 'succeeded', due_at = NULL"
                    " WHERE endpoint_id IN ('%s', '%s')" % (busy, calm))
        time.sleep(READINGS_OLD_S)
        eq(len(count_again(server, key, "shared", [busy, calm])[2]["deliveryIds"]), 1,
           "the old reading still says full")
        eq(len(trigger(server, key, "shared")[2]["deliveryIds"]), 2, "room again")
        # Everyone full: still 202, nothing queued, every endpoint listed.
        for _ in range(MAX_PENDING):
            trigger(server, key, "shared")
        time.sleep(READINGS_OLD_S)
        count_again(server, key, "shared", [busy, calm])
        status, _, body = trigger(server, key, "shared")
        eq((status, body["deliveryIds"]), (202, []))
        eq(sorted(f["endpointId"] for f in body["failures"]), sorted([busy, calm]))


@hftest.test
def a_backlog_passes_the_cap_by_what_arrives_within_the_bound():
    """The stated bound: an endpoint takes no more than the deliveries
    that arrive before its reading is counted again (the count follows the
    answer of the first request to find the reading old), and never more
    once it has been counted full."""
    server = servers[0]
    a = db.admin
    ws = a("workspace", "create", "--name", "bound")["id"]
    ep = a("endpoint", "create", "--workspace", ws, "--url", "http://127.0.0.1:9/hook",
           "--event-type", "flood")["id"]
    key = a("key", "create", "--workspace", ws)["key"]
    started = time.monotonic()
    accepted = 0
    while time.monotonic() - started < BACKLOG_BOUND_S + 1:
        body = trigger(server, key, "flood")[2]
        accepted += len(body["deliveryIds"])
        if body["failures"]:
            break
    else:
        raise AssertionError("never refused in %.1f s" % (BACKLOG_BOUND_S + 1))
    eq(body["failures"][0]["code"], "endpoint_backlog_full")
    pending = int(db.value("SELECT COUNT(*) FROM deliveries WHERE endpoint_id = '%s'" % ep))
    eq(pending, accepted)
    if pending < MAX_PENDING:
        raise AssertionError("refused at %d pending, under the cap of %d" % (pending, MAX_PENDING))
    for _ in range(5):
        eq(trigger(server, key, "flood")[2]["deliveryIds"], [], "full stays full")
    print("# %d pending against a cap of %d before the first refusal" % (pending, MAX_PENDING))


def backlog_world(name):
    """A workspace with one endpoint on "flood" and an ingest key."""
    a = db.admin
    ws = a("workspace", "create", "--name", name)["id"]
    ep = a("endpoint", "create", "--workspace", ws, "--url", "http://127.0.0.1:9/hook",
           "--event-type", "flood")["id"]
    return ws, ep, a("key", "create", "--workspace", ws)["key"]


def reading(ep):
    """The endpoint's backlog reading: (pending, counted_at, is_full)."""
    return db.rows("SELECT pending, counted_at, is_full FROM endpoint_backlog"
                   " WHERE endpoint_id = '%s'" % ep)[0]


def age_messages(ws):
    """The workspace's messages so far, as made an hour ago: no check
    counts them as new."""
    db.root_sql("UPDATE hookfan.messages SET created_at = created_at - INTERVAL 1 HOUR"
                " WHERE workspace_id = '%s'" % ws)


def check_reading(server, key, ep):
    """Make the endpoint's reading old and send one request, whose check
    follows its answer (count_again)."""
    db.root_sql("UPDATE hookfan.endpoint_backlog SET checked_at = '2000-01-01'"
                " WHERE endpoint_id = '%s'" % ep)
    time.sleep(CACHE_S + 0.1)   # no process keeps a lookup that found it fresh
    return count_again(server, key, "flood", [ep])


def refused_as_full(server, key, ep, what):
    body = trigger(server, key, "flood")[2]
    eq((body["deliveryIds"], [(f["endpointId"], f["code"]) for f in body["failures"]]),
       ([], [(ep, "endpoint_backlog_full")]), what)


@hftest.test
def a_check_far_from_the_cap_counts_nothing_and_one_that_may_reach_it_counts():
    """Between counts an endpoint's backlog is at most its last count plus
    the messages its workspace has had since (HF_BACKLOG_SLACK_MS before
    it): a check whose sum stays under the cap leaves the count as it is,
    one whose sum reaches it counts again, and the endpoint is refused."""
    server = servers[0]
    ws, ep, key = backlog_world("bound-check")
    eq(len(count_again(server, key, "flood", [ep])[2]["deliveryIds"]), 1)
    pending, counted_at, full = reading(ep)
    eq((pending, full), ("1", "0"), "never counted: the first check counts")
    age_messages(ws)
    check_reading(server, key, ep)
    eq(reading(ep), ("1", counted_at, "0"), "1 counted + 1 message since < 3: nothing counted")
    check_reading(server, key, ep)
    pending, again, full = reading(ep)
    eq((pending, full), ("3", "1"), "1 counted + 2 messages since reach 3: counted, full")
    assert again > counted_at, (again, counted_at)
    refused_as_full(server, key, ep, "refused once counted full")


@hftest.test
def a_backlog_grown_without_a_message_is_counted_at_its_next_check():
    """A retried delivery, a resent message and an endpoint enabled again
    add to a backlog without a new message, which the bound between counts
    would not see: each makes the endpoint's next check count."""
    server = servers[0]
    ws, ep, key = backlog_world("bound-grew")
    ids = [count_again(server, key, "flood", [ep])[2]["deliveryIds"][0]]
    ids += [trigger(server, key, "flood")[2]["deliveryIds"][0] for _ in range(2)]
    db.root_sql("UPDATE hookfan.deliveries SET status = 'failed', due_at = NULL"
                " WHERE endpoint_id = '%s'" % ep)
    db.root_sql("UPDATE hookfan.endpoint_backlog SET counted_at = NULL"
                " WHERE endpoint_id = '%s'" % ep)
    age_messages(ws)
    check_reading(server, key, ep)
    pending, counted_at, full = reading(ep)
    eq((pending, full), ("1", "0"), "3 failed, 1 pending")
    age_messages(ws)
    db.admin("delivery", "retry", ids[0])
    eq(reading(ep)[1], None, "a retry: count at the next check")
    db.root_sql("UPDATE hookfan.endpoint_backlog SET counted_at = '%s'"
                " WHERE endpoint_id = '%s'" % (counted_at, ep))
    mid = db.value("SELECT message_id FROM deliveries WHERE id = '%s'" % ids[1])
    db.admin("message", "resend", mid)
    eq(reading(ep)[1], None, "a resend: count at the next check")
    # 3 pending now; counted 1, and 1 message since, would say 2.
    check_reading(server, key, ep)
    eq((reading(ep)[0], reading(ep)[2]), ("3", "1"), "counted (4 pending, 3 read): full")
    refused_as_full(server, key, ep, "refused after the retry and the resend")
    # Paused deliveries pending again, likewise.
    db.root_sql("UPDATE hookfan.endpoint_backlog SET counted_at = NOW(3)"
                " WHERE endpoint_id = '%s'" % ep)
    db.admin("endpoint", "disable", "--endpoint", ep)
    eq(reading(ep)[1] is None, False, "disabled: the count stands")
    db.admin("endpoint", "enable", "--endpoint", ep)
    eq(reading(ep)[1], None, "enabled again: count at the next check")


@hftest.test
def a_message_made_within_the_slack_before_a_count_is_counted_as_new():
    """A store can commit after a count that began once its request was
    decided, so its message's created_at (the web server's clock then) is
    before the count: a check takes the messages made up to
    HF_BACKLOG_SLACK_MS (10 s) before the count as new.  Beyond that a
    message escapes the bound until the next count."""
    server = servers[0]
    for offset, counted in ((5, True), (15, False)):
        ws, ep, key = backlog_world("bound-slack")
        count_again(server, key, "flood", [ep])
        trigger(server, key, "flood")
        # As if counted `offset` s after these two were made, missing both.
        made = db.rows("SELECT MAX(created_at) FROM hookfan.messages"
                       " WHERE workspace_id = '%s'" % ws)[0][0]
        db.root_sql("UPDATE hookfan.endpoint_backlog SET pending = 0, is_full = 0,"
                    " counted_at = '%s' + INTERVAL %d SECOND WHERE endpoint_id = '%s'"
                    % (made, offset, ep))
        check_reading(server, key, ep)
        pending, _, full = reading(ep)
        if counted:
            eq((pending, full), ("3", "1"), "3 made within the slack: counted, full")
            refused_as_full(server, key, ep, "refused")
        else:
            eq((pending, full), ("0", "0"), "made before the slack: not counted")


def counted_at(endpoints):
    """When each of the endpoints (an SQL list) had its backlog counted."""
    return dict(db.rows("SELECT endpoint_id, CAST(counted_at AS CHAR) FROM endpoint_backlog"
                        " WHERE endpoint_id IN (%s)" % endpoints))


def statement_counts():
    rows = db.rows("SHOW GLOBAL STATUS WHERE Variable_name IN"
                   " ('Com_stmt_execute', 'Com_commit', 'Com_rollback')")
    return {name: int(value) for name, value in rows}


@hftest.test
def a_request_costs_the_same_few_statements_whatever_the_fan_out():
    """One FastCGI process per server, so that which lookups it keeps is
    known.  A request it has looked up within HF_INGEST_CACHE_MS (with the
    event type registered) costs one statement, the CALL that stores
    message and deliveries and commits; a
    request it looks up costs the lookup too, and, when the backlog
    readings are old, the transaction that checks them again follows its
    answer: the same number of each for 1 endpoint and for 40, but for one
    statement per backlog counted (a new endpoint's first check counts it,
    as does one that may have reached the cap)."""
    a = db.admin
    one = [webservers.Lighttpd(db, procs=1), webservers.Apache(db, max_procs=1)]
    try:
        for server in one:
            costs = {}
            for width in (1, 40):
                ws = a("workspace", "create", "--name", "wide")["id"]
                app = a("app", "create", "--workspace", ws, "--name", "a")["id"]
                endpoints = ", ".join(
                    "'%s'" % a("endpoint", "create", "--workspace", ws, "--app", app,
                               "--url", "http://127.0.0.1:9/hook")["id"]
                    for _ in range(width))
                key = a("key", "create", "--workspace", ws)["key"]
                for name, call in (("trigger", lambda: trigger(server, key, "wide.type")),
                                   ("send", lambda: send(server, key, app))):
                    # The first request registers the event type, so its
                    # lookup is not kept; the second's is.
                    for case in ("first", "second", "cached", "looked up", "recounted"):
                        if case == "looked up":
                            time.sleep(1.1)     # the lookup is no longer kept,
                            db.root_sql("UPDATE hookfan.endpoint_backlog"
                                        " SET checked_at = NOW(3)")  # the readings are
                        if case == "recounted":
                            time.sleep(1.1)     # neither is kept
                            db.root_sql("UPDATE hookfan.endpoint_backlog"
                                        " SET checked_at = '2000-01-01'")
                        counted_before = counted_at(endpoints)
                        before = statement_counts()
                        status = call()[0]
                        if case in ("first", "recounted"):
                            hftest.wait_for(lambda: db.value(
                                "SELECT COUNT(*) FROM endpoint_backlog WHERE endpoint_id"
                                " IN (%s) AND checked_at < '2001-01-01'" % endpoints) == "0",
                                RECOUNT_S, "%s %s: the check after the answer"
                                % (server.name, name))
                        after = statement_counts()
                        eq(status in (201, 202), True, "%s %s" % (name, case))
                        cost = {k: after[k] - before[k] for k in after}
                        cost["counted"] = sum(counted_at(endpoints)[e] != t
                                              for e, t in counted_before.items())
                        costs[(name, case, width)] = cost
            for key_ in [k for k in costs if k[2] == 1]:
                wide = dict(costs[key_[:2] + (40,)])
                narrow = dict(costs[key_])
                what = "%s %s %s" % ((server.name,) + key_[:2])
                # The very first request finds the new endpoints' readings;
                # a recount with MAX_PENDING 3 may reach the cap.
                counts = key_[:2] == ("trigger", "first") or key_[1] == "recounted"
                eq(wide["counted"], 40 if counts else 0, what + ": backlogs counted of 40")
                eq(narrow["counted"], 1 if counts else 0, what + ": backlogs counted of 1")
                for c in (wide, narrow):
                    c["Com_stmt_execute"] -= c.pop("counted")
                eq(wide, narrow, what + ": the cost grows with the width")
            for name in ("trigger", "send"):
                def execs(case):
                    return costs[(name, case, 1)]["Com_stmt_execute"]
                eq({k: v for k, v in costs[(name, "cached", 1)].items()},
                   {"Com_stmt_execute": 1, "Com_commit": 1, "Com_rollback": 0, "counted": 0},
                   server.name + " " + name + ": one round trip")
                eq(execs("looked up"), 2, server.name + " " + name + ": lookup + CALL")
                eq(costs[(name, "recounted", 1)],
                   {"Com_stmt_execute": 6, "Com_commit": 2, "Com_rollback": 0, "counted": 1},
                   server.name + " " + name + ": lookup, CALL; then take, bound, count, write")
    finally:
        for server in one:
            server.stop()


def stop_fcgi_processes(config_path):
    """SIGKILL every hookfan.fcgi started with HOOKFAN_CONFIG=config_path
    (only those: other test files run the same binary at the same time)."""
    import signal
    wanted = ("HOOKFAN_CONFIG=" + config_path).encode()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/comm" % pid) as f:
                if f.read().strip() != "hookfan.fcgi":
                    continue
            with open("/proc/%s/environ" % pid, "rb") as f:
                if wanted in f.read().split(b"\0"):
                    os.kill(int(pid), signal.SIGKILL)
        except OSError:
            continue


@hftest.test
def when_hookfan_cannot_start_the_web_servers_answer_500_or_503_in_json():
    """CONTRACT §4 "Every error answers JSON", for the answers the web
    servers give themselves when hookfan.fcgi exits at start (an unknown
    key in its config): lighttpd answers 500 while it finds its
    processes dead and 503 while it waits to start them again, Apache
    with mod_fcgid 500.  Either way the shipped configs make it JSON,
    with the code that goes with the status."""
    bad = os.path.join(db.dir, "unstartable.conf")
    with open(db.config_path) as f:
        text = f.read()
    with open(bad, "w") as f:
        f.write(text)
    os.chmod(bad, 0o600)
    w = World()
    codes = {500: "internal_error", 503: "unavailable"}
    requests = [("GET", "/healthz", None),
                ("POST", "/api/ingest/event/order.paid", {"payload": {}}),
                ("POST", "/v1/applications/%s/messages" % w.app,
                 {"event_type": "invoice.paid", "payload": None})]
    # Started on a good config, which then goes bad, and the processes
    # they run die: what the servers then start exits at once.  (Started
    # on the bad config, lighttpd itself may refuse to start, when a
    # process it spawns has exited before it looks.)
    started = webservers.start_all(db, config_path=bad)
    for server in started:
        # Apache runs its own copy of the config, where its user reads it.
        config = bad if server.name == "lighttpd" else os.path.join(server.dir, "hookfan.conf")
        with open(config, "a") as f:
            f.write("no_such_key = 1\n")
        stop_fcgi_processes(config)
    for server in started:
        seen = []
        for method, path, body in requests:
            label = "%s %s %s" % (server.name, method, path)
            status, headers, answer = server.api(method, path, body, key=w.key)
            seen.append(status)
            assert status in codes, "%s: status %d (%r)" % (label, status, answer)
            eq(headers.get("content-type"), "application/json", label + ": type")
            eq(sorted(answer or {}), ["code", "message"], label + ": %r" % (answer,))
            eq(answer["code"], codes[status], label + ": code")
        print("# %s answered %s" % (server.name, ", ".join(map(str, seen))))
        assert 'unknown key "no_such_key"' in server.log(), \
            "%s: hookfan.fcgi did not refuse the config:\n%s" % (server.name, server.log())
        server.stop()
    expect_nothing_stored(w, "the servers without hookfan")


hftest.main()

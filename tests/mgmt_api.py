"""The management API (/v1/...: environments, applications, endpoints,
secrets, event types, ingest keys) through a real lighttpd and a real
Apache + mod_fcgid, against a real MariaDB: management keys and their
scope, every route, every rejection, the cross-tenant table, pagination
under concurrent inserts, Idempotency-Key (also on send-message, and two
processes at once), and that a deleted endpoint gets nothing more."""
import hashlib
import json
import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import mgmtclient  # noqa: E402
import webservers  # noqa: E402
from hftest import eq  # noqa: E402

db = hftest.MariaDB.start()
servers = webservers.start_all(db)
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
URL = "http://127.0.0.1:9/hook"


class Tenant:
    """A workspace with two environments, a management key of the whole
    workspace and one of the "prod" environment, and an ingest key."""

    def __init__(self):
        a = db.admin
        self.ws = a("workspace", "create", "--name", "w")["id"]
        self.prod = a("env", "create", "--workspace", self.ws, "--name", "prod")["id"]
        self.dev = a("env", "create", "--workspace", self.ws, "--name", "dev")["id"]
        self.key = a("key", "create", "--workspace", self.ws, "--management")["key"]
        self.prod_key = a("key", "create", "--workspace", self.ws, "--env", self.prod,
                          "--management")["key"]
        self.ingest_key = a("key", "create", "--workspace", self.ws)["key"]


def call(server, method, path, body=None, key=None, headers=None, documented=True):
    """One request; (status, headers, parsed JSON or None, raw bytes).  The
    answer to a documented route is checked against the OpenAPI document
    (tests/lib/mgmtclient.py)."""
    h = {"Content-Type": "application/json"}
    if key:
        h["Authorization"] = "Bearer " + key
    h.update(headers or {})
    if method in ("GET", "DELETE"):
        body = None
    elif isinstance(body, dict):
        body = json.dumps(body)
    status, hdrs, data = server.request(method, path, body, h)
    if documented:
        route = path.split("?", 1)[0]
        errors = mgmtclient.checker().check(method, route, status, hdrs.get("content-type"),
                                            data.decode("utf-8", errors="replace"))
        if errors:
            raise AssertionError("%s %s -> %d %r does not match the OpenAPI document:\n%s"
                                 % (method, path, status, data[:300], "\n".join(errors)))
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = None
    return status, hdrs, parsed, data


def idem_row(key, idem):
    """The stored key of Idempotency-Key idem sent with API key key: keys
    are per API key, and the header is kept only hashed."""
    key_hash = hashlib.sha256(key.encode()).hexdigest()
    return hashlib.sha256((key_hash + "\n" + idem).encode()).hexdigest()


def ok(r, status, what):
    eq(r[0], status, "%s status (%r)" % (what, r[3][:300]))
    return r[2]


def error(r, status, code, what, field=None):
    eq(r[0], status, "%s status (%r)" % (what, r[3][:300]))
    eq(r[1].get("content-type"), "application/json", what + " content type")
    eq(sorted(r[2]), ["code", "message"], what + " error shape")
    eq(r[2]["code"], code, what + " code")
    if field is not None and field not in r[2]["message"]:
        raise AssertionError("%s: message %r does not name %r" % (what, r[2]["message"], field))


def counts():
    """Rows of every table the API writes: a rejection changes none."""
    return db.rows("SELECT (SELECT COUNT(*) FROM environments), (SELECT COUNT(*) FROM"
                   " applications), (SELECT COUNT(*) FROM endpoints), (SELECT COUNT(*)"
                   " FROM subscriptions), (SELECT COUNT(*) FROM event_types), (SELECT"
                   " COUNT(*) FROM api_keys), (SELECT COUNT(*) FROM idempotency_keys),"
                   " (SELECT COUNT(*) FROM endpoint_secrets), (SELECT COUNT(*) FROM messages)")


def make_app(server, t, key=None, **fields):
    body = {"name": "billing"}
    body.update(fields)
    return ok(call(server, "POST", "/v1/applications", body, key or t.key), 201, "app create")


def make_endpoint(server, t, key=None, **fields):
    body = {"url": URL}
    body.update(fields)
    return ok(call(server, "POST", "/v1/endpoints", body, key or t.key), 201, "endpoint create")


@hftest.test
def management_keys_and_the_separation_both_ways():
    t = Tenant()
    eq(t.key[:4], "hfm_", "management key prefix")
    eq(t.ingest_key[:4], "hfk_", "ingest key prefix")
    eq(db.value("SELECT kind FROM api_keys WHERE key_hash = SHA2('%s', 256)" % t.key),
       "management", "stored kind")
    eq(db.value("SELECT COUNT(*) FROM api_keys WHERE key_hash = '%s'" % t.key), "0",
       "only the hash is stored")
    r = db.run_admin("key", "create", "--workspace", t.ws, "--management")
    eq(r.returncode, 0, "plain key create --management")
    eq(r.stdout.splitlines()[1][:4], "hfm_", "the key on the second line")
    r = db.run_admin("key", "create", "--workspace", t.ws, "--management", "--endpoint", "ep_x")
    eq(r.returncode, 1, "a management key has no endpoint scope")
    revoked = db.admin("key", "create", "--workspace", t.ws, "--management")
    db.admin("key", "revoke", "--key-id", revoked["id"])
    app = db.admin("app", "create", "--workspace", t.ws, "--name", "a")["id"]
    for server in servers:
        n = server.name
        ok(call(server, "GET", "/v1/applications", key=t.key), 200, n + " bearer")
        ok(call(server, "GET", "/v1/applications",
                headers={"X-API-Key": t.key}), 200, n + " X-API-Key")
        r = call(server, "GET", "/v1/applications")
        error(r, 401, "unauthorized", n + " no key")
        eq(r[1].get("www-authenticate"), "Bearer", n + " WWW-Authenticate")
        error(call(server, "GET", "/v1/applications", key="hfm_" + "0" * 64), 401,
              "unauthorized", n + " unknown key")
        error(call(server, "GET", "/v1/applications", key=revoked["key"]), 401,
              "unauthorized", n + " revoked key")
        error(call(server, "GET", "/v1/applications", key=t.ingest_key), 403,
              "forbidden", n + " ingest key on management")
        error(call(server, "POST", "/v1/environments", {"name": "x"}, t.ingest_key), 403,
              "forbidden", n + " ingest key cannot create")
        # A management key cannot ingest: the seeds' 401.
        error(call(server, "POST", "/api/ingest/event/a.b", {"payload": {}}, t.key), 401,
              "unauthorized", n + " management key on the trigger")
        stored = db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'" % t.ws)
        error(call(server, "POST", "/v1/applications/%s/messages" % app,
                   {"event_type": "a.b", "payload": {}}, t.key), 401,
              "unauthorized", n + " management key on send-message")
        eq(db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'" % t.ws), stored,
           n + " nothing ingested")
        ok(call(server, "POST", "/v1/applications/%s/messages" % app,
                {"event_type": "a.b", "payload": {}}, t.ingest_key), 201,
           n + " the ingest key still ingests")


@hftest.test
def routes_answer_404_and_405_with_allow():
    t = Tenant()
    for server in servers:
        n = server.name
        r = call(server, "POST", "/v1/applications/app_x", {}, t.key, documented=False)
        error(r, 405, "method_not_allowed", n + " POST on an application")
        eq(r[1].get("allow"), "GET, PATCH, DELETE", n + " Allow")
        r = call(server, "DELETE", "/v1/environments", key=t.key, documented=False)
        eq(r[1].get("allow"), "GET, POST", n + " Allow of a list")
        for path in ["/v1/nothing", "/v1/applications/a/b/c", "/v1/endpoints//secret",
                     "/v1/keys/"]:
            error(call(server, "GET", path, key=t.key, documented=False), 404, "not_found",
                  n + " " + path)


@hftest.test
def environments_list_and_create():
    t = Tenant()
    for i, server in enumerate(servers):
        n = server.name
        env = ok(call(server, "POST", "/v1/environments", {"name": "staging%d" % i}, t.key),
                 201, n + " create")
        eq(sorted(env), ["created_at", "id", "name"], n + " shape")
        eq(env["name"], "staging%d" % i, n + " name")
        assert ISO.match(env["created_at"]), env
        eq(env["id"][:4], "env_", n + " id")
        listed = ok(call(server, "GET", "/v1/environments", key=t.key), 200, n + " list")
        eq(listed["next_cursor"], None, n + " one page")
        assert env["id"] in [e["id"] for e in listed["data"]], listed
        # Newest first.
        ids = [e["id"] for e in listed["data"]]
        eq(ids, sorted(ids, reverse=True), n + " order")
        error(call(server, "POST", "/v1/environments", {"name": "prod"}, t.key), 409,
              "conflict", n + " same name")
        # An environment key sees its environment and makes none.
        listed = ok(call(server, "GET", "/v1/environments", key=t.prod_key), 200, n)
        eq([e["id"] for e in listed["data"]], [t.prod], n + " env key's list")
        error(call(server, "POST", "/v1/environments", {"name": "x%d" % i}, t.prod_key),
              403, "forbidden", n + " env key creates no environment")


@hftest.test
def applications_crud():
    t = Tenant()
    for server in servers:
        n = server.name
        app = make_app(server, t, env_id=t.prod)
        eq(sorted(app), ["created_at", "env_id", "id", "name", "status", "updated_at"],
           n + " shape")
        eq((app["env_id"], app["name"], app["status"]), (t.prod, "billing", "active"), n)
        plain = make_app(server, t, name="plain", status="inactive")
        eq((plain["env_id"], plain["status"]), (None, "inactive"), n + " no env, inactive")
        got = ok(call(server, "GET", "/v1/applications/" + app["id"], key=t.key), 200, n)
        eq(got, app, n + " get is what create answered")
        r = call(server, "PATCH", "/v1/applications/" + app["id"],
                 {"name": "billing 2", "status": "inactive"}, t.key)
        patched = ok(r, 200, n + " patch")
        eq((patched["name"], patched["status"]), ("billing 2", "inactive"), n)
        assert patched["updated_at"] >= app["updated_at"], patched
        error(call(server, "POST", "/v1/applications/%s/messages" % app["id"],
                   {"event_type": "a"}, t.ingest_key), 400, "application_inactive",
              n + " send-message sees the PATCH")
        ok(call(server, "PATCH", "/v1/applications/" + app["id"], {"status": "active"},
                t.key), 200, n + " reactivate")
        ep = make_endpoint(server, t, application_id=app["id"])
        error(call(server, "DELETE", "/v1/applications/" + app["id"], key=t.key), 409,
              "conflict", n + " delete with an endpoint")
        eq(call(server, "DELETE", "/v1/endpoints/" + ep["id"], key=t.key)[0], 204, n)
        r = call(server, "DELETE", "/v1/applications/" + app["id"], key=t.key)
        eq(r[0], 204, n + " delete")
        eq(r[3], b"", n + " no body")
        for method in ["GET", "PATCH", "DELETE"]:
            error(call(server, method, "/v1/applications/" + app["id"], {}, t.key), 404,
                  "not_found", n + " %s after delete" % method)
        assert app["id"] not in [a["id"] for a in ok(call(
            server, "GET", "/v1/applications?limit=100", key=t.key), 200, n)["data"]]
        error(call(server, "POST", "/v1/applications/%s/messages" % app["id"],
                   {"event_type": "a"}, t.ingest_key), 404, "not_found",
              n + " send-message to a deleted application")


@hftest.test
def endpoints_crud_secret_and_rotation():
    t = Tenant()
    for server in servers:
        n = server.name
        app = make_app(server, t, env_id=t.prod)
        ep = make_endpoint(server, t, application_id=app["id"], description="orders",
                           event_types=["order.paid", "order.refunded"])
        eq(sorted(ep), ["application_id", "created_at", "description", "disabled_reason",
                        "env_id", "event_types", "failing_since", "id", "secret", "status",
                        "updated_at", "url"], n + " shape")
        eq((ep["application_id"], ep["env_id"], ep["url"], ep["description"], ep["status"],
            ep["disabled_reason"], ep["failing_since"], ep["event_types"]),
           (app["id"], t.prod, URL, "orders", "active", None, None,
            ["order.paid", "order.refunded"]), n + " fields")
        assert ep["secret"].startswith("whsec_"), ep
        got = ok(call(server, "GET", "/v1/endpoints/" + ep["id"], key=t.key), 200, n)
        eq("secret" in got, False, n + " the secret is not shown again")
        del ep["secret"]
        eq(got, ep, n + " get")
        every = make_endpoint(server, t)
        eq((every["event_types"], every["application_id"], every["env_id"]),
           (["*"], None, None), n + " default: every type")
        # Filters.
        def ids(query):
            return [e["id"] for e in ok(call(server, "GET", "/v1/endpoints" + query,
                                             key=t.key), 200, n + query)["data"]]
        eq(ids("?application_id=" + app["id"]), [ep["id"]], n + " by application")
        in_prod = ids("?env_id=" + t.prod)
        assert ep["id"] in in_prod and every["id"] not in in_prod, in_prod
        assert every["id"] in ids("?status=active") and ep["id"] in ids(""), n
        ok(call(server, "PATCH", "/v1/endpoints/" + every["id"], {"status": "disabled"},
                t.key), 200, n)
        eq(every["id"] in ids("?status=active"), False, n + " not active")
        assert every["id"] in ids("?status=disabled"), n + " disabled"
        # Secret, rotation.
        secret = ok(call(server, "GET", "/v1/endpoints/%s/secret" % ep["id"], key=t.key),
                    200, n)
        eq(sorted(secret), ["secret"], n + " secret shape")
        rotated = ok(call(server, "POST", "/v1/endpoints/%s/rotate-secret" % ep["id"],
                          {"grace_hours": 2}, t.key), 200, n + " rotate")
        assert rotated["secret"] != secret["secret"], rotated
        eq(ok(call(server, "GET", "/v1/endpoints/%s/secret" % ep["id"], key=t.key), 200,
              n)["secret"], rotated["secret"], n + " the new one is in force")
        eq(db.value("SELECT COUNT(*) FROM endpoint_secrets WHERE endpoint_id = '%s'"
                    " AND expires_at BETWEEN NOW(3) + INTERVAL 1 HOUR AND NOW(3)"
                    " + INTERVAL 3 HOUR" % ep["id"]), "1", n + " the old one for 2 h")
        r = call(server, "POST", "/v1/endpoints/%s/rotate-secret" % every["id"], "", t.key)
        ok(r, 200, n + " rotate with no body")
        # PATCH.
        patched = ok(call(server, "PATCH", "/v1/endpoints/" + ep["id"],
                          {"url": "https://example.com/h", "description": "",
                           "event_types": ["user.created"]}, t.key), 200, n + " patch")
        eq((patched["url"], patched["description"], patched["event_types"]),
           ("https://example.com/h", "", ["user.created"]), n + " patched")


@hftest.test
def disabling_parks_enabling_resumes_and_deleting_stops_every_fan_out():
    t = Tenant()
    for server in servers:
        n = server.name
        ep = make_endpoint(server, t)
        kept = make_endpoint(server, t)
        ep_key = ok(call(server, "POST", "/v1/keys", {"endpoint_id": ep["id"]}, t.key), 201,
                    n + " an endpoint key")

        def fan_out():
            r = call(server, "POST", "/api/ingest/event/order.paid", {"payload": {}},
                     t.ingest_key)
            return set(ok(r, 202, n + " trigger")["deliveryIds"])

        def statuses(endpoint):
            return db.rows("SELECT status FROM deliveries WHERE endpoint_id = '%s'"
                           % endpoint)

        fan_out()
        eq(statuses(ep["id"]), [("pending",)], n + " one waiting")
        off = ok(call(server, "PATCH", "/v1/endpoints/" + ep["id"], {"status": "disabled"},
                      t.key), 200, n + " disable")
        eq((off["status"], off["disabled_reason"]),
           ("disabled", "disabled through the management API"), n)
        eq(statuses(ep["id"]), [("paused",)], n + " parked as the CLI parks")
        eq(len(fan_out()), 1, n + " a disabled endpoint gets no new delivery")
        on = ok(call(server, "PATCH", "/v1/endpoints/" + ep["id"], {"status": "active"},
                     t.key), 200, n + " enable")
        eq((on["status"], on["disabled_reason"]), ("active", None), n)
        eq(statuses(ep["id"]), [("pending",)], n + " resumed")
        eq(call(server, "DELETE", "/v1/endpoints/" + ep["id"], key=t.key)[0], 204, n)
        eq(db.rows("SELECT status, last_error, due_at FROM deliveries WHERE endpoint_id"
                   " = '%s'" % ep["id"]), [("failed", "the endpoint was deleted", None)],
           n + " its waiting delivery ended, history kept")
        after = fan_out()
        eq(len(after), 1, n + " a later fan-out skips it")
        eq(db.value("SELECT endpoint_id FROM deliveries WHERE id = '%s'" % after.pop()),
           kept["id"], n + " and reaches the other")
        for method, path in [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/secret"),
                             ("POST", "/rotate-secret")]:
            error(call(server, method, "/v1/endpoints/" + ep["id"] + path, {}, t.key), 404,
                  "not_found", n + " %s%s after delete" % (method, path))
        assert ep_key["id"] not in [k["id"] for k in ok(call(
            server, "GET", "/v1/keys?limit=100", key=t.key), 200, n)["data"]], n
        eq(db.value("SELECT revoked_at IS NOT NULL FROM api_keys WHERE id = '%s'"
                    % ep_key["id"]), "1", n + " its endpoint key is revoked")
        r = db.run_admin("endpoint", "enable", "--endpoint", ep["id"])
        eq(r.returncode, 1, n + " the CLI cannot enable a deleted endpoint")
        eq(call(server, "DELETE", "/v1/endpoints/" + kept["id"], key=t.key)[0], 204, n)


@hftest.test
def endpoints_under_an_application():
    t = Tenant()
    for server in servers:
        n = server.name
        app = make_app(server, t)
        other = make_app(server, t, name="other")
        base = "/v1/applications/%s/endpoints" % app["id"]
        ep = ok(call(server, "POST", base, {"url": URL}, t.key), 201, n + " create")
        eq(ep["application_id"], app["id"], n + " of the path's application")
        error(call(server, "POST", base, {"url": URL, "application_id": other["id"]},
                   t.key), 400, "invalid_request", n + " no application_id here",
              "application_id")
        make_endpoint(server, t, application_id=other["id"])
        eq([e["id"] for e in ok(call(server, "GET", base, key=t.key), 200, n)["data"]],
           [ep["id"]], n + " only its endpoints")
        got = ok(call(server, "GET", base + "/" + ep["id"], key=t.key), 200, n)
        eq(got["id"], ep["id"], n + " get")
        ok(call(server, "PATCH", base + "/" + ep["id"], {"description": "d"}, t.key), 200, n)
        wrong = "/v1/applications/%s/endpoints/%s" % (other["id"], ep["id"])
        for method in ["GET", "PATCH", "DELETE"]:
            error(call(server, method, wrong, {}, t.key), 404, "not_found",
                  n + " %s through another application" % method)
        error(call(server, "GET", "/v1/applications/app_00000000000000000000000000/endpoints",
                   key=t.key), 404, "not_found", n + " unknown application")
        eq(call(server, "DELETE", base + "/" + ep["id"], key=t.key)[0], 204, n + " delete")


@hftest.test
def event_types_and_ingest_keys():
    t = Tenant()
    for i, server in enumerate(servers):
        n = server.name
        name = "invoice.paid.%d" % i
        et = ok(call(server, "POST", "/v1/event-types", {"name": name}, t.key), 201, n)
        eq((sorted(et), et["name"]), (["created_at", "id", "name"], name), n + " shape")
        error(call(server, "POST", "/v1/event-types", {"name": name}, t.key), 409,
              "conflict", n + " twice")
        listed = ok(call(server, "GET", "/v1/event-types", key=t.prod_key), 200, n)
        assert et["id"] in [e["id"] for e in listed["data"]], listed
        # Keys.
        made = ok(call(server, "POST", "/v1/keys", {}, t.key), 201, n + " workspace key")
        eq(sorted(made), ["created_at", "endpoint_id", "env_id", "id", "key"], n)
        eq((made["env_id"], made["endpoint_id"], made["key"][:4]), (None, None, "hfk_"), n)
        env_key = ok(call(server, "POST", "/v1/keys", {"env_id": t.dev}, t.key), 201, n)
        eq(env_key["env_id"], t.dev, n + " env key")
        ep = make_endpoint(server, t)
        ep_key = ok(call(server, "POST", "/v1/keys", {"endpoint_id": ep["id"]}, t.key), 201,
                    n)
        eq(ep_key["endpoint_id"], ep["id"], n + " endpoint key")
        listed = ok(call(server, "GET", "/v1/keys", key=t.key), 200, n)["data"]
        assert all("key" not in k for k in listed), listed
        ids = [k["id"] for k in listed]
        assert made["id"] in ids and env_key["id"] in ids and ep_key["id"] in ids, ids
        mgmt_ids = [r[0] for r in db.rows("SELECT id FROM api_keys WHERE kind = 'management'")]
        assert not set(mgmt_ids) & set(ids), "management keys are not listed"
        ok(call(server, "POST", "/api/ingest/event/a.b", {"payload": {}}, made["key"]), 202,
           n + " the new key ingests")
        eq(call(server, "DELETE", "/v1/keys/" + made["id"], key=t.key)[0], 204, n)
        error(call(server, "POST", "/api/ingest/event/a.b", {"payload": {}}, made["key"]),
              401, "unauthorized", n + " revoked")
        error(call(server, "DELETE", "/v1/keys/" + made["id"], key=t.key), 404, "not_found",
              n + " revoked already")
        mgmt = db.value("SELECT id FROM api_keys WHERE kind = 'management' AND"
                        " workspace_id = '%s' LIMIT 1" % t.ws)
        error(call(server, "DELETE", "/v1/keys/" + mgmt, key=t.key), 404, "not_found",
              n + " management keys are out of reach")
        # The environment key's keys.
        mine = ok(call(server, "POST", "/v1/keys", {}, t.prod_key), 201, n)
        eq(mine["env_id"], t.prod, n + " an env key makes keys of its environment")
        listed = ok(call(server, "GET", "/v1/keys", key=t.prod_key), 200, n)["data"]
        assert mine["id"] in [k["id"] for k in listed], listed
        eq({k["env_id"] for k in listed}, {t.prod}, n + " and sees only those")


@hftest.test
def environment_scoped_management_key_sees_its_environment_only():
    t = Tenant()
    for server in servers:
        n = server.name
        dev_app = make_app(server, t, env_id=t.dev)
        no_env_app = make_app(server, t)
        dev_ep = make_endpoint(server, t, application_id=dev_app["id"])
        prod_app = make_app(server, t, t.prod_key)
        eq(prod_app["env_id"], t.prod, n + " made in its environment")
        prod_ep = make_endpoint(server, t, t.prod_key)
        eq(prod_ep["env_id"], t.prod, n + " endpoint in its environment")
        apps = [a["id"] for a in ok(call(server, "GET", "/v1/applications?limit=100",
                                         key=t.prod_key), 200, n)["data"]]
        assert prod_app["id"] in apps and dev_app["id"] not in apps and \
            no_env_app["id"] not in apps, apps
        eps = [e["id"] for e in ok(call(server, "GET", "/v1/endpoints?limit=100",
                                        key=t.prod_key), 200, n)["data"]]
        assert prod_ep["id"] in eps and dev_ep["id"] not in eps, eps
        for method, path, body in [
                ("GET", "/v1/applications/" + dev_app["id"], None),
                ("PATCH", "/v1/applications/" + no_env_app["id"], {"name": "x"}),
                ("GET", "/v1/endpoints/" + dev_ep["id"], None),
                ("GET", "/v1/endpoints/%s/secret" % dev_ep["id"], None),
                ("DELETE", "/v1/endpoints/" + dev_ep["id"], None),
                ("POST", "/v1/applications", {"name": "x", "env_id": t.dev}),
                ("POST", "/v1/endpoints", {"url": URL, "application_id": dev_app["id"]}),
                ("POST", "/v1/keys", {"endpoint_id": dev_ep["id"]}),
                ("GET", "/v1/endpoints?env_id=" + t.dev, None)]:
            error(call(server, method, path, body, t.prod_key), 404, "not_found",
                  "%s env key %s %s" % (n, method, path))


def other_tenant_objects(server):
    """Workspace B with an application, an endpoint and an ingest key."""
    b = Tenant()
    app = make_app(server, b, env_id=b.prod)
    ep = make_endpoint(server, b, application_id=app["id"])
    key = ok(call(server, "POST", "/v1/keys", {}, b.key), 201, "B key")
    return b, app, ep, key


@hftest.test
def another_workspace_is_404_in_the_path_the_body_and_the_filters():
    a = Tenant()
    for server in servers:
        n = server.name
        b, app, ep, key = other_tenant_objects(server)
        before = counts()
        table = [
            ("GET", "/v1/applications/" + app["id"], None),
            ("PATCH", "/v1/applications/" + app["id"], {"name": "x"}),
            ("DELETE", "/v1/applications/" + app["id"], None),
            ("GET", "/v1/applications/%s/endpoints" % app["id"], None),
            ("POST", "/v1/applications/%s/endpoints" % app["id"], {"url": URL}),
            ("GET", "/v1/applications/%s/endpoints/%s" % (app["id"], ep["id"]), None),
            ("PATCH", "/v1/applications/%s/endpoints/%s" % (app["id"], ep["id"]), {}),
            ("DELETE", "/v1/applications/%s/endpoints/%s" % (app["id"], ep["id"]), None),
            ("GET", "/v1/endpoints/" + ep["id"], None),
            ("PATCH", "/v1/endpoints/" + ep["id"], {"status": "disabled"}),
            ("DELETE", "/v1/endpoints/" + ep["id"], None),
            ("GET", "/v1/endpoints/%s/secret" % ep["id"], None),
            ("POST", "/v1/endpoints/%s/rotate-secret" % ep["id"], {}),
            ("DELETE", "/v1/keys/" + key["id"], None),
            # in a body field
            ("POST", "/v1/endpoints", {"url": URL, "application_id": app["id"]}),
            ("POST", "/v1/endpoints", {"url": URL, "env_id": b.prod}),
            ("POST", "/v1/applications", {"name": "x", "env_id": b.prod}),
            ("POST", "/v1/keys", {"endpoint_id": ep["id"]}),
            ("POST", "/v1/keys", {"env_id": b.prod}),
            # in a filter
            ("GET", "/v1/endpoints?application_id=" + app["id"], None),
            ("GET", "/v1/endpoints?env_id=" + b.prod, None),
        ]
        for method, path, body in table:
            error(call(server, method, path, body, a.key), 404, "not_found",
                  "%s A's key: %s %s" % (n, method, path))
        eq(counts(), before, n + " nothing changed")
        eq(ok(call(server, "GET", "/v1/endpoints/" + ep["id"], key=b.key), 200, n)["status"],
           "active", n + " B's endpoint untouched")
        for path in ["/v1/applications", "/v1/endpoints", "/v1/keys", "/v1/environments",
                     "/v1/event-types"]:
            seen = json.dumps(ok(call(server, "GET", path + "?limit=100", key=a.key), 200, n))
            for other in (app["id"], ep["id"], key["id"], b.prod):
                assert other not in seen, "%s %s lists %s" % (n, path, other)


@hftest.test
def every_bad_input_is_a_400_naming_the_field_and_changes_nothing():
    t = Tenant()
    app = db.admin("app", "create", "--workspace", t.ws, "--name", "a")["id"]
    ep = db.admin("endpoint", "create", "--workspace", t.ws, "--url", URL)["id"]
    long_url = "https://example.com/" + "a" * 2048
    cases = [
        ("POST", "/v1/environments", {}, "name"),
        ("POST", "/v1/environments", {"name": ""}, "name"),
        ("POST", "/v1/environments", {"name": "x" * 201}, "name"),
        ("POST", "/v1/environments", {"name": 5}, "name"),
        ("POST", "/v1/environments", {"name": "a\u0001b"}, "name"),
        ("POST", "/v1/environments", {"name": "n", "colour": "red"}, "colour"),
        ("POST", "/v1/applications", {"name": "n", "status": "paused"}, "status"),
        ("POST", "/v1/applications", {"name": "n", "env_id": "prod"}, "env_id"),
        ("POST", "/v1/applications", {"name": "n", "uid": "x"}, "uid"),
        ("PATCH", "/v1/applications/" + app, {"name": ""}, "name"),
        ("PATCH", "/v1/applications/" + app, {"env_id": None}, "env_id"),
        ("POST", "/v1/endpoints", {}, "url"),
        ("POST", "/v1/endpoints", {"url": "ftp://example.com/"}, "url"),
        ("POST", "/v1/endpoints", {"url": "https://"}, "url"),
        ("POST", "/v1/endpoints", {"url": long_url}, "url"),
        ("POST", "/v1/endpoints", {"url": URL, "description": "d" * 1025}, "description"),
        ("POST", "/v1/endpoints", {"url": URL, "event_types": "a"}, "event_types"),
        ("POST", "/v1/endpoints", {"url": URL, "event_types": []}, "event_types"),
        ("POST", "/v1/endpoints", {"url": URL, "event_types": ["a b"]}, "event_types[0]"),
        ("POST", "/v1/endpoints", {"url": URL, "event_types": ["x" * 129]}, "event_types"),
        ("POST", "/v1/endpoints", {"url": URL, "event_types": ["t%d" % i for i in range(65)]},
         "event_types"),
        ("POST", "/v1/endpoints", {"url": URL, "secret": "whsec_x"}, "secret"),
        ("PATCH", "/v1/endpoints/" + ep, {"status": "off"}, "status"),
        ("PATCH", "/v1/endpoints/" + ep, {"url": "http:/x"}, "url"),
        ("PATCH", "/v1/endpoints/" + ep, {"event_types": [1]}, "event_types[0]"),
        ("POST", "/v1/endpoints/%s/rotate-secret" % ep, {"grace_hours": -1}, "grace_hours"),
        ("POST", "/v1/endpoints/%s/rotate-secret" % ep, {"grace_hours": 721}, "grace_hours"),
        ("POST", "/v1/endpoints/%s/rotate-secret" % ep, {"grace_hours": "2"}, "grace_hours"),
        ("POST", "/v1/event-types", {"name": "*"}, "name"),
        ("POST", "/v1/event-types", {"name": "a/b"}, "name"),
        ("POST", "/v1/keys", {"env_id": t.prod, "endpoint_id": ep}, "env_id"),
        ("POST", "/v1/keys", {"key": "hfk_x"}, "key"),
        ("GET", "/v1/applications?limit=0", None, "limit"),
        ("GET", "/v1/applications?limit=101", None, "limit"),
        ("GET", "/v1/applications?limit=ten", None, "limit"),
        ("GET", "/v1/applications?sort=name", None, "sort"),
        ("GET", "/v1/applications?limit=5&limit=6", None, "limit"),
        ("GET", "/v1/endpoints?status=paused", None, "status"),
        ("GET", "/v1/endpoints?application_id=billing", None, "application_id"),
    ]
    for server in servers:
        n = server.name
        before = counts()
        for method, path, body, field in cases:
            error(call(server, method, path, body, t.key), 400, "invalid_request",
                  "%s %s %s %r" % (n, method, path, body), field)
        for raw in ["{", "[1]", '{"name": "a", "name": "b"}', '"x"']:
            r = call(server, "POST", "/v1/environments", raw, t.key)
            eq(r[0], 400, "%s %r" % (n, raw))
        error(call(server, "POST", "/v1/environments", '{"name":"a"}', t.key,
                   {"Content-Type": "text/plain"}), 415, "unsupported_media_type", n)
        for cursor in ["nope", "app_!!", "env_00000000000000000000000000", "x" * 65]:
            error(call(server, "GET", "/v1/applications?cursor=" + cursor, key=t.key), 400,
                  "invalid_cursor", "%s cursor %r" % (n, cursor))
        for bad in ["a b", "x" * 256, "caf\u00e9"]:
            error(call(server, "POST", "/v1/environments", {"name": "n"}, t.key,
                       {"Idempotency-Key": bad.encode("utf-8").decode("latin-1")}), 400,
                  "invalid_request", "%s Idempotency-Key %r" % (n, bad), "Idempotency-Key")
        eq(counts(), before, n + " nothing changed")


@hftest.test
def pages_neither_repeat_nor_skip_while_rows_are_added():
    t = Tenant()
    for server in servers:
        n = server.name
        for i in range(23):
            db.admin("app", "create", "--workspace", t.ws, "--name", "%s-%d" % (n, i))
        existing = {r[0] for r in db.rows("SELECT id FROM applications WHERE workspace_id"
                                          " = '%s' AND deleted_at IS NULL" % t.ws)}
        stop = threading.Event()

        def insert():
            i = 0
            while not stop.is_set() and i < 40:
                call(server, "POST", "/v1/applications", {"name": "new%d" % i}, t.key)
                i += 1

        writer = threading.Thread(target=insert)
        writer.start()
        seen, cursor, pages = [], None, 0
        try:
            while True:
                q = "/v1/applications?limit=4" + ("&cursor=" + cursor if cursor else "")
                page = ok(call(server, "GET", q, key=t.key), 200, n + " page")
                assert len(page["data"]) <= 4, page
                seen += [a["id"] for a in page["data"]]
                pages += 1
                cursor = page["next_cursor"]
                if cursor is None:
                    break
        finally:
            stop.set()
            writer.join()
        eq(len(seen), len(set(seen)), n + " no row twice")
        eq(seen, sorted(seen, reverse=True), n + " newest first, throughout")
        eq(existing - set(seen), set(), n + " no row that was there skipped")
        assert pages >= 6, pages


@hftest.test
def idempotency_key_replays_the_first_answer_and_refuses_another_body():
    t = Tenant()
    app = db.admin("app", "create", "--workspace", t.ws, "--name", "a")["id"]
    for i, server in enumerate(servers):
        n = server.name
        h = {"Idempotency-Key": "create-app-%d" % i}
        first = call(server, "POST", "/v1/applications", {"name": "once"}, t.key, h)
        eq(first[0], 201, n + " first")
        again = call(server, "POST", "/v1/applications", {"name": "once"}, t.key, h)
        eq((again[0], again[3]), (201, first[3]), n + " the same answer, byte for byte")
        eq(again[1].get("idempotent-replayed"), "true", n + " marked as a replay")
        eq(db.value("SELECT COUNT(*) FROM applications WHERE workspace_id = '%s' AND"
                    " name = 'once'" % t.ws), str(i + 1), n + " one effect")
        error(call(server, "POST", "/v1/applications", {"name": "twice"}, t.key, h), 422,
              "idempotency_key_reused", n + " another body")
        error(call(server, "POST", "/v1/environments", {"name": "once"}, t.key, h), 422,
              "idempotency_key_reused", n + " another route")
        # Another workspace has its own keys.
        other = Tenant()
        ok(call(server, "POST", "/v1/applications", {"name": "once"}, other.key, h), 201,
           n + " the same key in another workspace")
        # A refused request stores nothing under its key: it can be retried.
        h2 = {"Idempotency-Key": "bad-then-good-%d" % i}
        error(call(server, "POST", "/v1/applications", {"name": ""}, t.key, h2), 400,
              "invalid_request", n)
        ok(call(server, "POST", "/v1/applications", {"name": "good"}, t.key, h2), 201,
           n + " the key is free after an error")
        # send-message, through the stored procedure that commits.
        path = "/v1/applications/%s/messages" % app
        body = {"event_type": "order.paid", "payload": {"n": i}}
        hs = {"Idempotency-Key": "msg-%d" % i}
        sent = int(db.value("SELECT COUNT(*) FROM messages WHERE application_id = '%s'" % app))
        first = call(server, "POST", path, body, t.ingest_key, hs)
        eq(first[0], 201, n + " send-message")
        again = call(server, "POST", path, body, t.ingest_key, hs)
        eq((again[0], again[3]), (201, first[3]), n + " send-message replayed")
        eq(int(db.value("SELECT COUNT(*) FROM messages WHERE application_id = '%s'" % app)),
           sent + 1, n + " one message")
        error(call(server, "POST", path, {"event_type": "order.paid", "payload": {}},
                   t.ingest_key, hs), 422, "idempotency_key_reused", n + " send-message body")
        error(call(server, "POST", path, body, t.ingest_key, {"Idempotency-Key": "x" * 256}),
              400, "invalid_request", n + " send-message bad key", "Idempotency-Key")
        ok(call(server, "POST", path, body, t.ingest_key), 201, n + " without the header")
        # The trigger takes none: both are stored.
        trig = {"Idempotency-Key": "trigger-%d" % i}
        stored = int(db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'"
                              % t.ws))
        for _ in range(2):
            ok(call(server, "POST", "/api/ingest/event/a.b", {"payload": {}}, t.ingest_key,
                    trig), 202, n)
        eq(int(db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'" % t.ws)),
           stored + 2, n + " the trigger ignores Idempotency-Key")
    # 24 hours later the key is free again; purge deletes what expired.
    db.root_sql("USE hookfan; UPDATE idempotency_keys SET created_at = NOW(3) - INTERVAL 25"
                " HOUR WHERE idempotency_key = '%s' AND workspace_id = '%s'"
                % (idem_row(t.key, "create-app-0"), t.ws))
    server = servers[0]
    ok(call(server, "POST", "/v1/applications", {"name": "other"}, t.key,
            {"Idempotency-Key": "create-app-0"}), 201, "an expired key is taken over")
    db.root_sql("USE hookfan; UPDATE idempotency_keys SET created_at = NOW(3) - INTERVAL 25"
                " HOUR WHERE idempotency_key IN (%s)"
                % ", ".join("'%s'" % idem_row(t.ingest_key, "msg-%d" % i)
                            for i in range(len(servers))))
    live = int(db.value("SELECT COUNT(*) FROM idempotency_keys"))
    db.admin("purge", "--older-than", "1")
    eq(int(db.value("SELECT COUNT(*) FROM idempotency_keys")), live - 2,
       "purge deleted the expired answers only")


def race(server, method, path, body, key, idem, hold_statement):
    """Two requests with the same Idempotency-Key at once, on two threads
    (and so, with two FastCGI processes, on two processes), both held at
    the same row lock until released together."""
    held = db.hold(hold_statement)
    barrier = threading.Barrier(2)
    answers = [None, None]

    def post(i):
        barrier.wait()
        answers[i] = call(server, method, path, body, key, {"Idempotency-Key": idem})

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    # Released as soon as one waits at the lock, well within its 2 s lock
    # wait; reaching the lock may take longer on a loaded machine.
    waiting = "0"
    for _ in range(400):
        waiting = db.value("SELECT COUNT(*) FROM information_schema.innodb_trx"
                           " WHERE trx_state = 'LOCK WAIT'")
        if waiting != "0" or not any(th.is_alive() for th in threads):
            break
        time.sleep(0.05)
    held.finish("ROLLBACK;")
    if waiting == "0":
        for th in threads:
            th.join()
        raise AssertionError("no request waited on the lock; answers: %r" % answers)
    for th in threads:
        th.join()
    return answers


@hftest.test
def two_identical_requests_at_the_same_instant_have_one_effect():
    t = Tenant()
    app = db.admin("app", "create", "--workspace", t.ws, "--name", "a")["id"]
    db.admin("endpoint", "create", "--workspace", t.ws, "--app", app, "--url", URL)
    for server in servers:
        n = server.name
        idem = "race-app-" + n
        answers = race(server, "POST", "/v1/applications", {"name": idem}, t.key, idem,
                       "BEGIN; INSERT INTO idempotency_keys (workspace_id, idempotency_key,"
                       " request_hash, status, body) VALUES ('%s', '%s', '', 0, '')"
                       % (t.ws, idem_row(t.key, idem)))
        eq([a[0] for a in answers], [201, 201], n + " both succeed")
        eq(answers[0][3], answers[1][3], n + " with the same answer")
        eq(db.value("SELECT COUNT(*) FROM applications WHERE name = '%s'" % idem), "1",
           n + " one application")
        idem = "race-msg-" + n
        answers = race(server, "POST", "/v1/applications/%s/messages" % app,
                       {"event_type": "order.paid", "payload": {"race": n}}, t.ingest_key,
                       idem,
                       "BEGIN; INSERT INTO idempotency_keys (workspace_id, idempotency_key,"
                       " request_hash, status, body) VALUES ('%s', '%s', '', 0, '')"
                       % (t.ws, idem_row(t.ingest_key, idem)))
        eq([a[0] for a in answers], [201, 201], n + " both messages answered")
        eq(answers[0][3], answers[1][3], n + " the same message")
        eq(db.value("SELECT COUNT(*) FROM messages WHERE application_id = '%s' AND"
                    " payload LIKE '%%%s%%'" % (app, n)), "1", n + " one message")
        eq(db.value("SELECT COUNT(*) FROM deliveries d JOIN messages m ON m.id ="
                    " d.message_id WHERE m.application_id = '%s' AND m.payload LIKE"
                    " '%%%s%%'" % (app, n)), "1", n + " one delivery")
        # Unheld: many pairs fired at once.
        for k in range(5):
            idem = "free-race-%s-%d" % (n, k)
            answers = [None, None]
            barrier = threading.Barrier(2)

            def post(i, idem=idem):
                barrier.wait()
                answers[i] = call(server, "POST", "/v1/event-types", {"name": idem}, t.key,
                                  {"Idempotency-Key": idem})

            threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            eq([a[0] for a in answers], [201, 201], n + " unheld pair")
            eq(answers[0][3], answers[1][3], n + " unheld pair, one answer")


hftest.main()

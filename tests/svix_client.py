#!/usr/bin/env python3
"""The Svix-compatible API (/api/v1/...) through Svix's own Node client,
npm svix 1.x through lighttpd and 2.x through Apache (tests/svix_client.js),
against a real MariaDB, with hookfan-sweep delivering to a real receiver:
applications by uid, event types, an endpoint with event-type filters,
messages with eventId and idempotency-key, attempts, the secret verified
with the package's Webhook class, rotation, resend, recover, stats,
update, delete; and the rejections: a bad token, another workspace, bad
limit, iterator, uid and eventType, unsupported routes and fields.  Then
the same routes replayed through mgmtclient, each answer checked against
doc/openapi.json, and a bad token answered 401 before any fault of the
message create's body; a malformed idempotency-key and a PUT's over-long
path uid are 422, and a PUT that loses a create race answers conflict."""
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import mgmtclient  # noqa: E402
import receivers  # noqa: E402
import sweeptest  # noqa: E402
import webservers  # noqa: E402

# The newest 1.x known to work, and the current 2.x (which declares node
# >= 22 but runs on 20).
SVIX_VERSIONS = ("1.45.1", "2.5.0")
HERE = os.path.dirname(os.path.abspath(__file__))


def svix_modules(version):
    """node_modules holding svix version (installed if need be)."""
    prefix = os.path.join(hftest.BUILDDIR, "tests", ".cache", "svix" + version[0])
    modules = os.path.join(prefix, "node_modules")
    want = os.path.join(modules, "svix", "package.json")
    if not os.path.exists(want) or json.load(open(want))["version"] != version:
        os.makedirs(prefix, exist_ok=True)
        r = subprocess.run(["npm", "install", "--prefix", prefix, "--no-audit",
                            "--no-fund", "svix@" + version],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError("npm install svix@%s failed: %s" % (version, r.stderr))
    return modules


if not shutil.which("node"):
    print("1..0 # SKIP node is not available")
    sys.exit(0)

db = sweeptest.start_db()
lighttpd, apache = webservers.start_all(db)
tmp = tempfile.mkdtemp()
hftest.cleanup(lambda: shutil.rmtree(tmp, ignore_errors=True))


class Run:
    """One version of the package against its own two workspaces and
    receiver; its phases run in order, sharing a state file."""

    def __init__(self, version, server):
        self.version = version
        self.modules = svix_modules(version)
        self.receiver = receivers.Receiver()
        ws = sweeptest.workspace(db)
        other = sweeptest.workspace(db)
        self.state_file = os.path.join(tmp, "svix-%s.json" % version)
        self.state = {
            "version": version,
            "url": "http://127.0.0.1:%d" % server.port,
            "token": db.admin("key", "create", "--workspace", ws, "--management")["key"],
            "other_token": db.admin("key", "create", "--workspace", other,
                                    "--management")["key"],
            "receiver": self.receiver.url,
        }

    def phase(self, name):
        """Run one phase of svix_client.js; each of its checks must hold."""
        with open(self.state_file, "w") as f:
            json.dump(self.state, f)
        r = subprocess.run(["node", os.path.join(HERE, "svix_client.js"), self.modules,
                            name, self.state_file], capture_output=True, text=True,
                           timeout=120)
        lines = r.stdout.strip().splitlines()
        if not lines:
            raise AssertionError("%s: node failed: %s" % (name, r.stderr[-800:]))
        results = json.loads(lines[-1])
        for passed, what in results:
            print("# %s %s" % ("ok" if passed else "FAILED", what))
        failed = [what for passed, what in results if not passed]
        if failed:
            raise AssertionError("%s: %s" % (name, "; ".join(failed)))
        with open(self.state_file) as f:
            self.state = json.load(f)

    def sweep(self, expected):
        sweeptest.sweep(db)
        hftest.eq(self.receiver.count(), expected, "deliveries received")
        self.state["delivered"] = [{"body": q.body.decode(), "headers": q.headers}
                                   for q in self.receiver.requests]


def register(version, server):
    run = Run(version, server)
    tag = version.split(".")[0]

    def apps_endpoints_messages_and_rejections():
        run.phase("setup")

    def sweep_delivers_the_subscribed_type_then_attempts_secret_resend():
        run.sweep(1)
        run.phase("afterSweep")

    def resend_verifies_with_new_secret_recover_stats_update_delete():
        run.sweep(2)
        run.phase("finish")

    for fn in (apps_endpoints_messages_and_rejections,
               sweep_delivers_the_subscribed_type_then_attempts_secret_resend,
               resend_verifies_with_new_secret_recover_stats_update_delete):
        fn.__name__ = "svix%s_%s" % (tag, fn.__name__)
        hftest.test(fn)


# Each version through one of the two web servers.
register(SVIX_VERSIONS[0], lighttpd)
register(SVIX_VERSIONS[1], apache)



@hftest.test
def the_svix_routes_answer_as_the_openapi_document_says():
    # The same routes replayed outside the library, each answer checked
    # against doc/openapi.json (mgmtclient), the library's calls untouched.
    ws = sweeptest.workspace(db)
    c = mgmtclient.Client(lighttpd, db.admin("key", "create", "--workspace", ws,
                                               "--management")["key"])
    c.expect("GET", "/api/v1/health", 204, key="")
    app = c.expect("POST", "/api/v1/app", 201, {"name": "Doc", "uid": "doc-1"}).json
    c.expect("POST", "/api/v1/app", 200, {"name": "Doc", "uid": "doc-1"},
             query={"get_if_exists": "true"})
    c.expect("GET", "/api/v1/app", 200, query={"limit": 1})
    c.expect("GET", "/api/v1/app/doc-1", 200)
    c.expect("PATCH", "/api/v1/app/doc-1", 200, {"name": "Doc 2"})
    c.expect("PUT", "/api/v1/app/doc-1", 200, {"name": "Doc 3", "uid": "doc-1"})
    c.expect("POST", "/api/v1/event-type", 201, {"name": "doc.made", "description": "d"})
    c.expect("GET", "/api/v1/event-type", 200)
    c.expect("GET", "/api/v1/event-type/doc.made", 200)
    c.expect("PATCH", "/api/v1/event-type/doc.made", 200, {"description": "e"})
    base = "/api/v1/app/%s" % app["id"]
    ep = c.expect("POST", base + "/endpoint", 201,
                  {"url": run_receiver_url(), "filterTypes": ["doc.made"]}).json
    e = "%s/endpoint/%s" % (base, ep["id"])
    c.expect("GET", base + "/endpoint", 200)
    c.expect("GET", e, 200)
    c.expect("PATCH", e, 200, {"description": "x"})
    c.expect("GET", e + "/secret", 200)
    c.expect("GET", e + "/stats", 200)
    msg = c.expect("POST", base + "/msg", 202, {"eventType": "doc.made", "payload": {"a": 1},
                                                "eventId": "ev-1"}).json
    c.expect("POST", base + "/msg", 409, {"eventType": "doc.made", "payload": {}, "eventId": "ev-1"})
    c.expect("POST", base + "/msg", 422, {"eventType": "", "payload": {}}, code="validation")
    # A malformed idempotency-key is refused, never ignored (the library
    # cannot send a tab; the web servers refuse other control bytes).
    for key in ("has space", "k" * 256, "a\tb"):
        r = c.expect("POST", base + "/msg", 422, {"eventType": "doc.made", "payload": {}},
                     code="validation", idempotency_key=key)
        assert "idempotency-key" in r.json["detail"][0]["msg"], r
    c.expect("PUT", "/api/v1/app/" + "u" * 257, 422, {"name": "Long"}, code="validation")
    c.expect("POST", base + "/msg", 401, {"eventType": "doc.made", "payload": {}},
             key="hfm_" + "x" * 40)
    # What is wrong with a create is answered only once the key is good.
    bad = "hfm_" + "x" * 40
    too_large = b'{"eventType":"doc.made","payload":{"x":"' + b"x" * 262144 + b'"}}'
    c.expect("POST", base + "/msg", 401, raw=too_large, key=bad)
    c.expect("POST", base + "/msg", 413, raw=too_large, code="payload_too_large")
    c.expect("POST", base + "/msg", 401, raw=b"{nope", key=bad)
    c.expect("POST", base + "/msg", 400, raw=b"{nope", code="invalid_json")
    c.expect("POST", base + "/msg?with_content=maybe", 401, {"eventType": "doc.made",
                                                             "payload": {}}, key=bad)
    c.expect("POST", base + "/msg?with_content=maybe", 501, {"eventType": "doc.made",
                                                             "payload": {}},
             code="not_implemented")
    c.expect("POST", base + "/msg", 501, {"eventType": "doc.made", "payload": {},
                                          "application": {"name": "x"}},
             code="not_implemented")
    c.expect("POST", base + "/msg", 422, {"eventType": "doc.made", "payload": [],
                                          "surprise": 1}, code="validation")
    c.expect("GET", base + "/msg", 200)
    c.expect("GET", "%s/msg/%s" % (base, msg["id"]), 200, query={"with_content": "false"})
    c.expect("GET", "%s/attempt/msg/%s" % (base, msg["id"]), 200, query={"with_content": "false"})
    c.expect("GET", "%s/attempt/endpoint/%s" % (base, ep["id"]), 200,
             query={"with_content": "false"})
    c.expect("POST", "%s/msg/%s/endpoint/%s/resend" % (base, msg["id"], ep["id"]), 202)
    c.expect("POST", e + "/secret/rotate", 204, {})
    c.expect("GET", "/api/v1/app/nope-uid", 404)
    c.expect("GET", "/api/v1/environment", 501, code="not_implemented")
    c.expect("DELETE", e, 204)
    c.expect("DELETE", "/api/v1/app/doc-1", 204)


@hftest.test
def a_put_that_loses_a_create_race_answers_conflict():
    # PUT of an event type it did not find creates it; another transaction
    # inserts the same name first (held uncommitted until the PUT waits on
    # its unique key): the PUT's answer is the insert's conflict, not the
    # lookup's not_found.
    ws = sweeptest.workspace(db)
    c = mgmtclient.Client(lighttpd, db.admin("key", "create", "--workspace", ws,
                                               "--management")["key"])
    holder = subprocess.Popen(db._client() + ["--unbuffered"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    hftest.cleanup(holder.kill)
    holder.stdin.write("USE hookfan; BEGIN; INSERT INTO event_types (id, workspace_id, name)"
                       " VALUES ('evt_race', '%s', 'race.made'); SELECT 'held';\n" % ws)
    holder.stdin.flush()
    ready, _, _ = select.select([holder.stdout], [], [], 30)
    assert ready, "the holding session does not answer"
    hftest.eq(holder.stdout.readline().strip(), "held", "the name held uncommitted")
    answer = {}

    def put_it():
        try:
            answer["r"] = c.request("PUT", "/api/v1/event-type/race.made", {"description": "d"})
        except Exception as e:      # shown below, not lost in the thread
            answer["r"] = e
    put = threading.Thread(target=put_it)
    put.start()
    waiting = "SELECT COUNT(*) FROM information_schema.innodb_trx WHERE trx_state = 'LOCK WAIT'"
    seen = "0"
    for _ in range(200):
        seen = db.value(waiting)
        if seen != "0" or not put.is_alive():
            break
        time.sleep(0.05)
    hftest.eq(seen, "1", "the PUT waits on the held name (its answer: %r)" % answer.get("r"))
    holder.stdin.write("COMMIT;\n")
    holder.stdin.close()
    holder.wait(30)
    put.join(60)
    r = answer["r"]
    hftest.eq((r.status, r.code), (409, "conflict"), "the create's own answer: %r" % r)


def run_receiver_url():
    return receivers.Receiver().url

if __name__ == "__main__":
    hftest.main()

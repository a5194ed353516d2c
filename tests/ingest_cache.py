"""What hookfan.fcgi remembers of its ingest lookups (src/ingest_cache.h),
and what it must not: each change to a workspace takes effect on the very
next request of a process that has just looked the same request up,
through a real lighttpd and a real Apache + mod_fcgid, each with one
FastCGI process (so the request meets the remembered lookup), against a
real MariaDB.  The changes: a key revoked (hookfan-admin and the
management API), a subscription added or removed, an endpoint made,
disabled, enabled, deleted, or disabled by the sweep (410 Gone), an
application deactivated.  Also: the usual request costs one statement."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import receivers  # noqa: E402
import sweeptest  # noqa: E402
import webservers  # noqa: E402
from hftest import eq  # noqa: E402

db = hftest.MariaDB.start()
servers = [webservers.Lighttpd(db, procs=1), webservers.Apache(db, max_procs=1)]
URL = "http://127.0.0.1:9/hook"


def trigger(server, key, event_type="order.paid"):
    return server.api("POST", "/api/ingest/event/" + event_type,
                      {"payload": {"n": 1}}, key=key)


def targets(server, key, event_type="order.paid"):
    """The endpoints a trigger reached, after the same trigger once before
    (which the process then remembers)."""
    status, _, body = trigger(server, key, event_type)
    eq(status, 202, server.name)
    return sorted(db.value("SELECT endpoint_id FROM deliveries WHERE id = '%s'" % d)
                  for d in body["deliveryIds"])


class Workspace:
    def __init__(self):
        a = db.admin
        self.ws = a("workspace", "create", "--name", "cache")["id"]
        self.one = self.endpoint()
        k = a("key", "create", "--workspace", self.ws)
        self.key, self.key_id = k["key"], k["id"]
        self.mgmt = a("key", "create", "--workspace", self.ws, "--management")["key"]

    def endpoint(self, url=URL):
        return db.admin("endpoint", "create", "--workspace", self.ws, "--url", url,
                        "--event-type", "order.paid")["id"]


def warm(server, w):
    """Two triggers: the first looks up, the second is served remembered."""
    targets(server, w.key)
    return targets(server, w.key)


@hftest.test
def the_usual_request_is_one_statement():
    for server in servers:
        w = Workspace()
        warm(server, w)
        before = dict(db.rows("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'"))
        targets(server, w.key)
        after = dict(db.rows("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'"))
        # the trigger's CALL alone (the test reads with the text protocol)
        eq(int(after["Com_stmt_execute"]) - int(before["Com_stmt_execute"]), 1,
           server.name)


@hftest.test
def a_revoked_key_stops_at_once():
    for server in servers:
        w = Workspace()
        warm(server, w)
        db.admin("key", "revoke", "--key-id", w.key_id)
        eq(trigger(server, w.key)[0], 401, server.name + " hookfan-admin key revoke")
        w = Workspace()
        warm(server, w)
        eq(server.api("DELETE", "/v1/keys/" + w.key_id, key=w.mgmt)[0], 204)
        eq(trigger(server, w.key)[0], 401, server.name + " DELETE /v1/keys")
        # A message with no delivery to store is checked as well.
        w = Workspace()
        eq(warm(server, w), [w.one])
        eq(targets(server, w.key, "nobody.listens"), [])
        eq(targets(server, w.key, "nobody.listens"), [])
        db.admin("key", "revoke", "--key-id", w.key_id)
        eq(trigger(server, w.key, "nobody.listens")[0], 401,
           server.name + " revoked, no subscriber")


@hftest.test
def subscriptions_and_endpoints_take_effect_at_once():
    for server in servers:
        w = Workspace()
        eq(warm(server, w), [w.one])
        two = w.endpoint()
        eq(targets(server, w.key), sorted([w.one, two]), server.name + " endpoint made")
        db.admin("unsubscribe", "--endpoint", two, "--event-type", "order.paid")
        eq(targets(server, w.key), [w.one], server.name + " unsubscribed")
        db.admin("subscribe", "--endpoint", two, "--event-type", "*")
        eq(targets(server, w.key), sorted([w.one, two]), server.name + " subscribed to *")
        db.admin("endpoint", "disable", "--endpoint", two)
        eq(targets(server, w.key), [w.one], server.name + " disabled")
        db.admin("endpoint", "enable", "--endpoint", two)
        eq(targets(server, w.key), sorted([w.one, two]), server.name + " enabled")
        eq(server.api("PATCH", "/v1/endpoints/" + two, {"event_types": ["other"]},
                      key=w.mgmt)[0], 200)
        eq(targets(server, w.key), [w.one], server.name + " PATCH event_types")
        eq(server.api("DELETE", "/v1/endpoints/" + w.one, key=w.mgmt)[0], 204)
        eq(targets(server, w.key), [], server.name + " deleted")


@hftest.test
def an_endpoint_the_sweep_disables_gets_no_more():
    rx = receivers.Receiver(default="410")
    for server in servers:
        w = Workspace()
        gone = w.endpoint(rx.url)
        eq(warm(server, w), sorted([w.one, gone]))
        db.root_sql("UPDATE hookfan.deliveries SET status = 'succeeded', due_at = NULL"
                    " WHERE endpoint_id = '%s'" % w.one)
        sweeptest.sweep(db)
        eq(db.value("SELECT active FROM endpoints WHERE id = '%s'" % gone), "0",
           "410 Gone disables it")
        eq(targets(server, w.key), [w.one], server.name)


@hftest.test
def an_inactive_application_refuses_at_once():
    for server in servers:
        w = Workspace()
        app = db.admin("app", "create", "--workspace", w.ws, "--name", "a")["id"]
        db.admin("endpoint", "create", "--workspace", w.ws, "--app", app, "--url", URL)

        def send():
            return server.api("POST", "/v1/applications/%s/messages" % app,
                              {"event_type": "invoice.paid", "payload": {}},
                              key=w.key)[0]
        eq((send(), send()), (201, 201))
        db.admin("app", "deactivate", "--app", app)
        eq(send(), 400, server.name + " deactivated")
        db.admin("app", "activate", "--app", app)
        eq(send(), 201, server.name + " activated")


hftest.main()

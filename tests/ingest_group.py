"""Shared commits (cgi/ingest_group.h): requests that reach one
hookfan.fcgi process together store their messages in one transaction.
Through a real lighttpd running the shipped snippet's one process and a
real Apache + mod_fcgid (one request per process at a time: no group
there), against a real MariaDB, with many clients at once: every 2xx is
stored exactly as answered, requests share commits, a change made during
a flood takes effect for every request sent after it, a shared commit
that fails stores each request alone, the writer's connection opens only
where stores meet, killed connections lose nothing, and the process
stops on SIGTERM."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import webservers  # noqa: E402
from hftest import eq  # noqa: E402

db = hftest.MariaDB.start()
lighttpd = webservers.Lighttpd(db, procs=None)   # the snippet's own count
servers = [lighttpd, webservers.Apache(db, max_procs=4)]
URL = "http://127.0.0.1:9/hook"
CLIENTS = 16


class Workspace:
    def __init__(self, endpoints=3):
        a = db.admin
        self.ws = a("workspace", "create", "--name", "group")["id"]
        self.endpoints = [self.endpoint() for _ in range(endpoints)]
        k = a("key", "create", "--workspace", self.ws)
        self.key, self.key_id = k["key"], k["id"]

    def endpoint(self):
        return db.admin("endpoint", "create", "--workspace", self.ws, "--url", URL,
                        "--event-type", "order.paid")["id"]


def payload(client, n):
    """A different payload per request, with text that needs escaping."""
    return {"client": client, "n": n, "text": "caf\u00e9 \"q\" \\ \u2603 \U0001f600",
            "list": [n, None, True, 1.5]}


def trigger(server, key, body):
    return server.api("POST", "/api/ingest/event/order.paid", {"payload": body}, key=key)


def flood(server, key, per_client, during=None):
    """CLIENTS clients at once, per_client triggers each; with during(),
    they go on until half a second after it returned, which is once each
    has had a few answers.  Returns [(sent at, status, body, payload)] and
    the time during() returned."""
    answers, lock = [], threading.Lock()
    stop = threading.Event()
    started = threading.Barrier(CLIENTS + 1)

    def client(c):
        started.wait()
        n = 0
        while n < per_client or (during is not None and not stop.is_set()):
            body = payload(c, n)
            sent = time.monotonic()
            status, _, answer = trigger(server, key, body)
            with lock:
                answers.append((sent, status, answer, body))
            n += 1

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    started.wait()
    done = None
    if during is not None:
        hftest.wait_for(lambda: len(answers) >= 3 * CLIENTS, 30, "the flood to start")
        during()
        done = time.monotonic()
        time.sleep(0.5)
        stop.set()
    for t in threads:
        t.join()
    return answers, done


def stored_deliveries(answers):
    """{delivery id: (endpoint id, message id)} of the deliveries the
    answers name that are stored."""
    ids = [d for _, status, a, _ in answers if status == 202 for d in a["deliveryIds"]]
    return {r[0]: (r[1], r[2]) for r in rows_in(
        "SELECT id, endpoint_id, message_id FROM deliveries WHERE id IN (%s)", ids)}


def rows_in(query, ids):
    """The rows of query for ids, asked 500 at a time (one command line)."""
    rows = []
    for i in range(0, len(ids), 500):
        rows += db.rows(query % ", ".join("'%s'" % x for x in ids[i:i + 500]))
    return rows


def check_stored(answers, endpoints):
    """Every 202 is stored as answered: its deliveries, to the endpoints
    endpoints(sent at, answer) says, and its message, with exactly the
    payload sent.  Returns how many 202s there were."""
    accepted = [(sent, a, p) for sent, status, a, p in answers if status == 202]
    deliveries = stored_deliveries(answers)
    eq(len(deliveries), sum(len(a["deliveryIds"]) for _, a, _ in accepted),
       "every delivery a 202 named is stored")
    messages = {}
    for sent, a, p in accepted:
        eq(sorted(deliveries[d][0] for d in a["deliveryIds"]), sorted(endpoints(sent, a)),
           "the deliveries go to the subscribed endpoints")
        ids = {deliveries[d][1] for d in a["deliveryIds"]}
        eq(len(ids), 1, "one message per request")
        messages[ids.pop()] = p
    payloads = dict(rows_in("SELECT id, HEX(payload) FROM messages WHERE id IN (%s)",
                            list(messages)))
    for m, sent in messages.items():
        eq(json.loads(bytes.fromhex(payloads[m])), sent, "the payload as sent")
    return len(accepted)


def statements():
    return int(dict(db.rows("SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'"))["Com_stmt_execute"])


@hftest.test
def every_2xx_is_stored_and_requests_share_commits():
    for server in servers:
        w = Workspace()
        for _ in range(3):      # every process has looked the key up
            eq(trigger(server, w.key, {"warm": 1})[0], 202)
        before = statements()
        answers, _ = flood(server, w.key, 20)
        used = statements() - before
        eq([s for _, s, _, _ in answers if s != 202], [], server.name + ": all accepted")
        eq(check_stored(answers, lambda sent, a: w.endpoints), CLIENTS * 20, server.name)
        print("# %s: %d requests, %d statements" % (server.name, len(answers), used))
        if server is lighttpd:
            assert used < 0.8 * len(answers), \
                "%d statements for %d requests: no commit was shared" % (used, len(answers))


@hftest.test
def a_change_during_a_flood_holds_for_every_request_sent_after_it():
    """An endpoint removed, then a key revoked, while 16 clients post:
    a request sent after the change returned never reaches the endpoint,
    or is refused (the shared commit checks the workspace's epoch and
    stores a stale request alone, which then looks up again)."""
    for server in servers:
        w = Workspace()
        gone = w.endpoints[0]
        answers, done = flood(server, w.key, 0, during=lambda: db.admin(
            "unsubscribe", "--endpoint", gone, "--event-type", "order.paid"))
        eq([s for _, s, _, _ in answers if s != 202], [], server.name)
        assert any(sent > done for sent, _, _, _ in answers), \
            server.name + ": no request was sent after the change"
        # Before the change returned either is right; after it, never gone.
        deliveries = stored_deliveries(answers)
        check_stored(answers, lambda sent, a: w.endpoints if sent < done and gone in [
            deliveries[d][0] for d in a["deliveryIds"]] else w.endpoints[1:])
        answers, done = flood(server, w.key, 0, during=lambda: db.admin(
            "key", "revoke", "--key-id", w.key_id))
        late = [s for sent, s, _, _ in answers if sent > done]
        assert late, server.name + ": no request was sent after the revoke"
        eq(sorted(set(late)), [401], server.name + ": requests sent after the revoke")
        check_stored(answers, lambda sent, a: w.endpoints[1:])


@hftest.test
def a_shared_commit_that_fails_stores_each_request_alone():
    """Without EXECUTE on the shared commit's procedure (an upgrade whose
    grants were not rerun) every group fails before its commit: each of
    its requests is stored alone, and the log says why."""
    w = Workspace()
    for _ in range(3):
        eq(trigger(lighttpd, w.key, {"warm": 1})[0], 202)
    user = hftest.ACCOUNTS["ingest"]
    db.root_sql("REVOKE EXECUTE ON PROCEDURE hookfan.hf_ingest_store_deliveries"
                " FROM '%s'@'localhost'" % user)
    try:
        answers, _ = flood(lighttpd, w.key, 10)
    finally:
        db.root_sql("GRANT EXECUTE ON PROCEDURE hookfan.hf_ingest_store_deliveries"
                    " TO '%s'@'localhost'" % user)
    eq([s for _, s, _, _ in answers if s != 202], [], "all accepted")
    eq(check_stored(answers, lambda sent, a: w.endpoints), CLIENTS * 10)
    eq(int(db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'" % w.ws)),
       CLIENTS * 10 + 3, "each stored once")
    assert "shared ingest commit of" in lighttpd.log(), lighttpd.log()


def ingest_connections():
    return int(db.value("SELECT COUNT(*) FROM information_schema.processlist"
                        " WHERE user = '%s'" % hftest.ACCOUNTS["ingest"]))


def processes_running(program):
    r = subprocess.run(["pgrep", "-f", program], capture_output=True, text=True)
    return len(r.stdout.split())


@hftest.test
def the_writer_connects_only_where_stores_meet():
    """mod_fcgid sends each process one request at a time: its stores
    never meet, so each process holds one ingest connection and its
    writer none.  A lighttpd process, 16 requests at once, holds at most
    one a request it served at once and its writer's."""
    w = Workspace()
    for make, most in ((lambda: webservers.Apache(db, max_procs=4), None),
                       (lambda: webservers.Lighttpd(db, procs=None), 16 + 1)):
        before = ingest_connections()
        server = make()
        answers, _ = flood(server, w.key, 5)
        eq([s for _, s, _, _ in answers if s != 202], [], server.name + ": all accepted")
        if most is None:
            program = os.path.join(server.dir, "libexec", "hookfan.fcgi")
            readings = []

            def one_a_process():
                # mod_fcgid may start or end a process between two
                # readings: only one taken while the count held still.
                procs = processes_running(program)
                used = ingest_connections() - before
                readings.append((procs, used, processes_running(program)))
                return readings[-1][0] == readings[-1][2] and used == procs
            try:
                hftest.wait_for(one_a_process, 5, "one connection a process")
            except AssertionError:
                raise AssertionError("%s: (processes, connections, processes) read %r"
                                     % (server.name, readings[-5:]))
            procs, used, _ = readings[-1]
            assert 1 <= procs <= 4, procs
        else:
            used = ingest_connections() - before
            assert 2 <= used <= most, "%s: %d connections" % (server.name, used)
        print("# %s: %d ingest connections" % (server.name, used))
        server.stop()
        hftest.wait_for(lambda: ingest_connections() == before, 10,
                        server.name + "'s connections to close")


@hftest.test
def connections_killed_during_a_flood_lose_nothing_and_stores_go_on():
    """Every ingest connection killed, three times, while 16 clients post
    (the writer's among them, perhaps during a group's commit): each
    answer is a 202 that is stored as answered, or a 503 that says
    whether anything was stored and is right; afterwards every request is
    accepted again, the writer on a new connection."""
    w = Workspace()
    for _ in range(3):
        eq(trigger(lighttpd, w.key, {"warm": 1})[0], 202)

    def kill_all():
        for _ in range(3):
            time.sleep(0.2)
            for cid in db.root_sql("SELECT id FROM information_schema.processlist"
                                   " WHERE user = '%s'" % hftest.ACCOUNTS["ingest"]).split():
                try:
                    db.root_sql("KILL CONNECTION %s" % cid)
                except RuntimeError:
                    pass    # it had ended

    answers, _ = flood(lighttpd, w.key, 0, during=kill_all)
    check_stored(answers, lambda sent, a: w.endpoints)
    for _, status, a, p in answers:
        if status == 202:
            continue
        eq(status, 503, "a refusal: %r" % a)
        if "nothing was stored" in a["message"]:
            eq(db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s' AND"
                        " JSON_VALUE(payload, '$.client') = %d AND JSON_VALUE(payload, '$.n')"
                        " = %d" % (w.ws, p["client"], p["n"])), "0",
               "nothing stored for %r" % a)
        else:
            assert "cannot tell" in a["message"], a
    print("# %d answers, %d not 202" % (len(answers), sum(1 for x in answers if x[1] != 202)))
    answers, _ = flood(lighttpd, w.key, 5)
    eq([s for _, s, _, _ in answers if s != 202], [], "all accepted afterwards")
    eq(check_stored(answers, lambda sent, a: w.endpoints), CLIENTS * 5)


@hftest.test
def connections_killed_while_idle_cost_no_request():
    """The writer's connection, like the requests', killed while idle (a
    database restart, wait_timeout): the next group finds it dead before
    storing, not by losing a commit it cannot then vouch for."""
    w = Workspace()
    for _ in range(2):
        answers, _ = flood(lighttpd, w.key, 5)
        eq([(s, a) for _, s, a, _ in answers if s != 202], [], "all accepted: " + lighttpd.log()[-3000:])
        for cid in db.root_sql("SELECT id FROM information_schema.processlist"
                               " WHERE user = '%s'" % hftest.ACCOUNTS["ingest"]).split():
            db.root_sql("KILL CONNECTION %s" % cid)
        time.sleep(1.5)     # older than any lookup the process keeps
    answers, _ = flood(lighttpd, w.key, 5)
    eq([(s, a) for _, s, a, _ in answers if s != 202], [], "all accepted after the kill")


def fcgi_pids(server):
    r = subprocess.run(["pgrep", "-f", "-P", str(server.proc.pid), "hookfan.fcgi"],
                       capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


@hftest.test
def the_process_stops_on_sigterm_and_its_web_server_starts_another():
    """lighttpd and mod_fcgid stop hookfan.fcgi with SIGTERM: the process,
    whose threads all wait in accept, ends at once, and the next request
    gets a new one."""
    w = Workspace()
    eq(trigger(lighttpd, w.key, {"n": 1})[0], 202)
    old = fcgi_pids(lighttpd)
    eq(len(old), 1, "the snippet's one process")
    os.kill(old[0], signal.SIGTERM)
    hftest.wait_for(lambda: not os.path.exists("/proc/%d/cmdline" % old[0]) or
                    open("/proc/%d/stat" % old[0]).read().split()[2] == "Z",
                    5, "hookfan.fcgi to exit on SIGTERM")
    hftest.wait_for(lambda: trigger(lighttpd, w.key, {"n": 2})[0] == 202, 10,
                    "lighttpd to start another hookfan.fcgi")
    assert fcgi_pids(lighttpd) != old


hftest.main()

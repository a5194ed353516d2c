"""hookfan.fcgi under trouble, through a real lighttpd and Apache: a lock
held by another connection (504 ingest_timeout, nothing stored), a store
cut short or its connection killed before or after its COMMIT (the answer
tells what was stored), the database stopped and started under the running
FastCGI processes (503, then recovery without restart), and rate limits
shared by every process."""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import webservers  # noqa: E402
from hftest import eq  # noqa: E402

db = hftest.MariaDB.start()
servers = webservers.start_all(db)
# A second pair with rate limits, against the same database.
RATE_KEY, RATE_WS = 3, 5
rate_config = db.write_config(path=os.path.join(db.dir, "rate.conf"),
                              rate_limit_per_key=RATE_KEY,
                              rate_limit_per_workspace=RATE_WS)
rate_servers = webservers.start_all(db, config_path=rate_config)

ws = db.admin("workspace", "create", "--name", "w")["id"]
app = db.admin("app", "create", "--workspace", ws, "--name", "a")["id"]
endpoint = db.admin("endpoint", "create", "--workspace", ws, "--app", app,
                    "--url", "http://127.0.0.1:9/hook")["id"]
key = db.admin("key", "create", "--workspace", ws)["key"]


def trigger(server, k=key, event_type="order.paid"):
    return server.api("POST", "/api/ingest/event/" + event_type,
                      {"payload": {"n": 1}}, key=k)


def send(server, k=key):
    return server.api("POST", "/v1/applications/%s/messages" % app,
                      {"event_type": "order.paid", "payload": {"n": 1}}, key=k)


def counts():
    return (int(db.value("SELECT COUNT(*) FROM messages")),
            int(db.value("SELECT COUNT(*) FROM deliveries")))


@hftest.test
def a_lock_held_elsewhere_is_504_ingest_timeout_with_nothing_stored():
    for server in servers:
        # Warm up: the processes have connected and prepared statements.
        for _ in range(3):
            eq(trigger(server)[0], 202)
            eq(send(server)[0], 201)
        before = counts()
        lock = db.hold("LOCK TABLES messages WRITE")
        try:
            for call in (trigger, send):
                started = time.monotonic()
                status, _, body = call(server)
                took = time.monotonic() - started
                eq(status, 504, "%s %s" % (server.name, call.__name__))
                eq(body["code"], "ingest_timeout")
                if took > 6.0:
                    raise AssertionError("504 after %.1fs, over the 5 s budget" % took)
        finally:
            lock.release()
        eq(counts(), before, server.name + ": nothing stored")
        eq(trigger(server)[0], 202, server.name + " after the lock")


@hftest.test
def a_row_lock_on_the_rate_bucket_is_504_too():
    server = rate_servers[0]
    eq(trigger(server)[0] in (202, 429), True)
    time.sleep(1.1)
    before = counts()
    lock = db.hold("BEGIN; UPDATE rate_limits SET hits = hits")
    try:
        status, _, body = trigger(server)
        eq((status, body["code"]), (504, "ingest_timeout"), "blocked on a bucket row")
    finally:
        lock.release()
    eq(counts(), before, "nothing stored")


@hftest.test
def a_connection_killed_during_the_store_is_503_with_nothing_stored():
    """The store is one CALL that commits.  Its connection dying mid-way
    leaves the outcome unknown to the FastCGI process, which looks the
    message up on a new connection before answering: here nothing was
    stored, and the answer says so."""
    for server in servers:
        eq(trigger(server)[0], 202)
        before = counts()
        # The deliveries INSERT checks its foreign key under a shared lock
        # on the endpoint row: held here, the CALL waits inside.
        lock = db.hold("BEGIN; UPDATE endpoints SET url = url WHERE id = '%s'" % endpoint)
        answer = []
        worker = threading.Thread(target=lambda: answer.append(trigger(server)))
        worker.start()
        try:
            waiting = None
            for _ in range(100):
                waiting = db.root_sql(
                    "SELECT id FROM information_schema.processlist WHERE user = '%s'" % hftest.ACCOUNTS["ingest"] +
                    " AND info LIKE 'INSERT INTO deliveries%'").split()
                if waiting:
                    break
                time.sleep(0.02)
            assert waiting, "the CALL never waited on the endpoint row"
            db.root_sql("KILL CONNECTION %s" % waiting[0])
            worker.join(10)
        finally:
            lock.release()
        status, headers, body = answer[0]
        eq((status, body["code"]), (503, "unavailable"), server.name)
        assert "nothing was stored" in body["message"], body
        eq(headers.get("retry-after"), "5")
        eq(counts(), before, server.name + ": nothing stored")
        eq(trigger(server)[0], 202, server.name + " on the next request")


ROUTINES = os.path.join(hftest.SRCDIR, "sql", "routines.sql")


def apply_routines(text):
    r = subprocess.run(db._client() + ["hookfan"], input=text, capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("routines not applied: " + r.stderr)


def shipped_routines():
    with open(ROUTINES) as f:
        return f.read()


def store_with(before_commit="", after_commit=""):
    """The two stores as shipped (hf_ingest_store, and
    hf_ingest_store_deliveries of a shared commit), with statements added
    just before or just after the COMMIT that ends each
    (apply_routines(shipped_routines()) puts the shipped ones back)."""
    text = shipped_routines()
    end = "  COMMIT;\nEND\n"
    assert text.count(end) == 2, "the stores no longer end with their COMMIT"
    apply_routines(text.replace(end, "  %s\n  COMMIT;\n  %s\nEND\n"
                                % (before_commit, after_commit)))


# A wait the statement timeout (3 s) cuts short with an error: a row lock
# on a table of the tests' own, held by the test (gate_closed).  (SLEEP
# would not do: cut short, it returns 1 and the CALL goes on.)
db.root_sql("USE hookfan; CREATE TABLE hf_test_gate (id INT PRIMARY KEY) ENGINE=InnoDB;"
            " INSERT INTO hf_test_gate VALUES (1);"
            " GRANT SELECT, UPDATE ON hookfan.hf_test_gate TO '%s'@'localhost'"
            % hftest.ACCOUNTS["ingest"])
AT_THE_GATE = ("SET STATEMENT innodb_lock_wait_timeout = 60 FOR"
               " SELECT id INTO @hf_test FROM hf_test_gate WHERE id = 1 FOR UPDATE;")


def gate_closed():
    """hf_test_gate's row locked until released: AT_THE_GATE waits."""
    return db.hold("BEGIN; UPDATE hf_test_gate SET id = id")


def deliveries_stored(delivery_ids):
    return int(db.value("SELECT COUNT(*) FROM deliveries WHERE id IN (%s)"
                        % ", ".join("'%s'" % d for d in delivery_ids)))


@hftest.test
def a_store_cut_short_after_its_commit_answers_the_success():
    """The store is one CALL that commits inside.  The statement timeout
    (3 s) ending the CALL after that COMMIT leaves the message stored: the
    answer is the success, with the stored ids, not a 504 saying nothing
    was stored (a client retrying that would send the event twice)."""
    for server in servers:
        eq(trigger(server)[0], 202)
        eq(send(server)[0], 201)
        before = counts()
        store_with(after_commit=AT_THE_GATE)
        gate = gate_closed()
        try:
            answers = []
            for call in (trigger, send):
                started = time.monotonic()
                answers.append((call.__name__, call(server), time.monotonic() - started))
        finally:
            gate.release()
            apply_routines(shipped_routines())
        for name, (status, _, body), took in answers:
            what = "%s %s" % (server.name, name)
            eq(status, 202 if name == "trigger" else 201, what + ": " + repr(body))
            if took < 2.5:
                raise AssertionError("%s answered in %.1fs: the timeout never struck" % (what, took))
            ids = body["deliveryIds"] if name == "trigger" else None
            if ids is not None:
                eq(len(ids), 1, what + ": one subscribed endpoint")
                eq(deliveries_stored(ids), 1, what + ": the answered delivery is stored")
            else:
                eq(db.value("SELECT COUNT(*) FROM messages WHERE id = '%s'"
                            % body["message"]["id"]),
                   "1", what + ": the answered message is stored")
        eq(counts(), (before[0] + 2, before[1] + 2), server.name + ": each stored once")
        eq(trigger(server)[0], 202, server.name + " with the shipped store again")


@hftest.test
def a_connection_killed_after_the_stores_commit_answers_the_success():
    """The other way a store's outcome is unknown: its connection dies
    once the COMMIT is done.  The FastCGI process looks the message up on
    a new connection and answers the success."""
    for server in servers:
        eq(trigger(server)[0], 202)
        before = counts()
        store_with(after_commit=AT_THE_GATE)
        gate = gate_closed()
        try:
            answer = []
            started = time.monotonic()
            worker = threading.Thread(target=lambda: answer.append(trigger(server)))
            worker.start()
            waiting = hftest.wait_for(lambda: db.root_sql(
                "SELECT id FROM information_schema.processlist WHERE user = '%s'" % hftest.ACCOUNTS["ingest"] +
                " AND info LIKE '%hf_test_gate%'").split(), 10, "the CALL past its COMMIT")
            db.root_sql("KILL CONNECTION %s" % waiting[0])
            # Killed before the statement timeout (3 s), or this tested that.
            killed_after = time.monotonic() - started
            worker.join(20)
        finally:
            gate.release()
            apply_routines(shipped_routines())
        assert killed_after < 2.5, "killed only after %.1fs: too late to be sure" % killed_after
        assert answer, "no answer within 20 s"
        status, _, body = answer[0]
        eq(status, 202, server.name + ": " + repr(body))
        eq(deliveries_stored(body["deliveryIds"]), 1,
           server.name + ": the answered delivery is stored")
        eq(counts(), (before[0] + 1, before[1] + 1), server.name + ": stored once")


@hftest.test
def a_store_cut_short_before_its_commit_is_504_with_nothing_stored():
    for server in servers:
        eq(trigger(server)[0], 202)
        before = counts()
        store_with(before_commit=AT_THE_GATE)
        gate = gate_closed()
        try:
            status, _, body = trigger(server)
        finally:
            gate.release()
            apply_routines(shipped_routines())
        eq((status, body["code"]), (504, "ingest_timeout"), server.name)
        assert "nothing was stored" in body["message"], body
        eq(counts(), before, server.name + ": nothing stored")
        eq(trigger(server)[0], 202, server.name + " with the shipped store again")


def shared_commit_with(before_commit="", after_commit=""):
    """store_with for the shared commit's procedure alone: a request that
    commits alone is not held."""
    text = shipped_routines()
    start = text.index("CREATE OR REPLACE PROCEDURE hf_ingest_store_deliveries(")
    end = text.index("  COMMIT;\nEND\n", start)
    apply_routines(text[:end] + "  %s\n  COMMIT;\n  %s\n" % (before_commit, after_commit)
                   + text[end + len("  COMMIT;\n"):])


def at_once_with_shared_commit(server, before_commit="", after_commit="", clients=16):
    """clients triggers at once, with shared_commit_with(before_commit,
    after_commit) and the gate closed: counts() before them, and
    [(status, body, seconds taken)]."""
    eq(trigger(server)[0], 202)     # the process has the lookup
    before = counts()
    shared_commit_with(before_commit, after_commit)
    gate = gate_closed()
    try:
        return before, at_once(server, clients)
    finally:
        gate.release()
        apply_routines(shipped_routines())


def at_once(server, clients):
    """clients triggers at once; [(status, body, seconds taken)]."""
    answers, lock = [], threading.Lock()
    go = threading.Barrier(clients)

    def client():
        go.wait()
        started = time.monotonic()
        status, _, body = trigger(server)
        with lock:
            answers.append((status, body, time.monotonic() - started))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return answers


@hftest.test
def a_shared_commit_cut_short_after_its_commit_answers_each_success():
    """Requests that shared a commit whose statement timeout struck after
    the COMMIT each look for their own message and answer the success.
    (lighttpd: its processes serve requests at once; under mod_fcgid
    every request commits alone.)"""
    before, answers = at_once_with_shared_commit(servers[0], after_commit=AT_THE_GATE)
    eq(len(answers), 16)
    eq([status for status, _, _ in answers if status != 202], [], repr(answers))
    assert any(took > 2.5 for _, _, took in answers), \
        "no request waited for the statement timeout: none shared a commit"
    ids = [body["deliveryIds"][0] for _, body, _ in answers]
    eq(deliveries_stored(ids), 16, "every answered delivery is stored")
    eq(counts(), (before[0] + 16, before[1] + 16), "each stored once")


@hftest.test
def a_shared_commit_cut_short_before_its_commit_is_504_with_nothing_stored():
    before, answers = at_once_with_shared_commit(servers[0], before_commit=AT_THE_GATE)
    eq(sorted({status for status, _, _ in answers}), [202, 504], repr(answers))
    for status, body, _ in answers:
        if status == 504:
            eq(body["code"], "ingest_timeout")
            assert "nothing was stored" in body["message"], body
    accepted = [body["deliveryIds"][0] for status, body, _ in answers if status == 202]
    eq(deliveries_stored(accepted), len(accepted), "every answered delivery is stored")
    eq(counts(), (before[0] + len(accepted), before[1] + len(accepted)),
       "nothing of a 504 is stored")


@hftest.test
def database_stopped_and_started_under_running_fastcgi():
    for server in servers:
        eq(trigger(server)[0], 202)
    before = counts()
    db.stop()
    try:
        for server in servers:
            status, headers, body = trigger(server)
            eq((status, body["code"]), (503, "unavailable"), server.name + " trigger")
            eq(headers.get("retry-after"), "5", server.name + " Retry-After")
            status, _, body = send(server)
            eq((status, body["code"]), (503, "unavailable"), server.name + " send")
            status, _, body = server.api("GET", "/healthz", content_type=None)
            eq(status, 503, server.name + " healthz")
    finally:
        db.boot()
    eq(counts(), before, "nothing stored while down")
    for server in servers:
        # Recovery on the very next request (its process still holds the
        # dead connection and statements), no restart of anything.
        status, _, body = trigger(server)
        eq(status, 202, server.name + " after restart")
        eq(len(body["deliveryIds"]), 1)
        eq(send(server)[0], 201, server.name + " send after restart")
        eq(server.api("GET", "/healthz", content_type=None)[0], 200)
    # Every process of every server recovers (lighttpd runs two).
    for server in servers:
        for _ in range(4):
            eq(trigger(server)[0], 202, server.name + " each process")


def at_start_of_second():
    """Sleep until just after a second boundary (windows are seconds)."""
    time.sleep(1.0 - (time.time() % 1.0) + 0.02)


def in_one_window(requests):
    """What requests() returns, made from the start of a rate window (one
    second) to its end: made again (up to three times) when it ran into
    the next window."""
    for _ in range(3):
        at_start_of_second()
        started = time.time()
        made = requests()
        if int(time.time()) == int(started):
            return made
    raise AssertionError("machine too slow to fit the requests in one second")


@hftest.test
def per_key_limit_holds_across_processes_and_servers():
    k = db.admin("key", "create", "--workspace",
                 db.admin("workspace", "create", "--name", "rk")["id"])["key"]
    # Alternate lighttpd (two processes) and Apache (mod_fcgid).
    results = in_one_window(lambda: [trigger(rate_servers[i % 2], k)
                                     for i in range(2 * RATE_KEY)])
    statuses = [r[0] for r in results]
    if 500 in statuses:
        raise AssertionError("%r\n%s\n%s" % (results, rate_servers[0].log(),
                                              rate_servers[1].log()))
    eq(statuses.count(202), RATE_KEY, "accepted in one second: %r" % statuses)
    eq(statuses.count(429), RATE_KEY, "refused in one second: %r" % statuses)
    for status, headers, body in results:
        if status == 429:
            eq(body["code"], "rate_limited")
            eq(headers.get("retry-after"), "1")
    # The next window admits again.
    at_start_of_second()
    eq(trigger(rate_servers[1], k)[0], 202, "next second")


@hftest.test
def per_workspace_limit_counts_every_key_and_stores_nothing_when_refused():
    w = db.admin("workspace", "create", "--name", "rw")["id"]
    keys = [db.admin("key", "create", "--workspace", w)["key"] for _ in range(3)]
    stored = "SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'" % w

    def requests():     # 6 requests, 2 per key
        before = int(db.value(stored))
        return before, [trigger(rate_servers[i % 2], keys[i % 3])[0]
                        for i in range(2 * RATE_KEY)]
    before, results = in_one_window(requests)
    eq(results.count(202), RATE_WS, "workspace cap %r" % results)
    eq(results.count(429), 2 * RATE_KEY - RATE_WS)
    eq(int(db.value(stored)) - before, RATE_WS, "only accepted requests stored")


@hftest.test
def send_message_is_rate_limited_too_with_retry_after():
    w = db.admin("workspace", "create", "--name", "rs")["id"]
    a = db.admin("app", "create", "--workspace", w, "--name", "a")["id"]
    db.admin("endpoint", "create", "--workspace", w, "--app", a,
             "--url", "http://127.0.0.1:9/hook")
    k = db.admin("key", "create", "--workspace", w)["key"]
    body = {"event_type": "invoice.paid", "payload": None}
    def requests():
        return counts(), [rate_servers[i % 2].api("POST", "/v1/applications/%s/messages" % a,
                                                  body, key=k)
                          for i in range(2 * RATE_KEY)]
    before, results = in_one_window(requests)
    statuses = [r[0] for r in results]
    eq(statuses.count(201), RATE_KEY, "accepted in one second: %r" % statuses)
    eq(statuses.count(429), RATE_KEY, "refused in one second: %r" % statuses)
    for status, headers, answer in results:
        if status == 429:
            eq(answer["code"], "rate_limited")
            eq(headers.get("retry-after"), "1")
    after = counts()
    eq(after[0] - before[0], RATE_KEY, "only accepted messages stored")
    eq(after[1] - before[1], RATE_KEY, "only accepted deliveries stored")


def burst(targets, keys, count=50, threads=8):
    """count triggers spread over targets and keys by threads at once;
    returns the statuses and the most messages stored in one second."""
    results = []
    lock = threading.Lock()
    jobs = list(range(count))

    def worker():
        while True:
            with lock:
                if not jobs:
                    return
                i = jobs.pop()
            status = trigger(targets[i % len(targets)], keys[i % len(keys)])[0]
            with lock:
                results.append(status)
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return results


def densest_second(workspace):
    return int(db.value("SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM messages"
                        " WHERE workspace_id = '%s' GROUP BY UNIX_TIMESTAMP(created_at) DIV 1) s"
                        % workspace))


@hftest.test
def without_rate_limit_keys_a_burst_is_never_429():
    """CONTRACT §2: rate_limit_per_key and rate_limit_per_workspace
    default to 0, unlimited.  `servers` run on a config naming neither;
    one key sends 50 requests at once."""
    with open(db.config_path) as f:
        assert "rate_limit" not in f.read(), "the default config names no rate limit"
    w = db.admin("workspace", "create", "--name", "unlimited")["id"]
    db.admin("endpoint", "create", "--workspace", w, "--url", "http://127.0.0.1:9/hook")
    k = db.admin("key", "create", "--workspace", w)["key"]
    statuses = burst(servers, [k])
    eq(sorted(set(statuses)), [202], "every request accepted: %r" % statuses)
    eq(db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'" % w), "50",
       "every request stored")
    peak = densest_second(w)
    # A limit at or under this many a second would have shown a 429.
    assert peak >= 10, "only %d requests fell in one second: not a burst" % peak


@hftest.test
def rate_limit_per_workspace_unset_is_unlimited_beside_a_per_key_limit():
    """With rate_limit_per_key set, every request is counted against its
    key and its workspace; the workspace's limit, left out, is 0:
    unlimited.  25 keys of one workspace send 2 requests each at once."""
    per_key = 5
    config = db.write_config(path=os.path.join(db.dir, "per-key-only.conf"),
                             rate_limit_per_key=per_key)
    server = webservers.Lighttpd(db, config_path=config)
    w = db.admin("workspace", "create", "--name", "per-key-only")["id"]
    db.admin("endpoint", "create", "--workspace", w, "--url", "http://127.0.0.1:9/hook")
    keys = [db.admin("key", "create", "--workspace", w)["key"] for _ in range(25)]
    statuses = burst([server], keys)
    eq(sorted(set(statuses)), [202], "every request accepted: %r" % statuses)
    eq(db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'" % w), "50",
       "every request stored")
    peak = densest_second(w)
    assert peak > per_key * 2, "only %d requests fell in one second: not a burst" % peak
    # The per-key limit is live on this server (so the workspace was counted).
    one = in_one_window(lambda: [trigger(server, keys[0])[0] for _ in range(per_key + 1)])
    eq(one.count(429), 1, "the per-key limit holds: %r" % one)


def fcgi_processes(server):
    """{pid: uids (real, effective, saved, filesystem)} of the hookfan.fcgi
    processes below the server's main process, found through /proc."""
    parent_of = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                parent_of[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue        # gone meanwhile
    found = {}
    for pid in parent_of:
        ancestor = parent_of.get(pid)
        while ancestor not in (None, 0, 1, server.proc.pid):
            ancestor = parent_of.get(ancestor)
        if ancestor != server.proc.pid:
            continue
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                program = f.read().split(b"\0")[0].decode(errors="replace")
            with open("/proc/%d/status" % pid) as f:
                uids = [line.split()[1:5] for line in f if line.startswith("Uid:")][0]
        except OSError:
            continue
        if os.path.basename(program) == "hookfan.fcgi":
            found[pid] = tuple(int(u) for u in uids)
    return found


@hftest.test
def fastcgi_processes_are_many_and_reach_the_database():
    # lighttpd runs two processes; mod_fcgid as many as it needs, at least
    # one once a request came (it starts them on demand).
    lighttpd, apache = servers
    for server in servers:
        eq(server.api("GET", "/healthz", content_type=None)[0], 200, server.name)
    processes = hftest.wait_for(lambda: len(fcgi_processes(lighttpd)) == 2 and
                                fcgi_processes(lighttpd), 10, "lighttpd's two processes")
    for pid, uids in processes.items():
        eq(uids, (os.geteuid(),) * 4, "lighttpd's hookfan.fcgi %d runs as lighttpd" % pid)
    processes = hftest.wait_for(lambda: fcgi_processes(apache), 10,
                                "a hookfan.fcgi under Apache")
    # As root, Apache hands its FastCGI processes to its unprivileged user
    # (not root, nothing could be handed: there is nothing to check).
    if os.geteuid() == 0:
        expected = webservers._apache_user().pw_uid
        for pid, uids in processes.items():
            eq(uids, (expected,) * 4, "Apache's hookfan.fcgi %d: real, effective, saved,"
               " filesystem uid" % pid)
    else:
        print("# Apache's drop to its own user unchecked: the suite is not root")
    run = os.path.join(servers[0].dir, "run")
    sockets = os.listdir(run)
    eq(len(sockets) >= 2, True, "lighttpd sockets %r" % sockets)
    # Connecting needs write permission on the socket and search on its
    # folder: only the web server's user has either.
    eq(os.stat(run).st_mode & 0o077, 0, "socket folder private")
    for s in sockets:
        mode = os.stat(os.path.join(run, s)).st_mode & 0o777
        eq(mode & 0o022, 0, "socket %s writable only by its owner" % s)


@hftest.test
def concurrent_first_use_of_an_event_type_registers_it_once():
    results = []

    def worker(server, n):
        for _ in range(n):
            results.append(trigger(server, key, "brand.new"))
    threads = [threading.Thread(target=worker, args=(servers[i % 2], 5)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    eq(sorted(set(r[0] for r in results)), [202], "all accepted")
    eq(len(set(r[2]["eventTypeId"] for r in results)), 1, "one id")
    eq(db.value("SELECT COUNT(*) FROM event_types WHERE workspace_id = '%s'"
                " AND name = 'brand.new'" % ws), "1")
    ids = [d for r in results for d in r[2]["deliveryIds"]]
    eq(len(ids), 30)
    eq(db.value("SELECT COUNT(*) FROM deliveries WHERE id IN (%s)"
                % ",".join("'%s'" % i for i in ids)), "30", "every listed delivery stored")


def frozen_database_trigger(server, budget):
    """A trigger while the database is stopped (SIGSTOP): its answer,
    within budget seconds."""
    import signal
    os.kill(db.proc.pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        status, _, body = trigger(server)
        took = time.monotonic() - started
    finally:
        os.kill(db.proc.pid, signal.SIGCONT)
    if took > budget:
        raise AssertionError("%d after %.1fs, over the %.0f s budget" % (status, took, budget))
    return status, body


@hftest.test
def a_database_that_stops_answering_is_504_within_the_budget():
    """When the lookup is the statement that gets no answer, nothing can
    have been stored: 504, safe to retry."""
    server = servers[0]
    for _ in range(4):
        eq(trigger(server)[0], 202)
    time.sleep(1.1)     # no process has the lookup any more (HF_INGEST_CACHE_MS)
    before = counts()
    status, body = frozen_database_trigger(server, 6.0)
    eq((status, body["code"]), (504, "ingest_timeout"))
    eq(counts(), before, "nothing stored")
    for _ in range(4):
        eq(trigger(server)[0], 202, "recovered")


@hftest.test
def a_database_that_stops_answering_during_the_store_is_503_cannot_tell():
    """A process that has the lookup sends the store first: when that gets
    no answer, the COMMIT in it may or may not have happened, and the
    answer says so (503, retry: with an Idempotency-Key, safely).  Before
    answering it tries to find out on a new connection, which a stopped
    server holds for the connect timeout (HF_INGEST_CONNECT_SECONDS) more."""
    server = servers[0]
    for _ in range(4):
        eq(trigger(server)[0], 202)
    before = counts()
    status, body = frozen_database_trigger(server, 6.0 + 2)
    eq((status, body["code"]), (503, "unavailable"))
    if "cannot tell" not in body["message"]:
        raise AssertionError("503 message %r" % body["message"])
    after = counts()
    if after not in (before, (before[0] + 1, before[1] + 1)):
        raise AssertionError("stored %r against %r before: not one message or none"
                             % (after, before))
    for _ in range(4):
        eq(trigger(server)[0], 202, "recovered")


hftest.main()

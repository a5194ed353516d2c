"""hookfan-admin purge against a real MariaDB: what goes (old messages
whose deliveries all finished, with their deliveries and attempts), what
stays whole (anything recent or changed recently, pending, paused or
under a lease), batches (capped by messages and by deliveries), usage
errors, the output, and the crontab line that runs it.

Rows are inserted with SQL, with ids shaped as src/ids.c makes them
(their first 10 characters are the creation time), so a message can be
made 40 days old.  Each test makes its rows in its own workspace
(Space), asserts on them, and removes them when it ends, so no test's
counts depend on another's leftovers."""
import calendar
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
from hfids import new_id, now_ms, sql_id  # noqa: E402
import sweeptest  # noqa: E402
from hftest import eq  # noqa: E402
from receivers import Receiver  # noqa: E402

db = hftest.MariaDB.start()
DAY_MS = 24 * 3600 * 1000
TOKEN = "a" * 32        # a sweep's lease token


def limit(name):
    """A named limit of src/limits.h (a plain number or a product)."""
    with open(os.path.join(hftest.SRCDIR, "src", "limits.h")) as f:
        m = re.search(r"^#define %s \(?([0-9* ]+)\)?$" % name, f.read(), re.M)
    value = 1
    for factor in m.group(1).split("*"):
        value *= int(factor)
    return value


BATCH = limit("HF_PURGE_BATCH_MESSAGES")
CAP = limit("HF_PURGE_BATCH_DELIVERIES")
DAYS_MAX = limit("HF_PURGE_DAYS_MAX")


class Space:
    """A test's own workspace and endpoint: each test makes its rows here,
    asserts on them, and removes them when it ends (passed or not), so
    what one test leaves cannot change another's counts; purge itself
    works on every workspace at once."""
    serial = 0

    def __init__(self):
        Space.serial += 1
        self.ws = db.admin("workspace", "create", "--name", "purge-%d" % Space.serial)["id"]
        self.ep = db.admin("endpoint", "create", "--workspace", self.ws,
                           "--url", "https://example.com/%d" % Space.serial)["id"]
        self.others = []

    def another(self):
        """A second workspace, whose rows go when this one's do."""
        other = Space()
        self.others.append(other)
        return other

    def counts(self):
        """(messages, deliveries, attempts) of this workspace."""
        return tuple(int(db.value(q % self.ws)) for q in (
            "SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'",
            "SELECT COUNT(*) FROM messages m JOIN deliveries d ON d.message_id = m.id"
            " WHERE m.workspace_id = '%s'",
            "SELECT COUNT(*) FROM messages m JOIN deliveries d ON d.message_id = m.id"
            " JOIN attempts a ON a.delivery_id = d.id WHERE m.workspace_id = '%s'"))

    def remove_rows(self):
        for other in self.others:
            other.remove_rows()
        db.root_sql(
            "USE hookfan;"
            "DELETE a FROM messages m JOIN deliveries d ON d.message_id = m.id"
            " JOIN attempts a ON a.delivery_id = d.id WHERE m.workspace_id = '{0}';"
            "DELETE d FROM messages m JOIN deliveries d ON d.message_id = m.id"
            " WHERE m.workspace_id = '{0}';"
            "DELETE FROM messages WHERE workspace_id = '{0}';".format(self.ws))


def purge_test(fn):
    """A test case given its own Space (more with Space() inside)."""
    def run():
        space = Space()
        try:
            fn(space)
        finally:
            space.remove_rows()
    run.__name__ = fn.__name__
    return hftest.test(run)


def message(space, days_old, deliveries=(), status="delivered", at_ms=None,
            changed_days_ago=None):
    """A message of space made days_old days ago (a float), or at unix ms
    at_ms, last changed then or changed_days_ago days ago, with
    deliveries, each (status, due_at SQL, lease token, attempts), on
    space's endpoint.  Returns (message id, [delivery ids], [attempt ids])."""
    ms = at_ms if at_ms is not None else now_ms() - int(days_old * DAY_MS)
    changed_ms = ms if changed_days_ago is None else now_ms() - int(changed_days_ago * DAY_MS)
    mid = new_id("msg", ms)
    sql = ["USE hookfan;",
           "INSERT INTO messages (id, workspace_id, event_type, payload, status, created_at,"
           " updated_at) VALUES ('%s', '%s', 'order.paid', '{\"n\":1}', '%s',"
           " FROM_UNIXTIME(%d / 1000), FROM_UNIXTIME(%d / 1000));"
           % (mid, space.ws, status, ms, changed_ms)]
    dids, aids = [], []
    for state, due, token, tries in deliveries:
        did = new_id("del", ms)
        dids.append(did)
        sql.append("INSERT INTO deliveries (id, message_id, endpoint_id, status, attempts,"
                   " due_at, lease_token, created_at)"
                   " VALUES ('%s', '%s', '%s', '%s', %d, %s, '%s', FROM_UNIXTIME(%d / 1000));"
                   % (did, mid, space.ep, state, tries, due, token, ms))
        for n in range(1, tries + 1):
            aid = new_id("att", ms + n)
            aids.append(aid)
            sql.append("INSERT INTO attempts (id, delivery_id, attempt_number, started_at,"
                       " duration_ms, status_code) VALUES ('%s', '%s', %d, NOW(3), 12, 500);"
                       % (aid, did, n))
    db.root_sql(" ".join(sql))
    return mid, dids, aids


SUCCEEDED = ("succeeded", "NULL", "", 1)
FAILED = ("failed", "NULL", "", 3)
PENDING = ("pending", "NOW(3) + INTERVAL 5 MINUTE", "", 1)      # a retry waiting
DUE_NOW = ("pending", "NOW(3)", "", 0)
PAUSED = ("paused", "NULL", "", 2)
LEASED = ("pending", "NOW(3) + INTERVAL 1 MINUTE", TOKEN, 1)    # a sweep is sending it
LEASE_ENDED = ("pending", "NOW(3) - INTERVAL 1 MINUTE", TOKEN, 1)  # its sweep died


def counts():
    """(messages, deliveries, attempts) of every workspace."""
    return tuple(int(db.value("SELECT COUNT(*) FROM %s" % t))
                 for t in ("messages", "deliveries", "attempts"))


def present(table, ids):
    """Which of ids are rows of table."""
    if not ids:
        return set()
    return {r[0] for r in db.rows("SELECT id FROM %s WHERE id IN (%s)"
                                  % (table, ", ".join("'%s'" % i for i in ids)))}


def assert_gone(made):
    mid, dids, aids = made
    eq(present("messages", [mid]), set(), "message %s deleted" % mid)
    eq(present("deliveries", dids), set(), "its deliveries deleted")
    eq(present("attempts", aids), set(), "their attempts deleted")


def assert_whole(made):
    mid, dids, aids = made
    eq(present("messages", [mid]), {mid}, "message %s kept" % mid)
    eq(present("deliveries", dids), set(dids), "every delivery of %s kept" % mid)
    eq(present("attempts", aids), set(aids), "every attempt of %s kept" % mid)


def run_purge(*args):
    """Run purge --json; assert success; returns the JSON."""
    r = db.run_admin("--json", "purge", *args)
    eq(r.returncode, 0, "purge %s: %s" % (args, r.stderr))
    eq(r.stderr, "", "stderr of a purge that worked")
    return json.loads(r.stdout)


def purge(space, *args):
    """run_purge; check that the counts it prints are the rows that went
    (nothing else writes meanwhile).  Returns (its JSON, what went of
    space's rows: (messages, deliveries, attempts))."""
    before, own_before = counts(), space.counts()
    out = run_purge(*args)
    after, own_after = counts(), space.counts()
    if "--dry-run" in args:
        eq(after, before, "a dry run deletes nothing")
    else:
        eq((out["messages"], out["deliveries"], out["attempts"]),
           tuple(b - a for b, a in zip(before, after)), "the counts printed are the rows gone")
    return out, tuple(b - a for b, a in zip(own_before, own_after))


@purge_test
def old_finished_messages_go_with_deliveries_and_attempts_in_every_workspace(space):
    other = space.another()
    gone = [message(space, 40, deliveries=[SUCCEEDED, FAILED]),
            message(space, 31, deliveries=[SUCCEEDED]),
            message(space, 400, deliveries=[FAILED, FAILED, SUCCEEDED]),
            message(space, 35, deliveries=[], status="no_subscribers"),    # went to nobody
            message(other, 33, deliveries=[SUCCEEDED, FAILED])]           # another workspace
    kept = [message(space, 29, deliveries=[SUCCEEDED]),                   # not old enough
            message(space, 2, deliveries=[FAILED]),
            message(other, 0, deliveries=[SUCCEEDED])]
    _, went = purge(space, "--older-than", "30")
    _, other_went = purge(other, "--older-than", "30")
    eq(went, (4, 6, 1 + 3 + 1 + 3 + 3 + 1), "what went of this workspace")
    eq(other_went, (0, 0, 0), "the other workspace's went in the same run")
    eq(other.counts(), (1, 1, 1), "what is left of the other workspace")
    for made in gone:
        assert_gone(made)
    for made in kept:
        assert_whole(made)
    # The next day's run finds nothing new.
    eq(purge(space, "--older-than", "30")[0]["messages"], 0, "a second run purges nothing")
    _, went = purge(space, "--older-than", "1")
    eq(went[0], 2, "with a shorter period the 29- and 2-day-old go too")
    assert_whole(kept[2])


@purge_test
def age_counts_from_the_last_change_not_from_creation(space):
    """A message made long ago whose last delivery failed for good an hour
    ago stays a full period, so the operator can still retry it."""
    recent = message(space, 35, deliveries=[SUCCEEDED, FAILED], status="failed",
                     changed_days_ago=1 / 24.0)
    just_inside = message(space, 35, deliveries=[FAILED], status="failed", changed_days_ago=29)
    unchanged = message(space, 35, deliveries=[SUCCEEDED, FAILED], status="failed",
                        changed_days_ago=31)
    dry, _ = purge(space, "--older-than", "30", "--dry-run")
    out, went = purge(space, "--older-than", "30")
    eq((dry["messages"], dry["deliveries"], dry["attempts"]),
       (out["messages"], out["deliveries"], out["attempts"]), "the dry run agrees")
    eq(went, (1, 2, 4), "only the one unchanged for 31 days went")
    assert_gone(unchanged)
    assert_whole(recent)
    assert_whole(just_inside)
    # "delivery retry" changes the message: the sweep finishing the retry
    # (made here with SQL, which leaves updated_at alone) starts a new period.
    did = just_inside[1][0]
    r = db.run_admin("delivery", "retry", did)
    eq(r.returncode, 0, r.stderr)
    db.root_sql("USE hookfan; UPDATE deliveries SET status = 'failed', due_at = NULL"
                " WHERE id = '%s'" % did)
    eq(purge(space, "--older-than", "1")[1], (0, 0, 0), "retried just now: kept")
    assert_whole(just_inside)
    db.root_sql("USE hookfan; UPDATE messages SET updated_at = NOW(3) - INTERVAL 2 DAY"
                " WHERE workspace_id = '%s'" % space.ws)
    eq(purge(space, "--older-than", "1")[1][0], 2, "unchanged for two days: both go")


@purge_test
def a_purged_delivery_or_message_is_unknown_to_retry_and_resend(space):
    made = message(space, 40, deliveries=[FAILED])
    eq(purge(space, "--older-than", "30")[1][0], 1)
    r = db.run_admin("delivery", "retry", made[1][0])
    eq((r.returncode, r.stderr), (1, 'hookfan-admin: unknown delivery "%s"\n' % made[1][0]))
    r = db.run_admin("message", "resend", made[0])
    eq((r.returncode, r.stderr), (1, 'hookfan-admin: unknown message "%s"\n' % made[0]))


@purge_test
def a_retry_whose_message_goes_while_it_waits_names_the_delivery(space):
    """delivery retry reads the delivery, then locks its message; a purge
    that deletes both in between leaves the delivery unknown, and the
    error names the delivery the user gave."""
    made = message(space, 40, deliveries=[FAILED])
    locker = db.hold("BEGIN; SELECT id FROM messages WHERE id = '%s' FOR UPDATE" % made[0])
    retry = subprocess.Popen([hftest.ADMIN, "--config", db.config_path, "delivery", "retry",
                              made[1][0]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=db.env())
    hftest.cleanup(lambda: retry.poll() is None and retry.kill())

    def retry_waiting():
        if retry.poll() is not None:
            raise AssertionError("the retry did not wait: %d %r" % (retry.returncode,
                                                                   retry.communicate()))
        # Its lock statement running (the locker holds the row): waiting.
        return db.value("SELECT COUNT(*) FROM information_schema.processlist"
                        " WHERE user = '%s' AND info =" % hftest.ACCOUNTS["admin"] +
                        " 'SELECT 1 FROM messages WHERE id = ? FOR UPDATE'") == "1"
    hftest.wait_for(retry_waiting, what="the retry waiting for the message's lock")
    eq(locker.finish("DELETE FROM attempts WHERE delivery_id = '{1}';"
                     " DELETE FROM deliveries WHERE id = '{1}';"
                     " DELETE FROM messages WHERE id = '{0}'; COMMIT;\n"
                     .format(made[0], made[1][0])), 0, "the deleting client")
    out, err = retry.communicate(timeout=30)
    eq((retry.returncode, out, err), (1, "", 'hookfan-admin: unknown delivery "%s"\n' % made[1][0]))


@purge_test
def a_message_with_any_unfinished_delivery_is_kept_whole(space):
    kept = {"pending retry": message(space, 50, deliveries=[PENDING]),
            "due now": message(space, 50, deliveries=[DUE_NOW]),
            "paused": message(space, 50, deliveries=[PAUSED]),
            "live lease": message(space, 50, deliveries=[LEASED]),
            "lease of a dead sweep": message(space, 50, deliveries=[LEASE_ENDED]),
            "mixed: succeeded and pending": message(space, 50, deliveries=[SUCCEEDED, FAILED, PENDING]),
            "mixed: failed and paused": message(space, 50, deliveries=[FAILED, PAUSED]),
            "mixed: succeeded and leased": message(space, 50, deliveries=[SUCCEEDED, LEASED])}
    finished = message(space, 50, deliveries=[SUCCEEDED, FAILED])
    eq(purge(space, "--older-than", "1")[1], (1, 2, 4), "only the finished message went")
    assert_gone(finished)
    for what, made in kept.items():
        try:
            assert_whole(made)
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e))
    # Once the sweep has finished them, they go like any other.
    ids = ", ".join("'%s'" % made[0] for made in kept.values())
    db.root_sql("USE hookfan; UPDATE deliveries SET status = 'failed', due_at = NULL,"
                " lease_token = '' WHERE message_id IN (%s) AND status <> 'succeeded'" % ids)
    eq(purge(space, "--older-than", "1")[1][0], len(kept), "finished since: purged")
    for made in kept.values():
        assert_gone(made)


def bulk_messages(space, count, days_old):
    """count messages of space inserted with SQL, each with one succeeded
    delivery (one attempt) and one failed delivery (two); made (and last
    changed) one millisecond apart from days_old days ago on.  Returns
    the first one's unix ms."""
    start = now_ms() - int(days_old * DAY_MS) + 1
    db.root_sql(
        "USE hookfan;"
        "INSERT INTO messages (id, workspace_id, event_type, payload, status, created_at,"
        " updated_at)"
        " SELECT %s, '%s', 'bulk.event', CONCAT('{\"n\":', seq, '}'), 'failed',"
        "  FROM_UNIXTIME((%d + seq) / 1000), FROM_UNIXTIME((%d + seq) / 1000)"
        " FROM seq_1_to_%d;" % (sql_id("msg", "%d + seq" % start), space.ws, start, start, count))
    db.root_sql(
        "USE hookfan;"
        "INSERT INTO deliveries (id, message_id, endpoint_id, status, attempts)"
        " SELECT CONCAT('del_', SUBSTRING(m.id, 5, 25), s.seq), m.id, '%s',"
        "  IF(s.seq = 1, 'succeeded', 'failed'), s.seq"
        " FROM messages m JOIN seq_1_to_2 s WHERE m.workspace_id = '%s'"
        " AND m.event_type = 'bulk.event';"
        "INSERT INTO attempts (id, delivery_id, attempt_number, started_at, duration_ms)"
        " SELECT CONCAT('att_', SUBSTRING(m.id, 5, 24), d.attempts, s.seq), d.id, s.seq,"
        "  NOW(3), 5"
        " FROM messages m JOIN deliveries d ON d.message_id = m.id"
        " JOIN seq_1_to_2 s ON s.seq <= d.attempts"
        " WHERE m.workspace_id = '%s' AND m.event_type = 'bulk.event';"
        % (space.ep, space.ws, space.ws))
    return start


def global_status(*names):
    rows = db.rows("SHOW GLOBAL STATUS WHERE Variable_name IN (%s)"
                   % ", ".join("'%s'" % n for n in names))
    return {name: int(value) for name, value in rows}


def old_message_count():
    """Messages of every workspace made more than a day ago: the range a
    purge walks (each test removes its rows, so only the current one's)."""
    return int(db.value("SELECT COUNT(*) FROM messages"
                        " WHERE created_at < NOW(3) - INTERVAL 1 DAY"))


def purge_commits(space, *args):
    """purge, and how many transactions it committed."""
    before = global_status("Com_commit")["Com_commit"]
    out, went = purge(space, *args)
    return out, went, global_status("Com_commit")["Com_commit"] - before


@purge_test
def more_than_a_batch_all_goes_in_several_transactions(space):
    count = 2 * BATCH + BATCH // 2
    start = bulk_messages(space, count, 60)
    # Unfinished ones among them, in each batch's range, and after the last.
    kept = [message(space, None, deliveries=[SUCCEEDED, PAUSED],
                    at_ms=start + k * BATCH * 9 // 10) for k in range(4)]
    kept.append(message(space, 59, deliveries=[PENDING]))
    old = old_message_count()
    eq(old, count + len(kept), "the old messages are this test's")
    started = time.monotonic()
    out, went, commits = purge_commits(space, "--older-than", "7")
    took = time.monotonic() - started
    eq(went, (count, 2 * count, 3 * count),
       "every old finished message, with its deliveries and attempts")
    for made in kept:
        assert_whole(made)
    # Full batches of BATCH examined, the rest, one that finds none left,
    # and one for the expired Idempotency-Key answers.
    eq(commits, -(-old // BATCH) + 2,
       "%d old messages in batches of %d: transactions" % (old, BATCH))
    print("# purged %d messages, %d deliveries, %d attempts in %.2f s (%d commits)"
          % (out["messages"], out["deliveries"], out["attempts"], took, commits))
    eq(purge(space, "--older-than", "7")[0]["messages"], 0, "a second run purges nothing")
    db.root_sql("USE hookfan; UPDATE deliveries SET status = 'failed', due_at = NULL"
                " WHERE message_id IN (%s)" % ", ".join("'%s'" % m[0] for m in kept))
    eq(purge(space, "--older-than", "7")[1][0], len(kept), "cleaned up")


@purge_test
def a_batch_holds_at_most_its_share_of_deliveries(space):
    """Messages sent to many endpoints: a batch stops taking messages
    before their deliveries pass HF_PURGE_BATCH_DELIVERIES, but always
    takes one, however many deliveries it has."""
    sizes = [CAP * 2 // 5, CAP * 2 // 5, CAP * 2 // 5, CAP + CAP // 10, 1]
    start = now_ms() - 50 * DAY_MS
    mids = []
    for k, size in enumerate(sizes):
        mid = new_id("msg", start + k)
        mids.append(mid)
        db.root_sql(
            "USE hookfan;"
            "INSERT INTO messages (id, workspace_id, event_type, payload, status, created_at,"
            " updated_at) VALUES ('{0}', '{1}', 'wide.event', '{{}}', 'delivered',"
            " FROM_UNIXTIME({3} / 1000), FROM_UNIXTIME({3} / 1000));"
            "INSERT INTO deliveries (id, message_id, endpoint_id, status, attempts)"
            " SELECT CONCAT('del_', SUBSTRING('{0}', 5, 20), LPAD(seq, 6, '0')), '{0}', '{2}',"
            " 'succeeded', 0 FROM seq_1_to_{4};".format(mid, space.ws, space.ep, start + k, size))
    eq(old_message_count(), len(sizes), "the old messages are this test's")
    out, went, commits = purge_commits(space, "--older-than", "30")
    eq(went, (len(sizes), sum(sizes), 0), "all of them went")
    # 2/5 + 2/5 (a third would pass the cap), 2/5 (with the next, 1.1 * CAP,
    # too), 1.1 * CAP alone, the last, then a batch that finds none left,
    # then the expired Idempotency-Key answers.
    eq(commits, 6, "transactions")


@purge_test
def no_scan_of_recent_rows(space):
    """Each batch reads the old range of the messages' key and the rows of
    its own messages: many recent rows cost the purge nothing.  A full
    scan of a table (Handler_read_rnd_next) or an index range running into
    the recent rows (Handler_read_next) would read them all."""
    recent = 10000
    bulk_messages(space, recent, 0.5)
    old = [message(space, 20, deliveries=[SUCCEEDED, FAILED]) for _ in range(10)]
    names = ("Handler_read_rnd_next", "Handler_read_next", "Handler_read_key")
    # What reading the counters itself costs.
    first, second = global_status(*names), global_status(*names)
    overhead = {n: second[n] - first[n] for n in names}
    r = db.run_admin("--json", "purge", "--older-than", "10")
    after = global_status(*names)
    eq(r.returncode, 0, r.stderr)
    read = {n: after[n] - second[n] - overhead[n] for n in names}
    for made in old:
        assert_gone(made)
    eq(space.counts(), (recent, 2 * recent, 3 * recent), "the recent rows are all kept")
    print("# rows read purging 10 old messages beside %d recent ones (%d deliveries,"
          " %d attempts): %r" % (recent, 2 * recent, 3 * recent, read))
    assert read["Handler_read_rnd_next"] < 1000, read
    assert read["Handler_read_next"] < 1000, read


@purge_test
def a_message_another_transaction_holds_is_skipped_not_waited_for(space):
    held = message(space, 45, deliveries=[SUCCEEDED])
    free = message(space, 45, deliveries=[FAILED])
    locker = db.hold("BEGIN; SELECT id FROM messages WHERE id = '%s' FOR UPDATE" % held[0])
    started = time.monotonic()
    _, went = purge(space, "--older-than", "30")
    took = time.monotonic() - started
    assert took < 5, "the purge waited on the lock (%.1f s)" % took
    eq(went[0], 1, "the free one went")
    assert_gone(free)
    assert_whole(held)
    eq(locker.finish("COMMIT;\n"), 0, "the locking client")
    eq(purge(space, "--older-than", "30")[1][0], 1, "the next run takes the one that was held")
    assert_gone(held)


@purge_test
def purging_beside_a_running_sweep_loses_no_delivery(space):
    """Old messages whose deliveries a sweep is still sending: purge runs
    back to back while the sweep finishes them one by one, and takes each
    message only once its delivery is done.  Every delivery reaches the
    receiver; in the end every message has gone.

    The sweep sets a message's updated_at with each result, which would
    keep it a full period; a trigger puts this workspace's back to their
    creation, 40 days ago, so each message may go the moment its delivery
    is done, and the purges race the sweep's results."""
    receiver = Receiver(default=("slow", 0.02))
    hftest.cleanup(receiver.close)
    ep = db.admin("endpoint", "create", "--workspace", space.ws, "--url", receiver.url)["id"]
    db.root_sql("USE hookfan; CREATE TRIGGER purge_test_unchanged BEFORE UPDATE ON messages"
                " FOR EACH ROW SET NEW.updated_at = IF(NEW.workspace_id = '%s',"
                " NEW.created_at, NEW.updated_at)" % space.ws)
    try:
        sweep_and_purge(space, ep, receiver)
    finally:
        db.root_sql("USE hookfan; DROP TRIGGER IF EXISTS purge_test_unchanged")


def sweep_and_purge(space, ep, receiver):
    count = 600
    start = now_ms() - 40 * DAY_MS
    db.root_sql(
        "USE hookfan;"
        "INSERT INTO messages (id, workspace_id, event_type, payload, status, created_at,"
        " updated_at)"
        " SELECT %s, '%s', 'swept.event', CONCAT('{\"n\":', seq, '}'), 'pending',"
        "  FROM_UNIXTIME(%d / 1000), FROM_UNIXTIME(%d / 1000)"
        " FROM seq_1_to_%d;"
        "INSERT INTO deliveries (id, message_id, endpoint_id, status, due_at)"
        " SELECT CONCAT('del_', SUBSTRING(m.id, 5)), m.id, '%s', 'pending', NOW(3)"
        " FROM messages m WHERE m.workspace_id = '%s';"
        % (sql_id("msg", "%d + seq" % start), space.ws, start, start, count, ep, space.ws))
    ids = {r[0] for r in db.rows("SELECT id FROM messages WHERE workspace_id = '%s'" % space.ws)}

    def unfinished():
        return int(db.value(
            "SELECT COUNT(*) FROM messages m JOIN deliveries d ON d.message_id = m.id"
            " WHERE m.workspace_id = '%s' AND (d.due_at IS NOT NULL"
            " OR d.status NOT IN ('succeeded', 'failed'))" % space.ws))
    sweep = sweeptest.start_sweep(db, "--loop", "--concurrency", "4", "--batch", "20")
    runs = purged = 0
    deadline = time.monotonic() + 120
    while unfinished() > 0:
        assert time.monotonic() < deadline, "deliveries left unfinished: %d" % unfinished()
        # run_purge, not purge: the sweep writes attempts meanwhile.
        before = space.counts()[0]
        run_purge("--older-than", "30")
        purged += before - space.counts()[0]
        runs += 1
    sweep.terminate()
    status, err = sweeptest.finish(sweep)
    eq(status, 0, "the sweep (%s)" % err)
    eq(db.value("SELECT COUNT(*) FROM messages m JOIN deliveries d ON d.message_id = m.id"
                " WHERE m.workspace_id = '%s' AND d.status <> 'succeeded'" % space.ws), "0",
       "all delivered")
    during = purged
    purged += purge(space, "--older-than", "30")[1][0]
    eq(sorted(set(receiver.ids())), sorted(ids), "every message was delivered")
    eq(receiver.count(), count, "once each")
    eq(purged, count, "and then purged")
    eq(space.counts(), (0, 0, 0), "nothing of it is left")
    assert runs > 2, "the purges ran while the sweep worked (%d runs)" % runs
    assert during > 0, "some went while the sweep worked (%d runs)" % runs
    print("# %d purge runs while the sweep delivered %d; %d purged meanwhile"
          % (runs, count, during))


@purge_test
def bad_or_missing_older_than_is_bad_usage_and_deletes_nothing(space):
    made = message(space, 100, deliveries=[SUCCEEDED])
    before = counts()
    for args in (["--older-than", "0"], ["--older-than", "-1"], ["--older-than", "abc"],
                 ["--older-than", ""], ["--older-than", "1.5"], ["--older-than", "7d"],
                 ["--older-than", " 7"], ["--older-than", "+7"],
                 ["--older-than", str(DAYS_MAX + 1)], ["--older-than", "9" * 30],
                 ["--older-than"], [], ["--dry-run"], ["--older-than", "3", "--force"],
                 ["--older-than", "3", "--older-than", "4"], ["--older-than", "3", "extra"]):
        for json_flag in ([], ["--json"]):
            r = db.run_admin(*(json_flag + ["purge"] + args))
            eq(r.returncode, 2, "purge %s: exit status (stderr %r)" % (args, r.stderr))
            eq(r.stdout, "", "stdout of purge %s" % args)
            assert r.stderr.startswith("hookfan-admin: ") or r.stderr.startswith("usage:"), \
                r.stderr
    r = db.run_admin("purge", "--older-than", "0")
    eq(r.stderr, "hookfan-admin: purge: --older-than must be a whole number of days"
       " from 1 to %d\n" % DAYS_MAX)
    r = db.run_admin("purge")
    assert "--older-than is required" in r.stderr, r.stderr
    eq(counts(), before, "nothing deleted")
    assert_whole(made)
    eq(purge(space, "--older-than", str(DAYS_MAX))[1], (0, 0, 0),
       "the largest period is accepted")
    eq(purge(space, "--older-than", "99")[1][0], 1)


@purge_test
def json_and_text_output(space):
    made = message(space, 12, deliveries=[SUCCEEDED, FAILED])
    started = now_ms()
    out, went = purge(space, "--older-than", "10")
    eq(sorted(out), ["attempts", "before", "deliveries", "dry_run", "messages"], "keys")
    eq(went, (1, 2, 4))
    eq((out["messages"], out["deliveries"], out["attempts"], out["dry_run"]), went + (False,))
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", out["before"]), out
    before_ms = calendar.timegm(time.strptime(out["before"][:19], "%Y-%m-%dT%H:%M:%S")) \
        * 1000 + int(out["before"][20:23])
    assert abs(before_ms - (started - 10 * DAY_MS)) < 60000, (out["before"], started)
    assert_gone(made)

    made = message(space, 12, deliveries=[SUCCEEDED])
    r = db.run_admin("purge", "--older-than", "10")
    eq(r.returncode, 0, r.stderr)
    assert re.match(r"^purged 1 message made before \d{4}-\d\d-\d\dT[0-9:.]+Z,"
                    r" with 1 delivery and 1 attempt\n$", r.stdout), r.stdout
    assert_gone(made)
    r = db.run_admin("purge", "--older-than", "10")
    assert re.match(r"^purged 0 messages made before \S+Z, with 0 deliveries and 0 attempts\n$",
                    r.stdout), r.stdout
    r = db.run_admin("--help")
    assert "  purge --older-than DAYS [--dry-run]\n" in r.stdout, r.stdout


@purge_test
def dry_run_counts_what_would_go_and_deletes_nothing(space):
    gone = [message(space, 15, deliveries=[SUCCEEDED, FAILED]),
            message(space, 16, deliveries=[])]
    kept = message(space, 15, deliveries=[SUCCEEDED, PAUSED])
    dry, _ = purge(space, "--older-than", "14", "--dry-run")
    eq((dry["messages"], dry["deliveries"], dry["attempts"], dry["dry_run"]),
       (1 + 1, 2, 4, True))
    for made in gone + [kept]:
        assert_whole(made)
    r = db.run_admin("purge", "--older-than", "14", "--dry-run")
    assert r.stdout.startswith("would purge 2 messages made before "), r.stdout
    real, went = purge(space, "--older-than", "14")
    eq(went, (2, 2, 4), "what went of this workspace")
    eq((real["messages"], real["deliveries"], real["attempts"]),
       (dry["messages"], dry["deliveries"], dry["attempts"]), "the dry run's counts were right")
    for made in gone:
        assert_gone(made)
    assert_whole(kept)


@hftest.test
def an_unusable_database_is_one_line_and_exit_1():
    path = db.write_config(path=os.path.join(db.dir, "nodb.conf"),
                           db_socket=os.path.join(db.dir, "no.sock"))
    r = db.run_admin("purge", "--older-than", "30", config=path)
    eq(r.returncode, 1, r.stderr)
    eq(r.stdout, "")
    eq(len(r.stderr.strip().splitlines()), 1, r.stderr)
    db.root_sql("CREATE DATABASE empty; GRANT ALL ON empty.* TO %s;" % hftest.ALL_ACCOUNTS)
    path = db.write_config(path=os.path.join(db.dir, "empty.conf"), db_name="empty")
    r = db.run_admin("purge", "--older-than", "30", config=path)
    eq(r.returncode, 1, r.stderr)
    eq(len(r.stderr.strip().splitlines()), 1, r.stderr)
    assert r.stderr.startswith("hookfan-admin: purge stopped after 0 messages"), r.stderr
    assert "messages' doesn't exist" in r.stderr, r.stderr


@purge_test
def the_shipped_crontab_has_a_daily_purge_line_that_runs(space):
    """apache/hookfan-sweep.cron (as the build made it) carries the purge
    line commented out: a retention period is the sysadmin's choice."""
    with open(os.path.join(hftest.BUILDDIR, "apache", "hookfan-sweep.cron")) as f:
        text = f.read()
    lines = [line for line in text.splitlines() if " purge " in line]
    eq(len(lines), 1, "one purge line: %r" % lines)
    assert lines[0].startswith("#"), "commented out: %r" % lines[0]
    fields = lines[0].lstrip("#").split()
    # /etc/cron.d format: five time fields (once a day), the user, the command.
    assert fields[0].isdigit() and fields[1].isdigit() and fields[2:5] == ["*", "*", "*"], fields
    eq(fields[5], "hookfan", "the user")
    assert fields[6].endswith("/bin/hookfan-admin"), fields
    assert "@" not in lines[0], "placeholders substituted: %r" % lines[0]
    args = [a for a in fields[7:] if not a.startswith(">")]
    made = message(space, 45, deliveries=[SUCCEEDED])
    r = db.run_admin(*args)
    eq(r.returncode, 0, "the line's command %r: %s" % (args, r.stderr))
    assert_gone(made)


hftest.main()

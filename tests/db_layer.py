"""src/db.c against a real MariaDB: a lock-wait timeout redoes the whole
transaction, a killed connection is replaced and the work redone, and a
column longer than its buffer is read whole."""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
from hftest import eq  # noqa: E402

db = hftest.MariaDB.start()
PROBE = os.path.join(hftest.BUILDDIR, "tests", "db_probe")


def probe_output(text):
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@hftest.test
def lock_wait_timeout_redoes_the_transaction():
    db.root_sql("USE hookfan; INSERT INTO workspaces (id, name) VALUES ('ws_lock', 'held')")
    # Another session holds the row for 1.5 s; the probe waits at most 1 s
    # per try, so its first try times out and the redo succeeds.
    holder = subprocess.Popen(db._client() + ["hookfan", "-e",
                              "START TRANSACTION; SELECT id FROM workspaces WHERE id = 'ws_lock'"
                              " FOR UPDATE; DO SLEEP(1.5); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.3)
    r = subprocess.run([PROBE, db.config_path, "lockwait"], capture_output=True, text=True,
                       timeout=60)
    holder.wait(30)
    out = probe_output(r.stdout)
    eq(r.returncode, 0, "probe exit (%s)" % r.stderr)
    eq(out["result"], "ok")
    eq(out["attempts"], "2", "one lock-wait timeout, then success")
    eq(db.value("SELECT name FROM workspaces WHERE id = 'ws_lock'"), "probe")


@hftest.test
def killed_connection_is_replaced_and_work_redone():
    proc = subprocess.Popen([PROBE, db.config_path, "reconnect"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = {}
    for _ in range(2):
        key, _, value = proc.stdout.readline().strip().partition("=")
        first[key] = value
    eq(first["result"], "ok")
    db.root_sql("KILL %s" % first["connection"])
    out, err = proc.communicate("go\n", timeout=60)
    second = probe_output(out)
    eq(proc.returncode, 0, "probe exit (%s)" % err)
    eq(second["result"], "ok")
    assert second["connection"] != first["connection"], "a new connection"
    eq(second["attempts"], "2", "the lost try, then the redo")


@hftest.test
def a_commit_whose_connection_died_is_reported_not_redone():
    proc = subprocess.Popen([PROBE, db.config_path, "commitlost"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    key, _, connection = proc.stdout.readline().strip().partition("=")
    eq(key, "connection")
    db.root_sql("KILL %s" % connection)
    out, err = proc.communicate("go\n", timeout=60)
    result = probe_output(out)
    eq(result["result"], "database connection lost during commit", "reported as such")
    eq(result["attempts"], "1", "never redone blindly")
    eq(db.value("SELECT COUNT(*) FROM workspaces WHERE id = 'ws_lost'"), "0",
       "the server rolled the killed transaction back")


@hftest.test
def killed_connection_during_server_restart_recovers():
    proc = subprocess.Popen([PROBE, db.config_path, "reconnect"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.readline()
    proc.stdout.readline()
    db.stop()
    db.boot()
    out, err = proc.communicate("go\n", timeout=60)
    eq(proc.returncode, 0, "probe exit (%s)" % err)
    eq(probe_output(out)["result"], "ok")


@hftest.test
def a_truncated_column_is_fetched_whole():
    # Every column's buffer cut to one byte: each value below is truncated
    # by the fetch and must come back whole, NUL-terminated at its length
    # (the old code wrote that NUL past the buffer), NULL staying NULL,
    # and the grown buffers serving the rows after.
    sql = ("SELECT 'abc', NULL, CAST('2026-01-02 03:04:05.123456' AS DATETIME(6)), ''"
           " UNION ALL SELECT REPEAT('y', 100000), 'x', NULL, 'b'"
           " UNION ALL SELECT 'z', 'xy', NULL, 'c'")
    expected = [["abc", "NULL", "2026-01-02 03:04:05.123456", ""],
                ["y" * 100000, "x", "NULL", "b"],
                ["z", "xy", "NULL", "c"]]
    for mode in ("columns", "short"):
        r = subprocess.run([PROBE, db.config_path, mode, sql], capture_output=True, text=True,
                           timeout=60)
        eq(r.returncode, 0, "%s probe exit (%s)" % (mode, r.stderr))
        out = probe_output(r.stdout)
        eq(out["result"], "ok", mode)
        for row, values in enumerate(expected):
            for col, value in enumerate(values):
                name = "row%d.col%d" % (row, col)
                eq(out[name], value, "%s %s" % (mode, name))
                length = 0 if value == "NULL" else len(value)
                eq(out[name + ".length"], "%d/%d" % (length, length),
                   "%s %s: length read / C string length" % (mode, name))
        assert "row3.col0" not in out, "three rows"


hftest.main()

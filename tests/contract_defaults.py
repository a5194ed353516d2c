#!/usr/bin/env python3
"""The defaults of CONTRACT §2, through the real programs: a config file
that leaves a key out gets the documented value.  The other test files
always set allow_private_targets, retry_schedule, the timeouts and
db_password (and ingest_api.py its own max_payload_bytes), so only the
unit test of src/config.c saw the defaults until now.  Every config here
is written by hand and names nothing but the keys a test needs: the
database's socket, and its password except where the password is the
point.  db_name and db_user are left out too (both default to hookfan)."""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
import webservers  # noqa: E402
from hftest import eq  # noqa: E402
from receivers import Receiver, unanswered_port  # noqa: E402

# The contract's defaults (CONTRACT §2).
DEFAULT_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]
DEFAULT_CONNECT_TIMEOUT_MS = 5000
DEFAULT_DELIVERY_TIMEOUT_MS = 15000
DEFAULT_MAX_PAYLOAD_BYTES = 262144
JITTER = 0.20           # src/retry.h HF_RETRY_JITTER_PERCENT

# Setting up (hookfan-admin through db.config_path) uses the suite's usual
# config; every program under test gets one of the configs below.
db = st.start_db()


def config(name, password=True, **keys):
    """A config file naming the database's socket, its password (unless
    password is False) and keys; every other key takes its default."""
    path = os.path.join(db.dir, name)
    with open(path, "w") as f:
        f.write("# Written by tests/contract_defaults.py: every key not here is a default.\n")
        f.write("db_socket = %s\n" % db.socket)
        if password:
            f.write("db_password = %s\n" % hftest.DB_PASSWORD)
        for key, value in keys.items():
            f.write("%s = %s\n" % (key, value))
    os.chmod(path, 0o600)
    return path


# Nothing but where the database is: allow_private_targets is "no".
DEFAULTS = config("defaults.conf")
# The same with loopback allowed, so that attempts reach our receivers and
# the schedule and timeouts are the defaults'.
LOOPBACK_ALLOWED = config("loopback-allowed.conf", allow_private_targets="yes")


def cgi_health(conf):
    """hookfan.fcgi run as a plain CGI for GET /healthz with
    HOOKFAN_CONFIG=conf; returns (exit status, HTTP status, body bytes)."""
    r = hftest.run_cgi(HOOKFAN_CONFIG=conf)
    return r.returncode, r.status, r.body


def seconds_due_after_attempt(msg, number):
    """How long after attempt number `number` of msg's delivery started
    its next attempt is due (seconds), or None when none is."""
    return db.value("SELECT TIMESTAMPDIFF(MICROSECOND, a.started_at, d.due_at) / 1e6"
                    " FROM deliveries d JOIN attempts a ON a.delivery_id = d.id"
                    " WHERE d.message_id = '%s' AND a.attempt_number = %d" % (msg, number))


@hftest.test
def without_allow_private_targets_no_byte_reaches_loopback_and_the_attempt_says_blocked():
    rx = Receiver()
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    st.sweep(db, config=DEFAULTS)
    eq(rx.connections, 0, "connections reaching the receiver")
    eq(rx.count(), 0, "requests reaching the receiver")
    [(n, code, error, duration, _)] = st.attempts(db, msg)
    eq((n, code), ("1", None), "one attempt, no status code")
    assert error.startswith("blocked destination 127.0.0.1: loopback") \
        and error.endswith("(allow_private_targets = no)"), error
    eq(st.delivery(db, msg), ("pending", "1", None, error), "the delivery is kept for a retry")
    # The control: the same delivery, loopback allowed, does arrive, so it
    # was the default that kept it out.
    st.make_due(db, message_id=msg)
    st.sweep(db, config=LOOPBACK_ALLOWED)
    eq(rx.ids(), [msg], "delivered once loopback is allowed")
    eq(st.delivery(db, msg)[:3], ("succeeded", "2", "200"), "after the allowed attempt")


@hftest.test
def without_retry_schedule_retries_wait_5_300_1800_7200_18000_36000_36000_s_and_stop_at_8_tries():
    """Each wait is checked against its entry within the ±20% jitter of
    src/retry.c (plus the second a result may take to be written); the
    waits are skipped by moving due_at back between sweeps."""
    rx = Receiver(default="500")
    ep, _, ws = st.endpoint(db, rx.url)
    [msg] = st.messages(db, ws, [ep])
    for number, seconds in enumerate(DEFAULT_SCHEDULE, 1):
        st.sweep(db, config=LOOPBACK_ALLOWED)
        eq(rx.count(), number, "requests after sweep %d" % number)
        eq(st.delivery(db, msg)[:3], ("pending", str(number), "500"),
           "after attempt %d" % number)
        wait = float(seconds_due_after_attempt(msg, number))
        low, high = seconds * (1 - JITTER), seconds * (1 + JITTER) + 1.0
        assert low <= wait <= high, "attempt %d: next one due %.3fs after it started," \
            " not %g s ±20%%" % (number, wait, seconds)
        st.make_due(db, message_id=msg)
    st.sweep(db, config=LOOPBACK_ALLOWED)
    attempts = len(DEFAULT_SCHEDULE) + 1
    eq(rx.count(), attempts, "requests")
    eq(st.delivery(db, msg), ("failed", str(attempts), "500", None),
       "given up after entries + 1 attempts")
    eq(seconds_due_after_attempt(msg, attempts), None, "nothing due after the last attempt")
    eq(db.value("SELECT status FROM messages WHERE id = '%s'" % msg), "failed", "message")
    st.make_due(db, message_id=msg)
    st.sweep(db, config=LOOPBACK_ALLOWED)
    eq(rx.count(), attempts, "no attempt after the last")
    eq(len(st.attempts(db, msg)), attempts, "attempts on record")


@hftest.test
def without_timeouts_a_connect_gives_up_after_5_s_and_a_silent_endpoint_after_15_s():
    """Both in one sweep, side by side.  The connect one is due again
    about 5 s after its timeout, while the silent one still holds the
    sweep, so it may be tried a second time: every try must take 5 s."""
    silent = Receiver(default=("hang",))
    ws = st.workspace(db)
    ep_silent = st.endpoint(db, silent.url, ws)[0]
    ep_unanswered = st.endpoint(db, "http://127.0.0.1:%d/hook" % unanswered_port(), ws)[0]
    [hung] = st.messages(db, ws, [ep_silent])
    [unconnected] = st.messages(db, ws, [ep_unanswered])
    started = time.monotonic()
    st.sweep(db, config=LOOPBACK_ALLOWED)
    elapsed = time.monotonic() - started
    print("# the sweep took %.1fs" % elapsed)

    eq(silent.count(), 1, "the silent endpoint got the request")
    [(n, code, error, duration, _)] = st.attempts(db, hung)
    eq(code, None, "no status code from the silent endpoint")
    assert error.startswith("timeout:"), error
    assert DEFAULT_DELIVERY_TIMEOUT_MS <= int(duration) <= DEFAULT_DELIVERY_TIMEOUT_MS + 2000, \
        "the silent endpoint's attempt took %s ms" % duration
    eq(st.delivery(db, hung)[:2], ("pending", "1"), "retried later")

    tries = st.attempts(db, unconnected)
    print("# the silent endpoint's attempt took %s ms; the unanswered port's %s"
          % (duration, ", ".join(t[3] + " ms" for t in tries)))
    assert 1 <= len(tries) <= 2, tries
    for (n, code, error, duration, _) in tries:
        eq(code, None, "no status code from the unanswered port")
        assert error.startswith("timeout:") and "connect" in error.lower(), error
        low, high = DEFAULT_CONNECT_TIMEOUT_MS - 50, DEFAULT_CONNECT_TIMEOUT_MS + 1000
        assert low <= int(duration) <= high, "connect attempt %s took %s ms" % (n, duration)
    if len(tries) == 2:
        gap = float(db.value(
            "SELECT TIMESTAMPDIFF(MICROSECOND, a1.started_at, a2.started_at) / 1e6"
            " FROM deliveries d JOIN attempts a1 ON a1.delivery_id = d.id"
            " JOIN attempts a2 ON a2.delivery_id = d.id"
            " WHERE d.message_id = '%s' AND a1.attempt_number = 1"
            " AND a2.attempt_number = 2" % unconnected))
        first = int(tries[0][3]) / 1000.0
        # retry_schedule's first entry, 5 s ±20%, after the first try ended.
        assert first + 5 * (1 - JITTER) <= gap <= first + 5 * (1 + JITTER) + 1.5, \
            "second try %.2fs after the first started (which took %.2fs)" % (gap, first)
    assert elapsed < DEFAULT_DELIVERY_TIMEOUT_MS / 1000.0 + 5, \
        "the two timeouts did not run side by side (%.1fs)" % elapsed
    st.retire(db, ep_silent)
    st.retire(db, ep_unanswered)


@hftest.test
def without_max_payload_bytes_262144_bytes_pass_and_262145_are_413_on_lighttpd_and_apache():
    """The cap counts the request body as it arrives (cgi/request.c), so
    the bodies are built to the byte; chunked ones too."""
    servers = webservers.start_all(db, config_path=DEFAULTS)
    ws = st.workspace(db)
    app = db.admin("app", "create", "--workspace", ws, "--name", "a")["id"]
    ep = db.admin("endpoint", "create", "--workspace", ws, "--app", app,
                  "--url", "http://127.0.0.1:9/hook")["id"]
    key = db.admin("key", "create", "--workspace", ws)["key"]

    def trigger_body(size):
        body = b'{"payload":{"a":"' + b"z" * (size - 20) + b'"}}'
        eq(len(body), size, "trigger body size")
        return body

    def send_body(size):
        body = b'{"event_type":"a","payload":"' + b"y" * (size - 31) + b'"}'
        eq(len(body), size, "send-message body size")
        return body

    def chunked(body):
        return [body[i:i + 65536] for i in range(0, len(body), 65536)]

    def stored():
        return int(db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'" % ws))

    cap = DEFAULT_MAX_PAYLOAD_BYTES
    sends = [("trigger", "/api/ingest/event/big.one", trigger_body, 202),
             ("send-message", "/v1/applications/%s/messages" % app, send_body, 201)]
    for server in servers:
        for what, path, make, accepted in sends:
            for framing, shape in (("", lambda b: b), (" chunked", chunked)):
                name = "%s %s%s" % (server.name, what, framing)
                before = stored()
                status, _, answer = server.api("POST", path, shape(make(cap)), key=key)
                eq(status, accepted, "%s of exactly %d bytes: %r" % (name, cap, answer))
                eq(stored(), before + 1, name + " at the cap: stored")
                status, headers, answer = server.api("POST", path, shape(make(cap + 1)),
                                                     key=key)
                eq((status, answer and answer.get("code")), (413, "payload_too_large"),
                   "%s of %d bytes" % (name, cap + 1))
                eq(headers.get("content-type"), "application/json", name + " 413 type")
                eq(stored(), before + 1, name + " over the cap: nothing stored")
    st.retire(db, ep)


@hftest.test
def without_db_password_the_programs_log_in_to_an_account_that_has_none():
    """An account with no password, granted what the suite's hookfan
    account has (ALL on the hookfan database)."""
    db.root_sql("CREATE USER 'nopassword'@'localhost';"
                "GRANT ALL ON hookfan.* TO 'nopassword'@'localhost';")
    conf = config("no-password.conf", password=False, db_user="nopassword")
    r = db.run_admin("--json", "workspace", "create", "--name", "NoPassword", config=conf)
    eq(r.returncode, 0, "hookfan-admin workspace create: %s" % r.stderr)
    made = json.loads(r.stdout)["id"]
    eq(db.value("SELECT name FROM workspaces WHERE id = '%s'" % made), "NoPassword", "row")
    r = st.sweep(db, config=conf, check=False)
    eq(r.returncode, 0, "hookfan-sweep: %s" % r.stderr)
    eq(cgi_health(conf), (0, 200, b'{"status":"ok"}'), "hookfan.fcgi GET /healthz")
    # The control: the account does refuse a password it does not have.
    wrong = config("no-password-wrong.conf", password=False, db_user="nopassword",
                   db_password="something")
    r = db.run_admin("workspace", "create", "--name", "Never", config=wrong)
    eq(r.returncode, 1, "a password the account does not have: %s" % r.stderr)


@hftest.test
def without_db_password_an_account_with_a_password_is_refused_in_one_line_and_exit_1():
    conf = config("password-missing.conf", password=False)   # db_user: hookfan
    for program, run in (("hookfan-admin",
                          lambda: db.run_admin("workspace", "create", "--name", "Never",
                                               config=conf)),
                         ("hookfan-sweep", lambda: st.sweep(db, config=conf, check=False))):
        r = run()
        eq(r.returncode, 1, "%s exit status (%s)" % (program, r.stderr))
        eq(r.stdout, "", program + " stdout")
        lines = r.stderr.strip().splitlines()
        eq(len(lines), 1, "%s: one line: %r" % (program, r.stderr))
        assert lines[0].startswith(program + ": "), lines[0]
        assert "cannot connect to %s" % db.socket in lines[0], lines[0]
        assert "Access denied for user 'hookfan'@'localhost' (using password: NO)" in lines[0], \
            lines[0]
    eq(db.value("SELECT COUNT(*) FROM workspaces WHERE name = 'Never'"), "0", "nothing written")
    eq(cgi_health(conf)[:2], (0, 503), "hookfan.fcgi: the database is unavailable")


@hftest.test
def without_db_port_a_db_host_is_reached_on_port_3306():
    """db_host = 127.0.0.1 with no db_port and no db_socket: the one
    stderr line names 127.0.0.1 and 3306, and (when the port is free to
    take) a listener of ours on 127.0.0.1:3306 is where the connection
    goes."""
    conf = os.path.join(db.dir, "tcp-default-port.conf")
    with open(conf, "w") as f:
        f.write("db_host = 127.0.0.1\ndb_password = %s\n" % hftest.DB_PASSWORD)
    os.chmod(conf, 0o600)

    def admin():
        r = db.run_admin("workspace", "create", "--name", "x", config=conf)
        eq((r.returncode, r.stdout), (1, ""), "hookfan-admin workspace create: %s" % r.stderr)
        lines = r.stderr.strip().splitlines()
        eq(len(lines), 1, "one line: %r" % r.stderr)
        assert lines[0].startswith("hookfan-admin: "), lines[0]
        assert "127.0.0.1" in lines[0] and "3306" in lines[0], lines[0]
        return lines[0]

    with socket.socket() as probe:
        probe.settimeout(2)
        listening = probe.connect_ex(("127.0.0.1", 3306)) == 0
    if listening:
        # Something else answers there: hookfan got past connecting (the
        # error is not "Can't connect"), so it was 3306 it connected to.
        line = admin()
        print("# something listens on 127.0.0.1:3306: %s" % line)
        assert "can't connect" not in line.lower(), line
        return
    line = admin()
    print("# nothing listens on 127.0.0.1:3306: %s" % line)
    listener = socket.socket()
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 3306))
    except OSError as e:
        listener.close()
        print("# cannot listen on 127.0.0.1:3306 (%s): the line alone is checked" % e)
        return
    accepted = []
    done = threading.Event()

    def serve():
        while not done.is_set():
            try:
                c, _ = listener.accept()
            except socket.timeout:
                continue
            accepted.append(c)
            c.close()       # no greeting: the client gives up at once
    listener.listen(8)
    listener.settimeout(0.1)
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        line = admin()
        print("# with a listener of ours there: %s" % line)
    finally:
        done.set()
        thread.join(5)
        listener.close()
    assert accepted, "hookfan-admin never connected to 127.0.0.1:3306"
    eq(db.value("SELECT COUNT(*) FROM workspaces WHERE name = 'x'"), "0", "nothing written")


@hftest.test
def a_hash_after_a_value_starts_a_comment_for_the_programs():
    """CONTRACT §2 "`#` starts a comment", on whole lines (indented too)
    and after a value, on a string, a number list and a yes/no key: kept
    in a value, each comment would make the key unusable."""
    rx = Receiver()
    path = os.path.join(db.dir, "comments.conf")
    with open(path, "w") as f:
        f.write("# the database\n"
                "   # an indented comment line\n"
                "db_socket = %s # a comment after the socket\n"
                "db_password = %s\t# after a tab\n"
                "retry_schedule = 1,1 # fast retries\n"
                "allow_private_targets = yes # the receiver is on loopback\n"
                % (db.socket, hftest.DB_PASSWORD))
    os.chmod(path, 0o600)
    r = db.run_admin("--json", "workspace", "create", "--name", "Commented", config=path)
    eq(r.returncode, 0, "hookfan-admin workspace create: %s" % r.stderr)
    ws = json.loads(r.stdout)["id"]
    eq(db.value("SELECT name FROM workspaces WHERE id = '%s'" % ws), "Commented", "row")
    r = db.run_admin("--json", "endpoint", "create", "--workspace", ws, "--url", rx.url,
                     config=path)
    eq(r.returncode, 0, "hookfan-admin endpoint create: %s" % r.stderr)
    ep = json.loads(r.stdout)["id"]
    [msg] = st.messages(db, ws, [ep])
    r = st.sweep(db, config=path, check=False)
    eq(r.returncode, 0, "hookfan-sweep: %s" % r.stderr)
    eq(rx.ids(), [msg], "delivered to loopback (allow_private_targets = yes)")
    eq(st.delivery(db, msg)[:3], ("succeeded", "1", "200"), "the delivery")
    eq(cgi_health(path), (0, 200, b'{"status":"ok"}'), "hookfan.fcgi GET /healthz")


hftest.main()

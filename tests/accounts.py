"""Least privilege: `hookfan-admin grants` makes one account per program
(the test bed builds its accounts from it), each program connects with
its own, the ingest's cannot read signing secrets nor change the schema,
and a config file holding a password that every user may read is warned
about."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
from hftest import eq  # noqa: E402

db = hftest.MariaDB.start()
ws = db.admin("workspace", "create", "--name", "acc")["id"]
app = db.admin("app", "create", "--workspace", ws, "--name", "a")["id"]
ep = db.admin("endpoint", "create", "--workspace", ws, "--url", "http://127.0.0.1:9/h")["id"]
KEY = db.admin("key", "create", "--workspace", ws)["key"]


def as_account(user, sql):
    """Run sql on the hookfan database as user; (exit status, stderr)."""
    r = subprocess.run([hftest._find("mariadb", "mysql"), "--no-defaults",
                        "--socket=" + db.socket, "-u", user, "-p" + hftest.DB_PASSWORD,
                        "--batch", "hookfan", "-e", sql], capture_output=True, text=True)
    return r.returncode, r.stderr


def refused(user, sql, what):
    status, err = as_account(user, sql)
    assert status != 0 and "denied" in err, "%s as %s: %s" % (what, user, err or "allowed")


def allowed(user, sql, what):
    status, err = as_account(user, sql)
    eq(status, 0, "%s as %s: %s" % (what, user, err))


def sweep(config):
    return subprocess.run([hftest.SWEEP, "--config", config, "--max-seconds", "2"],
                          capture_output=True, text=True, env=db.env(), timeout=60)


def ingest(config):
    return hftest.run_cgi("POST", "/api/ingest/event/acc.test", b'{"payload": {"a": 1}}',
                          HOOKFAN_CONFIG=config, HTTP_AUTHORIZATION="Bearer " + KEY)


@hftest.test
def the_ingest_account_cannot_read_secrets_nor_change_the_schema():
    ingest_user = hftest.ACCOUNTS["ingest"]
    refused(ingest_user, "SELECT secret FROM endpoint_secrets", "reading secrets")
    refused(ingest_user, "SELECT COUNT(*) FROM endpoint_secrets", "counting secrets")
    refused(ingest_user, "CREATE TABLE t (i INT)", "DDL")
    refused(ingest_user, "ALTER TABLE messages ADD COLUMN x INT", "DDL")
    refused(ingest_user, "DELETE FROM deliveries", "deleting")
    refused(ingest_user, "UPDATE api_keys SET revoked_at = NOW()", "revoking keys")
    allowed(ingest_user, "SELECT COUNT(*) FROM api_keys", "reading keys")
    # What the stored procedure does, it does with the ingest's rights
    # (SQL SECURITY INVOKER): it works for the ingest below.
    eq(ingest(db.config_path).status, 202, "ingest under its account")


@hftest.test
def the_sweep_and_api_accounts_read_secrets_but_change_no_schema():
    for program in ("sweep", "api"):
        user = hftest.ACCOUNTS[program]
        allowed(user, "SELECT secret FROM endpoint_secrets", program + " reading secrets")
        refused(user, "CREATE TABLE t (i INT)", program + " DDL")
        refused(user, "DROP TABLE rate_limits", program + " DDL")
    refused(hftest.ACCOUNTS["sweep"], "DELETE FROM api_keys", "sweep deleting keys")
    allowed(hftest.ACCOUNTS["api"], "UPDATE endpoint_secrets SET secret = secret",
            "the API writing secrets")
    allowed(hftest.ACCOUNTS["admin"], "CREATE TABLE scratch (i INT); DROP TABLE scratch",
            "admin's DDL")


@hftest.test
def each_program_connects_with_its_own_account():
    # The fallback account's password is wrong: only the program's own
    # keys can get anyone in.
    own = db.write_config(os.path.join(db.dir, "own.conf"), db_password="wrong")
    r = db.run_admin("--json", "workspace", "create", "--name", "x", config=own)
    eq(r.returncode, 0, "admin: " + r.stderr)
    r = sweep(own)
    eq(r.returncode, 0, "sweep: " + r.stderr)
    eq(ingest(own).status, 202, "ingest")
    for program, run in (("admin", lambda c: db.run_admin("migrate", config=c)),
                         ("sweep", sweep)):
        wrong = db.write_config(os.path.join(db.dir, program + ".conf"),
                                **{program + "_db_password": "wrong"})
        r = run(wrong)
        eq(r.returncode, 1, program + " with a wrong password of its own")
        assert "Access denied for user '%s'" % hftest.ACCOUNTS[program] in r.stderr, r.stderr
    wrong = db.write_config(os.path.join(db.dir, "ingest.conf"), ingest_db_password="wrong")
    run = ingest(wrong)
    eq(run.status, 503, "ingest with a wrong password of its own")
    assert b"Access denied for user 'hookfan_ingest'" in run.stderr, run.stderr
    # Without the per-program keys, db_user serves every program.
    plain = os.path.join(db.dir, "plain.conf")
    with open(plain, "w") as f:
        f.write("db_socket = %s\ndb_password = %s\n" % (db.socket, hftest.DB_PASSWORD))
    os.chmod(plain, 0o600)
    eq(db.run_admin("workspace", "create", "--name", "p", config=plain).returncode, 0)
    eq(sweep(plain).returncode, 0, "sweep on db_user")
    eq(ingest(plain).status, 202, "ingest on db_user")


@hftest.test
def grants_takes_a_database_a_host_and_one_account():
    r = db.run_admin("grants", "--database", "hf2", "--host", "10.0.0.%", "--account", "ingest")
    eq(r.returncode, 0, r.stderr)
    statements = [line for line in r.stdout.splitlines() if not line.startswith("--")]
    assert statements and all("'hookfan_ingest'@'10.0.0.%'" in s for s in statements), r.stdout
    assert all("`hf2`." in s for s in statements if s.startswith("GRANT")), r.stdout
    assert not any("endpoint_secrets" in s for s in statements), r.stdout
    assert any("EXECUTE ON PROCEDURE `hf2`.`hf_ingest_store`" in s for s in statements)
    r = db.run_admin("--json", "grants", "--account", "admin")
    eq(r.returncode, 0, r.stderr)
    assert "ALL PRIVILEGES" in r.stdout and "hookfan_admin" in r.stdout, r.stdout
    for bad in (["--host", "x'; DROP USER root; --"], ["--database", "a`b"],
                ["--account", "root"]):
        r = db.run_admin("grants", *bad)
        eq(r.returncode, 2, "refused: %s" % bad)
        assert r.stderr.strip() and len(r.stderr.strip().splitlines()) <= 2, r.stderr


@hftest.test
def a_world_readable_config_with_a_password_is_warned_about():
    readable = db.write_config(os.path.join(db.dir, "readable.conf"))
    os.chmod(readable, 0o644)
    runs = {"admin": db.run_admin("grants", config=readable),
            "sweep": sweep(readable)}
    for program, r in runs.items():
        eq(r.returncode, 0, program + ": a warning, not an error")
        warnings = [line for line in r.stderr.splitlines() if "every user may read" in line]
        eq(len(warnings), 1, "%s: one warning line in %r" % (program, r.stderr))
        assert readable in warnings[0], warnings[0]
    run = ingest(readable)
    eq(run.status, 202, "ingest: a warning, not an error")
    assert b"every user may read" in run.stderr, run.stderr
    # 0640 or 0600, or no password at all: nothing to say.
    os.chmod(readable, 0o640)
    eq(db.run_admin("grants", config=readable).stderr, "", "0640")
    nopw = os.path.join(db.dir, "nopw.conf")
    with open(nopw, "w") as f:
        f.write("db_socket = %s\n" % db.socket)
    os.chmod(nopw, 0o644)
    eq(db.run_admin("grants", config=nopw).stderr, "", "no password")


hftest.main()

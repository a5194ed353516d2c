"""hookfan-admin against a real MariaDB: every command of CONTRACT §3, its
JSON and text output, its errors, and the rows it leaves behind."""
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
from hftest import eq  # noqa: E402

db = hftest.MariaDB.start()
# The numbered migrations in sql/ (001_initial.sql, ...).
NUMBERED = len([n for n in os.listdir(hftest.SQL_DIR) if n[:3].isdigit()])
ID = re.compile(r"^[a-z]{1,4}_[0-9a-hjkmnp-tv-z]{26}$")


def fails(args, status=1, message=None):
    r = db.run_admin(*args)
    eq(r.returncode, status, "exit status of %s (stderr %r)" % (args, r.stderr))
    eq(r.stdout, "", "stdout on error")
    lines = r.stderr.strip().splitlines()
    if status == 1:
        eq(len(lines), 1, "one line on stderr: %r" % r.stderr)
    if message:
        assert message in r.stderr, "%r not in %r" % (message, r.stderr)
    return r.stderr


def workspace(name="Acme", *extra):
    return db.admin("workspace", "create", "--name", name, *extra)["id"]


@hftest.test
def migrate_is_recorded_and_safe_to_repeat():
    eq(db.value("SELECT COUNT(*) FROM schema_migrations"), str(NUMBERED))
    eq(db.admin("migrate"), {"applied": 0})
    tables = {r[0] for r in db.rows("SHOW TABLES")}
    for t in ("workspaces", "environments", "applications", "endpoints",
              "endpoint_secrets", "event_types", "subscriptions", "api_keys",
              "messages", "deliveries", "attempts", "schema_migrations"):
        assert t in tables, t
    engines = db.rows("SELECT DISTINCT engine, table_collation FROM information_schema.tables"
                      " WHERE table_schema = 'hookfan' AND table_name <> 'rate_limits'")
    for engine, collation in engines:
        eq(engine, "InnoDB", "engine")
        assert collation.startswith("utf8mb4"), collation


@hftest.test
def migrate_from_two_shells_at_once():
    db.root_sql("CREATE DATABASE hookfan2; GRANT ALL ON hookfan2.* TO %s;" % hftest.ALL_ACCOUNTS)
    conf = db.write_config(path=os.path.join(db.dir, "two.conf"), db_name="hookfan2")
    cmd = [hftest.ADMIN, "--config", conf, "--json", "migrate"]
    procs = [subprocess.Popen(cmd, env=db.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    for out, err, code in results:
        eq(code, 0, "concurrent migrate exit (%s)" % err)
    applied = sorted(int(re.search(r'"applied":\s*(\d+)', out).group(1))
                     for out, _, _ in results)
    eq(applied, [0, NUMBERED], "exactly one shell applied the migrations")
    eq(db.root_sql("SELECT COUNT(*) FROM hookfan2.schema_migrations").strip(), str(NUMBERED))


STORED_ROUTINES = ["hf_ingest_store", "hf_ingest_store_deliveries"]


def routines(schema="hookfan"):
    return db.root_sql("SELECT routine_name FROM information_schema.routines"
                       " WHERE routine_schema = '%s' ORDER BY 1" % schema).split()


@hftest.test
def migrate_recreates_the_stored_routines_a_dump_left_out():
    # mysqldump without --routines restores the tables but no procedure.
    eq(routines(), STORED_ROUTINES)
    db.root_sql("DROP PROCEDURE hookfan.hf_ingest_store")
    db.root_sql("DROP PROCEDURE hookfan.hf_ingest_store_deliveries")
    eq(routines(), [])
    eq(db.admin("migrate"), {"applied": 0}, "no numbered migration is new")
    eq(routines(), STORED_ROUTINES)


@hftest.test
def the_sql_folder_also_loads_with_the_mariadb_client():
    """A sysadmin may feed sql/*.sql to the client in order: the DELIMITER
    lines the migration runner understands are the client's own."""
    db.root_sql("CREATE DATABASE hookfan3")
    for name in sorted(os.listdir(hftest.SQL_DIR)):
        with open(os.path.join(hftest.SQL_DIR, name)) as f:
            r = subprocess.run(db._client() + ["hookfan3"], stdin=f,
                               capture_output=True, text=True)
        eq(r.returncode, 0, "%s through the client: %s" % (name, r.stderr))
    eq(routines("hookfan3"), STORED_ROUTINES)
    tables = db.root_sql("SELECT COUNT(*) FROM information_schema.tables"
                         " WHERE table_schema = 'hookfan3'").strip()
    eq(tables, db.root_sql("SELECT COUNT(*) - 1 FROM information_schema.tables"
                           " WHERE table_schema = 'hookfan'").strip(),
       "every table but schema_migrations")


def migrate_scripts(database, initial, routines_sql):
    """Run migrate on a new database from a folder holding these two
    scripts; returns the CompletedProcess."""
    folder = tempfile.mkdtemp(dir=db.dir)
    for name, text in (("001_initial.sql", initial), ("routines.sql", routines_sql)):
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    db.root_sql("CREATE DATABASE %s; GRANT ALL ON %s.* TO %s;"
                % (database, database, hftest.ALL_ACCOUNTS))
    return subprocess.run([hftest.ADMIN, "--config", database_config(database), "migrate"],
                          env=dict(db.env(), HOOKFAN_SQL_DIR=folder),
                          capture_output=True, text=True)


def database_config(database):
    return db.write_config(path=os.path.join(db.dir, database + ".conf"), db_name=database)


def sql_file(name):
    with open(os.path.join(hftest.SQL_DIR, name)) as f:
        return f.read()


@hftest.test
def an_upgrade_from_the_first_schema_keeps_every_delivery_and_lease():
    """Deliveries written under 001 (free ones with a NULL lease, one held
    by a sweep) come through 002, which makes the lease fixed-size; a sweep
    refuses to run until it has."""
    r = migrate_scripts("hookfan6", sql_file("001_initial.sql"), sql_file("routines.sql"))
    eq(r.returncode, 0, "migrate to 001: %s" % r.stderr)
    conf = database_config("hookfan6")

    def admin(*args):
        r = db.run_admin("--json", *args, config=conf)
        eq(r.returncode, 0, "hookfan-admin %s: %s" % (args, r.stderr))
        return json.loads(r.stdout)
    ws = admin("workspace", "create", "--name", "Old")["id"]
    # As the first schema's hookfan-admin made it (today's also tells
    # ingest of the change, in a column 008 adds).
    ep = "ep_old"
    held = "a" * 32
    db.root_sql("USE hookfan6;"
                " INSERT INTO endpoints (id, workspace_id, url)"
                " VALUES ('%s', '%s', 'https://example.com/old');" % (ep, ws) +
                " INSERT INTO messages (id, workspace_id, event_type, payload, status)"
                " VALUES ('msg_old', '%s', 'user.created', '{}', 'pending');"
                " INSERT INTO deliveries (id, message_id, endpoint_id, status, due_at,"
                "  lease_owner, lease_token, lease_expires_at) VALUES"
                " ('del_free', 'msg_old', '%s', 'pending', NOW(3), NULL, NULL, NULL),"
                " ('del_held', 'msg_old', '%s', 'sending', NOW(3) + INTERVAL 1 MINUTE,"
                "  'host:1', '%s', NOW(3) + INTERVAL 1 MINUTE);" % (ws, ep, ep, held))
    sweep = subprocess.run([hftest.SWEEP, "--config", conf], env=db.env(),
                           capture_output=True, text=True, timeout=60)
    eq(sweep.returncode, 1, "sweep on the old schema (%s)" % sweep.stderr)
    assert "the schema is at migration 1, this hookfan-sweep needs " in sweep.stderr \
        and ": run hookfan-admin migrate" in sweep.stderr, sweep.stderr
    eq(admin("migrate"), {"applied": NUMBERED - 1})
    eq(db.root_sql("SELECT id, status, lease_token FROM hookfan6.deliveries ORDER BY id"),
       "del_free\tpending\t\ndel_held\tpending\t%s\n" % held,
       "a lease alone now makes a delivery sending")
    eq([(d["id"], d["status"]) for d in admin("delivery", "list", "--message", "msg_old")["deliveries"]],
       [("del_held", "sending"), ("del_free", "pending")], "what hookfan-admin shows")
    columns = db.root_sql("SELECT column_name FROM information_schema.columns"
                          " WHERE table_schema = 'hookfan6' AND table_name = 'deliveries'"
                          " AND column_name LIKE 'lease%'").split()
    eq(columns, ["lease_token"], "the expiry is due_at; nobody read the owner")


@hftest.test
def a_delimiter_inside_a_string_or_comment_does_not_end_a_statement():
    r = migrate_scripts(
        "hookfan5",
        "# a comment\n/* another; */\nCREATE TABLE t1 (id INT PRIMARY KEY);\n",
        "/* only a comment // here */\n"
        "DELIMITER //\n"
        "# p returns 'a//b'\n"
        "CREATE OR REPLACE PROCEDURE p(OUT r VARCHAR(10))\n"
        "BEGIN SET r = 'a//b'; SET r = CONCAT(r, \"\"); END\n"
        "//\nDELIMITER ;\n")
    eq(r.returncode, 0, "migrate: %s" % r.stderr)
    eq(db.root_sql("USE hookfan5; CALL p(@r); SELECT @r").strip(), "a//b")


@hftest.test
def a_script_whose_last_statement_lacks_its_delimiter_is_refused():
    r = migrate_scripts(
        "hookfan4", "CREATE TABLE t1 (id INT PRIMARY KEY);\n",
        "DELIMITER //\nCREATE OR REPLACE PROCEDURE p() BEGIN SELECT 1; END\n")
    eq(r.returncode, 1, "exit status (%s)" % r.stderr)
    assert "routines.sql: the last statement lacks its delimiter //" in r.stderr, r.stderr
    eq(routines("hookfan4"), [], "nothing half-created")


@hftest.test
def workspace_create_json_and_text():
    out = db.admin("workspace", "create", "--name", "Acme Corp")
    eq(list(out), ["id"], "keys")
    assert ID.match(out["id"]) and out["id"].startswith("ws_"), out
    eq(db.rows("SELECT name, max_payload_bytes FROM workspaces WHERE id = '%s'" % out["id"]),
       [("Acme Corp", None)])
    r = db.run_admin("workspace", "create", "--name", "Text", "--max-payload-bytes", "1000")
    eq(r.returncode, 0)
    lines = r.stdout.splitlines()
    eq(len(lines), 1, "text output is the id alone")
    assert ID.match(lines[0]), lines
    eq(db.value("SELECT max_payload_bytes FROM workspaces WHERE id = '%s'" % lines[0]), "1000")


@hftest.test
def workspace_create_rejections():
    before = db.value("SELECT COUNT(*) FROM workspaces")
    fails(["workspace", "create", "--name", ""], 1, "name")
    fails(["workspace", "create", "--name", "x" * 201], 1, "name")
    fails(["workspace", "create", "--name", "A", "--max-payload-bytes", "0"], 1,
          "--max-payload-bytes")
    fails(["workspace", "create", "--name", "A", "--max-payload-bytes", "12k"], 1)
    fails(["workspace", "create"], 2, "--name is required")
    fails(["workspace", "create", "--name", "A", "--bogus", "1"], 2, "unknown option")
    fails(["workspace", "create", "--name", "A", "--name", "B"], 2, "twice")
    fails(["workspace", "explode"], 2)
    fails(["frobnicate"], 2, "unknown command")
    eq(db.value("SELECT COUNT(*) FROM workspaces"), before, "nothing written")


@hftest.test
def env_create_and_errors():
    ws = workspace()
    env = db.admin("env", "create", "--workspace", ws, "--name", "production")
    eq(list(env), ["id"], "--json: {\"id\": ...} alone")
    assert ID.match(env["id"]) and env["id"].startswith("env_"), env
    r = db.run_admin("env", "create", "--workspace", ws, "--name", "qa")
    eq(r.returncode, 0, r.stderr)
    eq(r.stdout.splitlines()[0], db.value("SELECT id FROM environments WHERE name = 'qa'"),
       "text output: the new id alone on the first line")
    eq(db.rows("SELECT workspace_id, name FROM environments WHERE id = '%s'" % env["id"]),
       [(ws, "production")])
    fails(["env", "create", "--workspace", ws, "--name", "production"], 1, "already has")
    fails(["env", "create", "--workspace", "ws_01m82cs0nqnt0j26e20x0tvqm7", "--name", "x"],
          1, 'unknown workspace "ws_01m82cs0nqnt0j26e20x0tvqm7"')
    fails(["env", "create", "--name", "x"], 2, "--workspace is required")


@hftest.test
def app_create_activate_deactivate():
    ws = workspace()
    env = db.admin("env", "create", "--workspace", ws, "--name", "staging")["id"]
    made = db.admin("app", "create", "--workspace", ws, "--env", env, "--name", "Billing")
    eq(list(made), ["id"], "--json: {\"id\": ...} alone")
    app = made["id"]
    assert ID.match(app) and app.startswith("app_"), app
    r = db.run_admin("app", "create", "--workspace", ws, "--name", "Plain")
    eq(r.returncode, 0, r.stderr)
    eq(r.stdout.splitlines()[0], db.value("SELECT id FROM applications WHERE name = 'Plain'"),
       "text output: the new id alone on the first line")
    eq(db.rows("SELECT workspace_id, environment_id, name, active FROM applications"
               " WHERE id = '%s'" % app), [(ws, env, "Billing", "1")])
    by_name = db.admin("app", "create", "--workspace", ws, "--env", "staging",
                       "--name", "Other", "--inactive")["id"]
    eq(db.rows("SELECT environment_id, active FROM applications WHERE id = '%s'" % by_name),
       [(env, "0")], "--env accepts the name; --inactive")
    eq(db.admin("app", "activate", "--app", by_name), {"id": by_name, "active": True})
    eq(db.value("SELECT active FROM applications WHERE id = '%s'" % by_name), "1")
    eq(db.admin("app", "deactivate", "--app", app), {"id": app, "active": False})
    eq(db.value("SELECT active FROM applications WHERE id = '%s'" % app), "0")
    fails(["app", "activate", "--app", "app_nope"], 1, 'unknown application "app_nope"')
    fails(["app", "create", "--workspace", ws, "--env", "nope", "--name", "X"], 1,
          'unknown environment "nope"')
    fails(["app", "create", "--workspace", ws, "--name", "X", "--inactive", "yes"], 2)


@hftest.test
def endpoint_create_secret_and_subscriptions():
    ws = workspace()
    out = db.admin("endpoint", "create", "--workspace", ws, "--url", "https://example.com/hook")
    eq(sorted(out), ["id", "secret"])
    assert out["id"].startswith("ep_")
    assert out["secret"].startswith("whsec_"), out
    raw = base64.b64decode(out["secret"][6:], validate=True)
    assert 24 <= len(raw) <= 64, len(raw)
    eq(db.rows("SELECT url, active, environment_id, application_id FROM endpoints"
               " WHERE id = '%s'" % out["id"]), [("https://example.com/hook", "1", None, None)])
    eq(db.rows("SELECT secret FROM endpoint_secrets WHERE endpoint_id = '%s'" % out["id"]),
       [(out["secret"],)])
    eq(db.rows("SELECT event_type FROM subscriptions WHERE endpoint_id = '%s'" % out["id"]),
       [("*",)], "no --event-type means every type")
    two = db.admin("endpoint", "create", "--workspace", ws, "--url", "http://example.com/",
                   "--event-type", "order.paid", "--event-type", "order.refunded")
    eq(sorted(db.rows("SELECT event_type FROM subscriptions WHERE endpoint_id = '%s'" % two["id"])),
       [("order.paid",), ("order.refunded",)])
    eq(sorted(db.rows("SELECT name FROM event_types WHERE workspace_id = '%s'" % ws)),
       [("order.paid",), ("order.refunded",)], "event types registered")
    other = db.admin("endpoint", "create", "--workspace", ws, "--url", "http://example.com/")
    assert other["secret"] != out["secret"], "secrets are random"
    r = db.run_admin("endpoint", "create", "--workspace", ws, "--url", "http://example.com/")
    lines = r.stdout.splitlines()
    eq(len(lines), 2, "text: id then secret")
    assert lines[0].startswith("ep_") and lines[1].startswith("whsec_"), lines


@hftest.test
def endpoint_create_in_env_and_app():
    ws = workspace()
    env = db.admin("env", "create", "--workspace", ws, "--name", "prod")["id"]
    env2 = db.admin("env", "create", "--workspace", ws, "--name", "dev")["id"]
    app = db.admin("app", "create", "--workspace", ws, "--env", env, "--name", "A")["id"]
    ep = db.admin("endpoint", "create", "--workspace", ws, "--app", app,
                  "--url", "https://example.com/a")["id"]
    eq(db.rows("SELECT environment_id, application_id FROM endpoints WHERE id = '%s'" % ep),
       [(env, app)], "an app's endpoint takes the app's environment")
    fails(["endpoint", "create", "--workspace", ws, "--env", env2, "--app", app,
           "--url", "https://example.com/"], 1, "not in environment")
    other_ws = workspace("Other")
    fails(["endpoint", "create", "--workspace", other_ws, "--app", app,
           "--url", "https://example.com/"], 1, "unknown application")


@hftest.test
def endpoint_create_rejections():
    ws = workspace()
    before = db.value("SELECT COUNT(*) FROM endpoints")
    for url in ("ftp://example.com/", "file:///etc/passwd", "gopher://x/", "example.com",
                "http://", "http://exa mple.com/", "javascript:alert(1)"):
        fails(["endpoint", "create", "--workspace", ws, "--url", url], 1, "invalid URL")
    fails(["endpoint", "create", "--workspace", ws, "--url", "https://e.com/" + "a" * 2100],
          1, "too long")
    fails(["endpoint", "create", "--workspace", ws, "--url", "https://e.com/",
           "--event-type", "bad type"], 1, "invalid event type")
    fails(["endpoint", "create", "--workspace", "ws_missing", "--url", "https://e.com/"],
          1, "unknown workspace")
    fails(["endpoint", "create", "--workspace", ws], 2, "--url is required")
    eq(db.value("SELECT COUNT(*) FROM endpoints"), before, "nothing written")


@hftest.test
def endpoint_disable_enable_and_subscribe():
    ws = workspace()
    ep = db.admin("endpoint", "create", "--workspace", ws, "--url", "https://e.com/",
                  "--event-type", "a.b")["id"]
    eq(db.admin("endpoint", "disable", "--endpoint", ep), {"id": ep, "active": False})
    eq(db.value("SELECT active FROM endpoints WHERE id = '%s'" % ep), "0")
    eq(db.admin("endpoint", "enable", "--endpoint", ep), {"id": ep, "active": True})
    eq(db.value("SELECT active FROM endpoints WHERE id = '%s'" % ep), "1")
    eq(db.admin("subscribe", "--endpoint", ep, "--event-type", "c.d"),
       {"id": ep, "event_type": "c.d"})
    eq(db.admin("subscribe", "--endpoint", ep, "--event-type", "*")["event_type"], "*")
    db.admin("subscribe", "--endpoint", ep, "--event-type", "c.d")  # again: no error
    eq(sorted(db.rows("SELECT event_type FROM subscriptions WHERE endpoint_id = '%s'" % ep)),
       [("*",), ("a.b",), ("c.d",)])
    fails(["subscribe", "--endpoint", ep, "--event-type", "no spaces"], 1, "invalid event type")
    fails(["subscribe", "--endpoint", "ep_nope", "--event-type", "x"], 1, 'unknown endpoint')
    fails(["endpoint", "disable", "--endpoint", "ep_nope"], 1, 'unknown endpoint "ep_nope"')


@hftest.test
def unsubscribe_removes_one_event_type():
    ws = workspace()
    ep = db.admin("endpoint", "create", "--workspace", ws, "--url", "https://e.com/",
                  "--event-type", "a.b", "--event-type", "c.d")["id"]
    eq(db.admin("unsubscribe", "--endpoint", ep, "--event-type", "a.b"),
       {"id": ep, "unsubscribed": "a.b", "event_types": ["c.d"]})
    eq(db.rows("SELECT event_type FROM subscriptions WHERE endpoint_id = '%s'" % ep),
       [("c.d",)])
    r = db.run_admin("unsubscribe", "--endpoint", ep, "--event-type", "c.d")
    eq((r.returncode, r.stdout), (0, ep + "\nc.d\n[]\n"),
       "text output, the types left last (none): %r" % r.stderr)
    eq(db.rows("SELECT event_type FROM subscriptions WHERE endpoint_id = '%s'" % ep), [])
    fails(["unsubscribe", "--endpoint", ep, "--event-type", "c.d"], 1,
          'endpoint %s is not subscribed to "c.d"' % ep)
    fails(["unsubscribe", "--endpoint", "ep_nope", "--event-type", "a.b"], 1,
          'unknown endpoint "ep_nope"')
    fails(["unsubscribe", "--endpoint", ep], 2)
    # "*" is a subscription like any other: without it, only named types.
    db.admin("subscribe", "--endpoint", ep, "--event-type", "*")
    db.admin("subscribe", "--endpoint", ep, "--event-type", "e.f")
    db.admin("unsubscribe", "--endpoint", ep, "--event-type", "*")
    eq(db.rows("SELECT event_type FROM subscriptions WHERE endpoint_id = '%s'" % ep),
       [("e.f",)])


ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@hftest.test
def endpoint_list_shows_state_subscriptions_and_backlog():
    ws, other = workspace("Listed"), workspace("Other")
    app = db.admin("app", "create", "--workspace", ws, "--name", "shop")["id"]
    first = db.admin("endpoint", "create", "--workspace", ws, "--url", "https://a.example/",
                     "--event-type", "order.paid", "--event-type", "order.made")["id"]
    second = db.admin("endpoint", "create", "--workspace", ws, "--app", app,
                      "--url", "https://b.example/hook")["id"]
    db.admin("endpoint", "create", "--workspace", other, "--url", "https://c.example/")
    # The first: one delivery waiting, one being sent (a sweep's lease
    # runs), failing since a known time; the second: one paused, one done.
    db.root_sql("USE hookfan; INSERT INTO messages (id, workspace_id, event_type, payload, status)"
                " VALUES ('msg_l1', '%(ws)s', 'order.paid', '{}', 'pending');"
                "INSERT INTO deliveries (id, message_id, endpoint_id, status, due_at, lease_token)"
                " VALUES ('del_l1', 'msg_l1', '%(a)s', 'pending', NOW(3), ''),"
                " ('del_l2', 'msg_l1', '%(a)s', 'pending', NOW(3) + INTERVAL 1 MINUTE,"
                "  REPEAT('a', 32)),"
                " ('del_l3', 'msg_l1', '%(b)s', 'paused', NULL, ''),"
                " ('del_l4', 'msg_l1', '%(b)s', 'succeeded', NULL, '');"
                "UPDATE endpoints SET failing_since = '2026-11-20 10:00:00.250'"
                " WHERE id = '%(a)s';" % {"ws": ws, "a": first, "b": second})
    db.admin("endpoint", "disable", "--endpoint", second)
    listed = db.admin("endpoint", "list", "--workspace", ws)["endpoints"]
    eq([e["id"] for e in listed], [first, second], "the workspace's, oldest first")
    a, b = listed
    eq(sorted(a.keys()), ["active", "application_id", "created_at", "disabled_reason",
                          "environment_id", "event_types", "failing_since", "id", "paused",
                          "pending", "sending", "url", "workspace_id"])
    eq((a["url"], a["active"], a["disabled_reason"], a["workspace_id"], a["environment_id"],
        a["application_id"]), ("https://a.example/", True, None, ws, None, None))
    eq(a["event_types"], ["order.made", "order.paid"])
    eq(a["failing_since"], "2026-11-20T10:00:00.250Z")
    assert ISO_MS.match(a["created_at"]), a["created_at"]
    eq((a["pending"], a["sending"], a["paused"]), (1, 1, 0))
    eq(sorted(d["status"] for d in db.admin("delivery", "list", "--endpoint", first)["deliveries"]),
       ["pending", "sending"], "as delivery list says")
    eq((b["active"], b["disabled_reason"], b["application_id"], b["event_types"]),
       (False, "disabled by hookfan-admin", app, ["*"]))
    eq((b["pending"], b["sending"], b["paused"]), (0, 0, 1), "a finished delivery is none")
    eq([e["id"] for e in db.admin("endpoint", "list", "--workspace", ws,
                                  "--disabled")["endpoints"]], [second])
    eq([e["id"] for e in db.admin("endpoint", "list", "--app", app)["endpoints"]], [second])
    eq([e["id"] for e in db.admin("endpoint", "list", "--workspace", ws,
                                  "--limit", "1")["endpoints"]], [first])
    everyone = [e["id"] for e in db.admin("endpoint", "list", "--limit", "10000")["endpoints"]]
    assert first in everyone and second in everyone and len(everyone) >= 3, everyone
    eq(everyone, sorted(everyone), "id order")
    # Text: one line per endpoint, name=value.
    r = db.run_admin("endpoint", "list", "--workspace", ws, "--disabled")
    eq(r.returncode, 0, r.stderr)
    eq(len(r.stdout.splitlines()), 1)
    assert r.stdout.startswith("id=%s " % second), r.stdout
    assert " active=false " in r.stdout and " url=https://b.example/hook " in r.stdout, r.stdout
    assert ' disabled_reason="disabled by hookfan-admin" ' in r.stdout, r.stdout
    assert " failing_since=- " in r.stdout, r.stdout
    fails(["endpoint", "list", "--workspace", "ws_nope"], 1, 'unknown workspace "ws_nope"')
    fails(["endpoint", "list", "--app", "app_nope"], 1, 'unknown application "app_nope"')
    fails(["endpoint", "list", "--limit", "0"], 2, "--limit must be a whole number")
    fails(["delivery", "list", "--limit", "x"], 2, "--limit must be a whole number")
    fails(["endpoint", "list", "--disabled", "yes"], 2)


@hftest.test
def endpoint_show_lists_its_secrets_but_never_prints_them():
    ws = workspace()
    made = db.admin("endpoint", "create", "--workspace", ws, "--url", "https://s.example/")
    ep = made["id"]
    rotated = db.admin("endpoint", "rotate-secret", "--endpoint", ep, "--grace-hours", "24")
    shown = db.admin("endpoint", "show", ep)
    eq((shown["id"], shown["url"], shown["active"], shown["event_types"]),
       (ep, "https://s.example/", True, ["*"]))
    secrets = shown["secrets"]
    eq([s["id"] for s in secrets][0], rotated["secret_id"], "newest first")
    eq(len(secrets), 2)
    eq([s["signing"] for s in secrets], [True, True], "the old one signs through its grace")
    eq(secrets[0]["expires_at"], None)
    assert ISO_MS.match(secrets[1]["expires_at"]), secrets[1]
    db.admin("endpoint", "rotate-secret", "--endpoint", ep, "--grace-hours", "0")
    signing = [s["signing"] for s in db.admin("endpoint", "show", ep)["secrets"]]
    eq(signing, [True, False, False], "a rotation without grace stops the others")
    r = db.run_admin("--json", "endpoint", "show", ep)
    eq(r.returncode, 0, r.stderr)
    for secret in (made["secret"], rotated["secret"]):
        assert secret not in r.stdout, "a secret printed"
    assert "whsec_" not in r.stdout
    fails(["endpoint", "show", "ep_nope"], 1, 'unknown endpoint "ep_nope"')
    fails(["endpoint", "show"], 2)


@hftest.test
def disabling_parks_deliveries_and_enabling_resumes_them():
    ws = workspace()
    ep = db.admin("endpoint", "create", "--workspace", ws, "--url", "https://e.com/")["id"]
    db.root_sql("USE hookfan; INSERT INTO messages (id, workspace_id, event_type, payload, status)"
                " VALUES ('msg_1', '%s', 't', '{}', 'pending');"
                "INSERT INTO deliveries (id, message_id, endpoint_id, status, due_at)"
                " VALUES ('del_1', 'msg_1', '%s', 'pending', NOW(3));" % (ws, ep))
    db.admin("endpoint", "disable", "--endpoint", ep)
    eq(db.rows("SELECT status, due_at FROM deliveries WHERE id = 'del_1'"), [("paused", None)])
    db.admin("endpoint", "enable", "--endpoint", ep)
    rows = db.rows("SELECT status, due_at IS NOT NULL FROM deliveries WHERE id = 'del_1'")
    eq(rows, [("pending", "1")], "kept, and due again")


@hftest.test
def key_create_scopes_and_hash_only():
    ws = workspace()
    env = db.admin("env", "create", "--workspace", ws, "--name", "prod")["id"]
    ep = db.admin("endpoint", "create", "--workspace", ws, "--url", "https://e.com/")["id"]
    keys = {}
    for scope, extra in (("workspace", []), ("env", ["--env", env]),
                         ("endpoint", ["--endpoint", ep])):
        out = db.admin("key", "create", "--workspace", ws, *extra)
        eq(sorted(out), ["id", "key"])
        assert out["id"].startswith("key_"), out
        assert len(out["key"]) >= 4 + 32, "at least 128 random bits"
        keys[scope] = out
    eq(db.rows("SELECT environment_id, endpoint_id FROM api_keys WHERE id = '%s'"
               % keys["workspace"]["id"]), [(None, None)])
    eq(db.rows("SELECT environment_id, endpoint_id FROM api_keys WHERE id = '%s'"
               % keys["env"]["id"]), [(env, None)])
    eq(db.rows("SELECT environment_id, endpoint_id FROM api_keys WHERE id = '%s'"
               % keys["endpoint"]["id"]), [(None, ep)])
    for out in keys.values():
        stored = db.value("SELECT key_hash FROM api_keys WHERE id = '%s'" % out["id"])
        eq(stored, hashlib.sha256(out["key"].encode()).hexdigest(), "SHA-256 stored")
    dump = db.root_sql("USE hookfan; SELECT * FROM api_keys")
    for out in keys.values():
        assert out["key"] not in dump, "the key is never stored in clear"
        assert out["key"][4:] not in dump
    r = db.run_admin("key", "create", "--workspace", ws)
    lines = r.stdout.splitlines()
    eq(len(lines), 2, "text: id then key")
    assert lines[0].startswith("key_") and lines[1].startswith("hfk_"), lines
    fails(["key", "create", "--workspace", ws, "--env", env, "--endpoint", ep], 1, "not both")
    fails(["key", "create", "--workspace", ws, "--env", "nope"], 1, "unknown environment")
    other = workspace("Other")
    fails(["key", "create", "--workspace", other, "--endpoint", ep], 1, "unknown endpoint")


@hftest.test
def key_revoke():
    ws = workspace()
    key = db.admin("key", "create", "--workspace", ws)["id"]
    eq(db.admin("key", "revoke", "--key-id", key), {"id": key, "revoked": True})
    first = db.value("SELECT revoked_at FROM api_keys WHERE id = '%s'" % key)
    assert first is not None
    db.admin("key", "revoke", "--key-id", key)
    eq(db.value("SELECT revoked_at FROM api_keys WHERE id = '%s'" % key), first,
       "revoking again keeps the first time")
    fails(["key", "revoke", "--key-id", "key_nope"], 1, 'unknown key "key_nope"')


@hftest.test
def config_errors_name_file_and_line():
    path = os.path.join(db.dir, "bad.conf")
    with open(path, "w") as f:
        f.write("db_socket = %s\n# fine\nretry_schedule = 5,abc\n" % db.socket)
    r = db.run_admin("workspace", "create", "--name", "X", config=path)
    eq(r.returncode, 1)
    assert "%s:3:" % path in r.stderr and "retry_schedule" in r.stderr, r.stderr
    with open(path, "w") as f:
        f.write("db_sockett = /x\n")
    r = db.run_admin("migrate", config=path)
    eq(r.returncode, 1)
    assert '%s:1: unknown key "db_sockett"' % path in r.stderr, r.stderr
    r = db.run_admin("migrate", config=os.path.join(db.dir, "missing.conf"))
    eq(r.returncode, 1)
    assert "missing.conf" in r.stderr, r.stderr


@hftest.test
def shipped_example_config_is_valid():
    example = os.path.join(hftest.SRCDIR, "apache", "hookfan.conf.example")
    with open(example) as f:
        text = f.read()
    path = os.path.join(db.dir, "example.conf")
    with open(path, "w") as f:
        f.write(text + "db_socket = %s\ndb_password = %s\n" % (db.socket, hftest.DB_PASSWORD))
    r = db.run_admin("--json", "workspace", "create", "--name", "Example", config=path)
    eq(r.returncode, 0, "the example config works as it is (%s)" % r.stderr)


@hftest.test
def config_found_through_environment():
    env = db.env()
    env["HOOKFAN_CONFIG"] = db.config_path
    r = subprocess.run([hftest.ADMIN, "--json", "workspace", "create", "--name", "FromEnv"],
                       capture_output=True, text=True, env=env)
    eq(r.returncode, 0, r.stderr)
    env["HOOKFAN_CONFIG"] = os.path.join(db.dir, "nowhere.conf")
    r = subprocess.run([hftest.ADMIN, "workspace", "create", "--name", "X"],
                       capture_output=True, text=True, env=env)
    eq(r.returncode, 1, "a missing HOOKFAN_CONFIG file is an error")


def private_prefix_admin():
    """A hookfan-admin of hftest.private_prefix_build(): its PREFIX/etc is
    ours to fill and empty.  Returns (binary, prefix, lock); the caller
    holds the lock while it uses PREFIX/etc."""
    build, prefix, lock, make = hftest.private_prefix_build()
    make("hookfan-admin")
    return os.path.join(build, "hookfan-admin"), prefix, lock


def unnamed_config_runs(admin, value):
    """Run admin with no --config and HOOKFAN_CONFIG unset (value None) or
    set to value."""
    env = db.env()
    env.pop("HOOKFAN_CONFIG", None)
    if value is not None:
        env["HOOKFAN_CONFIG"] = value
    return subprocess.run([admin, "--json", "workspace", "create", "--name", "Unnamed"],
                          capture_output=True, text=True, env=env, timeout=120)


@hftest.test
def unnamed_config_is_prefix_etc_and_may_be_missing():
    """No --config and no (or an empty) HOOKFAN_CONFIG: PREFIX/etc/hookfan.conf,
    and when nobody wrote it, the defaults (db_host localhost).  This
    build's PREFIX/etc may hold a real hookfan's file, so the rule is
    checked both ways on a hookfan-admin built with a prefix of our own,
    and also on this build's binary when its file is absent."""
    checked = []
    if not os.path.exists(os.path.join(hftest.build_variable("sysconfdir"), "hookfan.conf")):
        for value in (None, ""):
            r = unnamed_config_runs(hftest.ADMIN, value)
            eq(r.returncode, 1, "HOOKFAN_CONFIG=%r" % value)
            assert r.stderr.startswith("hookfan-admin: cannot connect to localhost"), r.stderr
        checked.append("this build")
    admin, prefix, lock = private_prefix_admin()
    try:
        etc = os.path.join(prefix, "etc")
        conf = os.path.join(etc, "hookfan.conf")
        if os.path.exists(conf):
            os.unlink(conf)     # left by an interrupted run
        for value in (None, ""):
            r = unnamed_config_runs(admin, value)
            eq(r.returncode, 1, "no %s, HOOKFAN_CONFIG=%r" % (conf, value))
            assert r.stderr.startswith("hookfan-admin: cannot connect to localhost"), r.stderr
        os.makedirs(etc, exist_ok=True)
        db.write_config(path=conf)
        for value in (None, ""):
            r = unnamed_config_runs(admin, value)
            eq(r.returncode, 0, "%s read, HOOKFAN_CONFIG=%r: %s" % (conf, value, r.stderr))
            made = json.loads(r.stdout)["id"]
            eq(db.value("SELECT name FROM workspaces WHERE id = '%s'" % made), "Unnamed")
        with open(conf) as f:
            bad_line = len(f.readlines()) + 1
        with open(conf, "a") as f:
            f.write("no_such_key = 1\n")
        r = unnamed_config_runs(admin, None)
        eq(r.returncode, 1, "a bad PREFIX/etc/hookfan.conf stops it")
        assert '%s:%d: unknown key "no_such_key"' % (conf, bad_line) in r.stderr, r.stderr
        checked.append("a private prefix")
    finally:
        if os.path.exists(conf):
            os.unlink(conf)
        lock.close()
    print("# unnamed config checked on %s" % " and ".join(checked))


@hftest.test
def database_unreachable_is_one_clear_line():
    path = db.write_config(path=os.path.join(db.dir, "nodb.conf"),
                           db_socket=os.path.join(db.dir, "no.sock"))
    r = db.run_admin("workspace", "create", "--name", "X", config=path)
    eq(r.returncode, 1)
    eq(len(r.stderr.strip().splitlines()), 1, r.stderr)
    assert "cannot connect" in r.stderr, r.stderr


@hftest.test
def db_host_and_db_port_reach_a_server_over_tcp_and_db_socket_wins():
    """CONTRACT §2: db_host/db_port without db_socket is a TCP connection;
    a wrong port is one clear line and exit 1; db_socket, when set, wins
    over both.  The TCP account has its own password, so a success with
    it cannot have come through the socket (whose account is
    'hookfan'@'localhost' with another password)."""
    port = hftest.free_port()
    tcp = hftest.MariaDB.start(migrate=False, tcp_port=port)
    tcp.root_sql("CREATE USER 'hookfan'@'127.0.0.1' IDENTIFIED BY 'over-tcp';"
                 "GRANT ALL ON hookfan.* TO 'hookfan'@'127.0.0.1';")
    settings = {"db_name": "hookfan", "db_user": "hookfan", "db_password": "over-tcp"}

    def config(name, **keys):
        # Not write_config: it always names the socket.
        path = os.path.join(tcp.dir, name)
        with open(path, "w") as f:
            for key, value in dict(settings, **keys).items():
                f.write("%s = %s\n" % (key, value))
        os.chmod(path, 0o600)
        return path
    over_tcp = config("tcp.conf", db_host="127.0.0.1", db_port=port)
    r = tcp.run_admin("--json", "migrate", config=over_tcp)
    eq(r.returncode, 0, "migrate over TCP: %s" % r.stderr)
    eq(json.loads(r.stdout), {"applied": NUMBERED}, "every migration applied over TCP")
    r = tcp.run_admin("--json", "workspace", "create", "--name", "Tcp", config=over_tcp)
    eq(r.returncode, 0, "workspace create over TCP: %s" % r.stderr)
    made = json.loads(r.stdout)["id"]
    eq(tcp.value("SELECT name FROM workspaces WHERE id = '%s'" % made), "Tcp", "row written")

    closed = hftest.free_port()
    wrong = config("wrong-port.conf", db_host="127.0.0.1", db_port=closed)
    r = tcp.run_admin("workspace", "create", "--name", "Never", config=wrong)
    eq(r.returncode, 1, "exit status with a wrong port (%s)" % r.stderr)
    eq(r.stdout, "", "stdout on error")
    eq(len(r.stderr.strip().splitlines()), 1, "one line: %r" % r.stderr)
    assert r.stderr.startswith("hookfan-admin: cannot connect to 127.0.0.1 port %d: " % closed), \
        r.stderr
    eq(tcp.value("SELECT COUNT(*) FROM workspaces WHERE name = 'Never'"), "0", "nothing written")

    # The socket's account ('hookfan'@'localhost') has the suite's password.
    both = config("both.conf", db_host="127.0.0.1", db_port=closed, db_socket=tcp.socket,
                  db_password=hftest.DB_PASSWORD)
    r = tcp.run_admin("--json", "workspace", "create", "--name", "Sock", config=both)
    eq(r.returncode, 0, "db_socket wins over a closed db_port: %s" % r.stderr)
    eq(tcp.value("SELECT COUNT(*) FROM workspaces WHERE name = 'Sock'"), "1", "row written")
    # The other way round proves the socket was used: the TCP account's
    # password does not open the socket's account.
    tcp_password = config("both-tcp-pw.conf", db_host="127.0.0.1", db_port=port,
                          db_socket=tcp.socket)
    r = tcp.run_admin("workspace", "create", "--name", "Never", config=tcp_password)
    eq(r.returncode, 1, "the socket, not the good TCP port, was used (%s)" % r.stderr)
    assert "cannot connect to %s" % tcp.socket in r.stderr, r.stderr
    tcp._destroy()


@hftest.test
def help_and_usage():
    r = db.run_admin("--help")
    eq(r.returncode, 0)
    for words in ("migrate", "workspace create", "env create", "app create", "endpoint create",
                  "endpoint disable", "subscribe", "key create", "key revoke"):
        assert words in r.stdout, words
    r = subprocess.run([hftest.ADMIN], capture_output=True, text=True)
    eq(r.returncode, 2)


hftest.main()

"""Helpers shared by the sweep tests: endpoints made with hookfan-admin,
messages and deliveries inserted with SQL (so the tests do not depend on
the HTTP API), running hookfan-sweep, and checking signatures with the
npm `standardwebhooks` package.

The package is installed on first use into BUILDDIR/tests/.cache/node
(removed by make clean) with
`npm install --prefix BUILDDIR/tests/.cache/node standardwebhooks`; set
HF_NODE_MODULES to a node_modules folder that already holds it to skip
that (CI without network).
"""
import itertools
import json
import os
import subprocess
import time

import hftest

# Test configs: short retries and timeouts keep the suite fast.
FAST = {
    "retry_schedule": "1,1",
    "connect_timeout_ms": "1000",
    "delivery_timeout_ms": "2000",
    "allow_private_targets": "yes",
}

_serial = itertools.count(1)
_run_tag = "%x%x" % (os.getpid(), int(time.time()) & 0xffff)


def start_db(**config):
    settings = dict(FAST)
    settings.update(config)
    return hftest.MariaDB.start(**settings)


def workspace(db):
    return db.admin("workspace", "create", "--name", "ws%d" % next(_serial))["id"]


def endpoint(db, url, ws=None):
    """A new endpoint on url; returns (endpoint id, secret, workspace id)."""
    ws = ws or workspace(db)
    made = db.admin("endpoint", "create", "--workspace", ws, "--url", url)
    return made["id"], made["secret"], ws


def messages(db, ws, endpoint_ids, count=1, payload=None, due="NOW(3)"):
    """Insert count messages, each with one pending delivery per endpoint.
    Returns the message ids.  payload: a dict or None (a small default)."""
    first = next(_serial) * 1000000
    for _ in range(count):
        next(_serial)
    body = json.dumps(payload if payload is not None else {"hello": "world"})
    db.root_sql(
        "USE hookfan;"
        "INSERT INTO messages (id, workspace_id, event_type, payload, status)"
        " SELECT CONCAT('msg_', LPAD(CONCAT('%(tag)s', %(first)d + seq), 26, '0')),"
        "  '%(ws)s', 'test.event', '%(body)s', 'pending' FROM seq_1_to_%(count)d;"
        % {"tag": _run_tag.upper(), "first": first, "ws": ws,
           "body": body.replace("\\", "\\\\").replace("'", "''"), "count": count})
    ids = ["msg_" + ("%s%d" % (_run_tag.upper(), first + i)).rjust(26, "0")
           for i in range(1, count + 1)]
    for n, ep in enumerate(endpoint_ids):
        db.root_sql(
            "USE hookfan;"
            "INSERT INTO deliveries (id, message_id, endpoint_id, status, due_at)"
            " SELECT CONCAT('del_', LPAD(CONCAT('%(tag)s', %(first)d + seq, 'E%(n)d'), 26, '0')),"
            "  CONCAT('msg_', LPAD(CONCAT('%(tag)s', %(first)d + seq), 26, '0')),"
            "  '%(ep)s', 'pending', %(due)s FROM seq_1_to_%(count)d;"
            % {"tag": _run_tag.upper(), "first": first, "n": n, "ep": ep,
               "due": due, "count": count})
    return ids


def _sweep_command(db, args, config):
    # HF_SWEEP_WRAPPER runs the sweep under a tool, e.g.
    # "valgrind --leak-check=full --error-exitcode=99 -q".
    wrapper = os.environ.get("HF_SWEEP_WRAPPER", "").split()
    return wrapper + [hftest.SWEEP, "--config", config or db.config_path] + list(args)


def sweep(db, *args, timeout=120, config=None, check=True, env=None):
    """Run hookfan-sweep to completion; returns the CompletedProcess.
    env: extra environment variables."""
    cmd = _sweep_command(db, args, config)
    environment = db.env()
    environment.update(env or {})
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       env=environment)
    if check and r.returncode != 0:
        raise AssertionError("hookfan-sweep %s exited %d: %s" %
                             (" ".join(args), r.returncode, r.stderr))
    return r


def start_sweep(db, *args, config=None):
    """Start hookfan-sweep in the background; the caller waits or kills.
    Its stderr goes to a file (a pipe nobody reads would block it): read
    it with sweep_log(p) once it has exited."""
    cmd = _sweep_command(db, args, config)
    log = open(os.path.join(db.dir, "sweep-%d.log" % next(_serial)), "w+")
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log,
                         text=True, env=db.env())
    p.log = log

    @hftest.cleanup
    def _stop():
        if p.poll() is None:
            p.kill()
            p.wait()
        log.close()
    return p


def finish(p, timeout=60):
    """Wait for a started sweep; returns (exit status, its stderr)."""
    status = p.wait(timeout)
    p.log.seek(0)
    return status, p.log.read()


def delivery(db, message_id, endpoint_id=None):
    """(status, attempts, last_status_code, last_error) of one delivery."""
    where = "message_id = '%s'" % message_id
    if endpoint_id:
        where += " AND endpoint_id = '%s'" % endpoint_id
    rows = db.rows("SELECT status, attempts, last_status_code, last_error"
                   " FROM deliveries WHERE %s" % where)
    assert len(rows) == 1, rows
    return rows[0]


def attempts(db, message_id, endpoint_id=None):
    where = "d.message_id = '%s'" % message_id
    if endpoint_id:
        where += " AND d.endpoint_id = '%s'" % endpoint_id
    return db.rows("SELECT a.attempt_number, a.status_code, a.error, a.duration_ms,"
                   " LENGTH(a.response_excerpt)"
                   " FROM attempts a JOIN deliveries d ON d.id = a.delivery_id"
                   " WHERE %s ORDER BY a.attempt_number" % where)


def make_due(db, message_id=None, endpoint_id=None):
    """Pull pending retries (of a message, an endpoint, or all) forward to
    now; deliveries a sweep holds (under a lease) are left alone."""
    where = " AND message_id = '%s'" % message_id if message_id else ""
    where += " AND endpoint_id = '%s'" % endpoint_id if endpoint_id else ""
    db.root_sql("USE hookfan; UPDATE deliveries SET due_at = NOW(3)"
                " WHERE status = 'pending' AND lease_token = ''" + where)


def retire(db, endpoint_id):
    """Stop an endpoint's waiting deliveries from being retried by later
    tests of the same file (they would only add time and noise)."""
    db.root_sql("USE hookfan; UPDATE deliveries SET status = 'failed', due_at = NULL,"
                " lease_token = '' WHERE endpoint_id = '%s' AND status = 'pending'"
                % endpoint_id)


def node_modules():
    """The node_modules folder holding standardwebhooks (installed if need be)."""
    given = os.environ.get("HF_NODE_MODULES")
    if given:
        return given
    prefix = os.path.join(hftest.BUILDDIR, "tests", ".cache", "node")
    modules = os.path.join(prefix, "node_modules")
    if not os.path.exists(os.path.join(modules, "standardwebhooks", "package.json")):
        os.makedirs(prefix, exist_ok=True)
        r = subprocess.run(["npm", "install", "--prefix", prefix, "--no-audit",
                            "--no-fund", "standardwebhooks"],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            raise RuntimeError("npm install standardwebhooks failed: " + r.stderr)
    return modules


def verify(checks):
    """checks: [(secret, request)]; returns [(ok, error)] from the verifier."""
    payload = [{"secret": s, "headers": r.headers, "body": r.body.decode()}
               for s, r in checks]
    env = dict(os.environ)
    env["NODE_PATH"] = node_modules()
    script = os.path.join(hftest.SRCDIR, "tests", "lib", "verify-signature.js")
    r = subprocess.run(["node", script], input=json.dumps(payload),
                       capture_output=True, text=True, env=env, timeout=60)
    if r.returncode != 0:
        raise AssertionError("verifier failed: " + r.stderr)
    return [(x["ok"], x["error"]) for x in json.loads(r.stdout)]

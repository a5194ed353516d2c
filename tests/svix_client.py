#!/usr/bin/env python3
"""The Svix-compatible API (/api/v1/...) through Svix's own Node client
(npm svix 1.x, tests/svix_client.js), through a real lighttpd against a
real MariaDB, with hookfan-sweep delivering to a real receiver: apps by
uid, an endpoint with filterTypes, messages and eventId, attempts, the
secret verified with the package's Webhook class, rotation, resend,
recover, stats, update, delete; a bad token, another workspace, an
unsupported route and a field hookfan cannot keep."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import receivers  # noqa: E402
import sweeptest  # noqa: E402
import webservers  # noqa: E402

SVIX_VERSION = "1.45.1"
HERE = os.path.dirname(os.path.abspath(__file__))


def svix_modules():
    """node_modules holding svix SVIX_VERSION (installed if need be)."""
    prefix = os.path.join(hftest.BUILDDIR, "tests", ".cache", "svix1")
    modules = os.path.join(prefix, "node_modules")
    want = os.path.join(modules, "svix", "package.json")
    if not os.path.exists(want) or json.load(open(want))["version"] != SVIX_VERSION:
        os.makedirs(prefix, exist_ok=True)
        r = subprocess.run(["npm", "install", "--prefix", prefix, "--no-audit",
                            "--no-fund", "svix@" + SVIX_VERSION],
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            return None
    return modules


modules = svix_modules() if shutil.which("node") else None
if modules is None:
    print("1..0 # SKIP node or the npm package svix is not available")
    sys.exit(0)

db = sweeptest.start_db()
server = webservers.Lighttpd(db)
receiver = receivers.Receiver()
ws = sweeptest.workspace(db)
other = sweeptest.workspace(db)
tmp = tempfile.mkdtemp()
hftest.cleanup(lambda: shutil.rmtree(tmp, ignore_errors=True))
state_file = os.path.join(tmp, "svix-state.json")
state = {
    "url": "http://127.0.0.1:%d" % server.port,
    "token": db.admin("key", "create", "--workspace", ws, "--management")["key"],
    "other_token": db.admin("key", "create", "--workspace", other, "--management")["key"],
    "receiver": receiver.url,
}


def phase(name):
    """Run one phase of svix_client.js; each of its checks must hold."""
    global state
    with open(state_file, "w") as f:
        json.dump(state, f)
    r = subprocess.run(["node", os.path.join(HERE, "svix_client.js"), modules, name,
                        state_file], capture_output=True, text=True, timeout=120)
    lines = r.stdout.strip().splitlines()
    if not lines:
        raise AssertionError("%s: node failed: %s" % (name, r.stderr[-800:]))
    results = json.loads(lines[-1])
    failed = [what for passed, what in results if not passed]
    for passed, what in results:
        print("# %s %s" % ("ok" if passed else "FAILED", what))
    if failed:
        raise AssertionError("%s: %s" % (name, "; ".join(failed)))
    with open(state_file) as f:
        state = json.load(f)


def delivered():
    return [{"body": q.body.decode(), "headers": q.headers} for q in receiver.requests]


@hftest.test
def apps_endpoints_messages_and_rejections():
    phase("setup")


@hftest.test
def the_sweep_delivers_and_attempts_secret_rotate_resend():
    sweeptest.sweep(db)
    hftest.eq(receiver.count(), 1, "the sweep delivered the subscribed message only")
    state["delivered"] = delivered()
    phase("afterSweep")


@hftest.test
def resend_verifies_recover_stats_update_delete():
    sweeptest.sweep(db)
    hftest.eq(receiver.count(), 2, "the resend was delivered")
    state["delivered"] = delivered()
    phase("finish")


if __name__ == "__main__":
    hftest.main()

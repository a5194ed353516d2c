"""The dashboard (/ui/) and the application portal: served by both web
servers as the shipped snippets say, the portal's API rules, and the pages
driven in Debian's headless Chromium by tests/ui_browser.js against
lighttpd, a real MariaDB, a real receiver and hookfan-sweep.

Chromium is driven by the npm package puppeteer-core, installed on first
use into BUILDDIR/tests/.cache/puppeteer (removed by make clean); set
HF_PUPPETEER_MODULES to a node_modules folder that holds it to skip that.
Screenshots of each main page land in BUILDDIR/tests/screenshots/.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest      # noqa: E402
import mgmtclient  # noqa: E402
import receivers   # noqa: E402
import sweeptest   # noqa: E402
import webservers  # noqa: E402

PUPPETEER = "puppeteer-core@23.11.1"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = os.path.join(hftest.BUILDDIR, "tests", "screenshots")

# Retries only when asked: the test's Retry button is what makes one due.
db = sweeptest.start_db(retry_schedule="3600,3600")
ws = sweeptest.workspace(db)
key = db.admin("key", "create", "--workspace", ws, "--management")["key"]
ingest_key = db.admin("key", "create", "--workspace", ws)["key"]
app = db.admin("app", "create", "--workspace", ws, "--name", "Shop")["id"]
other_app = db.admin("app", "create", "--workspace", ws, "--name", "Billing")["id"]
other_url = "http://127.0.0.1:9/billing-hook"
other_endpoint = db.admin("endpoint", "create", "--workspace", ws, "--app", other_app,
                          "--url", other_url)["id"]
web = webservers.Lighttpd(db)


api = mgmtclient.Client(web, key)


def portal(app_id, body=None, **kwargs):
    """POST the portal route; every answer is checked against the OpenAPI
    document."""
    return api.post("/v1/applications/%s/portal" % app_id, body if body is not None else {},
                    **kwargs)


@hftest.test
def ui_served_read_only_with_a_strict_policy():
    for server in (web, webservers.Apache(db)):
        for path, mime in (("/ui/", "text/html"), ("/ui/index.html", "text/html"),
                           ("/ui/app.js", "text/javascript"), ("/ui/style.css", "text/css")):
            status, headers, body = server.request("GET", path)
            hftest.eq(status, 200, "%s GET %s" % (server.name, path))
            hftest.eq(headers["content-type"].split(";")[0], mime, server.name + " " + path)
            csp = headers.get("content-security-policy", "")
            for rule in ("default-src 'none'", "script-src 'self'", "connect-src 'self'"):
                assert rule in csp, (server.name, path, csp)
            hftest.eq(headers.get("x-content-type-options"), "nosniff", server.name)
        status, _, body = server.request("GET", "/ui/app.js")
        with open(os.path.join(hftest.SRCDIR, "ui", "app.js"), "rb") as f:
            hftest.eq(body, f.read(), server.name + " serves ui/app.js as it is")
        status, headers, _ = server.request("HEAD", "/ui/")
        hftest.eq(status, 200, server.name + " HEAD /ui/")
        for method in ("POST", "PUT", "DELETE"):
            status, _, _ = server.request(method, "/ui/index.html", b"x=1",
                                          {"Content-Type": "application/x-www-form-urlencoded"})
            hftest.eq(status, 403, "%s %s /ui/index.html" % (server.name, method))
        status, _, _ = server.request("GET", "/ui/no-such-file.js")
        hftest.eq(status, 404, server.name + " a missing file")
        # The API beside it still answers.
        hftest.eq(server.request("GET", "/healthz")[0], 200, server.name + " /healthz")
        if server is not web:
            server.stop()


@hftest.test
def portal_link_rejects_bad_expiry():
    for bad in (0, -5, 1441, "60", 1.5, True, [60]):
        r = portal(app, {"expires_in_minutes": bad})
        hftest.eq(r.status, 400, "expires_in_minutes %r" % (bad,))
        assert "expires_in_minutes" in r.json["message"], r
    hftest.eq(portal(app, {"minutes": 5}).status, 400, "an unknown field")
    hftest.eq(api.request("POST", "/v1/applications/%s/portal" % app, raw=b"[1]").status, 400,
              "a body that is not an object")
    hftest.eq(portal(app, key=ingest_key).code, "forbidden", "an ingest key")
    hftest.eq(portal(app, key="").status, 401, "no key")
    hftest.eq(portal("app_00000000000000000000000000").status, 404, "an unknown application")
    r = portal(app, idempotency_key="portal-1")
    hftest.eq(r.status, 400, "under an Idempotency-Key (its answer would keep the token)")
    hftest.eq(db.value("SELECT COUNT(*) FROM portal_tokens"), "0", "no link made by a refusal")
    hftest.eq(web.api("GET", "/v1/applications/%s/portal" % app, key=key)[0], 405,
              "GET on the portal route")


@hftest.test
def portal_token_reaches_its_application_only():
    r = portal(app, {"expires_in_minutes": 1440})
    hftest.eq(r.status, 201, "portal link made")
    url, expires_at = r.json["url"], r.json["expires_at"]
    assert url.startswith("http://127.0.0.1:%d/ui/#portal=hfp_" % web.port), url
    assert url.endswith("&app=" + app), url
    token = url.split("#portal=")[1].split("&")[0]
    assert expires_at.endswith("Z") and len(expires_at) == 24, expires_at
    # Stored hashed only.
    hftest.eq(db.value("SELECT COUNT(*) FROM portal_tokens WHERE token_hash = SHA2('%s', 256)"
                       % token), "1", "the token's hash is stored")
    dump = db.root_sql("USE hookfan; SELECT * FROM portal_tokens")
    assert token not in dump and token[4:] not in dump, "the token is stored in plain text"
    customer = api.with_key(token)
    # Its own application's pages.
    for path in ("/v1/applications/%s" % app, "/v1/applications/%s/endpoints" % app,
                 "/v1/applications/%s/messages" % app):
        customer.expect("GET", path, 200)
    # Another application of the same workspace is as if it did not exist.
    for path in ("/v1/applications/%s" % other_app, "/v1/applications/%s/endpoints" % other_app,
                 "/v1/applications/%s/messages" % other_app,
                 "/v1/applications/%s/endpoints/%s" % (other_app, other_endpoint),
                 "/v1/deliveries?endpoint_id=%s" % other_endpoint,
                 "/v1/deliveries/del_00000000000000000000000000"):
        customer.expect("GET", path, 404, code="not_found")
    customer.expect("POST", "/v1/deliveries/del_00000000000000000000000000/retry", 404, body={})
    # Routes a customer has no business with.
    for method, path in (("GET", "/v1/applications"), ("GET", "/v1/endpoints"),
                         ("GET", "/v1/keys"), ("POST", "/v1/keys"), ("GET", "/v1/event-types"),
                         ("GET", "/v1/messages"), ("GET", "/v1/deliveries"),
                         ("GET", "/v1/endpoints/%s/secret" % other_endpoint),
                         ("PATCH", "/v1/applications/%s" % app),
                         ("DELETE", "/v1/applications/%s" % app),
                         ("POST", "/v1/applications/%s/endpoints" % app),
                         ("POST", "/v1/applications/%s/portal" % app)):
        customer.expect(method, path, 403, code="forbidden",
                        body={} if method in ("POST", "PATCH") else None)
    # Neither ingest API takes it.
    hftest.eq(web.api("POST", "/api/ingest/event/order.paid", {"payload": {}}, key=token)[0], 401,
              "the trigger")
    hftest.eq(web.api("POST", "/v1/applications/%s/messages" % app,
                      {"event_type": "order.paid", "payload": {}}, key=token)[0], 401,
              "send-message")
    # A token never made, or not shaped like one, is refused alike.
    for forged in ("hfp_" + "0" * 64, "hfp_short", token.upper().replace("HFP_", "hfp_")):
        api.with_key(forged).expect("GET", "/v1/applications/%s" % app, 401, code="unauthorized")
    # Expired: refused.
    db.root_sql("USE hookfan; UPDATE portal_tokens SET expires_at = NOW(3) - INTERVAL 1 SECOND"
                " WHERE token_hash = SHA2('%s', 256)" % token)
    customer.expect("GET", "/v1/applications/%s/endpoints" % app, 401, code="unauthorized")
    # A link for the default hour, made without a body.
    hftest.eq(api.request("POST", "/v1/applications/%s/portal" % app).status, 201, "no body")
    seconds = db.value("SELECT TIMESTAMPDIFF(SECOND, NOW(3), expires_at) FROM portal_tokens"
                       " ORDER BY created_at DESC, id DESC LIMIT 1")
    assert 3590 <= int(seconds) <= 3600, seconds


def puppeteer_modules():
    """The node_modules folder holding puppeteer-core (installed if need
    be), or None when it cannot be had."""
    given = os.environ.get("HF_PUPPETEER_MODULES")
    if given:
        return given
    prefix = os.path.join(hftest.BUILDDIR, "tests", ".cache", "puppeteer")
    modules = os.path.join(prefix, "node_modules")
    if not os.path.exists(os.path.join(modules, "puppeteer-core", "package.json")):
        os.makedirs(prefix, exist_ok=True)
        r = subprocess.run(["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund",
                            PUPPETEER], capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, PUPPETEER_SKIP_DOWNLOAD="1"))
        if r.returncode != 0:
            return None
    return modules


BROWSER_STEPS = [
    "signs in with a management key, by keyboard",
    "creates an endpoint and shows its secret once",
    "sends a test event",
    "shows the failed attempt, its response excerpt as text",
    "retries the delivery and shows the new attempt",
    "lists messages newest first, filtered by application and status",
    "shows the endpoint health chart",
    "makes a portal link",
    "the portal shows only its application, no management key, retries",
    "the portal link is refused once expired",
    "edits, disables, enables an endpoint, reveals and rotates its secret",
    "adds an application and an event type, resends a message",
]
_verdicts = {}


def _browse():
    """Run tests/ui_browser.js once; fills _verdicts (step -> None when it
    passed, else why), or raises a skip reason."""
    if not os.access(CHROMIUM, os.X_OK):
        return "no %s (Debian package chromium)" % CHROMIUM
    if shutil.which("node") is None:
        return "no node"
    modules = puppeteer_modules()
    if modules is None:
        return "npm could not install " + PUPPETEER
    receiver = receivers.Receiver()
    # The first delivery fails with markup in its body; the retry succeeds.
    receiver.script(("status", 500, {"Content-Type": "text/html"},
                     b"<script>window.__xss = 1</script><img src=x onerror=\"window.__xss=2\">"))
    receiver.default = "200"
    # A message of the other application, which the portal must not show.
    sweeptest.messages(db, ws, [other_endpoint], payload={"n": 1})
    db.root_sql("USE hookfan; UPDATE messages SET application_id = '%s',"
                " event_type = 'invoice.billed' WHERE workspace_id = '%s'" % (other_app, ws))
    sweeptest.retire(db, other_endpoint)
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    os.makedirs(SCREENSHOTS)
    given = {
        "base": "http://127.0.0.1:%d" % web.port, "key": key, "app": app, "app_name": "Shop",
        "other_endpoint_url": other_url, "other_event_type": "invoice.billed",
        "receiver_url": receiver.url, "chromium": CHROMIUM, "screenshots": SCREENSHOTS,
        "sweep": [hftest.SWEEP, "--config", db.config_path, "--max-seconds", "20"],
        "expire": db._client() + ["-e", "UPDATE hookfan.portal_tokens"
                                  " SET expires_at = NOW(3) - INTERVAL 1 SECOND"],
    }
    env = dict(os.environ, NODE_PATH=modules)
    r = subprocess.run(["node", os.path.join(hftest.SRCDIR, "tests", "ui_browser.js")],
                       input=json.dumps(given), capture_output=True, text=True, env=env,
                       timeout=150)
    for line in r.stdout.splitlines():
        if line.startswith("PASS "):
            _verdicts[line[5:]] = None
        elif line.startswith("FAIL "):
            step, _, why = line[5:].partition(": ")
            _verdicts[step] = why + ("\n" + r.stderr[-2000:] if r.stderr else "")
    if r.returncode != 0 and not _verdicts:
        _verdicts["start"] = "node exited %d: %s" % (r.returncode, r.stderr[-2000:])
    return None


def _browser_step(step):
    def check():
        if "skip" not in _verdicts and not _verdicts:
            _verdicts["skip"] = _browse()
        if _verdicts["skip"]:
            raise hftest.Skip(_verdicts["skip"])
        if step not in _verdicts:
            failed = [s for s, why in _verdicts.items() if why]
            raise AssertionError("not reached; failed first: %s" %
                                 ("; ".join("%s: %s" % (s, _verdicts[s]) for s in failed) or "?"))
        if _verdicts[step]:
            raise AssertionError(_verdicts[step])
    check.__name__ = "browser " + step
    return check


for _step in BROWSER_STEPS:
    hftest.test(_browser_step(_step))

if __name__ == "__main__":
    hftest.main()

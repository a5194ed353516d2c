"""What a request may cost before it is refused: the key is checked before
the body is parsed, a parse builds a bounded amount whatever the JSON
holds, and every refused request with a valid key counts against the rate
limits.  Through a real lighttpd, whose hookfan.fcgi process is measured."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import webservers  # noqa: E402
from hftest import eq  # noqa: E402

CEILING = 8 * 1024 * 1024        # HF_PAYLOAD_BYTES_CEILING
RSS_CAP_KIB = 64 * 1024
db = hftest.MariaDB.start(max_payload_bytes=CEILING)
server = webservers.Lighttpd(db, procs=1)
RATE_CAP = 4096                   # max_payload_bytes under the rate limit
rate_config = db.write_config(os.path.join(db.dir, "rate.conf"), rate_limit_per_key=1,
                              max_payload_bytes=RATE_CAP)
rate_server = webservers.Lighttpd(db, config_path=rate_config, procs=1)

ws = db.admin("workspace", "create", "--name", "limits")["id"]
app = db.admin("app", "create", "--workspace", ws, "--name", "a")["id"]
KEY = db.admin("key", "create", "--workspace", ws)["key"]
BAD_KEY = "hk_" + "x" * 40


def fcgi_peak_kib(web):
    """VmHWM of the one hookfan.fcgi process under web (lighttpd)."""
    fcgi = os.path.realpath(hftest.FCGI)
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            exe = os.path.realpath("/proc/%s/exe" % pid)
        except OSError:
            continue
        if ppid == web.proc.pid and exe == fcgi:
            found.append(pid)
    eq(len(found), 1, "one hookfan.fcgi under lighttpd")
    with open("/proc/%s/status" % found[0]) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def post(web, path, body, key, **kw):
    return web.api("POST", path, body, key=key, **kw)


def stored_count():
    return tuple(int(db.value(q % ws)) for q in (
        "SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'",
        "SELECT COUNT(*) FROM event_types WHERE workspace_id = '%s'"))


@hftest.test
def eight_mib_of_empty_objects_is_401_with_a_bad_key_400_with_a_good_one():
    n = (CEILING - 1) // 3
    body = ("[" + ",".join(["{}"] * n) + "]").encode()
    assert len(body) <= CEILING
    head = b'{"event_type":"a.b","payload":['
    wrapped = head + b",".join([b"{}"] * ((CEILING - len(head) - 2) // 3)) + b"]}"
    assert len(wrapped) <= CEILING
    before = fcgi_peak_kib(server)
    for path, doc in (("/api/ingest/event/a.b", body),
                      ("/v1/applications/%s/messages" % app, wrapped)):
        status, headers, answer = post(server, path, doc, BAD_KEY)
        eq((status, answer["code"]), (401, "unauthorized"), path + " bad key")
        status, headers, answer = post(server, path, doc, KEY)
        eq((status, answer["code"]), (400, "invalid_json"), path + " good key")
        assert "objects and arrays" in answer["message"], answer
    peak = fcgi_peak_kib(server)
    print("# hookfan.fcgi VmHWM: %d KiB before, %d KiB after 4 requests of 8 MiB"
          % (before, peak))
    assert peak < RSS_CAP_KIB, "peak RSS %d KiB >= %d KiB" % (peak, RSS_CAP_KIB)
    eq(stored_count(), (0, 0), "nothing stored")


@hftest.test
def svix_message_create_checks_the_key_before_parsing_eight_mib():
    head = b'{"eventType":"a.b","payload":{"x":['
    body = head + b",".join([b"{}"] * ((CEILING - len(head) - 3) // 3)) + b"]}}"
    assert len(body) <= CEILING
    management_key = db.admin("key", "create", "--workspace", ws, "--management")["key"]
    before = fcgi_peak_kib(server)
    # By id (the transaction checks the key) and by uid (looked up, key
    # first, before the transaction).
    for path in ("/api/v1/app/%s/msg" % app, "/api/v1/app/some-uid/msg"):
        status, _, answer = post(server, path, body, BAD_KEY)
        eq((status, answer["code"]), (401, "unauthorized"), path + " bad key")
        assert "detail" in answer, answer
    status, _, answer = post(server, "/api/v1/app/%s/msg" % app, body, management_key)
    eq((status, answer["code"]), (400, "invalid_json"), "good key: parsed, over the caps")
    peak = fcgi_peak_kib(server)
    print("# hookfan.fcgi VmHWM: %d KiB before, %d KiB after 3 Svix creates of 8 MiB"
          % (before, peak))
    assert peak < RSS_CAP_KIB, "peak RSS %d KiB >= %d KiB" % (peak, RSS_CAP_KIB)
    eq(stored_count(), (0, 0), "nothing stored")


@hftest.test
def a_large_legitimate_payload_near_the_cap_is_accepted():
    blob = "x" * (CEILING - 200)
    status, _, answer = post(server, "/api/ingest/event/big.blob", {"payload": {"blob": blob}},
                             KEY)
    eq(status, 202, "near the byte cap: %r" % (answer,))
    # Near the value cap (HF_JSON_MAX_VALUES, 100000) and the container
    # cap (HF_JSON_MAX_CONTAINERS, 10000).
    items = [{"id": i, "ok": True, "tag": "a"} for i in range(9000)]
    status, _, answer = post(server, "/api/ingest/event/big.items",
                             {"payload": {"items": items, "n": list(range(40000))}}, KEY)
    eq(status, 202, "near the value caps: %r" % (answer,))
    payload = db.value("SELECT LENGTH(payload) FROM messages WHERE workspace_id = '%s'"
                       " AND event_type = 'big.blob'" % ws)
    eq(int(payload), len(json.dumps({"blob": blob}, separators=(",", ":"))), "stored whole")
    print("# hookfan.fcgi VmHWM after them: %d KiB" % fcgi_peak_kib(server))


@hftest.test
def refused_requests_with_a_valid_key_count_against_the_rate_limit():
    rate_ws = db.admin("workspace", "create", "--name", "rate")["id"]
    rate_app = db.admin("app", "create", "--workspace", rate_ws, "--name", "a")["id"]
    key = db.admin("key", "create", "--workspace", rate_ws)["key"]
    # Each refused for its own reason, with a valid key.
    invalid = [
        ("/api/ingest/event/x.y", b"{not json", {}),
        ("/api/ingest/event/x.y", b'{"payload": 1}', {}),
        ("/api/ingest/event/bad%20type", b'{"payload": {}}', {}),
        ("/api/ingest/event/x.y", b'{"payload": {}}', {"content_type": "text/plain"}),
        ("/api/ingest/event/x.y", b'{"payload": "' + b"x" * RATE_CAP + b'"}', {}),
        ("/v1/applications/app_nope/messages", b'{"event_type": "x.y"}', {}),
        ("/v1/applications/%s/messages" % rate_app, b'{"event_type": 7}', {}),
    ]
    statuses = []
    started = time.monotonic()
    for i in range(50):
        path, body, kw = invalid[i % len(invalid)]
        status, headers, answer = post(rate_server, path, body, key, **kw)
        statuses.append(status)
        if status == 429:
            eq(answer["code"], "rate_limited")
            eq(headers.get("retry-after"), "1", "429 carries Retry-After")
        else:
            assert status in (400, 404, 413, 415), (status, answer)
    seconds = time.monotonic() - started
    print("# 50 invalid requests in %.1f s: %d answered 429" % (seconds, statuses.count(429)))
    # One request a second gets through to its own refusal.
    assert statuses.count(429) >= 50 - (int(seconds) + 2), statuses
    eq(db.value("SELECT COUNT(*) FROM messages WHERE workspace_id = '%s'" % rate_ws), "0",
       "a refused request stores nothing")
    eq(db.value("SELECT COUNT(*) FROM event_types WHERE workspace_id = '%s'" % rate_ws), "0",
       "not even its event type")
    assert int(db.value("SELECT COUNT(*) FROM rate_limits WHERE bucket = 'ws:%s'"
                        % rate_ws)) == 1, "the workspace's bucket counted them too"
    # A bad key is never counted: it has no bucket, and it is 401.
    for _ in range(3):
        eq(post(rate_server, "/api/ingest/event/x.y", b"{", BAD_KEY)[0], 401)


hftest.main()

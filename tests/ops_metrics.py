#!/usr/bin/env python3
"""GET /metrics and hookfan-sweep --metrics-file: the scrape, parsed by a
real Prometheus text parser (the official Python client's, Debian's
python3-prometheus-client), against what the
receivers saw and the attempts table holds; two sweeps at once adding up;
the textfile written whole and renamed into place, also by runs that
overlap, never through a planted symlink; keys refused (an environment's
with 403); deleted endpoints left out; one
workspace's view showing nothing of another's."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver  # noqa: E402

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # A python3 of its own (pyenv, a venv) does not see Debian's modules;
    # the package is pure Python.
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        print("1..0 # SKIP python3-prometheus-client (Debian) is not installed")
        sys.exit(0)

METRICS_KEY = "metrics-" + os.urandom(16).hex()
CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx", "timeout", "connect", "dns",
           "blocked", "error")

# Retries an hour away: each delivery gets one attempt per sweep here.
db = st.start_db(metrics_key=METRICS_KEY, retry_schedule="3600,3600,3600")
blocking = db.write_config(os.path.join(db.dir, "blocking.conf"), metrics_key=METRICS_KEY,
                           retry_schedule="3600,3600,3600", allow_private_targets="no",
                           connect_timeout_ms="1000", delivery_timeout_ms="2000")


def parse(text):
    """The exposition parsed by the Prometheus Python client's parser:
    {sample name: [(labels, value)]}; every family must have its HELP and
    TYPE."""
    samples = {}
    for family in text_string_to_metric_families(text):
        assert family.documentation and family.type != "unknown", family
        for sample in family.samples:
            assert sample.name.startswith("hookfan_"), sample
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def scrape(key=METRICS_KEY, method="GET", config=None):
    variables = {"HOOKFAN_CONFIG": config or db.config_path}
    if key is not None:
        variables["HTTP_AUTHORIZATION"] = "Bearer " + key
    return hftest.run_cgi(method=method, uri="/metrics", **variables)


def families(key=METRICS_KEY):
    r = scrape(key)
    hftest.eq(r.status, 200, "scrape: %s" % r.body[:300])
    hftest.eq(r.stderr, b"", "nothing on stderr (no sanitizer report)")
    hftest.eq(r.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8",
              "content type")
    return parse(r.body.decode())


def number(fams, name, **labels):
    """The value of the one sample called name whose labels include labels."""
    found = [v for l, v in fams.get(name, [])
             if all(l.get(k) == v2 for k, v2 in labels.items())]
    hftest.eq(len(found), 1, "%s%s samples" % (name, labels))
    return found[0]


def buckets(fams, name, **labels):
    """A histogram's cumulative buckets: {upper bound: count}."""
    return {float(l["le"]): v for l, v in fams[name + "_bucket"]
            if all(l.get(k) == v2 for k, v2 in labels.items())}


def attempts_by_class(ws):
    """What the attempts table says, classified as the sweep does."""
    rows = db.rows("SELECT a.status_code, a.error FROM attempts a"
                   " JOIN deliveries d ON d.id = a.delivery_id"
                   " JOIN endpoints e ON e.id = d.endpoint_id WHERE e.workspace_id = '%s'" % ws)
    counts = dict.fromkeys(CLASSES, 0)
    for code, error in rows:
        if code is not None:
            counts["%dxx" % (int(code) // 100)] += 1
        elif error.startswith("blocked destination"):
            counts["blocked"] += 1
        elif error.startswith("timeout:"):
            counts["timeout"] += 1
        elif error.startswith("connection failed:"):
            counts["connect"] += 1
        else:
            counts["error"] += 1
    return counts


@hftest.test
def a_scrape_counts_what_the_receivers_saw():
    ok, failing, silent, private = (Receiver(), Receiver(default="503"),
                                    Receiver(default=("hang",)), Receiver())
    ws = st.workspace(db)
    ep_ok, ep_failing, ep_silent, ep_private = (
        st.endpoint(db, r.url, ws)[0] for r in (ok, failing, silent, private))
    st.messages(db, ws, [ep_ok], count=5)
    st.messages(db, ws, [ep_failing], count=3)
    st.messages(db, ws, [ep_silent], count=2)
    st.sweep(db)
    # Loopback is a blocked destination under allow_private_targets = no.
    st.messages(db, ws, [ep_private], count=2)
    st.sweep(db, config=blocking)

    fams = families()
    seen = {"2xx": ok.count(), "5xx": failing.count(), "timeout": silent.count(),
            "blocked": 2}
    hftest.eq((seen["2xx"], seen["5xx"], seen["timeout"], private.count()), (5, 3, 2, 0),
              "what the receivers saw")
    table = attempts_by_class(ws)
    for cls in CLASSES:
        got = number(fams, "hookfan_attempts_total", workspace=ws, outcome=cls)
        hftest.eq(got, seen.get(cls, 0), "attempts_total{outcome=%s}" % cls)
        hftest.eq(got, table[cls], "attempts_total{outcome=%s} against the table" % cls)
    total = sum(seen.values())
    hftest.eq(number(fams, "hookfan_attempt_duration_seconds_count", workspace=ws), total,
              "histogram count")
    hist = buckets(fams, "hookfan_attempt_duration_seconds", workspace=ws)
    hftest.eq(hist[float("inf")], total, "+Inf bucket")
    ms = int(db.value("SELECT SUM(a.duration_ms) FROM attempts a JOIN deliveries d"
                      " ON d.id = a.delivery_id JOIN endpoints e ON e.id = d.endpoint_id"
                      " WHERE e.workspace_id = '%s'" % ws))
    got = number(fams, "hookfan_attempt_duration_seconds_sum", workspace=ws)
    assert abs(got - ms / 1000.0) < 1e-6, (got, ms)
    # The two timeouts took about delivery_timeout_ms = 2 s: above the 1 s bound.
    hftest.eq(hist[1.0], total - 2, "all but the timeouts within 1 s")
    counts = [hist[b] for b in sorted(hist)]
    hftest.eq(counts, sorted(counts), "buckets are cumulative")
    hftest.eq(number(fams, "hookfan_deliveries_succeeded_total", workspace=ws), 5, "succeeded")
    hftest.eq(number(fams, "hookfan_deliveries_failed_total", workspace=ws), 0, "failed")

    # The 3 + 2 + 2 failures wait an hour for their retry.
    hftest.eq(number(fams, "hookfan_deliveries", workspace=ws, status="pending"), 7, "pending")
    hftest.eq(number(fams, "hookfan_deliveries", workspace=ws, status="sending"), 0, "sending")
    hftest.eq(number(fams, "hookfan_deliveries", workspace=ws, status="paused"), 0, "paused")
    hftest.eq(number(fams, "hookfan_deliveries_due", workspace=ws), 0, "nothing due")
    hftest.eq(number(fams, "hookfan_oldest_due_delivery_age_seconds", workspace=ws), 0,
              "no oldest due")
    hftest.eq(number(fams, "hookfan_messages_outstanding", workspace=ws), 7, "outstanding")
    hftest.eq(number(fams, "hookfan_endpoints", workspace=ws, state="active"), 4, "active")
    hftest.eq(number(fams, "hookfan_endpoints", workspace=ws, state="disabled"), 0, "disabled")

    # Due for 90 s (as if no sweep had run), and one endpoint disabled.
    db.root_sql("USE hookfan; UPDATE deliveries SET due_at = NOW(3) - INTERVAL 90 SECOND"
                " WHERE endpoint_id = '%s'" % ep_failing)
    db.admin("endpoint", "disable", "--endpoint", ep_silent)
    fams = families()
    hftest.eq(number(fams, "hookfan_deliveries_due", workspace=ws), 3, "due")
    age = number(fams, "hookfan_oldest_due_delivery_age_seconds", workspace=ws)
    assert 90 <= age < 120, age
    hftest.eq(number(fams, "hookfan_deliveries", workspace=ws, status="paused"), 2, "paused")
    hftest.eq(number(fams, "hookfan_endpoints", workspace=ws, state="disabled"), 1, "disabled")
    for ep in (ep_failing, ep_silent, ep_private):
        st.retire(db, ep)


@hftest.test
def two_sweeps_at_once_add_up_exactly():
    ws = st.workspace(db)
    receivers = [Receiver(), Receiver()]
    eps = [st.endpoint(db, r.url, ws)[0] for r in receivers]
    st.messages(db, ws, eps, count=300)
    sweeps = [st.start_sweep(db, "--batch", "25", "--concurrency", "8") for _ in range(2)]
    for p in sweeps:
        status, log = st.finish(p, timeout=120)
        hftest.eq(status, 0, "sweep: %s" % log)
    hftest.eq(sum(r.count() for r in receivers), 600, "every delivery sent once")
    fams = families()
    hftest.eq(number(fams, "hookfan_attempts_total", workspace=ws, outcome="2xx"), 600, "2xx")
    hftest.eq(number(fams, "hookfan_attempt_duration_seconds_count", workspace=ws), 600,
              "histogram count")
    hftest.eq(db.value("SELECT COUNT(*) FROM attempts a JOIN deliveries d ON d.id = a.delivery_id"
                       " JOIN endpoints e ON e.id = d.endpoint_id"
                       " WHERE e.workspace_id = '%s'" % ws), "600", "attempts rows")


def beside(path):
    """The names in path's folder other than path."""
    name = os.path.basename(path)
    return sorted(n for n in os.listdir(os.path.dirname(path)) if n != name)


def read_file(path):
    with open(path) as f:
        return f.read()


@hftest.test
def the_metrics_file_holds_the_runs_figures_and_is_replaced_whole():
    ok, silent, gone = Receiver(), Receiver(default=("hang",)), Receiver(default="410")
    ws = st.workspace(db)
    eps = [st.endpoint(db, r.url, ws)[0] for r in (ok, silent, gone)]
    st.messages(db, ws, [eps[0]], count=3)
    st.messages(db, ws, [eps[1]], count=2)
    st.messages(db, ws, [eps[2]], count=1)
    os.makedirs(os.path.join(db.dir, "replaced"))
    path = os.path.join(db.dir, "replaced", "hookfan.prom")
    with open(path, "w") as f:
        f.write("old\n")
    held = open(path)       # the file as it was: a rename leaves it alone
    started = time.time()
    r = st.sweep(db, "--metrics-file", path)
    hftest.eq(held.read(), "old\n", "the old file was replaced, not written over")
    held.close()
    hftest.eq(beside(path), [], "no temporary file left behind")
    fams = parse(read_file(path))
    hftest.eq(number(fams, "hookfan_sweep_claimed_deliveries"), 6, "claimed")
    hftest.eq(number(fams, "hookfan_sweep_sent_attempts"), 6, "sent")
    want = {"delivered": 3, "retried": 2, "failed": 0, "gone": 1, "blocked": 0,
            "handed_back": 0, "lost": 0}
    for result, n in want.items():
        hftest.eq(number(fams, "hookfan_sweep_results", result=result), n, result)
    hftest.eq(number(fams, "hookfan_sweep_exit_reason", reason="drained"), 1, "drained")
    hftest.eq(number(fams, "hookfan_sweep_exit_reason", reason="max_seconds"), 0, "not cut")
    hftest.eq(number(fams, "hookfan_sweep_exit_status"), 0, "exit status")
    duration = number(fams, "hookfan_sweep_duration_seconds")
    assert 1.9 <= duration <= time.time() - started + 0.5, duration
    stamp = number(fams, "hookfan_sweep_last_run_timestamp_seconds")
    assert started - 1 <= stamp <= time.time() + 1, stamp
    # The 410 disabled an endpoint: the one line a cron run mails.
    lines = r.stderr.strip().splitlines()
    hftest.eq(len(lines), 1, "one summary line: %r" % r.stderr)
    assert "1 gone" in lines[0] and "3 succeeded" in lines[0], lines[0]
    st.retire(db, eps[1])

    # All well: nothing on stderr, and the figures of this run alone.
    st.messages(db, ws, [eps[0]], count=2)
    r = st.sweep(db, "--metrics-file", path)
    hftest.eq(r.stderr, "", "a run where all is well prints nothing")
    fams = parse(read_file(path))
    hftest.eq(number(fams, "hookfan_sweep_results", result="delivered"), 2, "this run's")

    # Blocked destinations count as blocked (and as retried).
    st.messages(db, ws, [eps[0]], count=1)
    st.sweep(db, "--metrics-file", path, config=blocking)
    fams = parse(read_file(path))
    hftest.eq(number(fams, "hookfan_sweep_results", result="blocked"), 1, "blocked")
    hftest.eq(number(fams, "hookfan_sweep_results", result="retried"), 1, "retried")
    st.retire(db, eps[0])


@hftest.test
def the_metrics_file_says_when_the_database_was_unusable():
    path = os.path.join(db.dir, "unusable.prom")
    config = db.write_config(os.path.join(db.dir, "nodb.conf"),
                             db_socket=os.path.join(db.dir, "no-such.sock"))
    r = st.sweep(db, "--metrics-file", path, config=config, check=False)
    hftest.eq(r.returncode, 1, "exit status")
    hftest.eq(len(r.stderr.strip().splitlines()), 1, "one line: %r" % r.stderr)
    fams = parse(read_file(path))
    hftest.eq(number(fams, "hookfan_sweep_exit_reason", reason="database"), 1, "reason")
    hftest.eq(number(fams, "hookfan_sweep_exit_status"), 1, "exit status")


@hftest.test
def a_metrics_file_that_cannot_be_written_is_one_line_and_bad_usage_exits_2():
    r = st.sweep(db, "--metrics-file", check=False)
    hftest.eq(r.returncode, 2, "no FILE: %s" % r.stderr)
    path = os.path.join(db.dir, "no-such-folder", "hookfan.prom")
    r = st.sweep(db, "--metrics-file", path, check=False)
    hftest.eq(r.returncode, 0, "the run itself went well: %s" % r.stderr)
    lines = r.stderr.strip().splitlines()
    hftest.eq(len(lines), 1, "one line: %r" % r.stderr)
    assert "--metrics-file" in lines[0] and path in lines[0], lines[0]


@hftest.test
def overlapping_runs_leave_a_whole_file_and_follow_no_planted_name():
    folder = os.path.join(db.dir, "textfiles")
    os.makedirs(folder)
    path = os.path.join(folder, "hookfan.prom")
    # A symlink planted where the old writer put its temporary file.
    victim = os.path.join(db.dir, "victim")
    with open(victim, "w") as f:
        f.write("keep\n")
    os.symlink(victim, path + ".tmp")
    for _ in range(5):
        runs = [st.start_sweep(db, "--metrics-file", path) for _ in range(6)]
        for p in runs:
            status, log = st.finish(p)
            hftest.eq((status, log), (0, ""), "each run writes its file")
        fams = parse(read_file(path))
        hftest.eq(number(fams, "hookfan_sweep_exit_status"), 0, "a whole, parseable file")
        hftest.eq(oct(os.stat(path).st_mode & 0o777), "0o644", "readable by the collector")
    assert not os.path.islink(path), "FILE became the planted symlink"
    hftest.eq(read_file(victim), "keep\n", "the symlink's target untouched")
    hftest.eq(os.readlink(path + ".tmp"), victim, "the planted symlink left alone")
    hftest.eq(beside(path), [os.path.basename(path) + ".tmp"], "no temporary file left")


def management_key(ws, revoked=False):
    """A management key of ws, made by hookfan-admin (revoked if asked)."""
    made = db.admin("key", "create", "--workspace", ws, "--management")
    if revoked:
        db.admin("key", "revoke", "--key-id", made["id"])
    return made["key"]


@hftest.test
def bad_keys_get_401_as_json():
    ws = st.workspace(db)
    ingest_key = db.admin("key", "create", "--workspace", ws)["key"]
    cases = {"no key": None, "a wrong key": "metrics-wrong",
             "the metrics key with a byte more": METRICS_KEY + "x",
             "an ingest key": ingest_key,
             "a revoked management key": management_key(ws, revoked=True),
             "an unknown management key": "hfm_" + "0" * 64}
    for what, key in cases.items():
        r = scrape(key)
        hftest.eq(r.status, 401, what)
        hftest.eq(r.stderr, b"", "%s: nothing on stderr" % what)
        hftest.eq(r.json()["code"], "unauthorized", what)
        hftest.eq(r.headers.get("content-type"), "application/json", what)
        hftest.eq(r.headers.get("www-authenticate"), "Bearer", what)
    # Without metrics_key in the config no key reaches the installation.
    config = db.write_config(os.path.join(db.dir, "no-metrics-key.conf"))
    hftest.eq(scrape(config=config).status, 401, "metrics_key unset")
    r = scrape(method="POST")
    hftest.eq((r.status, r.json()["code"]), (405, "method_not_allowed"), "POST")
    r = scrape(method="HEAD")
    hftest.eq((r.status, r.body), (200, b""), "HEAD: the headers alone")
    assert int(r.headers["content-length"]) > 1000, r.headers


@hftest.test
def an_environment_key_is_refused_with_403():
    ws = st.workspace(db)
    env = db.admin("env", "create", "--workspace", ws, "--name", "prod")["id"]
    key = db.admin("key", "create", "--workspace", ws, "--env", env, "--management")["key"]
    for method in ("GET", "HEAD"):
        r = scrape(key, method=method)
        hftest.eq(r.status, 403, method)
        hftest.eq(r.stderr, b"", "nothing on stderr")
        hftest.eq(r.headers.get("content-type"), "application/json", method)
        if method == "GET":
            hftest.eq(r.json()["code"], "forbidden", "its code")
            assert "workspace" in r.json()["message"], r.json()
    hftest.eq(scrape(management_key(ws)).status, 200, "a workspace-wide key reads them")


@hftest.test
def deleted_endpoints_are_neither_active_nor_disabled():
    ws = st.workspace(db)
    rx = Receiver()
    kept, off, gone_on, gone_off = [st.endpoint(db, rx.url, ws)[0] for _ in range(4)]
    for ep in (off, gone_off):
        db.admin("endpoint", "disable", "--endpoint", ep)
    key = management_key(ws)
    for ep in (gone_on, gone_off):
        r = hftest.run_cgi(method="DELETE", uri="/v1/endpoints/" + ep,
                           HOOKFAN_CONFIG=db.config_path, HTTP_AUTHORIZATION="Bearer " + key)
        hftest.eq(r.status, 204, "deleted: %s" % r.body[:200])
    hftest.eq(db.value("SELECT COUNT(*) FROM endpoints WHERE workspace_id = '%s'"
                       " AND deleted_at IS NOT NULL" % ws), "2", "two deleted")
    for fams in (families(key), families()):
        hftest.eq(number(fams, "hookfan_endpoints", workspace=ws, state="active"), 1,
                  "active: %s alone" % kept)
        hftest.eq(number(fams, "hookfan_endpoints", workspace=ws, state="disabled"), 1,
                  "disabled: %s alone" % off)


@hftest.test
def a_workspace_view_shows_that_workspace_alone():
    mine, theirs = st.workspace(db), st.workspace(db)
    rx = Receiver()
    ep_mine = st.endpoint(db, rx.url, mine)[0]
    ep_theirs = st.endpoint(db, rx.url, theirs)[0]
    st.messages(db, mine, [ep_mine], count=2)
    st.messages(db, theirs, [ep_theirs], count=3)
    st.sweep(db)
    fams = families(management_key(mine))
    for name, samples in fams.items():
        for labels, _ in samples:
            hftest.eq(labels.get("workspace"), mine, "%s is of my workspace" % name)
    hftest.eq(number(fams, "hookfan_attempts_total", workspace=mine, outcome="2xx"), 2, "mine")
    everything = families()
    hftest.eq(number(everything, "hookfan_attempts_total", workspace=theirs, outcome="2xx"),
              3, "theirs, in the installation's view")


hftest.main()

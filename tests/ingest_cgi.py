"""hookfan.fcgi as a plain CGI program (no FastCGI listener on stdin): the
binary run with CGI variables and the body on stdin answers one request,
like cgit's tests.  Also the process contract: a bad config stops it with a
500, a missing database is a 503, and the program never reads past
CONTENT_LENGTH."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
from hftest import eq  # noqa: E402

db = hftest.MariaDB.start()
ws = db.admin("workspace", "create", "--name", "w")["id"]
app = db.admin("app", "create", "--workspace", ws, "--name", "a")["id"]
ep = db.admin("endpoint", "create", "--workspace", ws, "--app", app,
              "--url", "http://127.0.0.1:9/hook")["id"]
key = db.admin("key", "create", "--workspace", ws)["key"]


def cgi(method, uri, body=b"", config=None, extra=None, content_length=None,
        stdin_extra=b""):
    """Run the binary as a CGI; returns (status, headers, parsed body)
    after checking that it exited 0."""
    variables = {"CONTENT_TYPE": "application/json", "HTTP_AUTHORIZATION": "Bearer " + key,
                 "HOOKFAN_CONFIG": config or db.config_path}
    if body or content_length is not None:
        variables["CONTENT_LENGTH"] = str(len(body) if content_length is None
                                          else content_length)
    variables.update(extra or {})
    r = hftest.run_cgi(method, uri, body + stdin_extra, **variables)
    # Whatever the answer (a 500 or 504 too), a request served ends the
    # process normally; only a config it cannot start with is exit 1
    # (cgi_bad_config_is_500_and_missing_database_503).
    eq(r.returncode, 0, "exit status after a %d; stderr: %s"
       % (r.status, r.stderr.decode(errors="replace")[-2000:]))
    return r.status, r.headers, r.json()


@hftest.test
def cgi_trigger_stores_and_answers_202():
    status, headers, body = cgi("POST", "/api/ingest/event/order.paid",
                                b'{"payload":{"orderId":"ord_123"}}')
    eq(status, 202)
    eq(headers["content-type"], "application/json")
    eq(len(body["deliveryIds"]), 1)
    eq(db.value("SELECT endpoint_id FROM deliveries WHERE id = '%s'"
                % body["deliveryIds"][0]), ep)


@hftest.test
def the_documented_least_privileges_suffice():
    """README: migrate needs CREATE, ALTER, INDEX, REFERENCES, CREATE
    ROUTINE, ALTER ROUTINE on top of what the programs need (SELECT,
    INSERT, UPDATE, DELETE, EXECUTE)."""
    db.root_sql(
        "CREATE DATABASE lean;"
        "CREATE USER 'migrator'@'localhost' IDENTIFIED BY 'm';"
        "GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE, CREATE, ALTER, INDEX,"
        " REFERENCES, CREATE ROUTINE, ALTER ROUTINE ON lean.* TO 'migrator'@'localhost';"
        "CREATE USER 'runner'@'localhost' IDENTIFIED BY 'r';"
        "GRANT SELECT, INSERT, UPDATE, DELETE, EXECUTE ON lean.* TO 'runner'@'localhost';")
    migrator = db.write_config(path=os.path.join(db.dir, "migrator.conf"), db_name="lean",
                               db_user="migrator", db_password="m")
    runner = db.write_config(path=os.path.join(db.dir, "runner.conf"), db_name="lean",
                             db_user="runner", db_password="r")
    for _ in range(2):      # the second run replaces the procedure
        r = db.run_admin("migrate", config=migrator)
        eq(r.returncode, 0, "migrate as migrator: " + r.stderr)

    def admin(*args):
        r = db.run_admin("--json", *args, config=runner)
        eq(r.returncode, 0, "%s as runner: %s" % (args, r.stderr))
        return json.loads(r.stdout)
    lean_ws = admin("workspace", "create", "--name", "l")["id"]
    admin("endpoint", "create", "--workspace", lean_ws, "--url", "http://127.0.0.1:9/hook")
    lean_key = admin("key", "create", "--workspace", lean_ws)["key"]
    status, _, body = cgi("POST", "/api/ingest/event/order.paid", b'{"payload":{}}',
                          config=runner, extra={"HTTP_AUTHORIZATION": "Bearer " + lean_key})
    eq((status, len(body["deliveryIds"])), (202, 1), "ingest as runner: %r" % body)


@hftest.test
def cgi_send_message_seed_example():
    status, _, body = cgi("POST", "/v1/applications/%s/messages" % app,
                          b'{"event_type": "invoice.paid", "payload": null}')
    eq(status, 201)
    eq((body["message"]["application_id"], body["message"]["payload"]), (app, "null"))


@hftest.test
def cgi_routes_on_path_info_under_a_prefix():
    status, _, body = cgi("POST", "/hooks/hookfan.fcgi/api/ingest/event/x%2Ey",
                          b'{"payload":{}}',
                          extra={"SCRIPT_NAME": "/hooks/hookfan.fcgi",
                                 "PATH_INFO": "/api/ingest/event/x.y"})
    eq(status, 202)
    eq(cgi("GET", "/hooks/hookfan.fcgi/healthz", extra={"PATH_INFO": "/healthz"})[:1],
       (200,))


@hftest.test
def cgi_errors():
    eq(cgi("GET", "/healthz")[2], {"status": "ok"})
    eq(cgi("POST", "/nope", b"{}")[0], 404)
    status, headers, _ = cgi("DELETE", "/api/ingest/event/a")
    eq((status, headers.get("allow")), (405, "POST"))
    eq(cgi("POST", "/api/ingest/event/a", b'{"payload":{}}',
           extra={"HTTP_AUTHORIZATION": None})[2]["code"], "unauthorized")
    eq(cgi("POST", "/api/ingest/event/a", b'{"payload":{}}',
           extra={"CONTENT_TYPE": "text/plain"})[0], 415)
    eq(cgi("POST", "/api/ingest/event/a", b'{"payload":{}} trailing')[2]["code"],
       "invalid_json")
    eq(cgi("POST", "/api/ingest/event/a", b"x" * 10, content_length=10 ** 9)[2]["code"],
       "payload_too_large")


@hftest.test
def cgi_path_segments_outside_visible_ascii_are_refused_as_valid_json():
    # Error messages quote the application id: a raw byte from the path
    # must never reach the answer, which would then not be UTF-8 JSON.
    for segment in ("%FF", "%C3%A9", "a%0Ab", "a%7Fb", "a%20b"):
        status, _, body = cgi("POST", "/v1/applications/%s/messages" % segment,
                              b'{"event_type": "a", "payload": null}')
        eq((status, body["code"]), (404, "not_found"), segment)
        status, _, body = cgi("POST", "/api/ingest/event/" + segment, b'{"payload":{}}')
        eq((status, body["code"]), (400, "invalid_request"), segment)
    # PATH_INFO arrives decoded from the server: the same rule.
    status, _, body = cgi("POST", "/x/v1/applications/%FF/messages",
                          b'{"event_type": "a", "payload": null}',
                          extra={"PATH_INFO": "/v1/applications/\udcff/messages"})
    eq((status, body["code"]), (404, "not_found"), "PATH_INFO")


@hftest.test
def cgi_reads_exactly_content_length():
    # A CGI server need not close stdin: bytes past CONTENT_LENGTH are
    # not part of the body (and must not be waited for).
    status, _, body = cgi("POST", "/api/ingest/event/order.paid", b'{"payload":{}}',
                          stdin_extra=b"GARBAGE AFTER THE BODY")
    eq(status, 202)


@hftest.test
def cgi_malformed_content_length_is_400_and_stores_nothing():
    before = db.value("SELECT COUNT(*) FROM messages")
    for declared in ("abc", "-1", "12x", " 30"):
        status, _, body = cgi("POST", "/api/ingest/event/order.paid",
                              b'{"payload":{}}', content_length=declared)
        eq((status, body["code"]), (400, "invalid_request"), "Content-Length %r" % declared)
    status, _, body = cgi("POST", "/api/ingest/event/order.paid", b'{"payload":{}}',
                          content_length="99999999999999999999")
    eq((status, body["code"]), (413, "payload_too_large"), "a huge Content-Length")
    eq(db.value("SELECT COUNT(*) FROM messages"), before, "nothing stored")


@hftest.test
def cgi_bad_config_is_500_and_missing_database_503():
    bad = os.path.join(db.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write("no_such_key = 1\n")
    r = hftest.run_cgi(HOOKFAN_CONFIG=bad)
    eq(r.returncode, 1)
    if r.status != 500 or b"bad.conf:1" not in r.stderr:
        raise AssertionError("bad config: %r %r" % (r.status, r.stderr))
    gone = db.write_config(path=os.path.join(db.dir, "gone.conf"),
                           db_socket=os.path.join(db.dir, "nothing-here.sock"))
    status, _, body = cgi("POST", "/api/ingest/event/a", b'{"payload":{}}', config=gone)
    eq((status, body["code"]), (503, "unavailable"))
    eq(cgi("GET", "/healthz", config=gone)[0], 503)



@hftest.test
def cgi_server_errors_are_json_and_the_process_exits_0():
    """A 500 (the store procedure gone) and a 504 (a table locked past the
    5 s budget) are JSON answers with nothing stored, and the process that
    gave them exits 0 (checked by cgi())."""
    before = db.value("SELECT COUNT(*) FROM messages")
    db.root_sql("DROP PROCEDURE hookfan.hf_ingest_store")
    try:
        status, headers, body = cgi("POST", "/api/ingest/event/a", b'{"payload":{}}')
    finally:
        db.admin("migrate")         # puts the procedure back
    eq((status, body["code"]), (500, "internal_error"))
    eq(headers["content-type"], "application/json")
    lock = db.hold("LOCK TABLES messages WRITE")
    try:
        status, headers, body = cgi("POST", "/api/ingest/event/a", b'{"payload":{}}')
    finally:
        lock.release()
    eq((status, body["code"]), (504, "ingest_timeout"))
    eq(db.value("SELECT COUNT(*) FROM messages"), before, "nothing stored")
    eq(cgi("POST", "/api/ingest/event/a", b'{"payload":{}}')[0], 202, "served again")


@hftest.test
def config_comes_from_the_option_before_the_environment():
    """CONTRACT §2: --config FILE, else HOOKFAN_CONFIG, else the default."""
    bad = os.path.join(db.dir, "bad-env.conf")
    with open(bad, "w") as f:
        f.write("no_such_key = 1\n")
    r = hftest.run_cgi(args=["--config", db.config_path], HOOKFAN_CONFIG=bad)
    eq(r.returncode, 0, "--config wins over HOOKFAN_CONFIG: %r" % r.stderr)
    eq((r.status, r.json()), (200, {"status": "ok"}), "--config wins")
    r = hftest.run_cgi(HOOKFAN_CONFIG=bad)
    eq(r.returncode, 1, "without --config, HOOKFAN_CONFIG is read")
    assert b"bad-env.conf:1" in r.stderr, r.stderr


hftest.main()

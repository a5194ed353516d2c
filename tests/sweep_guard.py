#!/usr/bin/env python3
"""The destination guard (CONTRACT §6): with allow_private_targets = no,
no byte reaches a loopback or private address, however the URL spells it,
and the attempt says why.  Only loopback receivers ever get traffic; the
10.x endpoint must be refused before any connection is tried."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver  # noqa: E402

db = st.start_db()
guarded = db.write_config(os.path.join(db.dir, "guarded.conf"),
                          **dict(st.FAST, allow_private_targets="no"))
rx = Receiver(ipv6=True)
port = rx.port

SPELLINGS = [
    ("http://127.0.0.1:%d/hook", "loopback"),
    ("http://localhost:%d/hook", "loopback"),
    ("http://[::1]:%d/hook", "loopback"),
    ("http://127.1:%d/hook", "loopback"),
    ("http://0x7f000001:%d/hook", "loopback"),
    ("http://2130706433:%d/hook", "loopback"),
    ("http://0177.0.0.1:%d/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]:%d/hook", "IPv4-mapped form of loopback"),
    ("http://[::ffff:7f00:1]:%d/hook", "IPv4-mapped form of loopback"),
    ("http://0.0.0.0:%d/hook", "unspecified"),
    ("http://10.255.255.1:%d/hook", "private"),
    ("http://[fd00::1]:%d/hook", "unique local"),
]


@hftest.test
def every_spelling_of_an_inside_address_is_refused_before_connect():
    ws = st.workspace(db)
    made = []
    for pattern, kind in SPELLINGS:
        ep = st.endpoint(db, pattern % port, ws)[0]
        [msg] = st.messages(db, ws, [ep])
        made.append((pattern, kind, msg))
    st.sweep(db, config=guarded)
    hftest.eq(rx.connections, 0, "connections reaching the receiver")
    hftest.eq(rx.count(), 0, "requests reaching the receiver")
    for pattern, kind, msg in made:
        [(n, code, error, duration, _)] = st.attempts(db, msg)
        hftest.eq(code, None, pattern + " status")
        assert error and error.startswith("blocked destination"), (pattern, error)
        assert kind in error, (pattern, error)
        assert "allow_private_targets" in error, error
        hftest.eq(st.delivery(db, msg)[0], "pending", pattern + " is retried, not dropped")
    # Retire them, so that no later sweep without the guard sends to 10.x.
    db.root_sql("USE hookfan; UPDATE deliveries SET status = 'failed', due_at = NULL"
                " WHERE message_id IN (%s)" % ",".join("'%s'" % m for _, _, m in made))


@hftest.test
def allowed_when_allow_private_targets_is_yes():
    ws = st.workspace(db)
    urls = ["http://127.0.0.1:%d/hook", "http://localhost:%d/hook",
            "http://[::1]:%d/hook", "http://127.1:%d/hook", "http://0x7f000001:%d/hook"]
    msgs = []
    for pattern in urls:
        ep = st.endpoint(db, pattern % port, ws)[0]
        msgs += st.messages(db, ws, [ep])
    st.sweep(db)  # the default test config says yes
    hftest.eq(sorted(rx.ids()), sorted(msgs), "every loopback spelling delivered")
    for msg in msgs:
        hftest.eq(st.delivery(db, msg)[0], "succeeded", "delivered")


hftest.main()

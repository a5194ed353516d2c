#!/usr/bin/env python3
"""The destination guard (CONTRACT §6): with allow_private_targets = no,
no byte reaches a loopback or private address, however the URL spells it,
and the attempt says why.  Only loopback receivers ever get traffic; the
10.x endpoint must be refused before any connection is tried."""
import ipaddress
import os
import socket
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


def inside_names():
    """Host names other than "localhost" that resolve, on this machine and
    without touching its files, only to loopback or private addresses:
    the machine's own name and Debian's aliases when /etc/hosts maps them
    so, and always a *.localhost name, which libcurl itself resolves to
    127.0.0.1 and ::1 (RFC 6761).  Returns [(name, addresses)]."""
    names = []
    for name in (socket.gethostname(), socket.getfqdn(), "localhost.localdomain",
                 "ip6-localhost", "ip6-loopback"):
        if name.lower() == "localhost" or name in [n for n, _ in names]:
            continue
        try:
            found = {a[4][0] for a in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
        except socket.gaierror:
            continue
        if found and all(not ipaddress.ip_address(a.split("%")[0]).is_global for a in found):
            names.append((name, found))
    names.append(("hookfan-guard-test.localhost", {"127.0.0.1", "::1"}))
    return names


@hftest.test
def a_host_name_that_resolves_inside_is_refused_too():
    """The guard judges the address a name resolves to, not the URL: a
    name other than "localhost" that resolves to loopback is refused
    before connect, and the same name does reach the receiver when
    allow_private_targets = yes (so the refusal is the guard's doing)."""
    names = inside_names()
    print("# names resolving inside: %s" % "; ".join(
        "%s -> %s" % (n, ", ".join(sorted(a))) for n, a in names))
    if len(names) < 2:
        print("# no host name but *.localhost resolves inside through the system resolver here")
    own = Receiver(ipv6=True)
    ws = st.workspace(db)
    refused = []
    for name, addresses in names:
        url = "http://%s:%d/hook" % (name, own.port)
        ep = st.endpoint(db, url, ws)[0]
        [msg] = st.messages(db, ws, [ep])
        refused.append((name, addresses, ep, msg))
    st.sweep(db, config=guarded)
    hftest.eq(own.connections, 0, "connections reaching the receiver")
    for name, addresses, ep, msg in refused:
        attempts = st.attempts(db, msg)
        hftest.eq(len(attempts), 1, name + ": one attempt")
        (n, code, error, duration, _) = attempts[0]
        hftest.eq(code, None, name + " status")
        assert error and error.startswith("blocked destination "), (name, error)
        blocked = error[len("blocked destination "):].split(": ")[0]
        assert blocked.strip("[]") in addresses, (name, addresses, error)
        assert "allow_private_targets = no" in error, error
        hftest.eq(st.delivery(db, msg)[0], "pending", name + " is retried, not dropped")
    # The same deliveries, let through, reach the receiver (the names
    # whose addresses it listens on: 127.0.0.1 and ::1).
    reachable = [(name, msg) for name, addresses, _, msg in refused
                 if addresses <= {"127.0.0.1", "::1"}]
    for _, msg in reachable:
        st.make_due(db, message_id=msg)
    st.sweep(db)
    for name, msg in reachable:
        hftest.eq(st.delivery(db, msg)[0], "succeeded", name + " with allow_private_targets = yes")
    hftest.eq(sorted(own.ids()), sorted(msg for _, msg in reachable), "what reached the receiver")
    db.root_sql("USE hookfan; UPDATE deliveries SET status = 'failed', due_at = NULL"
                " WHERE message_id IN (%s) AND status = 'pending'"
                % ",".join("'%s'" % m for _, _, _, m in refused))


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

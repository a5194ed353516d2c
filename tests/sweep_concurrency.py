#!/usr/bin/env python3
"""Any number of sweeps at once make each due attempt once (CONTRACT §5):
four sweeps started together over 10,000 due deliveries."""
import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
import sweeptest as st  # noqa: E402
from receivers import Receiver  # noqa: E402

db = st.start_db()
MESSAGES = 2500
RECEIVERS = 4


@hftest.test
def four_sweeps_deliver_ten_thousand_each_exactly_once():
    rxs = [Receiver() for _ in range(RECEIVERS)]
    ws = st.workspace(db)
    eps = [st.endpoint(db, rx.url, ws)[0] for rx in rxs]
    ids = st.messages(db, ws, eps, count=MESSAGES)
    hftest.eq(db.value("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'"),
              str(MESSAGES * RECEIVERS), "due deliveries")
    started = time.monotonic()
    sweeps = [st.start_sweep(db, "--concurrency", "16", "--batch", "100", "--verbose")
              for _ in range(4)]
    shares = []
    for p in sweeps:
        status, err = st.finish(p, timeout=300)
        hftest.eq(status, 0, "sweep exit status (%s)" % err[-2000:])
        sent = [line for line in err.splitlines() if "[info]: sent " in line]
        for line in err.splitlines():
            if "[debug]" not in line:
                print("# " + line)
        shares.append(int(sent[-1].split("sent ")[1].split(":")[0]))
    elapsed = time.monotonic() - started
    total = MESSAGES * RECEIVERS
    hftest.eq(sum(shares), total, "attempts reported by the sweeps")
    assert min(shares) > 0, "a sweep did nothing: %r" % shares
    print("# shares %r" % shares)
    print("# %d deliveries by 4 sweeps in %.1fs: %.0f/s" % (total, elapsed, total / elapsed))
    for rx in rxs:
        counts = collections.Counter(rx.ids())
        hftest.eq(len(counts), MESSAGES, "distinct webhook-ids at a receiver")
        dupes = {k: v for k, v in counts.items() if v != 1}
        hftest.eq(dupes, {}, "webhook-ids received more than once")
        hftest.eq(set(counts), set(ids), "the right ids")
    for row in db.rows("SELECT a.error, a.status_code, a.duration_ms FROM attempts a"
                       " WHERE a.error IS NOT NULL OR a.status_code <> 200 LIMIT 5"):
        print("# failed attempt: %r" % (row,))
    hftest.eq(db.rows("SELECT status, attempts, COUNT(*) FROM deliveries"
                      " GROUP BY status, attempts"),
              [("succeeded", "1", str(total))], "every delivery succeeded at attempt 1")
    hftest.eq(db.value("SELECT COUNT(*) FROM attempts"), str(total), "one attempt row each")
    hftest.eq(db.rows("SELECT status, COUNT(*) FROM messages GROUP BY status"),
              [("delivered", str(MESSAGES))], "every message delivered")
    leased = db.value("SELECT COUNT(*) FROM deliveries WHERE lease_token <> ''")
    hftest.eq(leased, "0", "no lease left behind")


hftest.main()

"""A smoke run of the benchmark (bench/run --smoke): every stage with tiny
sizes, against the binaries of this build tree, so the benchmark cannot rot.
It checks that every stage produces a figure, not that targets are met (the
figures of a sanitizer build under a parallel `make check` mean nothing),
and runs where git is not installed, as a release tarball would."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402


def path_without(workdir, program):
    """A PATH of one folder holding a link to every program on today's
    PATH but program."""
    folder = os.path.join(workdir, "path-without-" + program)
    os.makedirs(folder)
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(entry):
            continue
        for name in os.listdir(entry):
            link = os.path.join(folder, name)
            if name != program and not os.path.lexists(link):
                os.symlink(os.path.join(entry, name), link)
    return folder


@hftest.test
def every_benchmark_stage_produces_a_figure():
    if shutil.which("wrk") is None:
        raise AssertionError("wrk is not installed (Debian package wrk; "
                             "tests/run-all must install it)")
    workdir = tempfile.mkdtemp(prefix="hf-bench-smoke-")
    hftest.cleanup(lambda: shutil.rmtree(workdir, ignore_errors=True))
    cmd = ["bash", os.path.join(hftest.SRCDIR, "bench", "run"), "--smoke",
           "--no-apt", "--builddir", hftest.BUILDDIR, "--workdir", workdir,
           "--db-template", hftest._template_datadir()]
    # Run where git is absent, as on a fresh machine with a release
    # tarball: the benchmark must not need it.
    env = dict(os.environ, PATH=path_without(workdir, "git"))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    for line in r.stdout.splitlines():
        print("# " + line)
    if r.returncode != 0:
        for line in r.stderr.splitlines()[-40:]:
            print("# " + line)
        for name in ("sweep.log", "sweep-loop.log", "lighttpd/error.log"):
            path = os.path.join(workdir, name)
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    for line in f.read().splitlines()[-10:]:
                        print("# %s: %s" % (name, line))
    hftest.eq(r.returncode, 0, "bench/run --smoke exit status")
    assert "(not a git checkout)" in r.stdout, \
        "the results do not name the version configure.ac gives"
    # Every row is printed, "—" in the main (defaults, stock MariaDB) or
    # the tuned column where a stage gave no figure, "" where the row has
    # none in that column: read the values.
    table = [line.split("|")[1:-1] for line in r.stdout.splitlines()
             if line.startswith("| ") and not line.startswith("| figure ")]
    for row in table:
        assert "—" not in (row[1].strip(), row[2].strip()), "no figure in %r" % row
    for figure in ("ingest fan-out 1: req/s", "ingest fan-out 3: req/s",
                   "ingest fan-out 10: req/s", "durable floor",
                   "pending on each endpoint: req/s", "none pending",
                   "pending on each endpoint: p50 / p99",
                   "sweep without options", "sweep --batch 200:",
                   "end-to-end ingest", "old deliveries: req/s",
                   "old deliveries: deliveries/s",
                   "peak RSS, one hookfan.fcgi", "peak RSS, hookfan-sweep"):
        rows = [row for row in table if figure in row[0]]
        assert rows, "no %r row in the table" % figure
        assert rows[0][1].strip() or rows[0][2].strip(), "no figure in %r" % rows[0]
    # The tuned column has the figures it promises.
    for figure in ("ingest fan-out 3: req/s", "durable floor", "sweep without options"):
        row = next(row for row in table if figure in row[0])
        assert row[2].strip(), "no tuned figure in %r" % row
    # Ingest rows give their ratio to the durable floor.
    for figure in ("ingest fan-out 1: req/s", "ingest fan-out 3: req/s",
                   "ingest fan-out 10: req/s", "against the durable floor"):
        for row in (row for row in table if figure in row[0]):
            assert "of floor" in row[4], "no ratio to the floor in %r" % row

hftest.main()

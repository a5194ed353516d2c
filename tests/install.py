"""make install (CONTRACT §1): `make install DESTDIR=...` from the build
tree lays out PREFIX as the contract says, the ready configs name the
installed paths, and the installed programs work from where they landed.
A plain `make install` into a prefix of the suite's own
(hftest.private_prefix_build) checks what needs the paths to exist as
built: the compiled-in migrations folder, the crontab line as written,
the systemd units."""
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
from hftest import eq  # noqa: E402


PREFIX = hftest.build_variable("prefix")
SYSCONFDIR = hftest.build_variable("sysconfdir")
# The contract's layout for ./configure --prefix=P.
BIN = PREFIX + "/bin"
LIBEXEC = PREFIX + "/libexec/hookfan"
SHARE = PREFIX + "/share/hookfan"
CONFIG = SYSCONFDIR + "/hookfan.conf"
CONFIGS = ("hookfan-apache.conf", "hookfan-lighttpd.conf", "hookfan-sweep.service",
           "hookfan-sweep-once.service", "hookfan-sweep.timer", "hookfan-sweep.cron")

DEST = tempfile.mkdtemp(prefix="hf-install-")
hftest.cleanup(lambda: shutil.rmtree(DEST, ignore_errors=True))


def installed(path):
    """Where an installed PREFIX path is under DESTDIR."""
    return DEST + path


def make_install():
    r = subprocess.run(["make", "-C", hftest.BUILDDIR, "install", "DESTDIR=" + DEST],
                       env=hftest.make_environment(), capture_output=True, text=True, timeout=600)
    eq(r.returncode, 0, "make install: %s" % (r.stdout[-3000:] + r.stderr[-3000:]))


make_install()
print("# prefix %s, sysconfdir %s, installed under %s" % (PREFIX, SYSCONFDIR, DEST))


def read(path):
    with open(installed(path)) as f:
        return f.read()


@hftest.test
def the_programs_sql_and_configs_land_where_the_contract_says():
    for path in (BIN + "/hookfan-admin", BIN + "/hookfan-sweep", LIBEXEC + "/hookfan.fcgi"):
        assert os.path.isfile(installed(path)), "%s not installed" % path
        assert os.access(installed(path), os.X_OK), "%s not executable" % path
    shipped = sorted(n for n in os.listdir(hftest.SQL_DIR) if n.endswith(".sql"))
    numbered = [n for n in shipped if re.match(r"^\d{3}_.*\.sql$", n)]
    assert numbered and numbered[0].startswith("001_"), shipped
    eq(sorted(os.listdir(installed(SHARE + "/sql"))), shipped,
       "every .sql of sql/ (the numbered migrations and the routines) in %s/sql" % SHARE)
    for name in shipped:
        with open(os.path.join(hftest.SQL_DIR, name), "rb") as f:
            source = f.read()
        with open(installed(SHARE + "/sql/" + name), "rb") as f:
            eq(f.read() == source, True, "%s installed as shipped" % name)
    for name in CONFIGS + ("hookfan.conf.example",):
        assert os.path.isfile(installed(SHARE + "/" + name)), "%s/%s not installed" % (SHARE, name)
    # Everything went under PREFIX (given through DESTDIR), nothing elsewhere.
    for folder, _, files in os.walk(DEST):
        for name in files:
            path = os.path.join(folder, name)[len(DEST):]
            assert path.startswith(PREFIX + "/"), "installed outside the prefix: " + path


@hftest.test
def the_configs_name_the_installed_paths():
    fcgi = LIBEXEC + "/hookfan.fcgi"
    sweep = BIN + "/hookfan-sweep"
    texts = {name: read(SHARE + "/" + name) for name in CONFIGS}
    for name, text in texts.items():
        left = re.findall(r"@[A-Z_]+@", text)
        eq(left, [], "%s: placeholders left" % name)
        assert DEST not in text, "%s names the DESTDIR" % name
    apache = texts["hookfan-apache.conf"]
    for line in ("FcgidInitialEnv HOOKFAN_CONFIG %s" % CONFIG,
                 "ScriptAlias / %s/" % fcgi,
                 '<Directory "%s">' % LIBEXEC):
        assert line + "\n" in apache, "hookfan-apache.conf lacks %r" % line
    lighttpd = texts["hookfan-lighttpd.conf"]
    for line in ('"bin-path" => "%s",' % fcgi,
                 '"bin-environment" => ( "HOOKFAN_CONFIG" => "%s" ),' % CONFIG,
                 'include "%s/hookfan-lighttpd.conf"' % SHARE):
        assert line in lighttpd, "hookfan-lighttpd.conf lacks %r" % line
    # lighttpd's own errors: every status-CODE.html it names is installed, JSON.
    prefix = re.search(r'^server\.errorfile-prefix = "(.+)"$', lighttpd, re.M)
    assert prefix, "hookfan-lighttpd.conf names no error files"
    for code in (400, 408, 411, 413, 416, 417, 431, 500, 501, 503, 505):
        page = json.loads(read("%s%d.html" % (prefix.group(1), code)))
        eq(sorted(page), ["code", "message"], "status-%d.html" % code)
    loop = texts["hookfan-sweep.service"]
    assert "\nExecStart=%s --loop\n" % sweep in loop, loop
    assert "\nEnvironment=HOOKFAN_CONFIG=%s\n" % CONFIG in loop, loop
    once = texts["hookfan-sweep-once.service"]
    assert "\nExecStart=%s --max-seconds 55\n" % sweep in once, once
    assert "\nEnvironment=HOOKFAN_CONFIG=%s\n" % CONFIG in once, once
    timer = texts["hookfan-sweep.timer"]
    unit = re.search(r"^Unit=(.+)$", timer, re.M)
    assert unit and os.path.isfile(installed(SHARE + "/" + unit.group(1))), \
        "the timer's unit is installed beside it: %r" % (unit and unit.group(1))
    assert re.search(r"^OnUnitActiveSec=", timer, re.M), timer
    jobs = [line for line in texts["hookfan-sweep.cron"].splitlines()
            if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    eq(len(jobs), 1, "one crontab line: %r" % jobs)
    fields = jobs[0].split()
    # /etc/cron.d format: five time fields, the user, the command.
    eq(fields[5:7], ["hookfan", sweep], "the crontab line's user and program")
    assert "HOOKFAN_CONFIG=%s\n" % CONFIG in texts["hookfan-sweep.cron"]


@hftest.test
def the_installed_web_server_configs_parse():
    """apache2 -t and lighttpd -t on a minimal server config that
    includes the installed file as the README says."""
    folder = tempfile.mkdtemp(dir=DEST)
    apache = os.path.join(folder, "httpd.conf")
    with open(apache, "w") as f:
        f.write("ServerRoot %s\nServerName 127.0.0.1\nListen 127.0.0.1:%d\n"
                "PidFile %s/httpd.pid\nErrorLog %s/error.log\n"
                % (folder, hftest.free_port(), folder, folder))
        for mod in ("mpm_event", "authz_core", "alias", "headers", "fcgid"):
            f.write("LoadModule %s_module /usr/lib/apache2/modules/mod_%s.so\n" % (mod, mod))
        f.write("Include %s\n" % installed(SHARE + "/hookfan-apache.conf"))
    r = subprocess.run(["apache2", "-t", "-f", apache], capture_output=True, text=True,
                       timeout=60)
    eq(r.returncode, 0, "apache2 -t: %s%s" % (r.stdout, r.stderr))
    # Shaped like Debian's lighttpd.conf, whose type list comes first: the
    # snippet adds to it (a second assignment would stop lighttpd).
    mime = "/usr/share/lighttpd/create-mime.conf.pl"
    lighttpd = os.path.join(folder, "lighttpd.conf")
    with open(lighttpd, "w") as f:
        f.write('server.document-root = "%s"\nserver.bind = "127.0.0.1"\n'
                'server.port = %d\n' % (folder, hftest.free_port()))
        if os.path.exists(mime):
            f.write('include_shell "%s"\n' % mime)
        else:
            # Without Debian's script, a type list of our own comes first,
            # so the check still sees the snippet add to an earlier list.
            f.write('mimetype.assign = ( ".html" => "text/html" )\n')
        f.write('include "%s"\n' % installed(SHARE + "/hookfan-lighttpd.conf"))
    r = subprocess.run(["lighttpd", "-tt", "-f", lighttpd], capture_output=True, text=True,
                       timeout=60)
    eq(r.returncode, 0, "lighttpd -tt: %s%s" % (r.stdout, r.stderr))


@hftest.test
def the_installed_programs_run_from_the_install():
    admin = installed(BIN + "/hookfan-admin")
    r = subprocess.run([admin, "--help"], capture_output=True, text=True, timeout=60)
    eq(r.returncode, 0, "hookfan-admin --help: %s" % r.stderr)
    assert "migrate" in r.stdout and "endpoint create" in r.stdout, r.stdout
    missing = os.path.join(DEST, "no-such.conf")
    r = subprocess.run([admin, "--config", missing, "migrate"], capture_output=True,
                       text=True, timeout=60)
    eq(r.returncode, 1, "a missing --config file")
    assert missing in r.stderr, r.stderr
    # The paths the programs were built with are the installed ones.
    with open(admin, "rb") as f:
        binary = f.read()
    for path in (CONFIG, SHARE + "/sql"):
        assert path.encode() + b"\0" in binary, "hookfan-admin does not name %s" % path

    # The installed migrations build a working schema for the installed programs.
    db = hftest.MariaDB.start(migrate=False)
    env = dict(os.environ, HOOKFAN_CONFIG=db.config_path,
               HOOKFAN_SQL_DIR=installed(SHARE + "/sql"))
    r = subprocess.run([admin, "--json", "migrate"], capture_output=True, text=True,
                       env=env, timeout=120)
    eq(r.returncode, 0, "installed migrate: %s" % r.stderr)
    db.grant_accounts()     # the sweep's and the ingest's, now that the tables exist
    numbered = [n for n in os.listdir(installed(SHARE + "/sql")) if n[:3].isdigit()]
    eq(json.loads(r.stdout), {"applied": len(numbered)}, "every installed migration applied")
    r = subprocess.run([installed(BIN + "/hookfan-sweep")], capture_output=True, text=True,
                       env=env, timeout=120)
    eq(r.returncode, 0, "installed hookfan-sweep with nothing due: %s" % r.stderr)
    r = hftest.run_cgi(binary=installed(LIBEXEC + "/hookfan.fcgi"), env=env)
    eq(r.returncode, 0, "installed hookfan.fcgi as a CGI: %r" % r.stderr)
    eq((r.status, r.json()), (200, {"status": "ok"}), "installed hookfan.fcgi /healthz")


def private_prefix_install():
    """`make install DESTDIR=...` of hftest.private_prefix_build(): staged
    with a DESTDIR, a program still looks for PREFIX/etc/hookfan.conf, and
    a private prefix's etc is ours to write (tests/admin.py checks
    hookfan-admin the same way, under the same lock, which the caller
    holds while it uses PREFIX/etc).  Returns (staging folder, prefix,
    lock)."""
    build, prefix, lock, make = hftest.private_prefix_build()
    staging = tempfile.mkdtemp(prefix="hf-install-private-")
    hftest.cleanup(lambda: shutil.rmtree(staging, ignore_errors=True))
    make("install", "DESTDIR=" + staging)
    return staging, prefix, lock


def unnamed_config_env(value):
    """The environment with HOOKFAN_CONFIG unset (value None) or set to
    value (an empty one names nothing either)."""
    env = {k: v for k, v in os.environ.items() if k != "HOOKFAN_CONFIG"}
    if value is not None:
        env["HOOKFAN_CONFIG"] = value
    return env


@hftest.test
def the_installed_sweep_and_fcgi_read_prefix_etc_hookfan_conf_when_no_config_is_named():
    """CONTRACT §2: no --config and no HOOKFAN_CONFIG means
    PREFIX/etc/hookfan.conf, for hookfan-sweep and for hookfan.fcgi run
    as a plain CGI (tests/admin.py checks hookfan-admin).  Each program
    is run without the file (the sweep takes the defaults, db_host
    localhost, where no server of ours listens; the API refuses to start
    and names the file), with it (our server: both work), and with a bad
    line appended (the error names the file and line)."""
    staging, prefix, lock = private_prefix_install()
    sweep = staging + prefix + "/bin/hookfan-sweep"
    fcgi = staging + prefix + "/libexec/hookfan/hookfan.fcgi"
    conf = os.path.join(prefix, "etc", "hookfan.conf")

    def run_sweep(value):
        return subprocess.run([sweep], capture_output=True, text=True, timeout=120,
                              env=unnamed_config_env(value))

    def run_cgi(value):
        return hftest.run_cgi(binary=fcgi, env=unnamed_config_env(value))

    try:
        if os.path.exists(conf):
            os.unlink(conf)     # left by an interrupted run
        for value in (None, ""):
            r = run_sweep(value)
            eq(r.returncode, 1, "sweep without %s, HOOKFAN_CONFIG=%r: %s"
               % (conf, value, r.stderr))
            eq(len(r.stderr.strip().splitlines()), 1, "one line: %r" % r.stderr)
            assert "cannot connect to localhost" in r.stderr, r.stderr
            # The API never runs on defaults (cgi/main.c): the file must exist.
            r = run_cgi(value)
            eq((r.returncode, r.status), (1, 500), "fcgi without %s: %r" % (conf, r.stderr))
            assert ("%s: No such file" % conf).encode() in r.stderr, r.stderr

        db = hftest.MariaDB.start()
        os.makedirs(os.path.dirname(conf), exist_ok=True)
        db.write_config(path=conf)
        for value in (None, ""):
            r = run_sweep(value)
            eq(r.returncode, 0, "sweep with %s, HOOKFAN_CONFIG=%r: %s" % (conf, value, r.stderr))
            r = run_cgi(value)
            eq(r.returncode, 0, "fcgi with %s, HOOKFAN_CONFIG=%r: %r" % (conf, value, r.stderr))
            eq((r.status, r.json()), (200, {"status": "ok"}), "fcgi /healthz")

        with open(conf) as f:
            bad_line = len(f.readlines()) + 1
        with open(conf, "a") as f:
            f.write("no_such_key = 1\n")
        where = '%s:%d: unknown key "no_such_key"' % (conf, bad_line)
        r = run_sweep(None)
        eq(r.returncode, 1, "sweep with a bad %s" % conf)
        assert where in r.stderr, r.stderr
        r = run_cgi(None)
        eq((r.returncode, r.status), (1, 500), "fcgi with a bad %s" % conf)
        assert where.encode() in r.stderr, r.stderr
    finally:
        if os.path.exists(conf):
            os.unlink(conf)
        lock.close()


def private_prefix_installed():
    """`make install` of hftest.private_prefix_build() with no DESTDIR:
    PREFIX is this suite's own, so the programs land where they were
    built to look (for P/share/hookfan/sql and the paths the ready
    configs name).  Returns (prefix, lock); the caller holds the lock
    while it uses PREFIX."""
    build, prefix, lock, make = hftest.private_prefix_build()
    try:
        make("install")
    except BaseException:
        lock.close()
        raise
    return prefix, lock


def installed_database(db, name):
    """A fresh database `name` on db's server that the hookfan account may
    use, and a config naming it; returns the config's path."""
    db.root_sql("CREATE DATABASE %s CHARACTER SET utf8mb4;"
                "GRANT ALL ON %s.* TO %s;" % (name, name, hftest.ALL_ACCOUNTS))
    return db.write_config(path=os.path.join(db.dir, name + ".conf"), db_name=name)


def schema(db, name):
    """The tables and routines of database name, sorted."""
    return db.root_sql(
        "SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES"
        " WHERE TABLE_SCHEMA = '%s' UNION ALL"
        " SELECT CONCAT(ROUTINE_TYPE, ' ', ROUTINE_NAME) FROM information_schema.ROUTINES"
        " WHERE ROUTINE_SCHEMA = '%s' ORDER BY 1" % (name, name)).split("\n")[:-1]


@hftest.test
def the_installed_admin_migrates_from_prefix_share_hookfan_sql_without_hookfan_sql_dir():
    """CONTRACT §1 P/share/hookfan/sql: every other test names the
    migrations with HOOKFAN_SQL_DIR; here hookfan-admin, installed with
    no DESTDIR, finds them at the path it was built with, and builds the
    schema the source migrations build."""
    prefix, lock = private_prefix_installed()
    try:
        admin = os.path.join(prefix, "bin", "hookfan-admin")
        db = hftest.MariaDB.start(migrate=False)
        conf = installed_database(db, "hookfan_installed")
        env = {k: v for k, v in os.environ.items()
               if k not in ("HOOKFAN_SQL_DIR", "HOOKFAN_CONFIG")}
        numbered = [n for n in os.listdir(hftest.SQL_DIR) if re.match(r"^\d{3}_.*\.sql$", n)]
        assert numbered, os.listdir(hftest.SQL_DIR)
        r = subprocess.run([admin, "--config", conf, "--json", "migrate"],
                           capture_output=True, text=True, env=env, timeout=120)
        eq(r.returncode, 0, "installed migrate without HOOKFAN_SQL_DIR: %s" % r.stderr)
        eq(json.loads(r.stdout), {"applied": len(numbered)}, "every shipped migration applied")
        installed_schema = schema(db, "hookfan_installed")
        for table in ("workspaces", "endpoints", "messages", "deliveries", "attempts"):
            assert "table " + table in installed_schema, \
                "no %s table: %r" % (table, installed_schema)
        eq(schema(db, "hookfan"), [], "the database the config does not name")
        # The schema the source migrations build, for comparison.
        db.admin("migrate")
        eq(installed_schema, schema(db, "hookfan"), "the installed migrations' schema")
        r = subprocess.run([admin, "--config", conf, "--json", "migrate"],
                           capture_output=True, text=True, env=env, timeout=120)
        eq(r.returncode, 0, "installed migrate again: %s" % r.stderr)
        eq(json.loads(r.stdout), {"applied": 0}, "installed migrate again")
    finally:
        lock.close()


def cron_job(text):
    """The environment assignments and the one job line of a crontab."""
    assignments, jobs = {}, []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if "=" in line.split()[0]:
            name, _, value = line.partition("=")
            assignments[name.strip()] = value.strip()
        else:
            jobs.append(line)
    eq(len(jobs), 1, "one crontab line: %r" % jobs)
    return assignments, jobs[0].split()


@hftest.test
def the_installed_crontab_line_and_systemd_units_run_as_written():
    """CONTRACT §1 ready configs, installed with no DESTDIR so the paths
    they name exist: the crontab line's command, run as cron runs it
    (sh -c, cron's small environment plus the file's assignments) with
    HOOKFAN_CONFIG moved to this test's config, exits 0 with nothing due;
    `systemd-analyze verify` (which needs no running systemd) accepts the
    units."""
    prefix, lock = private_prefix_installed()
    try:
        share = os.path.join(prefix, "share", "hookfan")
        with open(os.path.join(share, "hookfan-sweep.cron")) as f:
            assignments, fields = cron_job(f.read())
        eq(fields[5:7], ["hookfan", os.path.join(prefix, "bin", "hookfan-sweep")],
           "the crontab line's user and program")
        eq(assignments.get("HOOKFAN_CONFIG"), os.path.join(prefix, "etc", "hookfan.conf"),
           "the crontab's HOOKFAN_CONFIG")
        db = hftest.MariaDB.start()
        assignments["HOOKFAN_CONFIG"] = db.config_path
        env = {"SHELL": "/bin/sh", "PATH": "/usr/bin:/bin", "HOME": db.dir,
               "LOGNAME": pwd.getpwuid(os.getuid()).pw_name}
        env.update({k: v for k, v in os.environ.items() if k.endswith("SAN_OPTIONS")})
        env.update(assignments)
        command = " ".join(fields[6:])
        started = time.monotonic()
        r = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True,
                           env=env, cwd=db.dir, timeout=120)
        eq((r.returncode, r.stdout, r.stderr), (0, "", ""),
           "the crontab command %r with nothing due" % command)
        assert time.monotonic() - started < 10, "an empty sweep should be quick"
        # The control: the installed config path, where there is no file,
        # and so the defaults (db_host localhost) reach no database.
        env["HOOKFAN_CONFIG"] = os.path.join(prefix, "etc", "hookfan.conf")
        if not os.path.exists(env["HOOKFAN_CONFIG"]):
            r = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True,
                               env=env, cwd=db.dir, timeout=120)
            eq(r.returncode, 1, "the crontab command with its config missing: %s" % r.stderr)

        if shutil.which("systemd-analyze") is None:
            print("# systemd-analyze is not installed: the units are not verified")
            return
        units = [os.path.join(share, n) for n in
                 ("hookfan-sweep.service", "hookfan-sweep-once.service", "hookfan-sweep.timer")]
        r = subprocess.run(["systemd-analyze", "verify"] + units, capture_output=True,
                           text=True, timeout=60)
        eq(r.returncode, 0, "systemd-analyze verify: %s%s" % (r.stdout, r.stderr))
        complaints = [line for line in (r.stdout + r.stderr).splitlines() if "hookfan" in line]
        eq(complaints, [], "systemd-analyze verify about the units")
    finally:
        lock.close()


hftest.main()

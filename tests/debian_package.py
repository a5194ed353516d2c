"""The Debian package (debian/) and the manual pages (man/).

The pages lint clean and name every option, command and config key the
programs have.  The package is built with `dpkg-buildpackage -us -uc -b`
from a `make distdir` copy of these sources in a temp folder (what the
release tarball holds, with no git; never in the source tree), with
DEB_BUILD_OPTIONS=nocheck because the suite runs the unit tests itself.
Then: lintian reports no error and every warning is explained in
debian/README.source; the package holds what `make install` installs and
the copies Debian's tools look for; its conffiles are the files under
/etc; the timer is enabled and the cron line stands aside under systemd;
its configs, pages and programs name the package's paths.

Installing it and taking a trigger through Apache is checked by hand in a
fresh Debian root (debian/README.source), not here: that needs a whole
system."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import hftest  # noqa: E402
from hftest import eq  # noqa: E402

VERSION = hftest.build_variable("PACKAGE_VERSION")
MAN_PAGES = ("hookfan-admin.8", "hookfan-sweep.8", "hookfan.fcgi.8", "hookfan.conf.5")
CONFFILES = {"/etc/hookfan/hookfan.conf", "/etc/apache2/conf-available/hookfan.conf",
             "/etc/lighttpd/conf-available/20-hookfan.conf", "/etc/cron.d/hookfan"}
UNITS = ("hookfan-sweep.service", "hookfan-sweep-once.service", "hookfan-sweep.timer")

WORK = tempfile.mkdtemp(prefix="hf-deb-")
hftest.cleanup(lambda: shutil.rmtree(WORK, ignore_errors=True))


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, env=hftest.make_environment(),
                          timeout=900, **kwargs)


def read_page(name):
    with open(os.path.join(hftest.BUILDDIR, "man", name)) as f:
        return f.read()


def source(path):
    with open(os.path.join(hftest.SRCDIR, path)) as f:
        return f.read()


@hftest.test
def the_changelog_version_is_the_release_version():
    first = source("debian/changelog").splitlines()[0]
    m = re.match(r"^hookfan \(([^)]+)\) ", first)
    assert m, first
    eq(m.group(1), VERSION, "debian/changelog against AC_INIT")


# The paths the Debian package puts in the pages.  They are linted with
# these, not this build's: a long build prefix (a `make distcheck` tree)
# is one word groff cannot break, which says nothing of the pages.
PACKAGE_PATHS = {"@RELEASE@": VERSION, "@FCGI@": "/usr/libexec/hookfan/hookfan.fcgi",
                 "@CONFIG@": "/etc/hookfan/hookfan.conf", "@PKGDATADIR@": "/usr/share/hookfan"}


def page_as_packaged(name, folder):
    """man/NAME.in with the package's paths, written into folder."""
    text = source(os.path.join("man", name + ".in"))
    for placeholder, value in PACKAGE_PATHS.items():
        text = text.replace(placeholder, value)
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


@hftest.test
def the_man_pages_lint_clean():
    checked = []
    folder = tempfile.mkdtemp(prefix="hf-man-")
    hftest.cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    for name in MAN_PAGES:
        path = page_as_packaged(name, folder)
        if shutil.which("mandoc"):
            r = run(["mandoc", "-T", "lint", "-W", "warning", path])
            eq((r.returncode, r.stdout + r.stderr), (0, ""), "mandoc -T lint " + name)
            checked.append("mandoc")
        if shutil.which("groff"):
            # As man(1) renders it on a terminal.
            r = run(["groff", "-ww", "-z", "-mandoc", "-Tutf8", path])
            eq((r.returncode, r.stdout + r.stderr), (0, ""), "groff -ww -z " + name)
            checked.append("groff")
        if not checked:
            raise hftest.Skip("neither mandoc nor groff is installed")
    # No @PLACEHOLDER@ of man/*.in left unsubstituted.
    for name in MAN_PAGES:
        eq(re.findall(r"@[A-Z]+@", read_page(name)), [], name)


def help_text(program):
    r = run([os.path.join(hftest.BUILDDIR, program), "--help"])
    eq(r.returncode, 0, program + " --help: " + r.stderr)
    return r.stdout


@hftest.test
def the_man_pages_name_every_option_command_and_key():
    sweep = read_page("hookfan-sweep.8")
    for option in sorted(set(re.findall(r"--([a-z][a-z-]*)", help_text("hookfan-sweep")))):
        assert re.search(r"^\.It Fl -%s\b" % re.escape(option), sweep, re.M), \
            "hookfan-sweep(8) does not describe --%s" % option
    admin = read_page("hookfan-admin.8")
    commands = [line.strip() for line in help_text("hookfan-admin").splitlines()
                if line.startswith("  ")]
    assert len(commands) > 10, commands
    for line in commands:
        words = re.match(r"^([a-z-]+(?: [a-z-]+)?)(?: |$)", line).group(1)
        if words.split()[-1].startswith("--"):
            words = words.split()[0]
        entry = re.search(r"^\.It Ic %s( .*)?$" % re.escape(words), admin, re.M)
        assert entry, "hookfan-admin(8) has no entry for %r" % words
        for option in re.findall(r"--([a-z][a-z-]*)", line):
            assert re.search(r"Fl -%s\b" % re.escape(option), entry.group(0)), \
                "hookfan-admin(8): %r does not show --%s" % (words, option)
    table = re.search(r"config_keys\[\] = \{(.*?)\n\};", source("src/config.c"), re.S)
    keys = re.findall(r'(?:STRING_KEY|LONG_KEY)\((\w+)|\{ "(\w+)", KIND_', table.group(1))
    keys = sorted({a or b for a, b in keys})
    assert "db_host" in keys and "retry_schedule" in keys, keys
    conf = read_page("hookfan.conf.5")
    for key in keys:
        assert re.search(r"Cm %s\b" % key, conf), "hookfan.conf(5) does not describe " + key
    eq(sorted(set(re.findall(r"Fl -(\w[\w-]*)", read_page("hookfan.fcgi.8")))), ["config"],
       "hookfan.fcgi(8) options (cgi/main.c takes --config only)")


class Package:
    """The package, built once for the tests that need it."""
    deb = None
    tree = None          # the built source copy (its debian/tmp is `make install`)
    skip = None
    log = ""


def build_package():
    if Package.deb or Package.skip:
        return
    if not shutil.which("dpkg-buildpackage"):
        Package.skip = "dpkg-buildpackage is not installed (apt-get install dpkg-dev debhelper)"
        return
    tree = os.path.join(WORK, "hookfan-" + VERSION)
    r = run(["make", "distdir", "distdir=" + tree], cwd=hftest.BUILDDIR)
    eq(r.returncode, 0, "make distdir: " + r.stdout[-2000:] + r.stderr[-2000:])
    # Under make distcheck the sources, and so their copies, are read-only;
    # an unpacked tarball is not.
    for folder, _, names in os.walk(tree):
        for path in [folder] + [os.path.join(folder, n) for n in names]:
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode | 0o200)
    r = run(["dpkg-checkbuilddeps"], cwd=tree)
    if r.returncode != 0:
        Package.skip = "build dependencies missing: " + (r.stderr.strip().splitlines() or ["?"])[-1]
        return
    env = dict(hftest.make_environment(), DEB_BUILD_OPTIONS="nocheck parallel=2")
    r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=tree, env=env,
                       capture_output=True, text=True, timeout=900)
    Package.log = r.stdout + r.stderr
    eq(r.returncode, 0, "dpkg-buildpackage: " + Package.log[-4000:])
    arch = run(["dpkg", "--print-architecture"]).stdout.strip()
    Package.deb = os.path.join(WORK, "hookfan_%s_%s.deb" % (VERSION, arch))
    Package.tree = tree
    assert os.path.isfile(Package.deb), sorted(os.listdir(WORK))


def package():
    build_package()
    if Package.skip:
        raise hftest.Skip(Package.skip)
    return Package.deb


def listing():
    """The package's files and symlinks, as absolute paths."""
    r = run(["dpkg-deb", "--contents", package()])
    eq(r.returncode, 0, "dpkg-deb --contents: " + r.stderr)
    paths = set()
    for line in r.stdout.splitlines():
        path = line.split(None, 5)[5].split(" -> ")[0]
        if not line.startswith("d"):
            paths.add(path[1:])
    return paths


def control_file(name):
    folder = os.path.join(WORK, "control")
    if not os.path.isdir(folder):
        r = run(["dpkg-deb", "--control", package(), folder])
        eq(r.returncode, 0, "dpkg-deb --control: " + r.stderr)
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return f.read()


def extracted(path):
    folder = os.path.join(WORK, "root")
    if not os.path.isdir(folder):
        r = run(["dpkg-deb", "-x", package(), folder])
        eq(r.returncode, 0, "dpkg-deb -x: " + r.stderr)
    return folder + path


@hftest.test
def the_package_builds_from_the_release_files():
    deb = package()
    print("# built %s (%d bytes)" % (os.path.basename(deb), os.path.getsize(deb)))


@hftest.test
def lintian_finds_no_error_and_every_warning_is_explained():
    deb = package()
    if not shutil.which("lintian"):
        raise hftest.Skip("lintian is not installed")
    r = run(["lintian", "--no-tag-display-limit", deb])
    tags = re.findall(r"^([EW]): hookfan\S*: (\S+)(.*)$", r.stdout, re.M)
    eq([t for t in tags if t[0] == "E"], [], "lintian errors")
    explained = source("debian/README.source")
    unexplained = [t for t in tags if t[0] == "W" and t[1] not in explained]
    eq(unexplained, [], "lintian warnings not explained in debian/README.source")
    assert r.returncode in (0, 1, 2), r.stdout + r.stderr


@hftest.test
def the_package_holds_what_make_install_installs():
    files = listing()
    made = os.path.join(Package.tree, "debian", "tmp")
    installed = set()
    for folder, _, names in os.walk(made):
        for name in names:
            path = os.path.join(folder, name)[len(made):]
            # dh_installman compresses the pages.
            installed.add(path + ".gz" if path.startswith("/usr/share/man/") else path)
    assert "/usr/bin/hookfan-admin" in installed, sorted(installed)
    eq(sorted(installed - files), [], "installed by make install but not packaged")
    wanted = {"/usr/bin/hookfan-admin", "/usr/bin/hookfan-sweep",
              "/usr/libexec/hookfan/hookfan.fcgi", "/usr/share/hookfan/hookfan.conf.example"}
    wanted |= {"/usr/share/hookfan/sql/" + n for n in os.listdir(hftest.SQL_DIR)
               if n.endswith(".sql")}
    wanted |= {"/usr/share/man/man%s/%s.gz" % (n[-1], n) for n in MAN_PAGES}
    wanted |= {"/lib/systemd/system/" + u for u in UNITS} | CONFFILES
    eq(sorted(wanted - files), [], "missing from the package")
    for path in ("/usr/bin/hookfan-admin", "/usr/bin/hookfan-sweep",
                 "/usr/libexec/hookfan/hookfan.fcgi"):
        assert os.access(extracted(path), os.X_OK), path + " not executable"


@hftest.test
def the_conffiles_are_the_files_under_etc():
    under_etc = {p for p in listing() if p.startswith("/etc/")}
    eq(under_etc, CONFFILES, "files under /etc")
    eq(set(control_file("conffiles").split()), CONFFILES, "conffiles")


@hftest.test
def the_timer_is_enabled_and_cron_stands_aside_under_systemd():
    postinst = control_file("postinst")
    for name in ("postinst", "postrm", "prerm", "preinst"):
        text = control_file(name)
        if text:
            r = subprocess.run(["sh", "-n"], input=text, capture_output=True, text=True)
            eq(r.returncode, 0, "sh -n %s: %s" % (name, r.stderr))
    assert "deb-systemd-helper enable 'hookfan-sweep.timer'" in postinst, postinst
    assert "deb-systemd-invoke $_dh_action 'hookfan-sweep.timer'" in postinst, postinst
    assert "'hookfan-sweep.service'" in postinst, "the loop service is not registered"
    assert not re.search(r"deb-systemd-invoke .*'hookfan-sweep(-once)?\.service'", postinst), \
        "postinst starts a sweep service besides the timer"
    assert "adduser --system" in postinst and "chmod 0640" in postinst, postinst
    postrm = control_file("postrm")
    assert "deluser --system" in postrm, postrm
    # A snippet left enabled would name a hookfan.fcgi that is gone.
    assert "apache2_invoke disconf hookfan" in postrm, postrm
    assert "conf-enabled/20-hookfan.conf" in postrm, postrm
    with open(extracted("/etc/cron.d/hookfan")) as f:
        entries = [line for line in f if line.strip() and not line.startswith("#")]
    sweeps = [line for line in entries if "hookfan-sweep" in line]
    assert sweeps, entries
    for line in sweeps:
        fields = line.split(None, 6)
        eq(fields[5], "hookfan", "the cron line's user")
        command = fields[6].strip()
        assert command.startswith("[ -d /run/systemd/system ] || "), command
        # Run as written where systemd runs: it must do nothing.
        if os.path.isdir("/run/systemd/system"):
            probe = command.replace("/usr/bin/hookfan-sweep", "false")
            eq(subprocess.run(["sh", "-c", probe]).returncode, 0, probe)


@hftest.test
def the_packaged_files_name_the_packaged_paths():
    config = "/etc/hookfan/hookfan.conf"
    fcgi = "/usr/libexec/hookfan/hookfan.fcgi"
    with open(extracted("/etc/apache2/conf-available/hookfan.conf")) as f:
        apache = f.read()
    assert "FcgidInitialEnv HOOKFAN_CONFIG " + config in apache, apache
    assert "ScriptAlias / %s/" % fcgi in apache, apache
    with open(extracted("/etc/lighttpd/conf-available/20-hookfan.conf")) as f:
        lighttpd = f.read()
    assert '"bin-path" => "%s"' % fcgi in lighttpd, lighttpd
    assert '"HOOKFAN_CONFIG" => "%s"' % config in lighttpd, lighttpd
    for unit in UNITS[:2]:
        with open(extracted("/lib/systemd/system/" + unit)) as f:
            text = f.read()
        assert "ExecStart=/usr/bin/hookfan-sweep " in text, text
        assert "User=hookfan" in text, text
    r = run(["zcat", extracted("/usr/share/man/man8/hookfan-sweep.8.gz")])
    assert config in r.stdout and "@" not in r.stdout.replace("\\@", ""), r.stdout[:500]
    # The packaged programs look for /etc/hookfan/hookfan.conf themselves.
    r = run([extracted("/usr/bin/hookfan-sweep"), "--help"])
    eq(r.returncode, 0, r.stderr)
    assert config in r.stdout, r.stdout


hftest.main()

"""A 3-node MariaDB Galera cluster on this machine, for the Galera tests.

    import galera
    cluster = galera.Cluster.start()     # 3 nodes, Synced, migrated
    node = cluster.nodes[1]              # an hftest.MariaDB: rows(), admin()...
    node.kill(); node.rejoin()           # SIGKILL, then back (IST)

Each node is a mariadbd with its own data directory in one temp folder and
its own free ports on 127.0.0.1 (client, group communication, IST, SST).
The first is bootstrapped with --wsrep-new-cluster, the others join it and
take a state transfer by rsync.  Nodes run as the `mysql` user when the
tests run as root: the rsync daemon of a state transfer drops to `nobody`
when started by root and then cannot write the joiner's data directory.
Everything is torn down at exit through hftest.cleanup.  Standard library
only.
"""
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

import hftest

PROVIDER = "/usr/lib/galera/libgalera_smm.so"


def available():
    """None when a cluster can be started here, else why not (a SKIP)."""
    if not os.path.exists(PROVIDER):
        return "galera-4 is not installed (%s)" % PROVIDER
    if shutil.which("rsync") is None:
        return "rsync is not installed (state transfers use it)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("mysql")
        except KeyError:
            return "no mysql user to run the nodes as"
    return None


def _run_as():
    """(uid, gid) the nodes run as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam("mysql")
    return entry.pw_uid, entry.pw_gid


def _chown_tree(path, owner):
    if owner is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, *owner)
        for name in files:
            os.lchown(os.path.join(root, name), *owner)


class Node(hftest.MariaDB):
    """One Galera node: an hftest.MariaDB with wsrep on and TCP on a port."""

    def __init__(self, cluster, index):
        super().__init__(tcp_port=hftest.free_port())
        os.chmod(self.dir, 0o755)
        self.cluster = cluster
        self.index = index
        self.name = "node%d" % (index + 1)
        self.wsrep_port = hftest.free_port()
        self.ist_port = hftest.free_port()
        self.sst_port = hftest.free_port()
        self.config_path = os.path.join(self.dir, "hookfan.conf")

    def _command(self, bootstrap=False, extra=(), log="error.log"):
        """The mariadbd command line of this node, logging to log (in its
        folder)."""
        members = ",".join("127.0.0.1:%d" % n.wsrep_port for n in self.cluster.nodes)
        provider_options = ";".join([
            "gmcast.listen_addr=tcp://127.0.0.1:%d" % self.wsrep_port,
            "ist.recv_addr=127.0.0.1:%d" % self.ist_port,
            "gcache.size=128M",
            # A killed node is noticed within seconds, not the default 15 s.
            "evs.suspect_timeout=PT3S", "evs.inactive_timeout=PT5S",
            "evs.install_timeout=PT5S",
        ])
        cmd = [hftest._find("mariadbd", "mysqld"), "--no-defaults",
               "--datadir=" + self.datadir, "--socket=" + self.socket,
               "--pid-file=" + os.path.join(self.dir, "pid"),
               "--log-error=" + os.path.join(self.dir, log),
               "--tmpdir=" + self.dir,
               "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=48M",
               "--max-connections=500", "--skip-name-resolve",
               "--bind-address=127.0.0.1", "--port=%d" % self.tcp_port,
               "--wsrep-on=ON", "--wsrep-provider=" + PROVIDER,
               "--wsrep-cluster-name=hookfan-test",
               "--wsrep-cluster-address=gcomm://" + ("" if bootstrap else members),
               "--wsrep-node-name=" + self.name,
               "--wsrep-node-address=127.0.0.1:%d" % self.wsrep_port,
               "--wsrep-node-incoming-address=127.0.0.1:%d" % self.tcp_port,
               "--wsrep-sst-receive-address=127.0.0.1:%d" % self.sst_port,
               "--wsrep-sst-method=rsync",
               "--wsrep-provider-options=" + provider_options,
               "--binlog-format=ROW", "--innodb-autoinc-lock-mode=2",
               "--default-storage-engine=InnoDB"]
        cmd += list(extra)
        if bootstrap:
            cmd.append("--wsrep-new-cluster")
        if _run_as() is not None:
            cmd.append("--user=mysql")
        return cmd

    def boot(self, bootstrap=False, extra=()):
        """Start mariadbd and wait until it accepts clients and is Synced;
        extra: more server options."""
        _chown_tree(self.dir, _run_as())
        self.proc = subprocess.Popen(self._command(bootstrap, extra),
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        hftest.wait_for(self._answers, 240, self.name + " to accept connections")
        hftest.wait_for(self.synced, 240, self.name + " to be Synced")

    def recovered_position(self):
        """uuid:seqno of the last transaction this stopped node committed,
        read from InnoDB by `mariadbd --wsrep-recover`, as Debian's
        mariadb.service does (galera_recovery) before starting a node."""
        _chown_tree(self.dir, _run_as())
        subprocess.run(self._command(extra=["--wsrep-recover"], log="recover.log"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=120, check=True)
        log = os.path.join(self.dir, "recover.log")
        with open(log, errors="replace") as f:
            found = [line.split("Recovered position:", 1)[1].strip()
                     for line in f if "WSREP: Recovered position:" in line]
        if not found:
            raise RuntimeError("%s: no position recovered (see %s)" % (self.name, log))
        return found[-1]

    def status(self, name):
        """A global status variable (wsrep_local_state_comment...)."""
        out = self.root_sql("SHOW GLOBAL STATUS LIKE '%s'" % name)
        return out.split("\t", 1)[1].strip() if "\t" in out else None

    def synced(self):
        try:
            return self.status("wsrep_local_state_comment") == "Synced"
        except RuntimeError:
            return False

    def kill(self):
        """SIGKILL the node, as a crash or a power cut would stop it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def rejoin(self):
        """Start a stopped or killed node again from its recovered position,
        as a service manager would: it catches up by IST from the others
        (SST only if they no longer hold what it missed) and returns once
        Synced.  Started without that position, a killed node takes a full
        SST while the others keep writing, and Galera 26.4 was seen to
        leave it certifying unlike them (claims it reported committed that
        the others had not, stores it reported failed that they had)."""
        self.boot(extra=["--wsrep-start-position=" + self.recovered_position()])

    def last_state_transfer(self):
        """How this node last caught up: "IST" when it asked the others
        only for the write-sets it missed, "SST" when for a whole copy
        (its IST receiver then starts at seqno 0), None if it never did."""
        last = None
        with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
            for line in f:
                if "Prepared IST receiver for " in line:
                    first = line.split("Prepared IST receiver for ", 1)[1].split("-", 1)[0]
                    last = "SST" if first.strip() == "0" else "IST"
        return last

    def error_log(self):
        return self._error_log()

    def write_config(self, path=None, **overrides):
        """hookfan.conf reaching this node (its socket), keys as keywords."""
        return super().write_config(path, **overrides)


class Cluster:
    """Three nodes of one Galera cluster."""

    def __init__(self, size):
        self.nodes = []
        for i in range(size):
            self.nodes.append(Node(self, i))

    @classmethod
    def start(cls, size=3, migrate=True, **config):
        """Bootstrap node 1 from a fresh data directory, create hookfan's
        database and account there (they replicate), join the others,
        write each node's hookfan.conf and (unless migrate is False) run
        hookfan-admin migrate through node 1."""
        cluster = cls(size)
        first = cluster.nodes[0]
        shutil.copytree(hftest._template_datadir(), first.datadir, symlinks=True)
        first.boot(bootstrap=True)
        first.root_sql("CREATE DATABASE hookfan CHARACTER SET utf8mb4;"
                       "CREATE USER 'hookfan'@'localhost' IDENTIFIED BY '%s';"
                       "GRANT ALL ON hookfan.* TO 'hookfan'@'localhost';"
                       % hftest.DB_PASSWORD)
        for node in cluster.nodes[1:]:
            os.makedirs(node.datadir)
            node.boot()
        for node in cluster.nodes:
            node.write_config(**config)
        first.create_accounts()     # they replicate too
        if migrate:
            first.admin("migrate")
        cluster.wait_size(size)
        return cluster

    def wait_size(self, size, timeout=60):
        """Until every running node sees a primary component of size."""
        def ok():
            for node in self.nodes:
                if node.proc is None:
                    continue
                if node.status("wsrep_cluster_size") != str(size):
                    return False
            return True
        hftest.wait_for(ok, timeout, "cluster size %d" % size)

    def wait_consistent(self, query, timeout=60):
        """Until query answers the same on every running node; returns it."""
        last = {}

        def same():
            answers = [n.rows(query) for n in self.nodes if n.proc is not None]
            last["answers"] = answers
            return answers[0] if all(a == answers[0] for a in answers) else None
        try:
            return hftest.wait_for(same, timeout, "nodes to agree on " + query)
        except AssertionError:
            raise AssertionError("nodes disagree on %s: %r" % (query, last.get("answers")))

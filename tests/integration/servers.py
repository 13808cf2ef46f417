"""Throwaway MariaDB and PostgreSQL 15 servers on loopback for the live integration tests.

Each server lives in its own temporary directory, listens on 127.0.0.1 on a free port (plus a
unix socket inside the directory, used only for setup so that setup traffic never reaches the
sensor's TCP capture) and writes the logs the tests treat as ground truth:

  MariaDB     general log (every command of every connection) and the server_audit plugin's log
              (the return code of every query and failed connection).
  PostgreSQL  csvlog with log_statement=all, log_connections and log_disconnections.

Start and stop are bounded by timeouts; stop() is safe to call twice and after a failed start.
"""

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

MARIADB_BINARIES = ("mariadbd", "mariadb-install-db", "mariadb", "mariadb-admin")
PG_BIN_DIR = "/usr/lib/postgresql/15/bin"
PG_BINARIES = (PG_BIN_DIR + "/initdb", PG_BIN_DIR + "/postgres", PG_BIN_DIR + "/pg_isready",
               "psql", "pgbench")
PG_SYSTEM_USER = "postgres"

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30


_PR_SET_PDEATHSIG = 1


def die_with_parent(sig):
    """A preexec_fn: the child gets `sig` when this test process dies, even by SIGKILL (a ctest
    timeout), so no server outlives its test."""
    def preexec():
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    return preexec


class ServerError(Exception):
    """A server could not be set up, started or driven."""


def free_port():
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_binaries(names):
    """The names in `names` that are neither an executable path nor on PATH."""
    missing = []
    for name in names:
        if os.path.isabs(name):
            if not os.access(name, os.X_OK):
                missing.append(name)
        elif shutil.which(name) is None:
            missing.append(name)
    return missing


def run(args, timeout=60, check=True, **kwargs):
    """Runs a command to completion, capturing text output; ServerError on failure or timeout."""
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as e:
        raise ServerError(f"timed out after {timeout}s: {' '.join(args)}") from e
    if check and proc.returncode != 0:
        raise ServerError(f"exit {proc.returncode}: {' '.join(args)}\n{proc.stdout}{proc.stderr}")
    return proc


def _stop_process(proc, sig, timeout):
    """Sends `sig`, waits up to `timeout`, then SIGKILLs. Returns the exit code."""
    if proc is None or proc.poll() is not None:
        return None if proc is None else proc.returncode
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=timeout)


def _tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


class MariaDBServer:
    """mariadbd on 127.0.0.1:<free port>, root without a password, general + audit logs."""

    def __init__(self, keep=False):
        self.dir = tempfile.mkdtemp(prefix="dbaudit-mariadb-")
        self.keep = keep
        self.port = free_port()
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.datadir = os.path.join(self.dir, "data")
        self.general_log = os.path.join(self.dir, "general.log")
        self.audit_log = os.path.join(self.dir, "audit.log")
        self.error_log = os.path.join(self.dir, "error.log")
        self.proc = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        run(["mariadb-install-db", "--no-defaults", "--datadir=" + self.datadir, "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db"], timeout=120)
        args = [
            "mariadbd", "--no-defaults", "--datadir=" + self.datadir, "--user=root",
            "--bind-address=127.0.0.1", f"--port={self.port}", "--socket=" + self.socket,
            "--pid-file=" + os.path.join(self.dir, "mysqld.pid"), "--log-error=" + self.error_log,
            "--general-log", "--general-log-file=" + self.general_log, "--skip-name-resolve",
            "--innodb-buffer-pool-size=64M", "--skip-log-bin",
            "--plugin-load-add=server_audit.so", "--server-audit-logging=ON",
            "--server-audit-events=CONNECT,QUERY", "--server-audit-file-path=" + self.audit_log,
            "--server-audit-query-log-limit=1048576", "--server-audit-file-rotate-size=1G",
        ]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     cwd=self.dir, preexec_fn=die_with_parent(signal.SIGKILL))
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"mariadbd exited with {self.proc.returncode}:\n"
                                  + _tail(self.error_log))
            ping = run(["mariadb-admin", "--no-defaults", "--socket=" + self.socket, "-uroot",
                        "--connect-timeout=2", "ping"], timeout=10, check=False)
            if ping.returncode == 0:
                return
            time.sleep(0.2)
        raise ServerError(f"mariadbd not ready after {START_TIMEOUT_S}s:\n" + _tail(self.error_log))

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            run(["mariadb-admin", "--no-defaults", "--socket=" + self.socket, "-uroot",
                 "shutdown"], timeout=STOP_TIMEOUT_S, check=False)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _stop_process(self.proc, signal.SIGTERM, STOP_TIMEOUT_S)
        self.proc = None
        if not self.keep and self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def setup_sql(self, sql):
        """Runs SQL as root over the unix socket (never seen by a TCP capture)."""
        return run(["mariadb", "--no-defaults", "--socket=" + self.socket, "-uroot", "-e", sql])

    def client_args(self, user, password=None, database=None):
        """`mariadb` command line for a TCP connection to this server."""
        args = ["mariadb", "--no-defaults", "--protocol=TCP", "-h127.0.0.1", f"-P{self.port}",
                "-u" + user, "--batch"]
        if password is not None:
            args.append("-p" + password)
        if database is not None:
            args.append("--database=" + database)
        return args


class PostgresServer:
    """postgres 15 on 127.0.0.1:<free port> as the postgres system user, scram over TCP."""

    SUPERUSER = "postgres"

    def __init__(self, superuser_password, keep=False):
        self.dir = tempfile.mkdtemp(prefix="dbaudit-pg-")
        self.keep = keep
        self.port = free_port()
        self.datadir = os.path.join(self.dir, "data")
        self.log_dir = os.path.join(self.dir, "log")
        self.csv_log = os.path.join(self.log_dir, "postgresql.csv")
        self.superuser_password = superuser_password
        self.proc = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _as_postgres(self, args, **kwargs):
        return run(args, user=PG_SYSTEM_USER, group=PG_SYSTEM_USER, cwd=self.dir, **kwargs)

    def start(self):
        pwfile = os.path.join(self.dir, "pwfile")
        with open(pwfile, "w") as f:
            f.write(self.superuser_password + "\n")
        shutil.chown(self.dir, PG_SYSTEM_USER, PG_SYSTEM_USER)
        shutil.chown(pwfile, PG_SYSTEM_USER, PG_SYSTEM_USER)
        self._as_postgres([PG_BIN_DIR + "/initdb", "-D", self.datadir, "-U", self.SUPERUSER,
                           "--pwfile=" + pwfile, "--auth-local=trust",
                           "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                           "--no-sync"], timeout=120)
        os.unlink(pwfile)
        settings = {
            "port": str(self.port), "listen_addresses": "127.0.0.1",
            "unix_socket_directories": self.dir, "ssl": "off", "fsync": "off",
            "logging_collector": "on", "log_destination": "csvlog",
            "log_directory": self.log_dir, "log_filename": "postgresql",
            "log_rotation_size": "0", "log_statement": "all", "log_connections": "on",
            "log_disconnections": "on", "password_encryption": "scram-sha-256",
        }
        args = [PG_BIN_DIR + "/postgres", "-D", self.datadir]
        for key, value in settings.items():
            args += ["-c", f"{key}={value}"]
        with open(os.path.join(self.dir, "stderr.log"), "w") as stderr:
            # SIGQUIT: immediate shutdown; the postmaster takes its backends down with it.
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=stderr,
                                         user=PG_SYSTEM_USER, group=PG_SYSTEM_USER, cwd=self.dir,
                                         preexec_fn=die_with_parent(signal.SIGQUIT))
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"postgres exited with {self.proc.returncode}:\n"
                                  + _tail(os.path.join(self.dir, "stderr.log"))
                                  + _tail(self.csv_log))
            ready = run([PG_BIN_DIR + "/pg_isready", "-h", self.dir, "-p", str(self.port),
                         "-U", self.SUPERUSER, "-d", "postgres", "-t", "2"],
                        timeout=10, check=False)
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise ServerError(f"postgres not ready after {START_TIMEOUT_S}s:\n" + _tail(self.csv_log))

    def stop(self):
        # SIGINT = "fast" shutdown: roll back open transactions, disconnect clients, stop.
        _stop_process(self.proc, signal.SIGINT, STOP_TIMEOUT_S)
        self.proc = None
        if not self.keep and self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def setup_sql(self, sql, database="postgres"):
        """Runs SQL as the superuser over the unix socket (never seen by a TCP capture)."""
        return run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-p",
                    str(self.port), "-U", self.SUPERUSER, "-d", database, "-c", sql])

    def tcp_env(self, password):
        """Environment for libpq clients connecting over TCP with `password`."""
        env = dict(os.environ)
        for key in [k for k in env if k.startswith("PG")]:
            del env[key]
        env.update({"PGHOST": "127.0.0.1", "PGPORT": str(self.port), "PGPASSWORD": password,
                    "PGCONNECT_TIMEOUT": "10"})
        return env

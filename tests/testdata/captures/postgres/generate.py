#!/usr/bin/env python3
"""Regenerates dbaudit's PostgreSQL captures from a real, throwaway PostgreSQL 15 server.

Run as root (tcpdump on lo, and the server runs as the `postgres` system user because initdb
refuses root):  python3 tests/testdata/captures/postgres/generate.py

For each case it starts `tcpdump -i lo` on the server's port, drives real clients (psql,
pgbench, the libpq client in libpq_client.c compiled here), stops the capture and keeps the
slice of the server's own csvlog (log_statement=all, log_connections=on) that the case
produced. The server log is the ground truth the tests compare dbaudit with; nothing here runs
dbaudit. Output per case: <case>/input.pcap, <case>/server_log.csv, <case>/port.txt.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PG_BIN = "/usr/lib/postgresql/15/bin"
PASSWORD = "app-secret-1"
MD5_PASSWORD = "md5-secret-2"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, env=None, check=True, user=None, stdin=None):
    if user:
        args = ["runuser", "-u", user, "--"] + args
    p = subprocess.run(args, env=env, input=stdin, capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        sys.exit(f"{' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


class Server:
    def __init__(self, root):
        self.root = root
        self.data = os.path.join(root, "data")
        self.logs = os.path.join(root, "log")
        self.sock = os.path.join(root, "sock")
        self.port = free_port()
        self.csv = os.path.join(self.logs, "postgresql.csv")

    def start(self):
        os.makedirs(self.logs)
        os.makedirs(self.sock)
        pwfile = os.path.join(self.root, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        run(["openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=localhost",
             "-keyout", os.path.join(self.root, "server.key"),
             "-out", os.path.join(self.root, "server.crt")])
        os.chmod(os.path.join(self.root, "server.key"), 0o600)
        run(["chown", "-R", "postgres:postgres", self.root])
        run([PG_BIN + "/initdb", "-D", self.data, "-U", "postgres", "--pwfile", pwfile,
             "-A", "scram-sha-256", "--no-sync"], user="postgres")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(f"""
listen_addresses = '127.0.0.1'
port = {self.port}
unix_socket_directories = '{self.sock}'
logging_collector = on
log_destination = 'csvlog'
log_directory = '{self.logs}'
log_filename = 'postgresql'
log_statement = 'all'
log_connections = on
log_replication_commands = on
ssl = on
ssl_cert_file = '{self.root}/server.crt'
ssl_key_file = '{self.root}/server.key'
fsync = off
""")
        with open(os.path.join(self.data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\n"
                    "host all ghost 127.0.0.1/32 trust\n"
                    "host all trusted 127.0.0.1/32 trust\n"
                    "host all md5user 127.0.0.1/32 md5\n"
                    "host all all 127.0.0.1/32 scram-sha-256\n")
        run([PG_BIN + "/pg_ctl", "-D", self.data, "-w", "-l", os.path.join(self.root, "pg_ctl.log"),
             "start"], user="postgres")

    def stop(self):
        run([PG_BIN + "/pg_ctl", "-D", self.data, "-w", "-m", "fast", "stop"], user="postgres",
            check=False)

    def admin(self, sql, db="postgres"):
        # Over the unix socket: not on lo, so never in a capture.
        return run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", self.sock, "-p", str(self.port),
                    "-U", "postgres", "-d", db, "-c", sql], user="postgres")

    def log_size(self):
        time.sleep(1.0)  # let the logging collector write
        return os.path.getsize(self.csv) if os.path.exists(self.csv) else 0


def env(user="app", password=PASSWORD, **extra):
    e = dict(os.environ)
    e.update({"PGUSER": user, "PGPASSWORD": password, "PGHOST": "127.0.0.1",
              "PGDATABASE": "appdb", "PGSSLMODE": "disable", "PGAPPNAME": "dbaudit-capture"})
    e.update(extra)
    return e


def psql(server, sql, check=True, stdin=None, **env_extra):
    return run(["psql", "-X", "-p", str(server.port), "-c", sql], env=env(**env_extra),
               check=check, stdin=stdin)


def case_psql_queries(server):
    psql(server, "CREATE TABLE items (id int PRIMARY KEY, name text); "
                 "INSERT INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three'); "
                 "SELECT * FROM items ORDER BY id; UPDATE items SET name = 'z' WHERE id > 1; "
                 "DELETE FROM items WHERE id = 3")
    psql(server, "DROP TABLE IF EXISTS no_such_table")
    psql(server, "SELECT 1 / 0", check=False)
    psql(server, "SELECT 1; SELECT * FROM no_such_table; SELECT 2", check=False)
    psql(server, "\\copy items FROM stdin", stdin="7\tseven\n8\teight\n\\.\n")
    psql(server, "\\copy items TO stdout")
    psql(server, "")


def case_pgbench(mode):
    def run_case(server):
        run(["pgbench", "-n", "-p", str(server.port), "-M", mode, "-t", "3", "-c", "1", "appdb"],
            env=env())
    return run_case


def case_libpq_client(server):
    binary = os.path.join(server.root, "libpq_client")
    run(["gcc", "-O1", "-o", binary, os.path.join(HERE, "libpq_client.c"),
         "-I/usr/include/postgresql", "-lpq"])
    out = run([binary, f"host=127.0.0.1 port={server.port} dbname=appdb sslmode=disable"],
              env=env())
    print(out.stdout)


def case_failed_logins(server):
    psql(server, "SELECT 1", check=False, password="wrong-password")
    psql(server, "SELECT 1", check=False, user="ghost")
    psql(server, "SELECT 1", check=False, PGDATABASE="no_such_db")


def case_auth_methods(server):
    psql(server, "SELECT current_user", user="md5user", password=MD5_PASSWORD)
    psql(server, "SELECT current_user")
    psql(server, "SELECT current_user", user="trusted", password="")
    run(["psql", "-X", "-p", str(server.port), "-d", "dbname=appdb replication=database",
         "-c", "IDENTIFY_SYSTEM"], env=env())


def case_tls(server):
    psql(server, "SELECT 'over tls'", PGSSLMODE="require")
    psql(server, "SELECT 'in clear'")


CASES = {
    "psql_queries": case_psql_queries,
    "pgbench_simple": case_pgbench("simple"),
    "pgbench_extended": case_pgbench("extended"),
    "pgbench_prepared": case_pgbench("prepared"),
    "libpq_client": case_libpq_client,
    "failed_logins": case_failed_logins,
    "auth_methods": case_auth_methods,
    "tls": case_tls,
}


def capture(server, name, fn):
    out_dir = os.path.join(HERE, name)
    os.makedirs(out_dir, exist_ok=True)
    pcap = os.path.join(out_dir, "input.pcap")
    start = server.log_size()
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", pcap,
                             f"tcp port {server.port}"], stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        fn(server)
    finally:
        time.sleep(1.0)
        dump.send_signal(signal.SIGINT)
        dump.wait(timeout=10)
    end = server.log_size()
    with open(server.csv, "rb") as f:
        f.seek(start)
        log = f.read(end - start)
    with open(os.path.join(out_dir, "server_log.csv"), "wb") as f:
        f.write(log)
    with open(os.path.join(out_dir, "port.txt"), "w") as f:
        f.write(f"{server.port}\n")
    print(f"{name}: {os.path.getsize(pcap)} bytes of capture, {len(log)} bytes of log")


def main():
    if os.geteuid() != 0:
        sys.exit("run as root: tcpdump needs lo and initdb must run as the postgres user")
    only = sys.argv[1:] or list(CASES)
    root = tempfile.mkdtemp(prefix="dbaudit-pg-")
    os.chmod(root, 0o755)
    server = Server(root)
    try:
        server.start()
        server.admin(f"CREATE ROLE app LOGIN REPLICATION PASSWORD '{PASSWORD}'")
        server.admin("SET password_encryption = 'md5'; "
                     f"CREATE ROLE md5user LOGIN PASSWORD '{MD5_PASSWORD}'")
        server.admin("CREATE ROLE trusted LOGIN")
        server.admin("CREATE DATABASE appdb OWNER app")
        server.admin("GRANT ALL ON SCHEMA public TO app", db="appdb")
        run(["pgbench", "-i", "-q", "-h", server.sock, "-p", str(server.port), "-U", "app",
             "appdb"], user="postgres")
        server.admin("CREATE TABLE items (id int PRIMARY KEY, name text); "
                     "ALTER TABLE items OWNER TO app", db="appdb")
        for name in only:
            if name == "psql_queries":
                server.admin("DROP TABLE items", db="appdb")
            capture(server, name, CASES[name])
            if name == "psql_queries":
                server.admin("TRUNCATE items", db="appdb")
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Live PostgreSQL test: a real PostgreSQL 15 on 127.0.0.1 (scram-sha-256 over TCP), real psql and
pgbench clients, and dbaudit-sensor capturing on lo. Every record the sensor reports is compared
with the server's own csvlog (log_statement=all, log_connections, log_disconnections) and with
what psql printed (command tags, "(N rows)").

Sessions are paired exactly: csvlog's connection_from carries the client port of every backend.
Checked per TCP connection:
  - one connect, one login, one disconnect record
  - login: success with db_user / database / client_name = "connection authorized: user= database=
    application_name="; a FATAL at start-up = login success=false with error_code = its SQLSTATE
    (28P01 bad password, 3D000 unknown database)
  - statements: every "statement:" and "execute <name>:" line, in order, with the same text;
    extended-protocol statements with the bound parameters of the line's "parameters:" detail.
    A simple Query holding several statements may be reported as one record with the whole text
    or as one record per statement (the sensor splits multi-statement queries); both are
    accepted, the mode found is printed.
  - outcome: an ERROR line after a statement = sql_response FAILED with error_code = its SQLSTATE;
    otherwise SUCCESS; affected_rows / returned_rows = psql's command tag / row count
  - session fields: protocol postgresql, addresses/ports, db_user, database
"""

import datetime
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean when ctest runs this
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import serverlogs  # noqa: E402
import servers  # noqa: E402

SUPERUSER_PW = "postgres-Secret-0"
ALICE_PW = "alice-Secret-1"
BOB_PW = "bob-Secret-2"
PGBENCH_SECONDS = 2
PGBENCH_RATE = 200  # transactions per second (7 statements each), bounded like sysbench's

# Statements psql sends one by one (one simple Query each, text as written, ';' included).
ALICE_SCRIPT = [
    "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL);",
    "INSERT INTO accounts VALUES (1, 'ann', 100.00), (2, 'ben', 250.50), (3, 'cy', 0);",
    "INSERT INTO accounts VALUES (4, 'dee', 7);",
    "UPDATE accounts SET balance = balance + 10 WHERE balance < 200;",
    "DELETE FROM accounts WHERE id = 4;",
    "SELECT id, owner, balance FROM accounts ORDER BY id;",
    "SELECT owner FROM accounts WHERE balance > 1000;",
    "INSERT INTO accounts VALUES (1, 'dup', 1);",
    "SELECT * FROM no_such_table;",
    "SELECT 1/0;",
    "SELECT 'it''s' AS q, $$dollar;quoted$$ AS d, E'tab\\there' AS e;",
    "SELECT owner,\n       balance\n  FROM accounts\n WHERE id IN (1, 2)\n ORDER BY owner;",
    "WITH t AS (SELECT generate_series(1, 25) AS n) SELECT n FROM t WHERE n % 5 = 0;",
    "DO $$BEGIN RAISE NOTICE 'notice; from a DO block'; END$$;",
    "GRANT SELECT ON accounts TO bob;",
]
# One simple Query message with three statements (psql -c sends the string as is).
MULTI_STATEMENT_PARTS = ("INSERT INTO accounts VALUES (10, 'multi', 1)",
                         "UPDATE accounts SET balance = 2 WHERE id = 10",
                         "SELECT id, owner FROM accounts WHERE id >= 2 ORDER BY id")
MULTI_STATEMENT = "; ".join(MULTI_STATEMENT_PARTS)
BOB_SCRIPT = [
    "SELECT current_user, current_database();",
    "SELECT count(*) FROM accounts;",
    "DELETE FROM accounts;",
    "BEGIN;",
    "SELECT owner FROM accounts WHERE id = 1 FOR UPDATE;",
    "SELECT 1;",
    "ROLLBACK;",
]
# After pgbench -i: a result set of 20000 rows spread over many TCP segments.
AFTER_PGBENCH_INIT = [
    "SELECT aid, bid, abalance FROM pgbench_accounts WHERE aid <= 20000 ORDER BY aid;",
]

_TAG = re.compile(r"^(INSERT \d+|UPDATE|DELETE|COPY|MERGE) (\d+)$")
_ROWS = re.compile(r"^\((\d+) rows?\)$")


def psql_script(statements):
    """The statements separated by \\echo markers, so psql's output can be split per statement."""
    parts = []
    for i, stmt in enumerate(statements):
        parts.append(f"\\echo ==dbaudit-stmt {i}==\n{stmt}\n")
    parts.append("\\echo ==dbaudit-end==\n")
    return "".join(parts)


def parse_psql_output(text, n):
    """[{} | {"affected_rows": k} | {"returned_rows": k}] for statements 0..n-1."""
    counts = [{} for _ in range(n)]
    current = None
    for line in text.split("\n"):
        m = re.match(r"^==dbaudit-stmt (\d+)==$", line)
        if m:
            current = int(m.group(1))
            continue
        if line == "==dbaudit-end==":
            current = None
        if current is None:
            continue
        m = _TAG.match(line)
        if m:
            counts[current] = {"affected_rows": int(m.group(2))}
        m = _ROWS.match(line.strip())
        if m:
            counts[current] = {"returned_rows": int(m.group(1))}
    return counts


def psql(db, user, password, database, script=None, command=None):
    args = ["psql", "-X", "-v", "ON_ERROR_STOP=0", "-U", user, "-d", database]
    if command is not None:
        args += ["-c", command]
    else:
        args += ["-f", "-"]
    return subprocess.run(args, input=script, capture_output=True, text=True, timeout=60,
                          env=db.tcp_env(password))


def pgbench(db, extra):
    args = ["pgbench", "-U", "alice", *extra, "appdb"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120,
                          env=db.tcp_env(ALICE_PW))
    if proc.returncode != 0:
        raise harness.Mismatch(f"pgbench {' '.join(extra)} failed ({proc.returncode}):\n"
                               f"{proc.stdout}{proc.stderr}")
    return proc


def drive_traffic(db):
    """Runs every client; returns {statement text: psql-reported counts}."""
    client_counts = {}
    for user, pw, script in (("alice", ALICE_PW, ALICE_SCRIPT), ("bob", BOB_PW, BOB_SCRIPT)):
        proc = psql(db, user, pw, "appdb", script=psql_script(script))
        print(f"psql -U {user}: exit {proc.returncode}, stderr: {proc.stderr.strip()!r}")
        for stmt, counts in zip(script, parse_psql_output(proc.stdout, len(script))):
            client_counts.setdefault(stmt, counts)
            client_counts.setdefault(split_simple(stmt)[0], counts)
    proc = psql(db, "alice", ALICE_PW, "appdb", command=MULTI_STATEMENT)
    print(f"psql -c <multi-statement>: exit {proc.returncode}, stderr: {proc.stderr.strip()!r}")
    m = _ROWS.match(proc.stdout.strip().split("\n")[-1])
    if m:
        client_counts[MULTI_STATEMENT_PARTS[-1]] = {"returned_rows": int(m.group(1))}
    bad_pw = psql(db, "bob", "not-" + BOB_PW, "appdb", command="SELECT 1")
    no_db = psql(db, "alice", ALICE_PW, "no_such_db", command="SELECT 1")
    if "password authentication failed" not in bad_pw.stderr or "does not exist" not in no_db.stderr:
        raise harness.Mismatch(f"failed logins did not fail as planned: {bad_pw.stderr!r} "
                               f"{no_db.stderr!r}")
    pgbench(db, ["-i", "-s", "1", "-q"])
    proc = psql(db, "alice", ALICE_PW, "appdb", script=psql_script(AFTER_PGBENCH_INIT))
    for stmt, counts in zip(AFTER_PGBENCH_INIT,
                            parse_psql_output(proc.stdout, len(AFTER_PGBENCH_INIT))):
        client_counts.setdefault(stmt, counts)
        client_counts.setdefault(split_simple(stmt)[0], counts)
    for mode in ("simple", "extended", "prepared"):
        seconds = PGBENCH_SECONDS if mode != "prepared" else 1
        pgbench(db, ["-M", mode, "-c", "1", "-T", str(seconds), "-R", str(PGBENCH_RATE)])
    return client_counts


def split_simple(text):
    """The statements of a simple Query as a sensor that splits them reports them: each trimmed of
    surrounding white space and its ';' (sensor/sql/splitter.h). Every simple Query this test
    sends holds one statement, except MULTI_STATEMENT whose parts are known."""
    if text == MULTI_STATEMENT:
        return list(MULTI_STATEMENT_PARTS)
    return [text.strip().rstrip(";").rstrip()]


def pg_log_time(text):
    """csvlog log_time "2026-11-26 01:38:21.320 UTC" as seconds since the epoch."""
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f UTC").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except ValueError:
        return None


class LogSession:
    """What the csvlog says about one backend serving one TCP client."""

    def __init__(self, port, rows):
        self.port = port
        self.user = self.database = self.application_name = None
        self.login_error = None  # SQLSTATE of a FATAL during start-up (before any statement)
        self.statements = []  # dicts: text, params (None for simple), error (SQLSTATE or None)
        for row in rows:
            msg, sev = row["message"], row["error_severity"]
            if msg.startswith("connection authorized: "):
                fields = dict(re.findall(r"(\w+)=(\S*)", msg))
                self.user, self.database = fields.get("user"), fields.get("database")
                self.application_name = fields.get("application_name", "")
            elif sev == "FATAL" and not self.statements:
                # Bad password: no "connection authorized" line; unknown database: after it.
                self.login_error = row["sql_state_code"]
                self.user, self.database = row["user_name"], row["database_name"]
            elif sev == "LOG" and msg.startswith("statement: "):
                self.statements.append({"text": msg[len("statement: "):], "params": None,
                                        "error": None, "app": row["application_name"],
                                        "time": pg_log_time(row["log_time"])})
            elif sev == "LOG" and re.match(r"^execute [^:]+: ", msg):
                text = msg.split(": ", 1)[1]
                self.statements.append({"text": text,
                                        "params": serverlogs.parse_pg_parameters(row["detail"]),
                                        "error": None, "app": row["application_name"],
                                        "time": pg_log_time(row["log_time"])})
            elif sev == "ERROR" and self.statements:
                self.statements[-1]["error"] = row["sql_state_code"]


def expected_items(log_sess, split_multi):
    """The statements (LogSession.statements dicts) the sensor should report for one session."""
    items = []
    for s in log_sess.statements:
        if split_multi and s["params"] is None:
            items += [dict(s, text=p, params=None) for p in split_simple(s["text"])]
        else:
            items.append(s)
    return items


def check_session(chk, port, log_sess, sess, client_counts, split_multi):
    where = f"client port {log_sess.port} ({log_sess.user}@{log_sess.database})"
    kinds = [r.get("kind") for r in sess]
    chk.expect_eq(f"{where}: connect records", 1, kinds.count("connect"))
    chk.expect_eq(f"{where}: disconnect records", 1, kinds.count("disconnect"))
    logins = [r for r in sess if r.get("kind") == "login"]
    if chk.expect_eq(f"{where}: login records", 1, len(logins)):
        login = logins[0]
        chk.expect_eq(f"{where}: login.success", log_sess.login_error is None, login.get("success"))
        chk.expect_eq(f"{where}: login.db_user", log_sess.user, login.get("db_user"))
        chk.expect_eq(f"{where}: login.database", log_sess.database, login.get("database"))
        if log_sess.login_error:
            chk.expect_eq(f"{where}: login.error_code", log_sess.login_error,
                          login.get("error_code"))
        else:
            chk.expect_eq(f"{where}: login.client_name", log_sess.application_name,
                          login.get("client_name"))
    for r in sess:
        if r.get("kind") == "disconnect":
            chk.expect_eq(f"{where}: disconnect.end_reason", "fin", r.get("end_reason"))
        what = f"{where} {r.get('kind')} seq {r.get('seq')}"
        chk.expect_eq(f"{what}: protocol", "postgresql", r.get("protocol"))
        chk.expect_eq(f"{what}: server", ("127.0.0.1", port), (r.get("server_ip"), r.get("server_port")))
        chk.expect_eq(f"{what}: client", ("127.0.0.1", log_sess.port),
                      (r.get("client_ip"), r.get("client_port")))

    items = expected_items(log_sess, split_multi)
    stmts = [r for r in sess if r.get("kind") == "statement"]
    texts = [item["text"] for item in items]
    got = [r.get("sql_statement") for r in stmts]
    chk.expect_sequence(f"{where}: statements", texts, got)
    for i, j in harness.matched_pairs(texts, got):
        text, params, error, app = (items[i][k] for k in ("text", "params", "error", "app"))
        r = stmts[j]
        what = f"{where} {text[:60]!r}"
        # The server logs a statement when it starts it; the record is completed by the response.
        ts = harness.parse_record_time(r.get("timestamp"))
        logged = items[i]["time"]
        chk.expect(f"{what}: timestamp not before the server logged the statement",
                   ts is not None and logged is not None and logged - 0.002 <= ts <= logged + 10,
                   f"record {r.get('timestamp')}, csvlog {logged}")
        chk.expect_eq(f"{what}: db_user", log_sess.user, r.get("db_user"))
        chk.expect_eq(f"{what}: database", log_sess.database, r.get("database"))
        chk.expect_eq(f"{what}: client_name", app, r.get("client_name"))
        chk.expect_eq(f"{what}: sql_response", "FAILED" if error else "SUCCESS",
                      r.get("sql_response"))
        chk.expect_eq(f"{what}: error_code", error, r.get("error_code"))
        if params is not None:
            got = [p.get("value") for p in (r.get("params") or [])]
            chk.expect_eq(f"{what}: params", params, got)
        for key, value in (client_counts.get(text) or {}).items():
            chk.expect_eq(f"{what}: {key}", value, r.get(key))


def compare(db, records, client_counts, verbose, drops, window):
    chk = harness.Checker(verbose)
    harness.check_timestamps(chk, records, *window)
    chk.expect_eq("packets dropped by the kernel (sensor summary)", 0, drops)
    rows = serverlogs.parse_pg_csvlog(db.csv_log)
    log_sessions = [LogSession(port, rs) for port, rs in serverlogs.pg_tcp_sessions(rows).items()]
    sensor_sessions = harness.group_sessions(records)
    by_port = {}
    for sess in sensor_sessions.values():
        by_port.setdefault(sess[0].get("client_port"), []).append(sess)
    split_multi = not any(r.get("sql_statement") == MULTI_STATEMENT for r in records)
    n_log = sum(len(expected_items(s, split_multi)) for s in log_sessions)
    n_sensor = sum(1 for r in records if r.get("kind") == "statement")
    print(f"csvlog: {len(log_sessions)} TCP sessions, {n_log} statements; sensor: "
          f"{len(sensor_sessions)} sessions, {len(records)} records, {n_sensor} statements; "
          f"multi-statement query reported {'split' if split_multi else 'whole'}")
    chk.expect_eq("statement records (all sessions) vs statement/execute lines", n_log, n_sensor)
    for r in records:
        if r.get("kind") in ("gap", "encrypted"):
            chk.expect(f"no {r.get('kind')} records (loopback, server without TLS)", False,
                       harness.describe(r))
    chk.expect_eq("sessions", len(log_sessions), len(sensor_sessions))
    for log_sess in log_sessions:
        candidates = by_port.get(log_sess.port) or []
        if not chk.expect(f"a sensor session for client port {log_sess.port}", bool(candidates),
                          f"{log_sess.user}@{log_sess.database}, {len(log_sess.statements)} "
                          f"statements in the log"):
            continue
        check_session(chk, db.port, log_sess, candidates.pop(0), client_counts, split_multi)
    chk.finish("between the sensor and the PostgreSQL csvlog")


def body(args):
    harness.check_environment(args.sensor, servers.PG_BINARIES, servers.missing_binaries)
    with servers.PostgresServer(SUPERUSER_PW, keep=args.keep) as db:
        db.setup_sql(f"CREATE ROLE alice LOGIN PASSWORD '{ALICE_PW}';"
                     f"CREATE ROLE bob LOGIN PASSWORD '{BOB_PW}';")
        db.setup_sql("CREATE DATABASE appdb OWNER alice;")
        print(f"postgres on 127.0.0.1:{db.port}, logs in {db.dir}")
        sensor = harness.LiveSensor(args.sensor, ["--pg-ports", str(db.port)],
                                    f"tcp port {db.port}", keep=args.keep)
        try:
            with sensor:
                client_counts = drive_traffic(db)
            rc = sensor.stop()
            print(f"sensor output in {sensor.dir}: exit {rc}\n{sensor.stderr_text().strip()}")
            if rc != 0:
                raise harness.Mismatch(f"sensor did not exit 0 after SIGINT: {rc}")
            drops = sensor.kernel_drops()
            if drops != 0:
                # Lost packets make every later comparison meaningless: say so first.
                print(f"CAPTURE LOSS: the kernel dropped {drops} packets before the sensor read "
                      "them; the mismatches below follow from that loss")
            records = sensor.records()
            window = (sensor.started_at, sensor.stopped_at)
            compare(db, records, client_counts, args.verbose, drops, window)
        finally:
            sensor.stop()
            sensor.cleanup()


if __name__ == "__main__":
    harness.main(__doc__.splitlines()[0], body)

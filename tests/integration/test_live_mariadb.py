#!/usr/bin/env python3
"""Live MariaDB test: a real mariadbd on 127.0.0.1, real `mariadb` CLI and sysbench clients over
TCP, and dbaudit-sensor capturing on lo. Every record the sensor reports is compared with what the
server itself logged (general log: every command; server_audit log: every query's return code and
every failed connection) and with what the clients printed (rows in set, rows affected).

Checked per TCP connection, connections paired in accept order (thread ids ascending vs the
sensor's sessions in order of their first record):
  - one connect, one login, one disconnect record (end_reason fin)
  - login: success and db_user for a good login; success=false and error_code = the audit log's
    retcode (1045) for a bad password
  - statements: every Query / Init DB / Execute line, in order, with the same text (Execute: the
    server's expanded text, from the record's text with its params substituted when it carries
    them); prepare records, when emitted, match the Prepare lines
  - outcome: sql_response FAILED and error_code = the server's error number when the audit log's
    retcode is non-zero, SUCCESS otherwise; returned_rows / affected_rows = what the client printed
  - session fields: protocol mysql, addresses/ports, db_user, database (follows Init DB)
"""

import collections
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean when ctest runs this
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import serverlogs  # noqa: E402
import servers  # noqa: E402

ALICE_PW = "alice-Secret-1"
SYSBENCH_SECONDS = 2
# Transactions per second (18 statements each): enough to interleave many statements per TCP
# segment, bounded so that a loaded 2-core CI machine keeps up with capture.
SYSBENCH_RATE = 150

# Session scripts fed to `mariadb --force -vvv` on stdin, one TCP connection each.
SCRIPTS = [
    # (user, password, database in the handshake, compress, script)
    ("alice", ALICE_PW, None, False, """\
CREATE DATABASE shop;
USE shop;
CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NOT NULL);
INSERT INTO items VALUES (1, 'apple', 5), (2, 'pear', 7), (3, 'plum', 0), (4, 'fig', 2);
INSERT INTO items VALUES (5, 'kiwi', 1);
UPDATE items SET qty = qty + 1 WHERE qty < 6;
DELETE FROM items WHERE id = 5;
SELECT id, name, qty FROM items ORDER BY id;
SELECT name FROM items WHERE qty > 100;
INSERT INTO items VALUES (1, 'duplicate', 1);
SELECT * FROM no_such_table;
SELECT COUNT(*) FROM items;
DELIMITER //
SELECT COUNT(*) FROM items; SELECT MAX(id) FROM items//
CREATE PROCEDURE list_items() BEGIN SELECT id, name FROM items ORDER BY id; END//
DELIMITER ;
CALL list_items();
"""),
    ("bob", None, "shop", False, """\
SELECT name,
       qty
  FROM items
 WHERE qty > 1 ORDER BY name;
SELECT 'it''s', "double \\"quoted\\"", 'semi;colon' AS s;
CREATE DATABASE other;
USE other;
CREATE TABLE t (a INT);
INSERT INTO t VALUES (1), (2), (3);
SELECT a FROM t WHERE a >= 2;
DROP DATABASE other;
"""),
    ("alice", ALICE_PW, "shop", True, """\
SELECT id, name FROM items WHERE id IN (1, 2);
UPDATE items SET name = 'apricot' WHERE id = 1;
"""),
]
BAD_LOGIN = ("alice", "wrong-password", None, False, "SELECT 1;\n")
# After sysbench: a result set of several hundred rows spread over many TCP segments.
AFTER_SYSBENCH = ("alice", ALICE_PW, "shop", False, "SELECT id, k, c, pad FROM sbtest1 ORDER BY id;\n")
# The one COM_QUERY holding two statements (sent under DELIMITER //); the server_audit log
# reports its statements one by one, the general log as one Query line.
MULTI_PARTS = ("SELECT COUNT(*) FROM items", "SELECT MAX(id) FROM items")
MULTI_QUERY = "; ".join(MULTI_PARTS)

_RESULT = re.compile(r"^(?:(\d+) rows? in set|(Empty set)|Query OK, (\d+) rows? affected)")
_NUMERIC_TYPES = {"TINY", "SHORT", "LONG", "LONGLONG", "INT24", "FLOAT", "DOUBLE", "DECIMAL",
                  "NEWDECIMAL", "YEAR", "BIT", "NULL"}


def parse_client_output(text):
    """`mariadb -vvv` output -> [(statement, {"returned_rows": n} | {"affected_rows": n} | {})]."""
    results = []
    lines = text.split("\n")
    i = 0
    dashes = "-" * 14
    while i < len(lines):
        if lines[i] != dashes:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and lines[j] != dashes:
            j += 1
        stmt = "\n".join(lines[i + 1:j])
        k = j + 1
        infos = []
        while k < len(lines) and lines[k] != dashes:
            m = _RESULT.match(lines[k])
            if m and m.group(1):
                infos.append({"returned_rows": int(m.group(1))})
            elif m and m.group(2):
                infos.append({"returned_rows": 0})
            elif m and m.group(3):
                infos.append({"affected_rows": int(m.group(3))})
            k += 1
        # Several results (multi-statement, CALL): which one a record should carry is open.
        results.append((stmt, infos[0] if len(infos) == 1 else {}))
        i = k
    return results


def drive_cli(db, user, password, database, compress, script):
    args = db.client_args(user, password, database) + ["--force", "-vvv", "--table"]
    if compress:
        args.append("--compress")
    proc = subprocess.run(args, input=script, capture_output=True, text=True, timeout=60)
    return proc


def run_sysbench(db, command, extra):
    args = ["sysbench", "oltp_read_write", "--db-driver=mysql", "--mysql-host=127.0.0.1",
            f"--mysql-port={db.port}", "--mysql-user=alice", f"--mysql-password={ALICE_PW}",
            "--mysql-db=shop", "--tables=1", "--table-size=500", "--threads=1", *extra, command]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise harness.Mismatch(f"sysbench {command} failed ({proc.returncode}):\n"
                               f"{proc.stdout}{proc.stderr}")
    return proc.stdout


def drive_traffic(db):
    """Runs every client; returns {statement text: client-reported counts}."""
    client_counts = {}
    for user, password, database, compress, script in SCRIPTS:
        proc = drive_cli(db, user, password, database, compress, script)
        print(f"mariadb -u{user}{' --compress' if compress else ''}: exit {proc.returncode}, "
              f"stderr: {proc.stderr.strip()!r}")
        for stmt, info in parse_client_output(proc.stdout):
            client_counts.setdefault(stmt, info)
    proc = drive_cli(db, *BAD_LOGIN)
    if "1045" not in proc.stderr:
        raise harness.Mismatch(f"bad login did not fail with 1045: {proc.stderr!r}")
    run_sysbench(db, "prepare", [])
    out = run_sysbench(db, "run", [f"--time={SYSBENCH_SECONDS}", f"--rate={SYSBENCH_RATE}",
                                   "--db-ps-mode=auto"])
    m = re.search(r"ignored errors:\s+(\d+)", out)
    if not m or m.group(1) != "0":
        raise harness.Mismatch("sysbench run reported ignored errors:\n" + out)
    proc = drive_cli(db, *AFTER_SYSBENCH)
    for stmt, info in parse_client_output(proc.stdout):
        client_counts.setdefault(stmt, info)
    return client_counts


def expand_execute(rec):
    """The server's Execute text from a record: its text with ? replaced by the bound params."""
    params = rec.get("params") or []
    text = rec.get("sql_statement", "")
    if not params:
        return text
    pieces = text.split("?")
    if len(pieces) != len(params) + 1:
        return text
    out = [pieces[0]]
    for p, rest in zip(params, pieces[1:]):
        value = p.get("value")
        if value is None:
            out.append("NULL")
        elif p.get("type", "").upper() in _NUMERIC_TYPES:
            out.append(str(value))
        else:
            out.append("'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'")
        out.append(rest)
    return "".join(out)


# COM_QUIT and COM_STMT_CLOSE get no answer from the server: the sensor reports them as statement
# records with an UNKNOWN outcome, the general log as "Quit" / "Close stmt" lines.
NO_ANSWER_COMMANDS = {"quit": "Quit", "stmt_close": "Close stmt"}

COMMAND_OF = {"Query": "query", "Init DB": "init_db", "Execute": "execute", "Prepare": "prepare"}


_MY_SPACE = " \t\n\r\f\v"


def sensor_text(rec):
    """The text the general log shows for a record. For COM_QUERY the server logs the query as
    sql_parse.cc alloc_query() keeps it: leading white space and trailing white space and ';'
    removed; an Execute line is the statement with its parameters substituted."""
    if rec.get("command") == "execute":
        return expand_execute(rec)
    text = rec.get("sql_statement") or ""
    if rec.get("command") == "query":
        text = text.lstrip(_MY_SPACE).rstrip(_MY_SPACE + ";")
    return text


def init_db_matches(db_name, text):
    return text in (db_name, f"USE {db_name}", f"USE `{db_name}`", f"use {db_name}")


def audit_queries(audit, thread_id):
    """{query text: deque of (retcode, database)} of one connection's QUERY events, in order."""
    codes = collections.defaultdict(collections.deque)
    for a in audit:
        if a.connection_id == thread_id and a.operation == "QUERY":
            codes[a.query].append((a.retcode, a.database))
    return codes


def expected_entries(log_entries, split_multi):
    """The general log's Query / Init DB / Execute lines; MULTI_QUERY as its statements when the
    sensor reports multi-statement queries split."""
    out = []
    for e in log_entries:
        if e.command not in ("Query", "Init DB", "Execute"):
            continue
        if split_multi and e.command == "Query" and e.argument == MULTI_QUERY:
            out += [serverlogs.GeneralEntry(e.thread_id, "Query", p) for p in MULTI_PARTS]
        else:
            out.append(e)
    return out


def audit_outcome(queries, text):
    """(retcode, database) the audit log gives a query (of MULTI_QUERY: of its statements)."""
    parts = MULTI_PARTS if text == MULTI_QUERY else (text,)
    outcomes = []
    for part in parts:
        queue = queries.get(part)
        if not queue:
            return None, None
        outcomes.append(queue.popleft())
    return max(code for code, _ in outcomes), outcomes[0][1]


def check_session(chk, port, tid, log_entries, sess, audit, client_counts, split_multi):
    """Compares one general-log connection with one sensor session."""
    where = f"thread {tid}"
    user, database = serverlogs.parse_connect_argument(log_entries[0].argument)
    failed_login = any(e.command == "Connect" and e.argument.startswith("Access denied")
                       for e in log_entries[1:])
    kinds = [r.get("kind") for r in sess]
    chk.expect_eq(f"{where}: connect records", 1, kinds.count("connect"))
    chk.expect_eq(f"{where}: disconnect records", 1, kinds.count("disconnect"))
    logins = [r for r in sess if r.get("kind") == "login"]
    if chk.expect_eq(f"{where}: login records", 1, len(logins)):
        login = logins[0]
        chk.expect_eq(f"{where}: login.success", not failed_login, login.get("success"))
        chk.expect_eq(f"{where}: login.db_user", user, login.get("db_user"))
        if failed_login:
            codes = [a.retcode for a in audit
                     if a.connection_id == tid and a.operation == "FAILED_CONNECT"]
            chk.expect_eq(f"{where}: login.error_code", str(codes[0] if codes else 1045),
                          login.get("error_code"))
        else:
            chk.expect_eq(f"{where}: login.database", database, login.get("database"))
    for r in sess:
        if r.get("kind") == "disconnect":
            chk.expect_eq(f"{where}: disconnect.end_reason", "fin", r.get("end_reason"))
        chk.expect_eq(f"{where} {r.get('kind')} seq {r.get('seq')}: protocol", "mysql",
                      r.get("protocol"))
        chk.expect_eq(f"{where} {r.get('kind')}: server", ("127.0.0.1", port),
                      (r.get("server_ip"), r.get("server_port")))
        chk.expect_eq(f"{where} {r.get('kind')}: client_ip", "127.0.0.1", r.get("client_ip"))

    statements = [r for r in sess if r.get("kind") == "statement"]
    prepares = [r for r in statements if r.get("command") == "prepare"]
    others = [r for r in statements
              if r.get("command") != "prepare" and r.get("command") not in NO_ANSWER_COMMANDS]
    # Commands the server never answers: as many records as the server logged lines.
    for cmd, log_name in NO_ANSWER_COMMANDS.items():
        chk.expect_eq(f"{where}: {cmd} records vs general log {log_name!r} lines",
                      sum(1 for e in log_entries if e.command == log_name),
                      sum(1 for r in statements if r.get("command") == cmd))
    expected = expected_entries(log_entries, split_multi)
    exp_text = [f"{COMMAND_OF[e.command]}: {e.argument}" for e in expected]
    got_text = []
    init_dbs = {e.argument for e in expected if e.command == "Init DB"}
    for r in others:
        t = sensor_text(r) or ""
        if r.get("command") == "init_db":
            t = next((d for d in init_dbs if init_db_matches(d, t)), t)
        got_text.append(f"{r.get('command')}: {t}")
    chk.expect_sequence(f"{where} ({user}): statements", exp_text, got_text)
    if prepares:
        chk.expect_sequence(f"{where}: prepare records",
                            [e.argument for e in log_entries if e.command == "Prepare"],
                            [r.get("sql_statement") for r in prepares])
    # Field checks on the statements both sides agree on (the text diff above reports the rest).
    current_db = {}
    db_now = database
    for i, e in enumerate(expected):
        if e.command == "Init DB":
            db_now = e.argument
        current_db[i] = db_now
    queries = audit_queries(audit, tid)
    for i, j in harness.matched_pairs(exp_text, got_text):
        e, r = expected[i], others[j]
        what = f"{where} {e.command} {e.argument[:60]!r}"
        chk.expect_eq(f"{what}: db_user", user, r.get("db_user"))
        code, audit_db = audit_outcome(queries, e.argument)
        if e.command != "Init DB":
            chk.expect(f"{what}: in the audit log", code is not None)
        # The database the server ran the statement in (audit log), else the one we tracked.
        chk.expect_eq(f"{what}: database", audit_db if audit_db is not None else current_db[i],
                      r.get("database"))
        if code is not None:
            chk.expect_eq(f"{what}: sql_response", "FAILED" if code else "SUCCESS",
                          r.get("sql_response"))
            chk.expect_eq(f"{what}: error_code", str(code) if code else None, r.get("error_code"))
        counts = client_counts.get(e.argument) if e.command == "Query" else None
        for key, value in (counts or {}).items():
            chk.expect_eq(f"{what}: {key}", value, r.get(key))


def compare(db, sensor_records, client_counts, verbose, drops, window):
    chk = harness.Checker(verbose)
    harness.check_timestamps(chk, sensor_records, *window)
    chk.expect_eq("packets dropped by the kernel (sensor summary)", 0, drops)
    entries = serverlogs.parse_general_log(db.general_log)
    audit = serverlogs.parse_audit_log(db.audit_log)
    log_sessions = serverlogs.general_log_tcp_sessions(entries)
    sensor_sessions = harness.group_sessions(sensor_records)
    split_multi = not any(sensor_text(r) == MULTI_QUERY for r in sensor_records)
    n_log_stmts = sum(len(expected_entries(es, split_multi)) for es in log_sessions.values())
    n_sensor_stmts = sum(1 for r in sensor_records
                         if r.get("kind") == "statement" and r.get("command") != "prepare"
                         and r.get("command") not in NO_ANSWER_COMMANDS)
    print(f"general log: {len(log_sessions)} TCP connections, {n_log_stmts} Query/Init DB/Execute;"
          f" sensor: {len(sensor_sessions)} sessions, {len(sensor_records)} records, "
          f"{n_sensor_stmts} statements; multi-statement query reported "
          f"{'split' if split_multi else 'whole'}")
    chk.expect_eq("statement records (all sessions) vs Query+Init DB+Execute lines",
                  n_log_stmts, n_sensor_stmts)
    for r in sensor_records:
        if r.get("kind") in ("gap", "encrypted"):
            chk.expect(f"no {r.get('kind')} records (loopback, server without TLS)", False,
                       harness.describe(r))
    chk.expect_eq("sessions", len(log_sessions), len(sensor_sessions))
    for (tid, log_entries), sess in zip(log_sessions.items(), sensor_sessions.values()):
        check_session(chk, db.port, tid, log_entries, sess, audit, client_counts, split_multi)
    chk.finish("between the sensor and the MariaDB logs")


def body(args):
    harness.check_environment(args.sensor, servers.MARIADB_BINARIES + ("sysbench",),
                              servers.missing_binaries)
    with servers.MariaDBServer(keep=args.keep) as db:
        db.setup_sql(f"CREATE USER 'alice'@'%' IDENTIFIED BY '{ALICE_PW}';"
                     "CREATE USER 'bob'@'%';"
                     "GRANT ALL ON *.* TO 'alice'@'%'; GRANT ALL ON *.* TO 'bob'@'%';")
        print(f"mariadbd on 127.0.0.1:{db.port}, logs in {db.dir}")
        sensor = harness.LiveSensor(args.sensor, ["--mysql-ports", str(db.port)],
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
            db.setup_sql("FLUSH LOGS")
            records = sensor.records()
            window = (sensor.started_at, sensor.stopped_at)
            compare(db, records, client_counts, args.verbose, drops, window)
        finally:
            sensor.stop()
            sensor.cleanup()


if __name__ == "__main__":
    harness.main(__doc__.splitlines()[0], body)

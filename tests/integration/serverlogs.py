"""Parsers for the servers' own logs: the ground truth the live tests compare the sensor with.

MariaDB general log (sql/log.cc, one entry per command):
    <yymmdd h:mm:ss or empty>\\t<thread id right-aligned> <Command>\\t<argument>
  The argument runs to the next entry: a multi-line query continues on the following lines.
  A restart writes a three-line header ("mariadbd, Version: ...", "Tcp port: ...", "Time ...").

MariaDB server_audit log (one line per event; the query text escaped, never broken):
    <yyyymmdd hh:mm:ss>,<serverhost>,<user>,<host>,<connection id>,<query id>,<operation>,
    <database>,'<object>',<retcode>

PostgreSQL csvlog (PostgreSQL 15, 26 columns, RFC 4180 quoting, fields may span lines).
"""

import csv
import re
from dataclasses import dataclass

_GENERAL_ENTRY = re.compile(r"^(?:\d{6} [ \d]\d:\d\d:\d\d|)\t\s*(\d+) ([A-Za-z][A-Za-z_ ]*?)\t(.*)$")
_GENERAL_HEADER = re.compile(r"^(\S+, Version: |Tcp port: |Time\s+Id Command\s+Argument)")


@dataclass
class GeneralEntry:
    thread_id: int
    command: str  # "Connect", "Query", "Init DB", "Prepare", "Execute", "Close stmt", "Quit", ...
    argument: str


def parse_general_log(path):
    """All entries of a MariaDB general log, in file order."""
    entries = []
    with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as f:
        for raw in f:
            line = raw[:-1] if raw.endswith("\n") else raw
            m = _GENERAL_ENTRY.match(line)
            if m:
                entries.append(GeneralEntry(int(m.group(1)), m.group(2), m.group(3)))
            elif _GENERAL_HEADER.match(line):
                continue
            elif entries:
                entries[-1].argument += "\n" + line
    return entries


def general_log_tcp_sessions(entries):
    """{thread_id: [entries]} for the connections made over TCP/IP, in connection order.

    A connection is TCP when its first Connect line ends with "using TCP/IP"; its entries start
    there (a failed login adds a second Connect line with the server's error text).
    """
    sessions = {}
    seen = set()
    for e in entries:
        if e.thread_id not in seen:
            seen.add(e.thread_id)
            if e.command == "Connect" and e.argument.endswith(" using TCP/IP"):
                sessions[e.thread_id] = []
        if e.thread_id in sessions:
            sessions[e.thread_id].append(e)
    return sessions


def parse_connect_argument(argument):
    """'alice@127.0.0.1 on d1 using TCP/IP' -> ('alice', 'd1'); the database may be empty."""
    m = re.match(r"^(.*)@(\S*)(?: as \S+)? on (\S*) using ", argument)
    if not m:
        return None, None
    return m.group(1), m.group(3)


@dataclass
class AuditEntry:
    user: str
    host: str
    connection_id: int
    query_id: int
    operation: str  # CONNECT, FAILED_CONNECT, DISCONNECT, QUERY, ...
    database: str
    query: str
    retcode: int


def _unescape_audit(text):
    out = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(nxt, nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_audit_log(path):
    """All events of a MariaDB server_audit log, in file order."""
    entries = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.rstrip("\n")
            head = line.split(",", 7)
            if len(head) < 8:
                continue
            database, _, tail = head[7].partition(",")
            obj, _, retcode = tail.rpartition(",")
            if len(obj) >= 2 and obj.startswith("'") and obj.endswith("'"):
                obj = obj[1:-1]
            try:
                entries.append(AuditEntry(head[2], head[3], int(head[4]), int(head[5]), head[6],
                                          database, _unescape_audit(obj), int(retcode)))
            except ValueError:
                continue
    return entries


PG_CSV_COLUMNS = (
    "log_time", "user_name", "database_name", "process_id", "connection_from", "session_id",
    "session_line_num", "command_tag", "session_start_time", "virtual_transaction_id",
    "transaction_id", "error_severity", "sql_state_code", "message", "detail", "hint",
    "internal_query", "internal_query_pos", "context", "query", "query_pos", "location",
    "application_name", "backend_type", "leader_pid", "query_id",
)


def parse_pg_csvlog(path):
    """Rows of a PostgreSQL 15 csvlog as dicts keyed by PG_CSV_COLUMNS, in file order."""
    rows = []
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
        for fields in csv.reader(f):
            if len(fields) < len(PG_CSV_COLUMNS) - 2:
                continue
            rows.append(dict(zip(PG_CSV_COLUMNS, fields)))
    return rows


def pg_tcp_sessions(rows):
    """{client_port: [rows]} of the backends that served TCP clients, in connection order.

    PostgreSQL writes the peer as connection_from = "127.0.0.1:54321" on every row of a backend.
    """
    sessions = {}
    for row in rows:
        peer = row.get("connection_from", "")
        host, sep, port = peer.rpartition(":")
        if not sep or not port.isdigit() or host in ("", "[local]"):
            continue
        sessions.setdefault(int(port), []).append(row)
    return sessions


_PG_PARAM = re.compile(r"\$(\d+) = (NULL|'((?:[^']|'')*)')")


def parse_pg_parameters(detail):
    """"parameters: $1 = '5', $2 = NULL" -> ['5', None]; [] when the detail has none."""
    if not detail.startswith("parameters: "):
        return []
    values = {}
    for m in _PG_PARAM.finditer(detail):
        values[int(m.group(1))] = None if m.group(2) == "NULL" else m.group(3).replace("''", "'")
    return [values.get(i) for i in range(1, max(values, default=0) + 1)]

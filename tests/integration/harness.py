"""Shared plumbing of the live integration tests: skipping, the live sensor, reading its records,
and reporting mismatches.

Exit codes: 0 pass, 1 mismatch or error, 77 skipped (CMake SKIP_RETURN_CODE).
"""

import argparse
import datetime
import difflib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import servers

SKIP = 77

SENSOR_READY_TIMEOUT_S = 10
SENSOR_SETTLE_S = 1.0
SENSOR_STOP_TIMEOUT_S = 30


class Skip(Exception):
    """The environment cannot run this test (not root, no server, no capture permission)."""


class Mismatch(Exception):
    """The sensor's records disagree with the server's log."""


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--sensor", required=True, help="path of the dbaudit-sensor binary")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directories (server logs, sensor output)")
    p.add_argument("--verbose", action="store_true", help="print every comparison made")
    return p.parse_args()


def check_environment(sensor, binaries, missing_fn):
    """Raises Skip when this machine cannot run a live test."""
    if os.geteuid() != 0:
        raise Skip("needs root (servers run as root/postgres, live capture on lo)")
    missing = missing_fn(binaries)
    if missing:
        raise Skip("missing server or client binaries: " + ", ".join(missing))
    if not os.access(sensor, os.X_OK):
        raise Skip(f"sensor binary not built: {sensor}")
    try:
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)) as s:
            s.bind(("lo", 0))
    except PermissionError as e:
        raise Skip(f"live capture on lo not permitted: {e}") from e
    except OSError as e:
        raise Skip(f"no packet socket on lo: {e}") from e


def main(description, body):
    """Runs body(args) and maps its outcome to the exit code; prints one clear verdict line."""
    args = parse_args(description)
    name = os.path.basename(sys.argv[0])

    def on_sigterm(signum, frame):
        raise SystemExit(f"FAIL {name}: terminated by signal {signum}")
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        body(args)
    except Skip as e:
        print(f"SKIP {name}: {e}", flush=True)
        sys.exit(SKIP)
    except Mismatch as e:
        print(f"FAIL {name}: {e}", flush=True)
        sys.exit(1)
    except Exception:  # a server or client that would not run: a failure, with its traceback
        traceback.print_exc()
        print(f"FAIL {name}: error while running the scenario (traceback above)", flush=True)
        sys.exit(1)
    print(f"PASS {name}", flush=True)
    sys.exit(0)


class LiveSensor:
    """dbaudit-sensor capturing on lo for the duration of a `with` block.

    Entering waits until the sensor says it is listening (or a short settle time); leaving waits a
    moment for the last packets, sends SIGINT and requires a clean exit 0.
    """

    def __init__(self, binary, port_args, bpf_filter, keep=False):
        self.dir = tempfile.mkdtemp(prefix="dbaudit-sensor-")
        self.keep = keep
        self.output = os.path.join(self.dir, "out.jsonl")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.args = [binary, "--interface", "lo", "--filter", bpf_filter, *port_args,
                     "--workers", "1", "--emit", "jsonl", "--output", self.output]
        self.proc = None
        self.exit_code = None
        self.started_at = self.stopped_at = None

    def stderr_text(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        self.started_at = time.time()
        with open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=err,
                                         cwd=self.dir,
                                         preexec_fn=servers.die_with_parent(signal.SIGKILL))
        deadline = time.monotonic() + SENSOR_READY_TIMEOUT_S
        started = time.monotonic()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                text = self.stderr_text()
                if "no permission to capture" in text:
                    raise Skip("live capture on lo not permitted: " + text.strip())
                raise Mismatch(f"sensor exited early with {self.proc.returncode}: "
                               f"{' '.join(self.args)}\n{text}")
            if "listening" in self.stderr_text() or time.monotonic() - started >= SENSOR_SETTLE_S:
                # Even after "listening", give the kernel filter a moment to be in place.
                time.sleep(0.3)
                return self
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc is None:
            return self.exit_code
        if self.proc.poll() is None:
            time.sleep(SENSOR_SETTLE_S)
            self.stopped_at = time.time()
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=SENSOR_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=SENSOR_STOP_TIMEOUT_S)
                self.exit_code = "killed: no exit within %ds of SIGINT" % SENSOR_STOP_TIMEOUT_S
                self.proc = None
                return self.exit_code
        self.exit_code = self.proc.returncode
        self.proc = None
        return self.exit_code

    def __exit__(self, *exc):
        self.stop()

    def kernel_drops(self):
        """Packets the kernel dropped, from the sensor's exit summary; None when not printed."""
        m = re.search(r"kernel received \d+, dropped (\d+)", self.stderr_text())
        return int(m.group(1)) if m else None

    def records(self):
        """The sensor's JSON Lines, parsed; Mismatch on a line that is not one JSON object."""
        out = []
        with open(self.output, encoding="utf-8", errors="surrogateescape") as f:
            for n, line in enumerate(f, 1):
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    raise Mismatch(f"sensor output line {n} is not JSON ({e}): {line[:200]!r}")
                if not isinstance(rec, dict):
                    raise Mismatch(f"sensor output line {n} is not an object: {line[:200]!r}")
                out.append(rec)
        return out

    def cleanup(self):
        if not self.keep:
            import shutil
            shutil.rmtree(self.dir, ignore_errors=True)


def group_sessions(records):
    """{session_id: [records]} in order of each session's first record (by seq)."""
    sessions = {}
    for rec in sorted(records, key=lambda r: r.get("seq", 0)):
        sessions.setdefault(rec.get("session_id"), []).append(rec)
    return sessions


class Checker:
    """Collects mismatches so one run reports all of them (each with what was expected and got)."""

    def __init__(self, verbose=False):
        self.failures = []
        self.checks = 0
        self.verbose = verbose

    def expect_eq(self, what, expected, got):
        self.checks += 1
        if expected != got:
            self.failures.append(f"{what}: expected {expected!r}, got {got!r}")
            return False
        if self.verbose:
            print(f"  ok {what}: {got!r}")
        return True

    def expect(self, what, condition, detail=""):
        self.checks += 1
        if not condition:
            self.failures.append(f"{what}" + (f": {detail}" if detail else ""))
            return False
        if self.verbose:
            print(f"  ok {what}")
        return True

    def expect_sequence(self, what, expected, got):
        """Equal lists of strings; on a difference adds a unified diff of the two."""
        self.checks += 1
        if expected == got:
            if self.verbose:
                print(f"  ok {what}: {len(got)} items")
            return True
        diff = difflib.unified_diff([_one_line(x) for x in expected], [_one_line(x) for x in got],
                                    "server log", "sensor", lineterm="", n=2)
        lines = list(diff)
        if len(lines) > 60:
            lines = lines[:60] + [f"... ({len(lines) - 60} more diff lines)"]
        self.failures.append(f"{what}: {len(expected)} in the server log, {len(got)} from the "
                             f"sensor\n    " + "\n    ".join(lines))
        return False

    def finish(self, context=""):
        print(f"{self.checks} checks, {len(self.failures)} mismatches", flush=True)
        if self.failures:
            text = "\n".join(f"  - {f}" for f in self.failures)
            raise Mismatch(f"{len(self.failures)} mismatch(es) {context}\n{text}")


def _one_line(x):
    s = x if isinstance(x, str) else repr(x)
    s = s.replace("\n", "\\n")
    return s if len(s) <= 240 else s[:240] + "..."


def matched_pairs(expected, got):
    """(i, j) index pairs of the items equal in both lists, aligned like a diff would."""
    if expected == got:
        yield from ((i, i) for i in range(len(got)))
        return
    sm = difflib.SequenceMatcher(a=expected, b=got, autojunk=False)
    for block in sm.get_matching_blocks():
        for k in range(block.size):
            yield block.a + k, block.b + k


def describe(rec):
    """A short one-line identification of a record for mismatch messages."""
    keys = ("kind", "seq", "client_port", "command", "direction", "gap_bytes", "sql_statement")
    return ", ".join(f"{k}={rec[k]!r}" for k in keys if k in rec)


def parse_record_time(text):
    """A record's "2026-11-26T01:51:52.021000Z" as seconds since the epoch; None if malformed."""
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def check_timestamps(chk, records, started_at, stopped_at):
    """Every record's timestamp lies within the capture window (wall clock, 1 s slack)."""
    bad = [r for r in records
           if not (started_at - 1 <= (parse_record_time(r.get("timestamp")) or 0) <= stopped_at + 1)]
    chk.expect_eq("records with a timestamp outside the capture window "
                  f"[{started_at:.3f}, {stopped_at:.3f}]", [],
                  [describe(r) + f", timestamp={r.get('timestamp')!r}" for r in bad[:5]])

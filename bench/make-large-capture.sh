#!/bin/bash
# Generates a large capture of real database traffic for the capture benchmark: a MariaDB
# server driven by sysbench oltp_read_write and a PostgreSQL 15 server driven by pgbench (TPC-B),
# both on loopback, recorded together with tcpdump on lo.
#
#   sudo bench/make-large-capture.sh OUT.pcap [SIZE_MB]      (default 1024)
#
# Both servers run from a fresh temporary directory on non-default ports (MY_PORT, default
# 23306; PG_PORT, default 25432) and are stopped and removed at the end; nothing else on the
# host is touched. Needs root (tcpdump on lo, and the servers run as the mysql and postgres
# users), sysbench, pgbench, mariadbd and PostgreSQL 15.
#
# Run time on a 2-core VM: about 25 s of setup, then roughly 10-20 MB of capture per second of
# load, so 1 GB takes about 1-2 minutes of load (the servers, the load generators and tcpdump
# share the cores). SIZE_MB=50 makes a quick smoke capture in well under a minute.
set -euo pipefail

out=$(realpath -m "${1:?usage: $0 OUT.pcap [SIZE_MB]}")
size_mb=${2:-1024}
my_port=${MY_PORT:-23306}
pg_port=${PG_PORT:-25432}
pg_bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
tmp=$(mktemp -d /tmp/dbaudit-bench.XXXXXX)
chmod 755 "$tmp"
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -S "$tmp/my/mysqld.sock" ]; then
    mariadb-admin -S "$tmp/my/mysqld.sock" -uroot shutdown 2>/dev/null || true
  fi
  if [ -f "$tmp/pg/data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$tmp/pg/data" -m immediate stop >/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
start=$(date +%s)

log "MariaDB on 127.0.0.1:$my_port"
mkdir -p "$tmp/my"
chown mysql:mysql "$tmp/my"
mariadb-install-db --user=mysql --datadir="$tmp/my/data" --auth-root-authentication-method=normal \
  >"$tmp/my-install.log" 2>&1
mariadbd --user=mysql --datadir="$tmp/my/data" --port="$my_port" --bind-address=127.0.0.1 \
  --socket="$tmp/my/mysqld.sock" --pid-file="$tmp/my/mysqld.pid" --log-error="$tmp/my/error.log" \
  --skip-log-bin --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=0 \
  --max-connections=64 &
pids+=($!)
for _ in $(seq 60); do
  mariadb-admin -S "$tmp/my/mysqld.sock" -uroot ping >/dev/null 2>&1 && break
  sleep 0.5
done
mariadb -S "$tmp/my/mysqld.sock" -uroot -e "CREATE DATABASE sbtest;
  CREATE USER 'bench'@'127.0.0.1' IDENTIFIED BY 'bench';
  GRANT ALL ON *.* TO 'bench'@'127.0.0.1';"

log "PostgreSQL on 127.0.0.1:$pg_port"
mkdir -p "$tmp/pg"
chown postgres:postgres "$tmp/pg"
runuser -u postgres -- "$pg_bin/initdb" -D "$tmp/pg/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w \
  -o "-p $pg_port -k $tmp/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" \
  start >/dev/null
export PGSSLMODE=disable
createdb -h 127.0.0.1 -p "$pg_port" -U postgres bench

sysbench_args=(--db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$my_port" --mysql-user=bench
  --mysql-password=bench --mysql-db=sbtest --mysql-ssl=off --tables=4 --table-size=20000)
log "preparing sysbench and pgbench data"
sysbench oltp_read_write "${sysbench_args[@]}" prepare >/dev/null
pgbench -i -q -s 5 -h 127.0.0.1 -p "$pg_port" -U postgres bench >/dev/null 2>&1

log "capturing to $out until it reaches $size_mb MB"
rm -f "$out"
tcpdump -i lo -s 0 -B 65536 -U -w "$out" "tcp port $my_port or tcp port $pg_port" 2>"$tmp/tcpdump.log" &
tcpdump_pid=$!
pids+=($tcpdump_pid)
sleep 2
load_start=$(date +%s)
sysbench oltp_read_write "${sysbench_args[@]}" --threads=4 --time=0 --events=0 run >/dev/null 2>&1 &
pids+=($!)
# -C: a new connection per transaction for part of the load, so the capture also holds many
# short sessions (handshakes, logins, FIN/RST) and not only four long ones.
pgbench -c 3 -j 1 -T 100000 -h 127.0.0.1 -p "$pg_port" -U postgres bench >/dev/null 2>&1 &
pids+=($!)
pgbench -C -c 1 -j 1 -T 100000 -h 127.0.0.1 -p "$pg_port" -U postgres bench >/dev/null 2>&1 &
pids+=($!)

target=$((size_mb * 1024 * 1024))
while :; do
  size=$(stat -c %s "$out" 2>/dev/null || echo 0)
  [ "$size" -ge "$target" ] && break
  sleep 1
done
load_end=$(date +%s)
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
packets=$(tcpdump -nr "$out" 2>/dev/null | wc -l)
log "done: $(du -h "$out" | cut -f1), $packets packets; load $((load_end - load_start)) s, total $(( $(date +%s) - start )) s"

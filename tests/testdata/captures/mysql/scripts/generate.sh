#!/bin/bash
# Regenerates the MySQL golden captures: starts a throwaway MariaDB on 127.0.0.1 (temp datadir,
# free port, general log and server_audit plugin on), captures each case with tcpdump on lo, and
# stores next to each input.pcap the server's own logs for that case (general.log,
# server_audit.log) as ground truth. Needs root (tcpdump) and the Debian packages mariadb-server,
# mariadb-client, libmariadb-dev, tcpdump, openssl, gcc.
#
# usage: tests/testdata/captures/mysql/scripts/generate.sh [case ...]   (default: every case)
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$(dirname "$HERE")"
TMP="$(mktemp -d /tmp/dbaudit-mysql-gen.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
SERVER_PID=""
TCPDUMP_PID=""

cleanup() {
  [ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null || true
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT

admin() { mariadb --no-defaults -uroot --socket="$TMP/sock" -N -e "$1"; }
cli() { mariadb --no-defaults --skip-ssl -h127.0.0.1 -P"$PORT" "$@"; }

start_server() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dbaudit-test" \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" >/dev/null 2>&1
  mariadb-install-db --no-defaults --user=root --datadir="$TMP/data" \
    --auth-root-authentication-method=socket --skip-test-db >"$TMP/install.log" 2>&1
  mariadbd --no-defaults --user=root --datadir="$TMP/data" --socket="$TMP/sock" \
    --port="$PORT" --bind-address=127.0.0.1 --pid-file="$TMP/pid" --skip-name-resolve \
    --skip-log-bin --innodb-buffer-pool-size=16M \
    --log-output=FILE --general-log=1 --general-log-file="$TMP/setup.general.log" \
    --plugin-load-add=server_audit --plugin-load-add=auth_ed25519 \
    --server-audit-logging=ON --server-audit-events=CONNECT,QUERY \
    --server-audit-file-path="$TMP/setup.audit.log" \
    --ssl-cert="$TMP/cert.pem" --ssl-key="$TMP/key.pem" >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 60); do
    [ -S "$TMP/sock" ] && admin "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.5
  done
  admin "CREATE DATABASE shop;
    CREATE USER 'audit'@'%' IDENTIFIED BY 'audit-pw';
    GRANT ALL ON shop.* TO 'audit'@'%';
    GRANT FILE ON *.* TO 'audit'@'%';
    CREATE USER 'reader'@'%' IDENTIFIED BY 'reader-pw';
    GRANT SELECT ON shop.* TO 'reader'@'%';
    CREATE USER 'edwin'@'%' IDENTIFIED VIA ed25519 USING PASSWORD('edwin-pw');
    GRANT SELECT ON shop.* TO 'edwin'@'%';"
}

# Switches the server's logs to files of their own and starts capturing.
begin_case() {
  CASE="$1"
  mkdir -p "$OUT/$CASE"
  admin "SET GLOBAL general_log_file='$TMP/$CASE.general.log';
         SET GLOBAL server_audit_file_path='$TMP/$CASE.audit.log';"
  tcpdump -i lo -U -s 0 -w "$OUT/$CASE/input.pcap" "tcp port $PORT" >/dev/null 2>&1 &
  TCPDUMP_PID=$!
  sleep 1
}

end_case() {
  sleep 1
  kill "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" 2>/dev/null || true
  TCPDUMP_PID=""
  admin "SET GLOBAL general_log_file='$TMP/between.general.log';
         SET GLOBAL server_audit_file_path='$TMP/between.audit.log';"
  # Keep the lines of the captured TCP connections; the admin socket session is not on the wire.
  cp "$TMP/$CASE.general.log" "$OUT/$CASE/general.log"
  cp "$TMP/$CASE.audit.log" "$OUT/$CASE/server_audit.log" 2>/dev/null || : >"$OUT/$CASE/server_audit.log"
  echo "$PORT" >"$OUT/$CASE/server_port"
  echo "captured $CASE: $(stat -c %s "$OUT/$CASE/input.pcap") bytes"
}

case_text_queries() {
  begin_case text_queries
  cli -uaudit -paudit-pw --force shop <<'SQL' >/dev/null 2>&1 || true
CREATE TABLE items (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(40), price DECIMAL(8,2));
INSERT INTO items (name, price) VALUES ('apple', 1.20), ('pear', 0.80), ('plum', 2.50);
SELECT * FROM items WHERE price > 1;
UPDATE items SET price = price * 2 WHERE name = 'pear';
DELETE FROM items WHERE name = 'plum';
SELECT COUNT(*) FROM items;
SELECT 1 FROM nonexistent_table;
SELEC broken syntax;
USE mysql
SELECT DATABASE();
SQL
  end_case
}

case_prepared_statements() {
  begin_case prepared_statements
  "$TMP/client" "$PORT" prepared
  end_case
}

case_multi_statements() {
  begin_case multi_statements
  "$TMP/client" "$PORT" multi
  end_case
}

case_change_user() {
  begin_case change_user
  "$TMP/client" "$PORT" change_user
  end_case
}

case_compressed() {
  begin_case compressed
  "$TMP/client" "$PORT" compressed
  cli --compress -uaudit -paudit-pw shop -e "SELECT REPEAT('abc', 100); SELECT 2" >/dev/null
  end_case
}

case_failed_logins() {
  begin_case failed_logins
  cli -uaudit -pwrong-password shop -e "SELECT 1" >/dev/null 2>&1 || true
  cli -unobody -pnothing -e "SELECT 1" >/dev/null 2>&1 || true
  cli -uaudit -paudit-pw no_such_db -e "SELECT 1" >/dev/null 2>&1 || true
  cli -uedwin -pwrong-password shop -e "SELECT 1" >/dev/null 2>&1 || true
  cli -uedwin -pedwin-pw shop -e "SELECT CURRENT_USER()" >/dev/null
  end_case
}

case_load_data_local() {
  begin_case load_data_local
  printf '1,alpha\n2,beta\n3,gamma\n' >"$TMP/data.csv"
  cli --local-infile=1 -uaudit -paudit-pw shop -e "
    CREATE TABLE loaded (id INT, name VARCHAR(20));
    LOAD DATA LOCAL INFILE '$TMP/data.csv' INTO TABLE loaded FIELDS TERMINATED BY ',';
    SELECT * FROM loaded;" >/dev/null
  end_case
}

case_tls_and_plain() {
  begin_case tls_and_plain
  mariadb --no-defaults --ssl -h127.0.0.1 -P"$PORT" -uaudit -paudit-pw shop \
    -e "SELECT 'secret over tls'" >/dev/null
  cli -uaudit -paudit-pw shop -e "SELECT 'plain text'" >/dev/null
  end_case
}

main() {
  gcc -O1 -o "$TMP/client" "$HERE/client.c" $(mariadb_config --cflags --libs)
  start_server
  local cases=("$@")
  if [ ${#cases[@]} -eq 0 ]; then
    cases=(text_queries prepared_statements multi_statements change_user compressed
           failed_logins load_data_local tls_and_plain)
  fi
  for c in "${cases[@]}"; do "case_$c"; done
}

main "$@"

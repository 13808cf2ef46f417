#!/usr/bin/env bash
# dbaudit end to end on bundled captures, with nothing else to install or start:
# dbaudit-collector on a temporary embedded RocksDB, dbaudit-sensor reading MariaDB and
# PostgreSQL captures made by this project's own generators (tests/testdata/captures), and the
# resulting audit events read back with curl through the HTTP API.
#
#   bash packaging/demo.sh [CAPTURE ...]     (default: the bundled text-query captures)
#   BIN=build/default/bin bash packaging/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/ci/bin}
for b in dbaudit-collector dbaudit-sensor; do
  [ -x "$BIN/$b" ] || { echo "demo: $BIN/$b not built (cmake --preset ci && cmake --build --preset ci)" >&2; exit 1; }
done
captures=("$@")
if [ ${#captures[@]} -eq 0 ]; then
  captures=(tests/testdata/captures/mysql/text_queries/input.pcap
            tests/testdata/captures/postgres/psql_queries/input.pcap)
fi

work=$(mktemp -d /tmp/dbaudit-demo.XXXXXX)
collector_pid=""
cleanup() {
  [ -n "$collector_pid" ] && kill "$collector_pid" 2>/dev/null && wait "$collector_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$BIN/dbaudit-collector" --data-dir "$work/data" --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 \
  2>"$work/collector.log" &
collector_pid=$!
for _ in $(seq 100); do
  grep -q '^http listening on' "$work/collector.log" 2>/dev/null && break
  kill -0 "$collector_pid" 2>/dev/null || { cat "$work/collector.log" >&2; exit 1; }
  sleep 0.1
done
grpc=$(sed -n 's/^grpc listening on //p' "$work/collector.log")
http=$(sed -n 's/^http listening on //p' "$work/collector.log")
key=$(sed -n 's/^API key: //p' "$work/collector.log")
[ -n "$grpc" ] && [ -n "$http" ] && [ -n "$key" ] || { cat "$work/collector.log" >&2; exit 1; }
echo "demo: collector on grpc $grpc, http $http (data in $work/data)"

for c in "${captures[@]}"; do
  echo "demo: dbaudit-sensor --read $c --collector $grpc"
  "$BIN/dbaudit-sensor" --read "$c" --collector "$grpc" --sensor-id demo --workers 1
done

echo
echo "demo: curl -H 'Authorization: Bearer <key>' 'http://$http/v1/events?type=database.query&limit=10'"
curl -sS -H "Authorization: Bearer $key" "http://$http/v1/events?type=database.query&limit=10" | python3 -m json.tool
echo
echo "demo: logins"
curl -sS -H "Authorization: Bearer $key" "http://$http/v1/events?type=user.*&limit=5" | python3 -m json.tool
echo
echo "demo: POST /v1/{project_id}/{instance_id}/audit/sqls (failed statements)"
curl -sS -H "X-Auth-Token: $key" -H 'Content-Type: application/json' \
  -d '{"time":{"start_time":"2000-01-01 00:00:00","end_time":"2100-01-01 00:00:00"},"sql_response":"FAILED","page":1,"size":5,"time_order":"DESC"}' \
  "http://$http/v1/demo-project/demo-instance/audit/sqls" | python3 -m json.tool

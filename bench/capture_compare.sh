#!/bin/bash
# Whole-process comparison on one capture: (a) a raw pcap_next_ex loop, (b) the sensor's
# capture front half with reassembly only and (c) the whole dbaudit-sensor process (JSON Lines to
# /dev/null; DBAUDIT_BENCH_SENSOR_FLAGS adds flags such as --mysql-ports), each in its own process
# so each gets its own peak RSS.
#
#   bench/capture_compare.sh CAPTURE [BUILD_DIR]     (BUILD_DIR defaults to build/default)
#
# Prints wall and CPU seconds per pass, the engine/raw ratios and peak RSS. Make CAPTURE with
# bench/make-large-capture.sh. On a busy machine compare the CPU ratio: wall time then mostly
# measures waiting for a core.
set -euo pipefail
capture=$(realpath "${1:?usage: $0 CAPTURE [BUILD_DIR]}")
build=${2:-build/default}
bench=$(find "$build" -name capture_bench -type f -perm -u+x | head -1)
[ -n "$bench" ] || { echo "capture_bench not found under $build (build the capture_bench target)" >&2; exit 1; }

run() {  # run FILTER -> "wall_ms cpu_ms peak_rss_kb"
  local json rss
  json=$(mktemp)
  rss=$( { /usr/bin/time -f "%M" env DBAUDIT_BENCH_CAPTURE="$capture" "$bench" \
      --benchmark_filter="$1" --benchmark_format=json --benchmark_out="$json" >/dev/null; } 2>&1 | tail -1)
  python3 - "$json" "$rss" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))["benchmarks"][0]
scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
print("%.1f %.1f %s %d %d" % (b["real_time"] * scale, b["cpu_time"] * scale, sys.argv[2],
                              b.get("bytes_per_second", 0), b.get("items_per_second", 0)))
PY
  rm -f "$json"
}

echo "capture: $capture ($(du -h "$capture" | cut -f1))"
read -r raw_wall raw_cpu raw_rss raw_bps _ <<<"$(run '^BM_RawPcapRead')"
printf "%-28s wall %9.1f ms  cpu %9.1f ms  peak RSS %7.1f MB  %6.0f MB/s\n" "raw pcap_next_ex" \
  "$raw_wall" "$raw_cpu" "$(echo "$raw_rss/1024" | bc -l)" "$(echo "$raw_bps/1048576" | bc -l)"
for workers in 1 2; do
  read -r wall cpu rss bps _ <<<"$(run "^BM_EngineReassemblyOnly/workers:$workers/")"
  printf "%-28s wall %9.1f ms  cpu %9.1f ms  peak RSS %7.1f MB  %6.0f MB/s  ratio wall %.2fx cpu %.2fx\n" \
    "engine, $workers worker(s)" "$wall" "$cpu" "$(echo "$rss/1024" | bc -l)" \
    "$(echo "$bps/1048576" | bc -l)" "$(echo "$wall/$raw_wall" | bc -l)" "$(echo "$cpu/$raw_cpu" | bc -l)"
done

# (c) the whole sensor process: decode, reassembly, both protocols, SQL analysis, JSON Lines out.
sensor=$(find "$build" -name dbaudit-sensor -type f -perm -u+x | head -1)
if [ -n "$sensor" ]; then
  for workers in 1 2; do
    times=$(mktemp)
    /usr/bin/time -o "$times" -f "%e %U %S %M" "$sensor" --read "$capture" --emit jsonl \
      --output /dev/null --workers "$workers" ${DBAUDIT_BENCH_SENSOR_FLAGS:-} 2>/dev/null
    read -r wall user sys rss <"$times"
    rm -f "$times"
    cpu=$(echo "($user + $sys) * 1000" | bc -l)
    printf "%-28s wall %9.1f ms  cpu %9.1f ms  peak RSS %7.1f MB  ratio wall %.2fx cpu %.2fx\n" \
      "dbaudit-sensor, $workers worker(s)" "$(echo "$wall * 1000" | bc -l)" "$cpu" \
      "$(echo "$rss/1024" | bc -l)" "$(echo "$wall * 1000 / $raw_wall" | bc -l)" "$(echo "$cpu / $raw_cpu" | bc -l)"
  done
else
  echo "dbaudit-sensor not found under $build: whole-process run skipped"
fi

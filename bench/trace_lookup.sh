#!/usr/bin/env bash
# Trace lookup at scale: bench/trace_lookup.sh [SPANS=100000000] [LOOKUPS=1000]
# Fills a fresh `waggle serve` with SPANS loadgen spans over OTLP/HTTP protobuf, waits until
# the head is written out and merges are done, then times GET /api/traces/<id> (curl's
# time_total, keep-alive off: a fresh connection each time, as a user's browser or CLI
# would) for LOOKUPS trace ids sampled during the load, first cold (page cache dropped
# when run as root) then warm.
source "$(dirname "$0")/common.sh"
SPANS=${1:-100000000}
LOOKUPS=${2:-1000}
bash "$ROOT/scripts/build.sh" > /dev/null
WORK=${WAGGLE_BENCH_DIR:-$(mktemp -d /tmp/waggle-lookup-XXXXXX)}
trap 'kill $WAGGLE_PID 2>/dev/null || true' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
start_waggle "$WORK/data"
rm -f "$WORK/ids.txt"
"$WAGGLE" loadgen --endpoint "http://$WAGGLE_HTTP" --duration 10h --spans "$SPANS" --workers 4 \
  --trace-ids-out "$WORK/ids.txt" --json > "$WORK/load.json" 2> "$WORK/load.progress"
echo "loaded: $(cat "$WORK/load.json")"
wait_settled
echo "store: $(status)  peak RSS $(peak_rss_mib) MiB"
echo "data directory: $(du -sh "$WORK/data" | cut -f1)"
shuf -n "$LOOKUPS" --random-source=<(yes) "$WORK/ids.txt" > "$WORK/sample.txt"
measure() {
  local label=$1
  while read -r id; do
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "http://$WAGGLE_HTTP/api/traces/$id"
  done < "$WORK/sample.txt" > "$WORK/times-$label.txt"
  local bad; bad=$(awk '$1 != 200' "$WORK/times-$label.txt" | wc -l)
  awk '{print $2 * 1000}' "$WORK/times-$label.txt" | sort -n | awk -v label="$label" -v bad="$bad" '
    { v[NR] = $1 } END { printf "%s lookups: %d, not 200: %d, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
      label, NR, bad, v[int(NR*0.5)+1], v[int(NR*0.9)+1], v[int(NR*0.99)+1], v[NR] }'
}
if [ "$(id -u)" = 0 ]; then sync; echo 3 > /proc/sys/vm/drop_caches || true; fi
measure cold
measure warm
stop_waggle
[ -n "${WAGGLE_BENCH_DIR:-}" ] || rm -rf "$WORK"

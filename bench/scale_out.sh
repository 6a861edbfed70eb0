#!/usr/bin/env bash
# One Waggle node on the embedded store beside one on a local ClickHouse, in one run:
#   bench/scale_out.sh [SECONDS=30] [RUNS=5]
# For each store: a fresh `waggle serve`, `waggle loadgen` flat out for SECONDS (OTLP/HTTP
# protobuf, 4 connections; acknowledged = durable: fsynced in Waggle's log, or inserted into
# ClickHouse), then three queries over everything loaded, RUNS times after a warm-up (the
# server's execution time, median and best), and 200 trace lookups (p50/p99 wall time).
# ClickHouse is Debian's clickhouse-server 18.16, a plain process on 127.0.0.1 with a
# throwaway data directory, on the same two cores.
source "$(dirname "$0")/common.sh"
SECONDS_LOAD=${1:-30}
RUNS=${2:-5}
bash "$ROOT/scripts/build.sh" > /dev/null
WORK=$(mktemp -d /tmp/waggle-scale-out-XXXXXX)
CH_HTTP=28400
trap 'kill ${WAGGLE_PID:-} ${CH_PID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
CH_PID=$(bash "$ROOT/scripts/clickhouse/start.sh" "$WORK/ch" $CH_HTTP 29400)
echo "clickhouse $(curl -sf "http://127.0.0.1:$CH_HTTP/" --data-binary 'SELECT version()')"

summary() {  # label, then seconds one per line on stdin
  sort -n | awk -v label="$1" '{ v[NR] = $1 } END { printf "  %-28s median %8.1f ms  best %8.1f ms  (%d runs)\n", label, v[int((NR+1)/2)] * 1000, v[1] * 1000, NR }'
}

for store in embedded clickhouse; do
  echo "== $store"
  args=()
  [ "$store" = clickhouse ] && args=(--store "clickhouse://127.0.0.1:$CH_HTTP/bench")
  start_waggle "$WORK/$store" "${args[@]}"
  "$WAGGLE" loadgen --endpoint "http://$WAGGLE_HTTP" --duration "${SECONDS_LOAD}s" --workers 4 --json \
    --trace-ids-out "$WORK/$store.ids" > "$WORK/$store.load" 2> /dev/null
  echo "  ingest: $(json spans_per_second < "$WORK/$store.load") spans/s acknowledged, $(json spans < "$WORK/$store.load") spans, errors $(json errors < "$WORK/$store.load"), request p50 $(json latency_ms.p50 < "$WORK/$store.load") ms p99 $(json latency_ms.p99 < "$WORK/$store.load") ms; peak RSS $(peak_rss_mib) MiB"
  END=$(( $(date +%s) + 60 ))
  START=$(( END - 7200 ))
  for q in "COUNT" "COUNT GROUP BY name" "COUNT GROUP BY http.route WHERE http.status_code >= 500" "P99(duration_ms) GROUP BY name" "HEATMAP(duration_ms) WHERE http.status_code >= 500"; do
    : > "$WORK/t.txt"
    for run in $(seq 0 "$RUNS"); do
      r=$("$WAGGLE" query --server "http://$WAGGLE_HTTP" "$q START $START END $END" --json)
      [ "$run" = 0 ] && continue
      echo "$r" | json stats.seconds >> "$WORK/t.txt"
    done
    summary "$q" < "$WORK/t.txt"
  done
  echo "  rows scanned: $(echo "$r" | json stats.rows_scanned)"
  : > "$WORK/lookup.txt"
  for id in $(head -200 "$WORK/$store.ids"); do
    curl -s -o /dev/null -w '%{time_total}\n' "http://$WAGGLE_HTTP/api/traces/$id" >> "$WORK/lookup.txt"
  done
  sort -n "$WORK/lookup.txt" | awk '{ v[NR] = $1 } END { printf "  trace lookup (%d): p50 %.1f ms, p99 %.1f ms\n", NR, v[int(NR*0.5)] * 1000, v[int(NR*0.99)] * 1000 }'
  stop_waggle
done

#!/usr/bin/env bash
# Query benchmark: Waggle beside a current ClickHouse and DuckDB on the same rows, in one run:
#   bench/query.sh [SPANS=10000000] [RUNS=5] [POOL=1024] [LOOKUPS=200]
# 1. Fills a fresh `waggle serve` with SPANS loadgen spans (OTLP/HTTP protobuf, POOL distinct
#    request bodies reused with fresh trace ids), waits until everything is in merged parts.
# 2. Times five queries through Honeycomb's API (`waggle query`: POST /1/queries, POST
#    /1/query_results, poll every 20 ms), RUNS times each after one warm-up: the server's
#    execution time (stats.seconds) and the client's wall time, median and best.
#      HEATMAP(duration_ms) with its time series           (every span)
#      P99(duration_ms) GROUP BY name                       (no series)
#      COUNT WHERE app.user_id = <a user> GROUP BY service.name   (no series)
#      COUNT_DISTINCT(app.user_id)                          (no series)
#      COUNT WHERE http.status_code >= 500 GROUP BY http.route   (no series)
#    then X-Ray's GetTraceSummaries (one page, `service("backend-flask") { fault }`, curl's
#    time_total), BubbleUp on the spans of 300 ms or more (stats.seconds), and GET
#    /api/traces/<id> for LOOKUPS trace ids sampled during the load (one keep-alive
#    connection, curl's time_total per request).
# 3. Stops Waggle, exports the same rows (bench/clickhouse_export.cc, zstd-compressed TSV) and
#    runs bench/peers/query_peers.mjs: ClickHouse 26 (npm chdb, in-process) and DuckDB
#    (@duckdb/node-api), each on its best schema, the same questions timed in-process.
source "$(dirname "$0")/common.sh"
SPANS=${1:-10000000}
RUNS=${2:-5}
POOL=${3:-1024}
LOOKUPS=${4:-200}
bash "$ROOT/scripts/build.sh" > /dev/null
command -v zstd > /dev/null || { SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo; $SUDO apt-get install -y -qq zstd; }
# npm install, not ci: the registry here lacks chdb's other-platform optional packages, which
# npm ci insists on; the lock still pins every version installed.
(cd "$ROOT/bench/peers" && npm install --no-audit --no-fund --loglevel=error > /dev/null)
WORK=${WAGGLE_BENCH_DIR:-$(mktemp -d /tmp/waggle-query-XXXXXX)}
mkdir -p "$WORK"
trap 'kill ${WAGGLE_PID:-} 2>/dev/null || true' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

if [ ! -f "$WORK/data/MANIFEST" ] || [ -n "${WAGGLE_BENCH_RELOAD:-}" ]; then
  start_waggle "$WORK/data"
  START=$(date +%s)
  "$WAGGLE" loadgen --endpoint "http://$WAGGLE_HTTP" --duration 10h --spans "$SPANS" --pool "$POOL" --workers 4 \
    --trace-ids-out "$WORK/ids.txt" --json > "$WORK/load.json" 2> "$WORK/load.progress"
  echo "loaded: $(cat "$WORK/load.json")"
  wait_settled
  echo "$START" > "$WORK/start_time"
  shuf -n "$LOOKUPS" --random-source=<(yes) "$WORK/ids.txt" > "$WORK/sample.txt"
else
  start_waggle "$WORK/data"
  wait_settled
fi
echo "store: $(status)  data directory: $(du -sh "$WORK/data" | cut -f1)"
START=$(( $(cat "$WORK/start_time") - 60 ))
END=$(( $(date +%s) + 1 ))
RANGE=$((END - START))

# A user with many spans, for the high-cardinality filter.
USER_ID=$(curl -sf -X POST "http://$WAGGLE_HTTP/1/queries/__all__" \
  -d "{\"calculations\":[{\"op\":\"COUNT\"}],\"breakdowns\":[\"app.user_id\"],\"filters\":[{\"column\":\"app.user_id\",\"op\":\"exists\"}],\"limit\":1,\"start_time\":$START,\"end_time\":$END}" | json id)
RID=$(curl -sf -X POST "http://$WAGGLE_HTTP/1/query_results/__all__" -d "{\"query_id\":\"$USER_ID\",\"disable_series\":true}" | json id)
until R=$(curl -sf "http://$WAGGLE_HTTP/1/query_results/__all__/$RID") && [ "$(echo "$R" | json complete)" = true ]; do sleep 0.2; done
USER_ID=$(echo "$R" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).data.results[0].data["app.user_id"]))')
echo "time range: $START..$END ($RANGE s); user for the filter: $USER_ID"

summary() {  # label, then seconds one per line on stdin
  sort -n | awk -v label="$1" '{ v[NR] = $1 } END { printf "%-56s median %8.1f ms  best %8.1f ms  (%d runs)\n", label, v[int((NR+1)/2)] * 1000, v[1] * 1000, NR }'
}

waggle_query() {  # label, spec JSON, disable_series
  # `waggle query` creates the query, starts the result and polls in-process every 20 ms: a
  # shell loop of curl + node would take a core from the server while it works.
  local label=$1 spec=$2 no_series=$3 series_flag="" result
  [ "$no_series" = false ] && series_flag=--series
  echo "$spec" > "$WORK/spec.json"
  : > "$WORK/server.txt"; : > "$WORK/wall.txt"
  for run in $(seq 0 "$RUNS"); do
    local t0; t0=$(date +%s.%N)
    result=$("$WAGGLE" query --server "http://$WAGGLE_HTTP" -d __all__ -f "$WORK/spec.json" --json $series_flag)
    local t1; t1=$(date +%s.%N)
    [ "$run" = 0 ] && continue  # warm-up
    echo "$result" | json stats.seconds >> "$WORK/server.txt"
    echo "$t0 $t1" | awk '{print $2 - $1}' >> "$WORK/wall.txt"
  done
  summary "waggle $label (execution)" < "$WORK/server.txt"
  summary "waggle $label (client wall)" < "$WORK/wall.txt"
  echo "  rows scanned $(echo "$result" | json stats.rows_scanned), matched $(echo "$result" | json stats.rows_matched), exact percentiles: $(echo "$result" | json stats.exact_percentiles)"
}

echo "== waggle"
TIME="\"start_time\":$START,\"end_time\":$END"
waggle_query "HEATMAP(duration_ms) + series" "{\"calculations\":[{\"op\":\"HEATMAP\",\"column\":\"duration_ms\"}],$TIME}" false
waggle_query "P99(duration_ms) BY name" "{\"calculations\":[{\"op\":\"P99\",\"column\":\"duration_ms\"}],\"breakdowns\":[\"name\"],$TIME}" true
waggle_query "COUNT BY service WHERE user" "{\"calculations\":[{\"op\":\"COUNT\"}],\"breakdowns\":[\"service.name\"],\"filters\":[{\"column\":\"app.user_id\",\"op\":\"=\",\"value\":\"$USER_ID\"}],$TIME}" true
waggle_query "COUNT_DISTINCT(app.user_id)" "{\"calculations\":[{\"op\":\"COUNT_DISTINCT\",\"column\":\"app.user_id\"}],$TIME}" true
waggle_query "COUNT BY http.route WHERE status >= 500" "{\"calculations\":[{\"op\":\"COUNT\"}],\"breakdowns\":[\"http.route\"],\"filters\":[{\"column\":\"http.status_code\",\"op\":\">=\",\"value\":500}],$TIME}" true
# X-Ray GetTraceSummaries, one page (the newest 500 traces, filtered), and BubbleUp on the
# heatmap's slow region (spans of 300 ms or more), as the peers below answer them.
SUMMARIES="{\"StartTime\":$START,\"EndTime\":$END,\"FilterExpression\":\"service(\\\"backend-flask\\\") { fault }\"}"
curl -sf -X POST "http://$WAGGLE_HTTP/TraceSummaries" -d "$SUMMARIES" > "$WORK/summaries.json"
echo "waggle GetTraceSummaries: $(node -e 'console.log(require(process.argv[1]).TraceSummaries.length)' "$WORK/summaries.json") traces"
for _ in $(seq "$RUNS"); do
  curl -sf -o /dev/null -w '%{time_total}\n' -X POST "http://$WAGGLE_HTTP/TraceSummaries" -d "$SUMMARIES"
done | summary "waggle GetTraceSummaries {fault} (client wall)"
BUBBLEUP="{\"query\":{\"calculations\":[{\"op\":\"HEATMAP\",\"column\":\"duration_ms\"}],$TIME},
  \"selection\":{\"column\":\"duration_ms\",\"start_time\":$START,\"end_time\":$END,\"min\":300,\"max\":1e9}}"
curl -sf -o /dev/null -X POST "http://$WAGGLE_HTTP/api/bubbleup/__all__" -d "$BUBBLEUP"  # warm-up
for _ in $(seq "$RUNS"); do
  curl -sf -X POST "http://$WAGGLE_HTTP/api/bubbleup/__all__" -d "$BUBBLEUP" | json stats.seconds
done | summary "waggle BubbleUp (duration >= 300 ms, execution)"
# Trace by id: one connection, each lookup's time_total.
sed "s|.*|url = http://$WAGGLE_HTTP/api/traces/&\noutput = /dev/null|" "$WORK/sample.txt" > "$WORK/lookup.curl"
curl -s -K "$WORK/lookup.curl" -w '%{http_code} %{time_total}\n' > "$WORK/lookups.txt"
BAD=$(grep -vc '^200 ' "$WORK/lookups.txt" || true)
[ "$BAD" = 0 ] || echo "$BAD lookups did not answer 200" >&2
cut -d' ' -f2 "$WORK/lookups.txt" | sort -n | awk '{ v[NR] = $1 } END { printf "%-56s p50 %.2f ms  p99 %.2f ms  max %.2f ms  (%d lookups)\n", "waggle trace by id (HTTP, keep-alive)", v[int((NR+1)/2)] * 1000, v[int(NR*0.99+0.999)] * 1000, v[NR] * 1000, NR }'
echo "waggle peak RSS $(peak_rss_mib) MiB"
GRANULARITY=$(node -e "
  const r=$RANGE; const steps=[1,2,5,10,15,30,60,120,300,600,900,1800,3600,7200,10800,21600,43200,86400];
  console.log(steps.find(s => r / s <= 300) ?? Math.floor(r / 300));")
stop_waggle

echo "== clickhouse and duckdb (same rows)"
if [ ! -f "$WORK/rows.tsv.zst" ]; then
  "$ROOT/build/bench/clickhouse_export" "$WORK/data" spans "$WORK/schema.sql" | zstd -q -1 -T2 -o "$WORK/rows.tsv.zst"
fi
node "$ROOT/bench/peers/query_peers.mjs" "$WORK" "$START" "$END" "$GRANULARITY" "$USER_ID" "$RUNS"
[ -n "${WAGGLE_BENCH_DIR:-}" ] || rm -rf "$WORK"

#!/usr/bin/env bash
# Query benchmark, Waggle beside ClickHouse on the same rows, in one run on this machine:
#   bench/query.sh [SPANS=100000000] [RUNS=5] [POOL=1024]
# 1. Fills a fresh `waggle serve` with SPANS loadgen spans (OTLP/HTTP protobuf, POOL distinct
#    request bodies reused with fresh trace ids), waits until everything is in merged parts.
# 2. Times four queries through Honeycomb's API (`waggle query`: POST /1/queries, POST
#    /1/query_results, poll every 20 ms), RUNS times each after one warm-up: the server's
#    execution time (stats.seconds) and the client's wall time, median and best.
#      HEATMAP(duration_ms) with its time series           (every span)
#      P99(duration_ms) GROUP BY name                       (no series)
#      COUNT WHERE app.user_id = <a user> GROUP BY service.name   (no series)
#      COUNT_DISTINCT(app.user_id)                          (no series)
# 3. Stops Waggle, exports the same rows (bench/clickhouse_export.cc) into Debian's
#    clickhouse-server 18.16 started here (MergeTree ordered like Waggle's parts, LZ4), and
#    times the equivalent SQL the same way (clickhouse-client --time, RUNS times).
source "$(dirname "$0")/common.sh"
SPANS=${1:-100000000}
RUNS=${2:-5}
POOL=${3:-1024}
command -v /usr/sbin/clickhouse-server > /dev/null || {
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends clickhouse-server clickhouse-client
}
bash "$ROOT/scripts/build.sh" > /dev/null
WORK=${WAGGLE_BENCH_DIR:-$(mktemp -d /tmp/waggle-query-XXXXXX)}
mkdir -p "$WORK"
trap 'kill ${WAGGLE_PID:-} ${CH_PID:-} 2>/dev/null || true' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

if [ ! -f "$WORK/data/MANIFEST" ] || [ -n "${WAGGLE_BENCH_RELOAD:-}" ]; then
  start_waggle "$WORK/data"
  START=$(date +%s)
  "$WAGGLE" loadgen --endpoint "http://$WAGGLE_HTTP" --duration 10h --spans "$SPANS" --pool "$POOL" --workers 4 \
    --json > "$WORK/load.json" 2> "$WORK/load.progress"
  echo "loaded: $(cat "$WORK/load.json")"
  wait_settled
  echo "$START" > "$WORK/start_time"
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
  sort -n | awk -v label="$1" '{ v[NR] = $1 } END { printf "%-34s median %8.1f ms  best %8.1f ms  (%d runs)\n", label, v[int((NR+1)/2)] * 1000, v[1] * 1000, NR }'
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
echo "waggle peak RSS $(peak_rss_mib) MiB"
GRANULARITY=$(curl -sf -X POST "http://$WAGGLE_HTTP/1/queries/__all__" -d "{$TIME}" > /dev/null; node -e "
  const r=$RANGE; const steps=[1,2,5,10,15,30,60,120,300,600,900,1800,3600,7200,10800,21600,43200,86400];
  console.log(steps.find(s => r / s <= 300) ?? Math.floor(r / 300));")
stop_waggle

echo "== clickhouse (same rows)"
CH_PORT=29100
CH_PID=$(bash "$ROOT/scripts/clickhouse/start.sh" "$WORK/ch" 28190 $CH_PORT lz4)
ch() { clickhouse-client --port $CH_PORT "$@"; }
if [ "$(ch --query "EXISTS TABLE spans" 2>/dev/null)" != 1 ]; then
  # The schema first, then the rows streamed straight in (100M rows would be ~40 GB of TSV).
  "$ROOT/build/bench/clickhouse_export" "$WORK/data" spans "$WORK/schema.sql" --schema-only
  ch --multiquery < "$WORK/schema.sql"
  "$ROOT/build/bench/clickhouse_export" "$WORK/data" spans "$WORK/schema.sql" | ch --query "INSERT INTO spans FORMAT TabSeparated"
  ch --query "OPTIMIZE TABLE spans FINAL"
fi
echo "clickhouse rows: $(ch --query "SELECT count() FROM spans")"
T="start_time_unix_nano >= ${START}000000000 AND start_time_unix_nano < ${END}000000000"
ch_query() {  # label, SQL
  : > "$WORK/ch.txt"
  for run in $(seq 0 "$RUNS"); do
    local out; out=$( { ch --time --format Null --query "$2"; } 2>&1 )
    [ "$run" = 0 ] && continue
    echo "$out" | tail -1 >> "$WORK/ch.txt"
  done
  summary "clickhouse $1" < "$WORK/ch.txt"
}
ch_query "HEATMAP(duration_ms) + series" "SELECT intDiv(start_time_unix_nano, ${GRANULARITY}000000000) AS t,
  least(49, toUInt32(floor((duration_nano - (SELECT min(duration_nano) FROM spans WHERE annotation_type = 0 AND $T)) * 50 /
  greatest(1, (SELECT max(duration_nano) - min(duration_nano) FROM spans WHERE annotation_type = 0 AND $T))))) AS b, count()
  FROM spans WHERE annotation_type = 0 AND $T GROUP BY t, b"
ch_query "P99(duration_ms) BY name" "SELECT name, quantile(0.99)(duration_nano / 1e6) FROM spans WHERE annotation_type = 0 AND $T GROUP BY name"
ch_query "P99 exact BY name" "SELECT name, quantileExact(0.99)(duration_nano / 1e6) FROM spans WHERE annotation_type = 0 AND $T GROUP BY name"
ch_query "COUNT BY service WHERE user" "SELECT service_name, count() FROM spans WHERE \`app.user_id\` = '$USER_ID' AND $T GROUP BY service_name"
ch_query "COUNT_DISTINCT(app.user_id)" "SELECT uniqExact(\`app.user_id\`) FROM spans WHERE \`app.user_id\` != '' AND $T"
echo "clickhouse bytes on disk: $(ch --query "SELECT sum(bytes_on_disk) FROM system.parts WHERE table = 'spans' AND active")"
kill "$CH_PID"; while kill -0 "$CH_PID" 2>/dev/null; do sleep 0.2; done
[ -n "${WAGGLE_BENCH_DIR:-}" ] || rm -rf "$WORK"

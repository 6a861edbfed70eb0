#!/usr/bin/env bash
# BubbleUp and big-trace benchmark: bench/bubbleup.sh [SPANS=10000000] [RUNS=5]
# 1. Fills a fresh `waggle serve` with SPANS loadgen spans and waits until they are in parts.
# 2. Times POST /api/bubbleup/__all__ RUNS times (after one warm-up) for a selection of the
#    slowest spans over the whole range, against every other span: Waggle's own time
#    (stats.seconds) and the client's wall time (curl), median and best.
# 3. Sends one trace of 100,000 spans (tests/interop/big_trace.mjs) and times
#    GET /api/traces/<id> RUNS times: what the UI's waterfall fetches first.
source "$(dirname "$0")/common.sh"
SPANS=${1:-10000000}
RUNS=${2:-5}
bash "$ROOT/scripts/build.sh" > /dev/null
WORK=${WAGGLE_BENCH_DIR:-$(mktemp -d /tmp/waggle-bubbleup-XXXXXX)}
mkdir -p "$WORK"
trap 'kill ${WAGGLE_PID:-} 2>/dev/null || true' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
start_waggle "$WORK/data"
if [ ! -f "$WORK/range" ]; then  # WAGGLE_BENCH_DIR=<dir of an earlier run> reuses its spans
  START=$(date +%s)
  "$WAGGLE" loadgen --endpoint "http://$WAGGLE_HTTP" --duration 10h --spans "$SPANS" --pool 1024 --workers 4 --json \
    > "$WORK/load.json" 2> /dev/null
  echo "$START $(( $(date +%s) + 1 ))" > "$WORK/range"
  echo "loaded: $(cat "$WORK/load.json")"
fi
read -r START END < "$WORK/range"
wait_settled
echo "store: $(status)"

median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }'; }
best() { sort -g | head -1; }
BODY="{\"query\":{\"calculations\":[{\"op\":\"HEATMAP\",\"column\":\"duration_ms\"}],\"start_time\":$START,\"end_time\":$END},
  \"selection\":{\"column\":\"duration_ms\",\"start_time\":$START,\"end_time\":$END,\"min\":300,\"max\":1e9}}"
curl -sf -X POST "http://$WAGGLE_HTTP/api/bubbleup/__all__" -d "$BODY" > "$WORK/bubbleup.json"
echo "bubbleup: $(node -e 'const r=require(process.argv[1]);console.log(JSON.stringify({selection:r.selection_count,baseline:r.baseline_count,examined:[r.selection_examined,r.baseline_examined],top:r.dimensions.slice(0,5).map(d=>d.column+" "+d.score.toFixed(2)),stats:r.stats}))' "$WORK/bubbleup.json")"
: > "$WORK/server.txt"; : > "$WORK/wall.txt"
for _ in $(seq "$RUNS"); do
  curl -sf -o "$WORK/bubbleup.json" -w '%{time_total}\n' -X POST "http://$WAGGLE_HTTP/api/bubbleup/__all__" -d "$BODY" >> "$WORK/wall.txt"
  json stats.seconds < "$WORK/bubbleup.json" >> "$WORK/server.txt"
done
echo "BubbleUp over $SPANS spans: server median $(median < "$WORK/server.txt") s (best $(best < "$WORK/server.txt")), wall median $(median < "$WORK/wall.txt") s (best $(best < "$WORK/wall.txt"))"

ID=$(cd "$ROOT/tests/interop" && node -e "import('./big_trace.mjs').then(async m => console.log(await m.sendBigTrace('http://$WAGGLE_HTTP', 100000)))")
sleep 1
: > "$WORK/trace.txt"
for _ in $(seq "$RUNS"); do
  curl -sf -o /dev/null -w '%{time_total} %{size_download}\n' "http://$WAGGLE_HTTP/api/traces/$ID" >> "$WORK/trace.txt"
done
echo "GET /api/traces/<100,000-span trace>: median $(cut -d' ' -f1 < "$WORK/trace.txt" | median) s, $(head -1 "$WORK/trace.txt" | cut -d' ' -f2) bytes"
stop_waggle

#!/usr/bin/env bash
# X-Ray questions at scale: bench/xray_api.sh [SPANS=1000000] [RUNS=5]
# Fills a fresh `waggle serve` with SPANS loadgen spans (OTLP/HTTP protobuf), waits until the
# store has settled, then times (curl's time_total, median of RUNS) GetTraceSummaries (one
# page: 500 candidate traces) without and with a filter expression, GetServiceGraph (up to
# 5,000 traces) and GetTimeSeriesServiceStatistics over the whole load.
source "$(dirname "$0")/common.sh"
SPANS=${1:-1000000}
RUNS=${2:-5}
bash "$ROOT/scripts/build.sh" > /dev/null
WORK=${WAGGLE_BENCH_DIR:-$(mktemp -d /tmp/waggle-xray-api-XXXXXX)}
trap 'kill $WAGGLE_PID 2>/dev/null || true' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
start_waggle "$WORK/data"
START=$(date +%s)
"$WAGGLE" loadgen --endpoint "http://$WAGGLE_HTTP" --duration 10h --spans "$SPANS" --workers 4 --json > "$WORK/load.json" 2> /dev/null
echo "loaded: $(cat "$WORK/load.json")"
wait_settled
END=$(( $(date +%s) + 1 ))
echo "store: $(status)"
time_call() {  # LABEL PATH BODY
  for _ in $(seq "$RUNS"); do
    curl -s -o "$WORK/out.json" -w '%{http_code} %{time_total}\n' -X POST "http://$WAGGLE_HTTP$2" -d "$3"
  done | sort -k2 -n | awk -v label="$1" -v runs="$RUNS" '$1 != 200 { bad++ } { t[NR] = $2 }
    END { printf "%-44s median %.3f s (of %d; non-200: %d)\n", label, t[int((NR+1)/2)], runs, bad }'
}
RANGE="\"StartTime\":$START,\"EndTime\":$END"
time_call "GetTraceSummaries (no filter)" /TraceSummaries "{$RANGE}"
time_call "GetTraceSummaries service(\"backend-flask\"){fault}" /TraceSummaries \
  "{$RANGE,\"FilterExpression\":\"service(\\\"backend-flask\\\") { fault }\"}"
time_call "GetTraceSummaries responsetime > 0.5" /TraceSummaries "{$RANGE,\"FilterExpression\":\"responsetime > 0.5\"}"
time_call "GetServiceGraph" /ServiceGraph "{$RANGE}"
time_call "GetTimeSeriesServiceStatistics" /TimeSeriesServiceStatistics "{$RANGE,\"EntitySelectorExpression\":\"service(\\\"backend-flask\\\")\"}"
stop_waggle
[ -n "${WAGGLE_BENCH_DIR:-}" ] || rm -rf "$WORK"

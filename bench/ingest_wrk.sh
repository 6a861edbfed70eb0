#!/usr/bin/env bash
# A second, independent load generator for ingest: Debian's `wrk` posting one fixed OTLP/HTTP
# protobuf body (`waggle loadgen --write-body`) flat out, to check `waggle loadgen`'s numbers.
# The same spans are sent again and again (the store keeps every copy), so this measures the
# write path, not storage; every acknowledgement is after fsync, as with loadgen.
#   bench/ingest_wrk.sh [SECONDS=30] [CONNECTIONS=4] [SPANS_PER_BODY=512]
source "$(dirname "$0")/common.sh"
SECONDS_TO_RUN=${1:-30}
CONNECTIONS=${2:-4}
BATCH=${3:-512}
if ! command -v wrk > /dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends wrk
fi
bash "$ROOT/scripts/build.sh" > /dev/null
WORK=$(mktemp -d /tmp/waggle-wrk-XXXXXX)
trap 'kill $WAGGLE_PID 2>/dev/null || true' EXIT
SPANS=$("$WAGGLE" loadgen --write-body "$WORK/body.pb" --batch "$BATCH" --pool 1 2> /dev/null)
cat > "$WORK/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-protobuf"
local f = assert(io.open("$WORK/body.pb", "rb"))
wrk.body = f:read("*a")
f:close()
done = function(summary)
  io.write(string.format("requests %d non2xx %d\n", summary.requests, summary.errors.status))
end
LUA
start_waggle "$WORK/data"
echo "wrk: $CONNECTIONS connections, 2 threads, ${SECONDS_TO_RUN}s, $SPANS spans and $(stat -c %s "$WORK/body.pb") bytes per request"
wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_TO_RUN}s" --latency -s "$WORK/post.lua" "http://$WAGGLE_HTTP/v1/traces" | tee "$WORK/wrk.txt"
REQUESTS=$(awk '/^requests/ {print $2}' "$WORK/wrk.txt")
NON2XX=$(awk '/^requests/ {print $4}' "$WORK/wrk.txt")
RSS=$(peak_rss_mib)
stop_waggle
OK=$((REQUESTS - NON2XX))
printf 'wrk ingest: %.0f spans/s acknowledged (%d requests, %d refused), peak RSS %s MiB\n' \
  "$(echo "$OK * $SPANS / $SECONDS_TO_RUN" | bc -l)" "$REQUESTS" "$NON2XX" "$RSS"
rm -rf "$WORK"

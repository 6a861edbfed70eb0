# Helpers shared by the benchmark scripts (sourced, not run).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WAGGLE="$ROOT/build/waggle"
WAGGLE_HTTP=127.0.0.1:${WAGGLE_BENCH_HTTP_PORT:-24318}
WAGGLE_GRPC=127.0.0.1:${WAGGLE_BENCH_GRPC_PORT:-24317}

# json FIELD.PATH < json: one value out of a JSON document (Node is installed by the build).
json() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v[k];console.log(v)})' "$1"; }

# start_waggle DATA_DIR [serve flags...]: starts `waggle serve`, waits for its listening line.
start_waggle() {
  local dir=$1; shift
  "$WAGGLE" serve --data-dir "$dir" --http "$WAGGLE_HTTP" --grpc "$WAGGLE_GRPC" --xray "${WAGGLE_XRAY:-127.0.0.1:0}" "$@" > "$dir.stdout" 2> "$dir.stderr" &
  WAGGLE_PID=$!
  for _ in $(seq 1800); do  # opening verifies every part: minutes for a big store
    grep -q '^listening' "$dir.stdout" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "waggle did not start: $(cat "$dir.stderr")" >&2
  return 1
}

stop_waggle() { kill -TERM "$WAGGLE_PID" && wait "$WAGGLE_PID" || true; }

peak_rss_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$WAGGLE_PID/status"; }

status() { curl -sf "http://$WAGGLE_HTTP/api/status"; }

# Waits until the head is written out and no merge has run for 5 s.
wait_settled() {
  local last="" same=0
  while [ $same -lt 5 ]; do
    sleep 1
    local s; s=$(status)
    if [ "$(echo "$s" | json head_events)" = 0 ] && [ "$s" = "$last" ]; then same=$((same + 1)); else same=0; fi
    last=$s
  done
}

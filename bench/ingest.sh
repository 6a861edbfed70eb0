#!/usr/bin/env bash
# Ingest and storage benchmark, Waggle beside ClickHouse, in one run on this machine:
#   bench/ingest.sh [SECONDS=60] [STORAGE_SPANS=2000000]
# 1. Sustained ingest: `waggle loadgen` flat out over OTLP/HTTP protobuf (4 connections)
#    into `waggle serve` (every acknowledgement after fsync) for SECONDS; acknowledged
#    spans/s and the server's peak RSS (VmHWM).
# 2. Storage: STORAGE_SPANS distinct loadgen spans (no body reused) into a fresh server;
#    once written out and merged, bytes per span on disk.
# 3. The same spans exported (bench/clickhouse_export.cc) and inserted into Debian's
#    clickhouse-server 18.16 started here on 127.0.0.1 (MergeTree, same columns, same
#    order), with its default LZ4 and again with ZSTD: insert rate and bytes per span after
#    OPTIMIZE FINAL.
source "$(dirname "$0")/common.sh"
SECONDS_TO_RUN=${1:-60}
STORAGE_SPANS=${2:-2000000}
command -v /usr/sbin/clickhouse-server > /dev/null || sudo_apt=1
if [ "${sudo_apt:-0}" = 1 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends clickhouse-server clickhouse-client
fi
bash "$ROOT/scripts/build.sh" > /dev/null
WORK=$(mktemp -d /tmp/waggle-bench-XXXXXX)
trap 'kill $WAGGLE_PID $CH_PID 2>/dev/null || true' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "work directory: $WORK"

echo "== 1. sustained ingest, ${SECONDS_TO_RUN}s flat out"
start_waggle "$WORK/ingest"
"$WAGGLE" loadgen --endpoint "http://$WAGGLE_HTTP" --protocol http/protobuf --duration "${SECONDS_TO_RUN}s" \
  --workers 4 --json > "$WORK/ingest.json" 2> "$WORK/ingest.progress"
INGEST_RATE=$(json spans_per_second < "$WORK/ingest.json")
INGEST_ERRORS=$(json errors < "$WORK/ingest.json")
INGEST_P99=$(json latency_ms.p99 < "$WORK/ingest.json")
wait_settled
INGEST_RSS=$(peak_rss_mib)
stop_waggle
printf 'waggle ingest: %.0f spans/s acknowledged (%s requests refused with 503), p99 request %.1f ms, peak RSS %s MiB\n' \
  "$INGEST_RATE" "$INGEST_ERRORS" "$INGEST_P99" "$INGEST_RSS"

echo "== 2. storage, $STORAGE_SPANS distinct spans"
start_waggle "$WORK/storage"
POOL=$(( (STORAGE_SPANS + 511) / 512 + 1 ))
"$WAGGLE" loadgen --endpoint "http://$WAGGLE_HTTP" --duration 1h --spans "$STORAGE_SPANS" --pool "$POOL" \
  --workers 4 --json > "$WORK/storage.json" 2> /dev/null
wait_settled
S=$(status)
ROWS=$(echo "$S" | json part_rows)
PART_BYTES=$(echo "$S" | json part_bytes)
PARTS=$(echo "$S" | json parts)
stop_waggle
WAGGLE_DISK=$(du -sb "$WORK/storage" | cut -f1)
WAGGLE_BPS=$(echo "$WAGGLE_DISK $ROWS" | awk '{printf "%.2f", $1/$2}')
echo "waggle storage: $ROWS spans in $PARTS parts, $PART_BYTES bytes of parts, $WAGGLE_DISK bytes in the data directory: $WAGGLE_BPS bytes/span"

echo "== 3. the same spans in ClickHouse"
"$ROOT/build/bench/clickhouse_export" "$WORK/storage" spans "$WORK/schema.sql" > "$WORK/rows.tsv"
port=29000
for codec in lz4 zstd; do
  port=$((port + 1))
  CH_PID=$(bash "$ROOT/scripts/clickhouse/start.sh" "$WORK/ch-$codec" $((port - 29000 + 28123)) $port "$codec")
  ch() { clickhouse-client --port $port "$@"; }
  ch --multiquery < "$WORK/schema.sql"
  start=$(date +%s.%N)
  ch --query "INSERT INTO spans FORMAT TabSeparated" < "$WORK/rows.tsv"
  end=$(date +%s.%N)
  ch --query "OPTIMIZE TABLE spans FINAL"
  CH_ROWS=$(ch --query "SELECT count() FROM spans")
  CH_BYTES=$(ch --query "SELECT sum(bytes_on_disk) FROM system.parts WHERE table = 'spans' AND active")
  CH_RATE=$(echo "$CH_ROWS $start $end" | awk '{printf "%.0f", $1/($3-$2)}')
  CH_BPS=$(echo "$CH_BYTES $CH_ROWS" | awk '{printf "%.2f", $1/$2}')
  echo "clickhouse ($codec): $CH_ROWS rows inserted at $CH_RATE rows/s (bulk TSV, native protocol); $CH_BYTES bytes after OPTIMIZE FINAL: $CH_BPS bytes/span"
  echo "ratios ($codec): waggle bytes/span / clickhouse = $(echo "$WAGGLE_BPS $CH_BPS" | awk '{printf "%.2f", $1/$2}'); waggle ingest rate / clickhouse insert rate = $(echo "$INGEST_RATE $CH_RATE" | awk '{printf "%.2f", $1/$2}')"
  echo "clickhouse ($codec) bytes by column: $(ch --query "SELECT name, data_compressed_bytes FROM system.columns WHERE table = 'spans' ORDER BY data_compressed_bytes DESC LIMIT 8" | tr '\t\n' '= ')"
  kill "$CH_PID"
  while kill -0 "$CH_PID" 2>/dev/null; do sleep 0.2; done
done
rm -rf "$WORK"

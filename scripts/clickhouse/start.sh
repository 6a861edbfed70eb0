#!/usr/bin/env bash
# Starts Debian's clickhouse-server as a plain process on 127.0.0.1 with a fresh data
# directory: scripts/clickhouse/start.sh DIR HTTP_PORT TCP_PORT [lz4|zstd]. Prints its pid.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir=$1 http_port=$2 tcp_port=$3 codec=${4:-lz4}
mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
compression=""
if [ "$codec" = zstd ]; then
  compression="<compression><case><method>zstd</method><level>3</level></case></compression>"
fi
sed -e "s|CH_DIR|$dir|g" -e "s|CH_HTTP_PORT|$http_port|g" -e "s|CH_TCP_PORT|$tcp_port|g" \
    -e "s|CH_COMPRESSION|$compression|" "$here/config.xml" > "$dir/config.xml"
cp "$here/users.xml" "$dir/users.xml"
/usr/sbin/clickhouse-server --config-file="$dir/config.xml" > "$dir/stdout.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  if curl -sf "http://127.0.0.1:$http_port/ping" > /dev/null; then echo $pid; exit 0; fi
  sleep 0.2
done
echo "clickhouse-server did not start; see $dir/server.err.log" >&2
cat "$dir/server.err.log" >&2 || true
exit 1

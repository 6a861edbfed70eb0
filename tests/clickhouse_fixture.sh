#!/usr/bin/env bash
# The ctest fixture for the ClickHouse store's tests: starts Debian's clickhouse-server as a
# plain process on 127.0.0.1 with a fresh data directory, or stops it and removes the
# directory. tests/clickhouse_fixture.sh start|stop DIR HTTP_PORT TCP_PORT
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
action=$1 dir=$2 http_port=$3 tcp_port=$4
stop() {
  if [ -f "$dir/pid" ]; then
    kill "$(cat "$dir/pid")" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$(cat "$dir/pid")" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$(cat "$dir/pid")" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
case "$action" in
  start)
    stop
    if ! [ -x /usr/sbin/clickhouse-server ]; then
      echo "clickhouse-server is not installed: run scripts/install-deps.sh" >&2
      exit 1
    fi
    setsid bash "$root/scripts/clickhouse/start.sh" "$dir" "$http_port" "$tcp_port" > "$dir.pid" < /dev/null
    mv "$dir.pid" "$dir/pid"
    echo "clickhouse-server $(curl -sf "http://127.0.0.1:$http_port/" --data-binary 'SELECT version()') on 127.0.0.1:$http_port (pid $(cat "$dir/pid"))"
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop DIR HTTP_PORT TCP_PORT" >&2; exit 2 ;;
esac

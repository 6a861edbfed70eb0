#!/usr/bin/env bash
# X-Ray daemon UDP: at which rate does Waggle start losing datagrams? Sends segment
# datagrams (bench/xray_udp_load.cc, ~900 bytes, three spans each) to a fresh `waggle serve`
# at rising rates for SECONDS each, then compares what was sent with what Waggle received,
# stored and dropped, and the kernel's UDP receive-buffer drops.
#   bench/xray_udp.sh [SECONDS] [RATES...]      (defaults: 5 s; 5000 10000 20000 40000 80000)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
SECONDS_EACH=${1:-5}; shift || true
if [ $# -gt 0 ]; then RATES=("$@"); else RATES=(5000 10000 20000 40000 80000); fi
XRAY_PORT=${XRAY_PORT:-2093}
export WAGGLE_XRAY=127.0.0.1:$XRAY_PORT

kernel_drops() { awk '/^Udp: [0-9]/ { print $6 }' /proc/net/snmp; }  # RcvbufErrors
udp_field() { status | json "xray_udp.$1"; }

printf '%-10s %-10s %-10s %-10s %-10s %-10s\n' rate/s sent received stored dropped kernel_drops
for rate in "${RATES[@]}"; do
  dir=$(mktemp -d /tmp/waggle-xray-bench-XXXXXX)
  start_waggle "$dir"
  before=$(kernel_drops)
  sent=$(build/bench/xray_udp_load "$WAGGLE_XRAY" "$rate" "$SECONDS_EACH")
  sleep 2  # let the last batches reach the store
  received=$(udp_field datagrams); stored=$(udp_field documents_stored); dropped=$(udp_field documents_dropped)
  after=$(kernel_drops)
  printf '%-10s %-10s %-10s %-10s %-10s %-10s\n' "$rate" "$sent" "$received" "$stored" "$dropped" $((after - before))
  stop_waggle
  rm -rf "$dir" "$dir".std*
done

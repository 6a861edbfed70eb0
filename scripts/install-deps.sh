#!/usr/bin/env bash
# Installs everything Waggle needs to build and test on Debian 12, from Debian's packages and npm
# only. Safe to run repeatedly: packages already present are skipped quickly.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and test dependencies (Debian 12 "bookworm" versions; apt pins them by release).
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates
  libboost-dev libboost-program-options-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libabsl-dev libsimdjson-dev nlohmann-json3-dev libzstd-dev zlib1g-dev libxxhash-dev
  libcli11-dev libfmt-dev libspdlog-dev libssl-dev prometheus-cpp-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clickhouse-server clickhouse-client
  awscli chromium openssl
  nodejs npm
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node may come from elsewhere (the machine image ships Node 20): accept any node >= 18.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The web UI's build (Vite, TypeScript, ECharts), pinned by ui/package-lock.json.
(cd ui && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; })

# Interop test clients (the real OpenTelemetry exporters), pinned by package-lock.json.
if [ -f tests/interop/package.json ]; then
  (cd tests/interop && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error; })
fi

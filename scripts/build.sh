#!/usr/bin/env bash
# Installs dependencies (Debian packages, npm) and builds Waggle into build/ (or $BUILD_DIR).
# Extra arguments go to CMake, e.g. -DWAGGLE_SANITIZE=ON. WAGGLE_TARGETS names the ninja
# targets to build (default: everything; scripts/run.sh builds only the server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
# ccache rewrites paths under the clone to relative ones, so clones in other folders (CI's)
# hit the same cache entries.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
ninja -C "$BUILD_DIR" ${WAGGLE_TARGETS:-}
# The web UI, beside the binary ($BUILD_DIR/ui), rebuilt when its sources changed.
UI_OUT="$(cd "$BUILD_DIR" && pwd)/ui"
if [ ! -f "$UI_OUT/index.html" ] || [ -n "$(find ui/src ui/index.html ui/package-lock.json ui/vite.config.ts -newer "$UI_OUT/index.html" 2>/dev/null | head -1)" ]; then
  (cd ui && WAGGLE_UI_OUT="$UI_OUT" npm run --silent build > /dev/null)
fi

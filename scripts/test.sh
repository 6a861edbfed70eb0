#!/usr/bin/env bash
# Command 2 of the README: install what is needed, build, and run every test (unit, fuzz
# corpus replay, interop with real clients) through ctest. With WAGGLE_SANITIZE=1 it builds
# into build-asan/ with AddressSanitizer + UndefinedBehaviorSanitizer and runs them there.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${WAGGLE_SANITIZE:-0}" = 1 ]; then
  export BUILD_DIR=build-asan
  bash scripts/build.sh -DWAGGLE_SANITIZE=ON -DWAGGLE_WERROR=ON
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
  export BUILD_DIR=build
  bash scripts/build.sh -DWAGGLE_WERROR=ON
fi
cd "$BUILD_DIR"
ctest --output-on-failure -j2 --timeout 600

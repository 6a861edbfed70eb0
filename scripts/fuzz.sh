#!/usr/bin/env bash
# Real fuzzing (ctest only replays the seed corpora): builds every fuzz target with clang 14,
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer in build-fuzz/, then runs each for
# SECONDS from its seeds in tests/fuzz/corpus/. New inputs go to build-fuzz/corpus/<target>/,
# findings to build-fuzz/findings/. Exits non-zero when a target found something.
#   scripts/fuzz.sh [SECONDS=60] [TARGET...]      (targets: the names in tests/fuzz/CMakeLists.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}; shift || true
if [ $# -gt 0 ]; then TARGETS=("$@"); else
  mapfile -t TARGETS < <(grep -o 'waggle_fuzz_target([a-z_0-9]*' tests/fuzz/CMakeLists.txt | sed 's/waggle_fuzz_target(//')
fi
bash scripts/install-deps.sh
missing=()
for p in clang-14 libclang-rt-14-dev; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWAGGLE_LIBFUZZER=ON -DWAGGLE_SANITIZE=ON -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" > /dev/null
ninja -C build-fuzz "${TARGETS[@]/#/tests/fuzz/fuzz_}"
mkdir -p build-fuzz/findings
failed=0
for t in "${TARGETS[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  log="build-fuzz/findings/$t.log"
  if build-fuzz/tests/fuzz/"fuzz_$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=2048 \
       -artifact_prefix="build-fuzz/findings/$t-" "build-fuzz/corpus/$t" "tests/fuzz/corpus/$t" > "$log" 2>&1; then
    printf '%-18s %s\n' "$t" "$(grep -E '^Done [0-9]+ runs' "$log" || echo done)"
  else
    failed=1
    printf '%-18s FOUND SOMETHING: %s (see %s)\n' "$t" "$(ls build-fuzz/findings/"$t"-* 2>/dev/null | head -1)" "$log"
  fi
done
exit $failed

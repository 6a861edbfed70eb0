#!/usr/bin/env bash
# Command 1 of the README: install what is needed, build, and run `waggle serve` on the
# embedded store. Arguments go to `waggle serve` (defaults: ./waggle-data, 127.0.0.1:4318/4317).
set -euo pipefail
cd "$(dirname "$0")/.."
WAGGLE_TARGETS=waggle bash scripts/build.sh >&2
exec build/waggle serve "$@"

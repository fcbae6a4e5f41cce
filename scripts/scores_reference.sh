#!/usr/bin/env bash
# Writes the expected scores files of tests/scores_unchanged.rs with a given binary (the one
# before a change that must not change them): for each line `name | input | args` of
# tests/fixtures/scores_unchanged/cases.txt, runs
#   BIN detect INPUT ARGS --scores-out tests/fixtures/scores_unchanged/NAME.csv --force
# Usage: scripts/scores_reference.sh BIN
set -euo pipefail
bin=$(realpath "$1")
cd "$(dirname "$0")/.."
dir=tests/fixtures/scores_unchanged
grep -v '^#' "$dir/cases.txt" | while IFS='|' read -r name input args; do
    name=$(echo "$name" | xargs)
    input=$(echo "$input" | xargs)
    # shellcheck disable=SC2086
    "$bin" detect "$input" $args --scores-out "$dir/$name.csv" --force 2>/dev/null
    echo "$dir/$name.csv"
done

#!/usr/bin/env bash
# Lines per second through `trafficlens watch --replay max` (parse, buckets, seasonal scores,
# alerts to a JSON lines file) on a generated access log of at least 2 million lines.
#
#   scripts/bench_watch.sh [DAYS] [CLIENTS]     (defaults 5 and 12000: about 2.1M lines)
#
# Builds the release binary once (cargo build --release --locked), generates the log into a
# temporary folder, replays it three times and prints lines per second for each run.
set -euo pipefail
cd "$(dirname "$0")/.."
days=${1:-5}
clients=${2:-12000}
cargo build --release --locked --bin trafficlens
bin=$PWD/target/release/trafficlens
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" generate --access-log --seed 1 --days "$days" --clients "$clients" --out "$work/access.log" >/dev/null
lines=$(wc -l <"$work/access.log")
echo "log: $lines lines, $(du -h "$work/access.log" | cut -f1)"
for run in 1 2 3; do
    rm -f "$work/alerts.jsonl"
    start=$(date +%s.%N)
    "$bin" watch --replay max "$work/access.log" --alerts-out "$work/alerts.jsonl" >/dev/null 2>"$work/stderr"
    end=$(date +%s.%N)
    awk -v l="$lines" -v s="$start" -v e="$end" -v r="$run" \
        'BEGIN { printf "run %d: %.2f s, %.0f lines/s\n", r, e - s, l / (e - s) }'
done
tail -1 "$work/stderr"

#!/usr/bin/env bash
# Benchmarks of `trafficlens watch` on a generated access log:
#
# 1. lines per second through `watch --replay max` (parse, traffic buckets, seasonal scores,
#    per-client windows and model, alerts to a JSON lines file): three runs with the client
#    windows, one with --no-clients; with the peak memory of each run when GNU time is there;
# 2. alert latency on a live-appended file (scripts/watch_latency.py): the log written at
#    20,000 lines per second into a file the watch follows, from a line's write to its alert
#    in the --alerts-out file (p50, p99).
#
#   scripts/bench_watch.sh [DAYS] [CLIENTS]     (defaults 5 and 12000: 1,271,462 lines, 273 MB)
#
# Builds the release binary once (cargo build --release --locked) and works in a temporary
# folder, removed at the end.
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
timed=()
if [ -x /usr/bin/time ]; then
    timed=(/usr/bin/time -f "%M" -o "$work/rss")
fi
replay() {
    local label=$1
    shift
    rm -f "$work/alerts.jsonl" "$work/rss"
    start=$(date +%s.%N)
    "${timed[@]}" "$bin" watch --replay max "$work/access.log" --alerts-out "$work/alerts.jsonl" "$@" \
        >/dev/null 2>"$work/stderr"
    end=$(date +%s.%N)
    rss=""
    if [ -s "$work/rss" ]; then
        rss=$(awk '{ printf ", peak memory %.0f MB", $1 / 1024 }' "$work/rss")
    fi
    awk -v l="$lines" -v s="$start" -v e="$end" -v r="$label" -v m="$rss" \
        'BEGIN { printf "%s: %.2f s, %.0f lines/s%s\n", r, e - s, l / (e - s), m }'
}
for run in 1 2 3; do
    replay "replay run $run"
done
grep "trafficlens: watch" "$work/stderr"
replay "replay --no-clients" --no-clients
# The detection test's log (4 days, 3,000 clients, seed 1: about 400,000 lines, every attack).
"$bin" generate --access-log --seed 1 --days 4 --clients 3000 --out "$work/live_source.log" >/dev/null
echo "latency on a live-appended file ($(wc -l <"$work/live_source.log") lines at 20,000 lines/s):"
python3 scripts/watch_latency.py "$bin" "$work/live_source.log" 20000

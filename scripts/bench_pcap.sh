#!/bin/sh
# Speed of reading a packet capture into the hosts view, side by side with tshark's TCP
# conversation table on the same file (issue 15). Needs python3 and tshark; builds the release
# binary if it is not there. Usage: scripts/bench_pcap.sh [MB]  (default 200)
set -eu
cd "$(dirname "$0")/.."
MB="${1:-200}"
DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT
CAP="$DIR/bench.pcap"
[ -x target/release/trafficlens ] || cargo build --release --locked
python3 scripts/gen_pcap_fixtures.py --big "$CAP" "$MB"
SIZE=$(stat -c %s "$CAP")
cat "$CAP" > /dev/null  # into the page cache for both
now() { date +%s.%N; }
t0=$(now)
target/release/trafficlens detect "$CAP" > "$DIR/tl.out" 2> "$DIR/tl.err"
t1=$(now)
tshark -r "$CAP" -q -z conv,tcp > "$DIR/tshark.out" 2> /dev/null
t2=$(now)
grep 'connections between' "$DIR/tl.err" || true
echo "tshark TCP conversations: $(grep -c '<->' "$DIR/tshark.out")"
awk -v s="$SIZE" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
    tl = b - a; ts = c - b;
    printf "capture: %.1f MB\n", s / 1e6;
    printf "trafficlens detect: %.2f s (%.1f MB/s)\n", tl, s / 1e6 / tl;
    printf "tshark -q -z conv,tcp: %.2f s (%.1f MB/s)\n", ts, s / 1e6 / ts;
    printf "ratio: %.1fx\n", ts / tl }'

#!/usr/bin/env bash
# LOF end to end, side by side with scikit-learn: whole processes, each reading the same CSV of
# standard normal values and writing `row,anomaly_score,flagged`, k = 20.
#
# Usage: scripts/bench_lof.sh [SIZES...]      SIZES as ROWSxFEATURES (default: 100000x6 20000x16 5000x36)
#
# Steps: writes target/bench_lof/normal_ROWSxFEATURES.csv once (scripts/bench_lof.py gen, numpy,
# seed 1, full-precision values, no time column); makes the Python in target/benchenv (numpy,
# pandas, scikit-learn from PyPI) unless it, or python3 itself, already has them; builds
# target/release/trafficlens (unless BENCH_BIN is set); then, RUNS times each (default 3), times
#   trafficlens detect FILE --no-time --algo lof --n-neighbors 20 --scores-out OUT --force
# and
#   python scripts/bench_lof.py score FILE OUT   (pandas read_csv, LocalOutlierFactor(n_jobs=-1), to_csv)
# under /usr/bin/time -v, and prints the median wall time, its run's CPU time (user + system)
# and peak memory (maximum resident set size), the ratio of the medians, and how far the two
# scores files differ (largest relative difference of the scores, rows flagged differently). 100000x6 is above
# 15 features' limit of the k-d tree: both sides walk a tree there and search by brute force for
# 16 and 36 features (scikit-learn's algorithm='auto').
#
# Environment: RUNS (3), BENCH_BIN (a trafficlens binary to time instead of building one).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=target/bench_lof
mkdir -p "$out"
runs=${RUNS:-3}
sizes=("$@")
[[ ${#sizes[@]} -eq 0 ]] && sizes=(100000x6 20000x16 5000x36)

py=python3
if target/benchenv/bin/python -c 'import numpy, pandas, sklearn' 2>/dev/null; then
    py=target/benchenv/bin/python
elif ! python3 -c 'import numpy, pandas, sklearn' 2>/dev/null; then
    echo "bench_lof.sh: making the Python in target/benchenv" >&2
    python3 -m venv target/benchenv
    target/benchenv/bin/pip install --quiet numpy pandas scikit-learn
    py=target/benchenv/bin/python
fi

if [[ -n ${BENCH_BIN:-} ]]; then
    bin=$BENCH_BIN
else
    cargo build --release --locked
    bin=target/release/trafficlens
fi

# Runs a command under /usr/bin/time -v; prints "wall cpu peak_kb".
measure() {
    local log=$1
    shift
    if ! /usr/bin/time -v "$@" >"$log.out" 2>"$log"; then
        echo "bench_lof.sh: failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
    awk -F': ' '
        /User time/ { cpu += $2 }
        /System time/ { cpu += $2 }
        /Maximum resident set size/ { kb = $2 }
        /Elapsed \(wall clock\)/ {
            n = split($2, p, ":"); wall = 0
            for (i = 1; i <= n; i++) wall = wall * 60 + p[i]
        }
        END { printf "%.2f %.2f %d\n", wall, cpu, kb }' "$log"
}

# The median run (by wall time) of RUNS: "wall cpu peak_kb".
median() {
    local name=$1
    shift
    for ((r = 1; r <= runs; r++)); do
        measure "$out/$name.$r.time" "$@"
    done | sort -n | awk -v n="$runs" 'NR == int((n + 1) / 2)'
}

table=()
for size in "${sizes[@]}"; do
    rows=${size%x*}
    features=${size#*x}
    data=$out/normal_${rows}x${features}.csv
    if [[ ! -s $data ]]; then
        echo "bench_lof.sh: writing $data" >&2
        "$py" scripts/bench_lof.py gen "$data.tmp" "$rows" "$features" 1
        mv "$data.tmp" "$data"
    fi
    echo "bench_lof.sh: $size: trafficlens" >&2
    read -r ow oc ok < <(median "ours_$size" "$bin" detect "$data" --no-time --algo lof \
        --n-neighbors 20 --scores-out "$out/ours_$size.csv" --force)
    echo "bench_lof.sh: $size: scikit-learn" >&2
    read -r pw pc pk < <(median "sklearn_$size" "$py" scripts/bench_lof.py score "$data" \
        "$out/sklearn_$size.csv")
    read -r rel differ < <("$py" scripts/bench_lof.py compare "$out/ours_$size.csv" \
        "$out/sklearn_$size.csv")
    table+=("$size $ow $oc $ok $pw $pc $pk $rel $differ")
done

echo "LOF k=20 end to end, median of $runs, $(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s | %8s %8s %8s | %8s %8s %8s | %6s | %9s %7s\n" "rows x f" "ours s" "CPU s" \
    "peak MB" "sklearn" "CPU s" "peak MB" "ratio" "max rel" "flags"
for line in "${table[@]}"; do
    echo "$line" | awk '{ printf "%-10s | %8.2f %8.2f %8.0f | %8.2f %8.2f %8.0f | %5.1fx | %9s %7s\n",
        $1, $2, $3, $4 / 1024, $5, $6, $7 / 1024, $5 / $2, $8, $9 }'
done

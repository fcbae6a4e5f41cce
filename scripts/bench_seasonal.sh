#!/usr/bin/env bash
# Seasonal scoring speed, side by side with the nearest Python practice: whole processes, each
# reading the same CSV and writing one score per row.
#
# Usage: scripts/bench_seasonal.sh [ALGO [extra `trafficlens detect` arguments...]]
#   scripts/bench_seasonal.sh                 # --algo seasonal
#   scripts/bench_seasonal.sh iforest         # any other detector, same data
#
# Steps: writes target/bench_seasonal/hourly_ROWS.csv once (hourly, SERIES series with a daily
# and a weekly rhythm, noise and rare spikes; scripts/bench_seasonal.py gen); makes the Python in
# target/benchenv (numpy, pandas, statsmodels from PyPI) unless it is there; builds
# target/release/trafficlens; times
#   trafficlens detect FILE --algo ALGO [extra...] --scores-out target/bench_seasonal/ours.csv
# and
#   python scripts/bench_seasonal.py score FILE target/bench_seasonal/python.csv [PY_ROWS]
# (statsmodels MSTL, periods 24 and 168, plus a rolling robust z; see that script) under
# /usr/bin/time -v, and prints wall time, CPU time (user + system), peak memory (maximum resident
# set size), points per second (rows x series / wall time) and the ratios.
#
# Environment:
#   ROWS      rows of the data (default 10000000)
#   SERIES    series (columns) of the data (default 6)
#   PY_ROWS   rows the Python side scores (default: ROWS). When fewer, its wall and CPU times are
#             extrapolated linearly to ROWS (MSTL and the rolling windows are linear in the rows)
#             and the table says so; its peak memory is then the prefix's, as measured.
# The Python side's measurement is kept in target/bench_seasonal/python_ROWSxSERIES_PY_ROWS.time
# and reused by later runs (it does not depend on ALGO); delete that file to measure it again.
#
#   BENCH_BIN a trafficlens binary to time instead of building target/release/trafficlens
set -euo pipefail

algo=${1:-seasonal}
[[ $# -gt 0 ]] && shift
rows=${ROWS:-10000000}
series=${SERIES:-6}
py_rows=${PY_ROWS:-$rows}

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=target/bench_seasonal
mkdir -p "$out"

if ! target/benchenv/bin/python -c 'import numpy, pandas, statsmodels' 2>/dev/null; then
    echo "bench_seasonal.sh: making the Python in target/benchenv" >&2
    python3 -m venv target/benchenv
    target/benchenv/bin/pip install --quiet numpy pandas statsmodels
fi
py=target/benchenv/bin/python

data=$out/hourly_${rows}x${series}.csv
if [[ ! -s $data ]]; then
    echo "bench_seasonal.sh: writing $data" >&2
    "$py" scripts/bench_seasonal.py gen "$data.tmp" "$rows" "$series" 1
    mv "$data.tmp" "$data"
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
        echo "bench_seasonal.sh: failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
    measure_log "$log"
}

# Reads /usr/bin/time -v's report; prints "wall cpu peak_kb".
measure_log() {
    awk -F': ' '
        /User time/ { cpu += $2 }
        /System time/ { cpu += $2 }
        /Maximum resident set size/ { kb = $2 }
        /Elapsed \(wall clock\)/ {
            n = split($2, p, ":"); wall = 0
            for (i = 1; i <= n; i++) wall = wall * 60 + p[i]
        }
        END { printf "%.2f %.2f %d\n", wall, cpu, kb }' "$1"
}

echo "bench_seasonal.sh: trafficlens detect --algo $algo $* on $rows rows x $series series" >&2
read -r our_wall our_cpu our_kb < <(measure "$out/ours.time" \
    "$bin" detect "$data" --algo "$algo" "$@" --scores-out "$out/ours.csv" --force)

# The Python side does not depend on ALGO: its measurement is kept per data file and prefix
# (delete the .time file to measure it again).
py_time=$out/python_${rows}x${series}_${py_rows}.time
if [[ -s $py_time ]]; then
    echo "bench_seasonal.sh: Python on $py_rows rows: the measurement in $py_time" >&2
    read -r py_wall py_cpu py_kb < <(measure_log "$py_time")
else
    echo "bench_seasonal.sh: Python (statsmodels MSTL + rolling robust z) on $py_rows rows" >&2
    if [[ $py_rows -lt $rows ]]; then
        read -r py_wall py_cpu py_kb < <(measure "$py_time.new" \
            "$py" scripts/bench_seasonal.py score "$data" "$out/python.csv" "$py_rows")
    else
        read -r py_wall py_cpu py_kb < <(measure "$py_time.new" \
            "$py" scripts/bench_seasonal.py score "$data" "$out/python.csv")
    fi
    mv "$py_time.new" "$py_time"
fi

awk -v rows="$rows" -v series="$series" -v py_rows="$py_rows" -v algo="$algo" \
    -v ow="$our_wall" -v oc="$our_cpu" -v ok="$our_kb" \
    -v pw="$py_wall" -v pc="$py_cpu" -v pk="$py_kb" 'BEGIN {
    scale = rows / py_rows
    printf "%d rows x %d series, %d cores\n", rows, series, '"$(nproc)"'
    printf "%-34s %10s %10s %12s %16s\n", "", "wall s", "CPU s", "peak MB", "points/s"
    printf "%-34s %10.2f %10.2f %12.0f %16.0f\n", "trafficlens --algo " algo, ow, oc, ok / 1024, rows * series / ow
    if (scale > 1) {
        printf "%-34s %10.2f %10.2f %12.0f %16.0f\n", "python, measured on " py_rows " rows", pw, pc, pk / 1024, py_rows * series / pw
        printf "%-34s %10.2f %10.2f %12s %16.0f\n", "python, extrapolated x" scale, pw * scale, pc * scale, "-", py_rows * series / pw
    } else {
        printf "%-34s %10.2f %10.2f %12.0f %16.0f\n", "python (statsmodels MSTL)", pw, pc, pk / 1024, rows * series / pw
    }
    printf "ratio (python / trafficlens): wall %.1fx, CPU %.1fx%s\n", pw * scale / ow, pc * scale / oc, (scale > 1 ? " (python extrapolated linearly)" : "")
}'

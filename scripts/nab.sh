#!/usr/bin/env bash
# Scores a TrafficLens detector on the Numenta Anomaly Benchmark (NAB): 58 labelled series,
# NAB's own scorer. A benchmark, not a test: it builds the release binary and takes minutes.
#
# Usage: scripts/nab.sh ALGO [extra `trafficlens detect` arguments...]
#   scripts/nab.sh iforest
#   scripts/nab.sh seasonal --score-reference history --hold-off 16
#   NAB_NAME=tlseasonalx scripts/nab.sh seasonal --some-option 3
#
# Steps: copies ../shared/nab (NAB's data, labels and scorer; see its README) to target/nab;
# makes the scorer's Python in target/nabenv (pandas<2, numpy<2, simplejson from PyPI) unless it
# is there; builds target/release/trafficlens; runs
#   trafficlens detect SERIES --algo ALGO [extra...] --scores-out target/nab-scores/NAME/...
# on every series (each run sees one whole series: the detector's own causality decides whether
# the result is comparable, see NAB's rules); turns the scores into NAB's results files by one
# fixed monotone map (scripts/nab_results.py says which and why); registers the detector in
# config/thresholds.json; runs NAB's scorer (run.py --optimize --score --normalize) and prints
# the standard, reward_low_FP_rate and reward_low_FN_rate scores and the times taken.
#
# Environment:
#   NAB_NAME   the detector's name in NAB (no `_`; default tl + ALGO, such as tliforest)
#   NAB_MAP    the score map (default: identity for iforest, whose score is in (0, 1], and for
#              seasonal, whose score is in [0, 1); softsign:0:1 otherwise;
#              scripts/nab_results.py lists the maps)
#   NAB_SRC    the NAB kit (default ../shared/nab)
#   NAB_BIN    a trafficlens binary to run instead of building target/release/trafficlens
set -euo pipefail

if [[ $# -lt 1 ]]; then
    sed -n '2,10p' "$0" >&2
    exit 2
fi
algo=$1
shift

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
src=${NAB_SRC:-../shared/nab}
name=${NAB_NAME:-tl${algo//[^A-Za-z0-9]/}}
if [[ $name == *_* || -z $name ]]; then
    echo "nab.sh: the detector name '$name' must be non-empty and have no '_' (NAB splits names on it)" >&2
    exit 2
fi
if [[ -n ${NAB_MAP:-} ]]; then
    map=$NAB_MAP
elif [[ $algo == iforest || $algo == seasonal ]]; then
    map=identity
else
    map=softsign:0:1
fi
if [[ ! -f $src/run.py ]]; then
    echo "nab.sh: no NAB kit at $src (expected $src/run.py); set NAB_SRC" >&2
    exit 1
fi

nab=target/nab
scores=target/nab-scores/$name
rm -rf "$nab" "$scores"
mkdir -p target
cp -r "$src" "$nab"
chmod -R u+w "$nab"

if ! target/nabenv/bin/python -c 'import pandas, numpy, simplejson' 2>/dev/null; then
    echo "nab.sh: making the scorer's Python in target/nabenv" >&2
    python3 -m venv target/nabenv
    target/nabenv/bin/pip install --quiet "pandas<2" "numpy<2" simplejson
fi

if [[ -n ${NAB_BIN:-} ]]; then
    bin=$NAB_BIN
else
    cargo build --release --locked
    bin=target/release/trafficlens
fi

echo "nab.sh: trafficlens detect --algo $algo $* on every series of $src (detector $name, map $map)" >&2
start=$(date +%s.%N)
n=0
while IFS= read -r -d '' file; do
    rel=${file#"$nab/data/"}
    mkdir -p "$scores/$(dirname "$rel")"
    if ! "$bin" detect "$file" --algo "$algo" "$@" --scores-out "$scores/$rel" >/dev/null 2>"$scores/$rel.log"; then
        echo "nab.sh: trafficlens failed on $rel:" >&2
        cat "$scores/$rel.log" >&2
        exit 1
    fi
    n=$((n + 1))
done < <(find "$nab/data" -name '*.csv' -print0 | sort -z)
detect_end=$(date +%s.%N)

python3 scripts/nab_results.py results "$nab" "$scores" "$name" "$map"
python3 scripts/nab_results.py register "$nab" "$name"
(cd "$nab" && ../nabenv/bin/python run.py -d "$name" --optimize --score --normalize --skipConfirmation >run.log 2>&1) || {
    echo "nab.sh: NAB's scorer failed; its output:" >&2
    cat "$nab/run.log" >&2
    exit 1
}
end=$(date +%s.%N)

python3 scripts/nab_results.py report "$nab" "$name"
awk -v n="$n" -v a="$start" -v b="$detect_end" -v c="$end" 'BEGIN {
    printf "detect on %d series: %.1f s; NAB scoring: %.1f s; total: %.1f s\n", n, b - a, c - b, c - a
}'

#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ one after another (one process, no -fork, so the
# machine stays usable) for SECONDS each, then prints the executions and the outcome per target.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (SECONDS defaults to 600, TARGETs to all)
#
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). Fuzzers are
# built without sanitizers (`-s none`): panics, timeouts and running out of memory are still
# caught. The corpus grows in fuzz/corpus/TARGET (minimise it before committing with
# `cargo +nightly fuzz cmin -s none TARGET`); a crash is saved in fuzz/artifacts/TARGET and the
# full output of each run is in fuzz/logs/TARGET.log. Exits non-zero if any target found a crash.
set -uo pipefail

seconds="${1:-600}"
shift || true
cd "$(dirname "$0")/../fuzz" || exit 2
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

cargo +nightly fuzz build -s none || exit 2
mkdir -p logs
failed=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    log="logs/$target.log"
    started=$(date +%s)
    if cargo +nightly fuzz run -s none "$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
        >"$log" 2>&1; then
        outcome="no findings"
    else
        outcome="FOUND a crash, hang or OOM: see fuzz/$log and fuzz/artifacts/$target"
        failed=1
    fi
    took=$(($(date +%s) - started))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
    line=$(printf '%-16s %12s executions in %5ss  corpus %5s files  %s' "$target" "${execs:-?}" \
        "$took" "$(find "corpus/$target" -type f | wc -l)" "$outcome")
    echo "$line"
    summary+=("$line")
done
echo
echo "Summary ($seconds s per target):"
printf '%s\n' "${summary[@]}"
exit "$failed"

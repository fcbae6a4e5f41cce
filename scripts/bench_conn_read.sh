#!/usr/bin/env bash
# Speed of reading a Zeek conn.log (issue 15): `trafficlens stats FILE` (read the log and make
# its hosts view) against pandas `read_csv(FILE, sep='\t', comment='#', header=None)` of the same
# file, each a whole process, median of RUNS (default 3) runs each; prints MB/s and the ratio.
#
#   scripts/bench_conn_read.sh [MB]          # default 200 MB
#   TRAFFICLENS=target/debug/trafficlens scripts/bench_conn_read.sh 5   # a quick check
#
# The log is generated here (seeded, so the same MB give the same file): Zeek's header lines and
# 22 fields as Zeek 6 writes them, 2,000 hosts talking to 500 servers on 12 ports, with S0, REJ
# and SF states, unset (`-`) fields and a label column, as in the data sets.
# Uses target/release/trafficlens unless TRAFFICLENS names another binary (it builds the
# release binary when that is missing); uses python3's pandas, or makes target/benchenv with
# pandas from PyPI when python3 has none.
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-200}"
runs="${RUNS:-3}"
bin="${TRAFFICLENS:-target/release/trafficlens}"
if [[ ! -x $bin ]]; then
    if [[ $bin == target/release/trafficlens ]]; then
        cargo build --release --locked
    else
        echo "bench_conn_read.sh: $bin is not an executable" >&2
        exit 1
    fi
fi
py=python3
if ! python3 -c 'import pandas' 2>/dev/null; then
    if ! target/benchenv/bin/python -c 'import pandas' 2>/dev/null; then
        echo "bench_conn_read.sh: making the Python in target/benchenv" >&2
        python3 -m venv target/benchenv
        target/benchenv/bin/pip install --quiet pandas
    fi
    py=target/benchenv/bin/python
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
log="$dir/conn.log"

python3 - "$log" "$mb" <<'PY'
import random, sys
path, mb = sys.argv[1], float(sys.argv[2])
rng = random.Random(15)
fields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
          "duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp",
          "missed_bytes", "history", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes",
          "tunnel_parents", "label"]
types = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count",
         "count", "string", "bool", "bool", "count", "string", "count", "count", "count", "count",
         "set[string]", "string"]
hosts = [f"10.{i // 250}.{i % 250}.{1 + i % 7}" for i in range(2000)]
servers = [f"198.51.{i // 200}.{i % 200 + 1}" for i in range(500)]
ports = [(80, "tcp", "http"), (443, "tcp", "ssl"), (53, "udp", "dns"), (22, "tcp", "ssh"),
         (25, "tcp", "smtp"), (123, "udp", "ntp"), (8080, "tcp", "http"), (3389, "tcp", "-"),
         (445, "tcp", "-"), (993, "tcp", "ssl"), (5353, "udp", "dns"), (1900, "udp", "-")]
target = int(mb * 1e6)
written = 0
ts = 1772442000.0
with open(path, "w") as f:
    head = ("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
            "#path\tconn\n#open\t2026-03-02-09-00-00\n#fields\t" + "\t".join(fields) + "\n"
            "#types\t" + "\t".join(types) + "\n")
    f.write(head)
    written += len(head)
    n = 0
    chunk = []
    while written < target:
        n += 1
        ts += rng.expovariate(200.0)
        port, proto, service = ports[rng.randrange(len(ports))]
        r = rng.random()
        if r < 0.08:
            state, dur, ob, rb, hist, lab = "S0", "-", "-", "-", "S", "Malicious"
        elif r < 0.15:
            state, dur, ob, rb, hist, lab = "REJ", "0.000311", "0", "0", "Sr", "Malicious"
        else:
            state, hist, lab = "SF", "ShADadFf", "benign"
            dur = f"{rng.expovariate(0.5):.6f}"
            ob, rb = str(rng.randrange(40, 5000)), str(rng.randrange(40, 200000))
        line = (f"{ts:.6f}\tC{n:017x}\t{hosts[rng.randrange(2000)]}\t{rng.randrange(1024, 65535)}\t"
                f"{servers[rng.randrange(500)]}\t{port}\t{proto}\t{service}\t{dur}\t{ob}\t{rb}\t"
                f"{state}\tT\tF\t0\t{hist}\t{rng.randrange(1, 40)}\t{rng.randrange(60, 9000)}\t"
                f"{rng.randrange(0, 60)}\t{rng.randrange(0, 250000)}\t(empty)\t{lab}\n")
        chunk.append(line)
        written += len(line)
        if len(chunk) == 10000:
            f.write("".join(chunk))
            chunk = []
    f.write("".join(chunk))
    f.write("#close\t2026-03-02-15-00-00\n")
PY

size=$(stat -c %s "$log")
cat "$log" >/dev/null # into the page cache for both
cat >"$dir/pandas_read.py" <<'PY'
import sys
import pandas as pd
df = pd.read_csv(sys.argv[1], sep="\t", comment="#", header=None, low_memory=False)
print(f"pandas: {len(df)} rows, {len(df.columns)} columns", file=sys.stderr)
PY
now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: >"$dir/tl.times"
: >"$dir/pd.times"
for _ in $(seq "$runs"); do
    t0=$(now)
    "$bin" stats "$log" >"$dir/tl.out" 2>"$dir/tl.err"
    t1=$(now)
    "$py" "$dir/pandas_read.py" "$log" 2>"$dir/pd.err"
    t2=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }' >>"$dir/tl.times"
    awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }' >>"$dir/pd.times"
done
grep -h -E '^(File|Rows) ' "$dir/tl.out" || true
cat "$dir/pd.err"
tl=$(median <"$dir/tl.times")
pd=$(median <"$dir/pd.times")
awk -v s="$size" -v tl="$tl" -v pd="$pd" -v runs="$runs" -v bin="$bin" 'BEGIN {
    printf "conn.log: %.1f MB; median of %d runs, whole processes\n", s / 1e6, runs;
    printf "%s stats: %.2f s (%.1f MB/s)\n", bin, tl, s / 1e6 / tl;
    printf "pandas read_csv(sep=\"\\t\", comment=\"#\"): %.2f s (%.1f MB/s)\n", pd, s / 1e6 / pd;
    printf "ratio (pandas time / trafficlens time): %.1fx (target: at least 5x)\n", pd / tl }'

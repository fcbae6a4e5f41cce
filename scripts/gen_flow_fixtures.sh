#!/usr/bin/env bash
# Writes the flow-record fixtures of tests/data/flows/ from the packet captures of
# tests/data/pcap/ (loopback.pcapng is a real capture of this machine's loopback; the others are
# written by scripts/gen_pcap_fixtures.py) with the real tools:
#
#   nfdump 1.7 (Debian's `nfdump` package): nfpcapd -r CAPTURE -w DIR, then
#     nfdump -r DIR/nfcapd.* -o csv            -> NAME.nfdump.csv (one record per direction)
#   Argus 3.0 (Debian's `argus-server` and `argus-client`): argus -r CAPTURE -w FILE.argus, then
#     ra -F rarc -r FILE.argus -n -c , -s <CTU-13's fields> -Z b - not man
#                                              -> NAME.binetflow (TCP flag states, as CTU-13)
#     the same without -Z b                    -> NAME.argus.csv (Argus's state words)
#
# Times are written in UTC (TZ=UTC: nfdump prints local time). The `ts` of nfdump's records
# is in whole seconds. Then, made here by hand from the real outputs:
#   bad.nfdump.csv, bad.binetflow: malformed lines at known line numbers (the tests check them)
#   scan.binetflow.gz: gzip of scan.binetflow
#
#   apt-get install -y nfdump argus-server argus-client
#   scripts/gen_flow_fixtures.sh          # from the repository root
set -euo pipefail
export TZ=UTC
root="$(cd "$(dirname "$0")/.." && pwd)"
pcaps="$root/tests/data/pcap"
out="$root/tests/data/flows"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
for tool in nfpcapd nfdump argus ra; do
    command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install -y nfdump argus-server argus-client" >&2; exit 1; }
done
printf 'RA_TIME_FORMAT="%%Y/%%m/%%d %%T.%%f"\nRA_PRINT_LABELS=0\n' >"$work/rarc"
fields="stime dur proto saddr sport dir daddr dport state stos dtos pkts bytes sbytes"
for capture in http.pcap scan.pcap mixed.pcap dns.pcapng loopback.pcapng; do
    name="${capture%%.*}"
    mkdir -p "$work/nf_$name"
    nfpcapd -r "$pcaps/$capture" -w "$work/nf_$name" >/dev/null 2>&1
    nfdump -r "$work/nf_$name"/nfcapd.* -o csv >"$out/$name.nfdump.csv"
    argus -r "$pcaps/$capture" -w "$work/$name.argus" >/dev/null 2>&1
    # shellcheck disable=SC2086
    ra -F "$work/rarc" -r "$work/$name.argus" -n -c , -s $fields -Z b - not man >"$out/$name.binetflow"
    # shellcheck disable=SC2086
    ra -F "$work/rarc" -r "$work/$name.argus" -n -c , -s $fields - not man >"$out/$name.argus.csv"
done
# The Label column of the CTU-13 files, added to scan.binetflow (a scan attempt per port).
awk 'NR == 1 { print $0 ",Label"; next } { print $0 ",flow=From-Botnet-Scan" }' \
    "$out/scan.binetflow" >"$work/scan.labelled" && mv "$work/scan.labelled" "$out/scan.binetflow"
gzip -9 -n -c "$out/scan.binetflow" >"$out/scan.binetflow.gz"
# Malformed lines: line 3 an address cut short, line 5 a field missing, line 6 not a port.
awk 'NR == 3 { sub(/10\.0\.0\.10,/, "10.0.0,") } NR == 5 { sub(/,[^,]*$/, "") } NR == 6 { sub(/,80,/, ",http,") } { print }' \
    "$out/http.nfdump.csv" >"$out/bad.nfdump.csv"
awk -F, 'NR == 2 { $1 = "00:00:01.000000" } NR == 3 { $5 = "0xZZ" } { print }' OFS=, \
    "$out/http.binetflow" >"$out/bad.binetflow"
ls -l "$out"

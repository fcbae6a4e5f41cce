#!/usr/bin/env python3
"""Merges a scanner session's access log (nginx, combined format, all from 127.0.0.1) into a
real access log: each scanner's lines get an address of their own (by user agent: Nmap's
scripting engine, sqlmap), their times are shifted to start at a given hour of the real log's
first day, keeping their spacing, and the result is sorted by time.

usage: real_log_merge.py REAL_LOG SCANNER_LOG OUT"""
import re
import sys
from datetime import datetime, timedelta

REAL, SCAN, OUT = sys.argv[1:4]
FMT = "%d/%b/%Y:%H:%M:%S %z"
TIME = re.compile(r"\[([^\]]+)\]")
SCANNERS = [("Nmap Scripting Engine", "198.51.100.23", 13), ("sqlmap", "203.0.113.77", 15)]


def when(line):
    return datetime.strptime(TIME.search(line).group(1), FMT)


real = [l.rstrip("\n") for l in open(REAL, encoding="utf-8", errors="replace") if TIME.search(l)]
day = min(when(l) for l in real).replace(hour=0, minute=0, second=0)
out = [(when(l), l) for l in real]
scan = [l.rstrip("\n") for l in open(SCAN, encoding="utf-8", errors="replace") if TIME.search(l)]
for token, address, hour in SCANNERS:
    mine = [l for l in scan if token in l]
    if not mine:
        continue
    shift = day + timedelta(days=1, hours=hour) - when(mine[0])
    for l in mine:
        t = when(l) + shift
        l = address + l[l.index(" "):]
        l = TIME.sub("[" + t.strftime(FMT) + "]", l, count=1)
        out.append((t, l))
out.sort(key=lambda x: x[0])
with open(OUT, "w", encoding="utf-8") as f:
    for _, l in out:
        f.write(l + "\n")
print(f"{len(out)} lines ({len(out) - len(real)} scanner lines) written to {OUT}")

#!/usr/bin/env python3
"""Writes tests/data/zeek/traffic.log.gz: ten days of a small office network's connections as a
Zeek conn.log (tab-separated, gzip), busy by day and quiet by night, with one vertical port scan
at night: 10.0.1.66 tries ports 1-600 of 10.0.0.5 in 60 s on day 8 at 03:10 UTC, all rejected.

The traffic view of it (`--view traffic --bucket 1h`) must flag the scan's hour with the seasonal
detector (tests/network_traffic.rs). Fixed seed; gzip without a timestamp, so the bytes repeat:

    python3 scripts/gen_conn_traffic_fixture.py
"""

import gzip
import math
import random

T0 = 1_772_409_600  # 2026-03-02 00:00 UTC
DAYS = 10
SCAN_START = T0 + 7 * 86_400 + 3 * 3600 + 600
OUT = "tests/data/zeek/traffic.log.gz"

HEAD = [
    "#separator \\x09",
    "#set_separator\t,",
    "#empty_field\t(empty)",
    "#unset_field\t-",
    "#path\tconn",
    "#open\t2026-03-02-00-00-00",
    "#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\tresp_bytes\tconn_state",
    "#types\ttime\taddr\tport\taddr\tport\tenum\tinterval\tcount\tcount\tstring",
]


def main():
    rng = random.Random(15)
    rows = []
    servers = [f"198.51.100.{i}" for i in range(1, 21)]
    for hour in range(DAYS * 24):
        h = hour % 24
        # Busy from 08:00 to 18:00, a trickle at night.
        rate = 4 + 36 * max(0.0, math.sin(math.pi * (h - 7) / 12)) if 7 <= h <= 19 else 4
        n = max(1, int(rng.gauss(rate, math.sqrt(rate))))
        for _ in range(n):
            ts = T0 + hour * 3600 + rng.uniform(0, 3600)
            orig = f"10.0.1.{rng.randint(1, 40)}"
            kind = rng.random()
            if kind < 0.2:
                resp, port, proto, out, inn = "10.0.0.53", 53, "udp", 40, 90
            else:
                resp = rng.choice(servers)
                port = 443 if rng.random() < 0.8 else 80
                proto, out, inn = "tcp", rng.randint(300, 5000), rng.randint(3000, 400_000)
            if rng.random() < 0.02 and proto == "tcp":
                rows.append((ts, orig, resp, port, proto, "-", "-", "-", "S0"))
            else:
                dur = f"{rng.uniform(0.01, 30):.6f}"
                rows.append((ts, orig, resp, port, proto, dur, str(out), str(inn), "SF"))
    for p in range(1, 601):
        ts = SCAN_START + 0.1 * (p - 1)
        rows.append((ts, "10.0.1.66", "10.0.0.5", p, "tcp", "0.000300", "0", "0", "REJ"))
    rows.sort(key=lambda r: r[0])
    lines = list(HEAD)
    for ts, orig, resp, port, proto, dur, out, inn, state in rows:
        sport = 30000 + int(ts * 7) % 30000
        lines.append(f"{ts:.6f}\t{orig}\t{sport}\t{resp}\t{port}\t{proto}\t{dur}\t{out}\t{inn}\t{state}")
    lines.append("#close\t2026-03-12-00-00-00")
    data = ("\n".join(lines) + "\n").encode()
    with open(OUT, "wb") as f:
        f.write(gzip.compress(data, mtime=0))
    print(f"{OUT}: {len(rows)} connections")


if __name__ == "__main__":
    main()

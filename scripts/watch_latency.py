#!/usr/bin/env python3
"""Alert latency of `trafficlens watch` on a live-appended file.

    scripts/watch_latency.py BIN LOG [RATE]

Starts `BIN watch LIVE --alerts-out ALERTS` on an empty file (followed from its end), then
appends the lines of LOG to it at RATE lines per second (default 20,000) in batches every 10 ms,
noting when each line was written, while another thread polls the alerts file every 2 ms and
notes when each alert appears. A client alert's samples end with the line that raised it, so
its latency is the time from that line's write to the alert's appearance in the file. Bucket
alerts are counted but not timed (their samples are the bucket's first lines, not the line
that closed it). Prints the count, p50, p99 and maximum in milliseconds.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time


def percentile(sorted_values, q):
    """The q-th percentile (0-100) by linear interpolation, as numpy's default."""
    if not sorted_values:
        return float("nan")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, log = sys.argv[1], sys.argv[2]
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 20000.0
    with open(log, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    work = tempfile.mkdtemp()
    live = os.path.join(work, "live.log")
    alerts_path = os.path.join(work, "alerts.jsonl")
    open(live, "wb").close()
    watch = subprocess.Popen(
        [binary, "watch", live, "--alerts-out", alerts_path],
        stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(work, "stderr"), "wb"),
    )
    time.sleep(1.0)

    seen = []  # (arrival time, alert)
    done = threading.Event()

    def poll_alerts():
        offset = 0
        pending = b""
        while True:
            finished = done.is_set()
            try:
                with open(alerts_path, "rb") as f:
                    f.seek(offset)
                    data = f.read()
            except FileNotFoundError:
                data = b""
            now = time.monotonic()
            offset += len(data)
            pending += data
            *whole, pending = pending.split(b"\n")
            for line in whole:
                if line:
                    seen.append((now, json.loads(line)))
            if finished:
                return
            time.sleep(0.002)

    poller = threading.Thread(target=poll_alerts)
    poller.start()
    written = {}  # line text -> write time (the latest)
    batch = max(1, int(rate / 100))
    start = time.monotonic()
    with open(live, "ab", buffering=0) as out:
        for i in range(0, len(lines), batch):
            due = start + i / rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            chunk = lines[i : i + batch]
            out.write(b"".join(chunk))
            now = time.monotonic()
            for line in chunk:
                written[line.rstrip(b"\r\n")] = now
    elapsed = time.monotonic() - start
    time.sleep(3.0)
    watch.send_signal(signal.SIGINT)
    watch.wait(timeout=60)
    done.set()
    poller.join()

    latencies = []
    untimed = 0
    for arrival, alert in seen:
        if alert.get("kind") != "raised" or not alert["subject"].startswith("client "):
            untimed += 1
            continue
        trigger = alert["samples"][-1].encode()
        t = written.get(trigger)
        if t is None:
            untimed += 1
            continue
        latencies.append((arrival - t) * 1000.0)
    latencies.sort()
    print(
        f"wrote {len(lines)} lines in {elapsed:.1f} s ({len(lines) / elapsed:.0f} lines/s); "
        f"{len(seen)} alerts, {len(latencies)} client raises timed, {untimed} others not timed"
    )
    print(
        f"latency from a line's write to its alert in the file: p50 {percentile(latencies, 50):.0f} ms, "
        f"p99 {percentile(latencies, 99):.0f} ms, max {latencies[-1] if latencies else float('nan'):.0f} ms"
    )
    with open(os.path.join(work, "stderr"), "rb") as f:
        tail = f.read().decode(errors="replace").strip().splitlines()[-2:]
    for line in tail:
        print(line)
    subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()

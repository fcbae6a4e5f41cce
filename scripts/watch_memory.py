#!/usr/bin/env python3
"""Memory of `trafficlens watch` over a long live run with many clients coming and going.

    scripts/watch_memory.py BIN [MINUTES] [RATE] [CLIENTS]

Starts `BIN watch LIVE --alerts-out ALERTS` on an empty file (followed from its end) and appends
access log lines (combined format, stamped with the current time) at RATE lines per second
(default 20,000) for MINUTES minutes (default 30), in batches every 10 ms. CLIENTS distinct
addresses (default 200,000) come and go: client i is active for five minutes starting at
i * MINUTES / CLIENTS of the run, so about CLIENTS * 5 / MINUTES are active at any time and
each line picks one of them at random (pages, statuses and sizes at random too). Every 10
seconds it reads the watch's resident memory (VmRSS from /proc) and prints it; at the end it
prints the samples per minute and how far the memory of the second half strays from its own
mean (the issue's target: flat within 10%), the lines written and the watch's own summary.
"""

import os
import random
import signal
import subprocess
import sys
import tempfile
import time

PAGES = [f"/product/{i}" for i in range(300)] + ["/", "/cart", "/search?q=shoes", "/login"]
AGENT = '"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"'


def rss_kb(pid):
    """The process's resident memory in kB, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


def address(i):
    """A distinct address for client i."""
    return f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    minutes = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    rate = float(sys.argv[3]) if len(sys.argv) > 3 else 20000.0
    clients = int(sys.argv[4]) if len(sys.argv) > 4 else 200000
    rng = random.Random(1)
    work = tempfile.mkdtemp()
    live = os.path.join(work, "live.log")
    open(live, "wb").close()
    stderr_path = os.path.join(work, "stderr")
    watch = subprocess.Popen(
        [binary, "watch", live, "--alerts-out", os.path.join(work, "alerts.jsonl")],
        stdout=subprocess.DEVNULL,
        stderr=open(stderr_path, "wb"),
    )
    time.sleep(1.0)
    duration = minutes * 60.0
    every = duration / clients  # seconds between two clients' starts
    active_for = 300.0
    samples = []  # (seconds since start, rss kB)
    written = 0
    start = time.monotonic()
    next_sample = 0.0
    with open(live, "ab", buffering=0) as out:
        while True:
            now = time.monotonic() - start
            if now >= duration:
                break
            due = int(now * rate)
            if due > written:
                stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime())
                newest = min(clients - 1, int(now / every))
                oldest = max(0, int((now - active_for) / every))
                batch = []
                for _ in range(due - written):
                    c = rng.randint(oldest, newest)
                    page = PAGES[rng.randrange(len(PAGES))]
                    status = 404 if rng.random() < 0.02 else 200
                    size = rng.randint(500, 40000)
                    batch.append(
                        f'{address(c)} - - [{stamp}] "GET {page} HTTP/1.1" {status} {size} '
                        f'"-" {AGENT}\n'
                    )
                out.write("".join(batch).encode())
                written = due
            if now >= next_sample:
                kb = rss_kb(watch.pid)
                if kb is None:
                    sys.exit("watch_memory.py: the watch exited early; see " + stderr_path)
                samples.append((now, kb))
                print(f"{now:7.0f} s  {written:>11,} lines  rss {kb / 1024:7.1f} MB", flush=True)
                next_sample += 10.0
            time.sleep(0.01)
    watch.send_signal(signal.SIGINT)
    watch.wait(timeout=60)
    print(f"wrote {written:,} lines in {duration:.0f} s ({written / duration:,.0f} lines/s) "
          f"from {clients:,} clients (about {clients * active_for / duration:,.0f} active at once)")
    half = [kb for t, kb in samples if t >= duration / 2]
    if half:
        mean = sum(half) / len(half)
        spread = max(abs(kb - mean) for kb in half) / mean
        print(f"second half: mean {mean / 1024:.1f} MB, min {min(half) / 1024:.1f} MB, "
              f"max {max(half) / 1024:.1f} MB, largest deviation from the mean {spread:.1%}")
    print(f"peak {max(kb for _, kb in samples) / 1024:.1f} MB")
    with open(stderr_path) as f:
        sys.stdout.write(f.read()[-2000:])


if __name__ == "__main__":
    main()

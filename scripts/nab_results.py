#!/usr/bin/env python3
"""Helper of scripts/nab.sh: turns `trafficlens detect --scores-out` files into NAB results.

Subcommands (standard library only, so it runs with any Python 3):

  results NAB SCORES DETECTOR MAP
      For every series NAB/data/CATEGORY/NAME.csv, reads SCORES/CATEGORY/NAME.csv (columns
      `row,anomaly_score,flagged`, one row per input row) and writes
      NAB/results/DETECTOR/CATEGORY/DETECTOR_NAME.csv with the columns NAB's scorer reads:
      `timestamp,value,anomaly_score,label`. `label` is 1 inside a window of
      NAB/labels/combined_windows.json (the scorer reads the windows from that file itself; the
      column is written because NAB's results format has it, the detector never sees it).

  register NAB DETECTOR
      Adds DETECTOR to NAB/config/thresholds.json (starting thresholds 0.5; `--optimize`
      replaces them).

  report NAB DETECTOR
      Prints the detector's standard, reward_low_FP_rate and reward_low_FN_rate scores from
      NAB/results/final_results.json.

The score map (MAP) is ONE fixed monotone function for all 58 series: it uses no other row (so
no future row) and no label, which keeps the run causal when the detector's score is.
  identity          s, clipped to [0, 1] (Isolation Forest's score is already in (0, 1], the
                    seasonal baseline's in [0, 1)).
  softsign:M:C      0.5 + 0.5 * z / (1 + |z|) with z = (s - M) / C: strictly increasing over
                    all real s, in (0, 1), and it never rounds a large score to exactly 1.0.
NAB sweeps the threshold over every distinct anomaly score of the whole corpus (nab/sweeper.py,
calcScoreByThreshold), so any strictly increasing map gives the same NAB score; M and C only
matter for the scores' resolution in the results files, which are written with 17 significant
digits. A map that saturates (1 - exp(-s/c) reaches 1.0 for s/c > 37) would merge the highest
scores into ties, which is why softsign is used for unbounded scores.

  causal-ecdf       NOT a fixed map: a per-series causal calibration. Each row's score becomes
                    the share of the same series' earlier scores that lie below it (0 for the
                    first 10 rows; a new maximum maps just below 1, closer to 1 the further it
                    lies above the earlier maximum). It uses only earlier rows and no label, so
                    NAB's rules hold, but a NAB figure with it measures the detector plus this
                    calibration (scores of different series become comparable), not the
                    detector's raw scores.
"""

import bisect

import csv
import datetime
import json
import math
import os
import sys


def parse_time(text):
    """NAB's timestamps: `2014-04-10 07:15:00`, labels with `.000000` appended."""
    text = text.strip()
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.datetime.strptime(text, fmt)
        except ValueError:
            pass
    raise SystemExit(f"nab_results: cannot read the time stamp {text!r}")


def make_map(spec):
    """The fixed score map named by `spec` (see the module's doc)."""
    if spec == "identity":
        return lambda s: min(max(s, 0.0), 1.0)
    parts = spec.split(":")
    if parts[0] == "softsign" and len(parts) == 3:
        mid, scale = float(parts[1]), float(parts[2])
        if not scale > 0:
            raise SystemExit(f"nab_results: the scale of {spec!r} must be above 0")

        def softsign(s):
            z = (s - mid) / scale
            return 0.5 + 0.5 * z / (1.0 + abs(z))

        return softsign
    raise SystemExit(
        f"nab_results: unknown score map {spec!r}; use identity or softsign:MID:SCALE"
    )


def series(nab):
    """Every series as (category, file name), sorted."""
    data = os.path.join(nab, "data")
    out = []
    for category in sorted(os.listdir(data)):
        folder = os.path.join(data, category)
        if os.path.isdir(folder):
            out += [(category, f) for f in sorted(os.listdir(folder)) if f.endswith(".csv")]
    return out


def read_scores(path, rows):
    """The score of each of `rows` input rows, by the `row` column of the scores file."""
    scores = [None] * rows
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        for rec in reader:
            i = int(rec["row"])
            if not 0 <= i < rows:
                raise SystemExit(f"nab_results: {path}: row {i} is not in the series ({rows} rows)")
            scores[i] = float(rec["anomaly_score"])
    missing = [i for i, s in enumerate(scores) if s is None]
    if missing:
        raise SystemExit(
            f"nab_results: {path}: {len(missing)} rows have no score (first: row {missing[0]})"
        )
    bad = [i for i, s in enumerate(scores) if not math.isfinite(s)]
    if bad:
        raise SystemExit(f"nab_results: {path}: row {bad[0]} has the score {scores[bad[0]]}")
    return scores


def causal_ecdf(scores):
    """The causal-ecdf calibration of one series' scores (see the module's doc)."""
    past, out = [], []
    for s in scores:
        n = len(past)
        if n < 10:
            p = 0.0
        else:
            below = bisect.bisect_left(past, s)
            p = below / n
            if below == n:
                p = 1.0 - 0.5 / (n + 1) * math.exp(-(s - past[-1]) / (abs(past[-1]) + 1e-9))
        bisect.insort(past, s)
        out.append(p)
    return out


def results(nab, scores_dir, detector, spec):
    calibrate = spec == "causal-ecdf"
    score_map = None if calibrate else make_map(spec)
    with open(os.path.join(nab, "labels", "combined_windows.json")) as f:
        windows = json.load(f)
    count = 0
    for category, name in series(nab):
        key = f"{category}/{name}"
        with open(os.path.join(nab, "data", category, name), newline="") as f:
            data = list(csv.DictReader(f))
        scores = read_scores(os.path.join(scores_dir, category, name), len(data))
        mapped = causal_ecdf(scores) if calibrate else [score_map(s) for s in scores]
        limits = [(parse_time(a), parse_time(b)) for a, b in windows.get(key, [])]
        out_dir = os.path.join(nab, "results", detector, category)
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, f"{detector}_{name}"), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["timestamp", "value", "anomaly_score", "label"])
            for rec, s in zip(data, mapped):
                t = parse_time(rec["timestamp"])
                label = int(any(a <= t <= b for a, b in limits))
                w.writerow([rec["timestamp"], rec["value"], repr(s), label])
        count += 1
    print(f"nab_results: wrote {count} results files for {detector} (score map {spec})")


def register(nab, detector):
    path = os.path.join(nab, "config", "thresholds.json")
    with open(path) as f:
        thresholds = json.load(f)
    thresholds[detector] = {
        profile: {"score": 0.0, "threshold": 0.5}
        for profile in ("reward_low_FN_rate", "reward_low_FP_rate", "standard")
    }
    with open(path, "w") as f:
        json.dump(thresholds, f, indent=4, sort_keys=True)


def report(nab, detector):
    with open(os.path.join(nab, "results", "final_results.json")) as f:
        final = json.load(f)
    if detector not in final:
        raise SystemExit(f"nab_results: the scorer wrote no final score for {detector}")
    for profile in ("standard", "reward_low_FP_rate", "reward_low_FN_rate"):
        print(f"{detector} {profile}: {final[detector][profile]:.1f}")


def main(argv):
    if len(argv) == 5 and argv[0] == "results":
        results(*argv[1:])
    elif len(argv) == 3 and argv[0] == "register":
        register(*argv[1:])
    elif len(argv) == 3 and argv[0] == "report":
        report(*argv[1:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""Helper of scripts/bench_seasonal.sh: the benchmark's data and its Python side.

  gen OUT ROWS SERIES SEED
      Writes OUT: `timestamp` (hourly from 2000-01-01) and SERIES columns `Series 1`..: a level,
      a daily and a weekly rhythm (each series its own), multiplicative noise and a spike at
      about one row in 20,000. Made in blocks, so memory stays small. Needs numpy.

  score IN OUT [ROWS]
      The nearest Python practice to TrafficLens's seasonal detector, on the first ROWS rows
      (default: all): per series, statsmodels MSTL with periods 24 and 168 (daily and weekly),
      then a rolling robust z of the residual: (r - median) / (1.4826 * MAD), median and MAD over
      the previous 672 rows (four weeks; the row itself excluded), the MAD taken as the rolling
      median of |r - rolling median| (pandas has no rolling MAD). The row's score is the largest
      |z| of its series. Writes OUT (`row,anomaly_score`). Needs numpy, pandas, statsmodels.

      MSTL is fitted once on each whole series (batch, as it is used in practice): it is not
      causal, and a causal use (a refit per new row) would be far slower. The Python side is
      therefore given the easier task.
"""

import sys

WINDOW = 672  # four weeks of hours


def gen(out, rows, series, seed):
    import numpy as np

    rows, series, seed = int(rows), int(series), int(seed)
    rng = np.random.default_rng(seed)
    level = rng.uniform(100, 300, series)
    daily = rng.uniform(0.3, 0.6, series)
    peak = rng.uniform(12, 17, series)
    weekend = rng.uniform(0.5, 0.8, series)
    noise = rng.uniform(0.04, 0.08, series)
    start = np.datetime64("2000-01-01T00:00:00")
    block = 1_000_000
    with open(out, "w") as f:
        f.write("timestamp," + ",".join(f"Series {i + 1}" for i in range(series)) + "\n")
        for first in range(0, rows, block):
            n = min(block, rows - first)
            hours = np.arange(first, first + n)
            hod = (hours % 24)[:, None]
            # 2000-01-01 was a Saturday: day 0 and 1 of each week are the weekend.
            dow = ((hours // 24) % 7)[:, None]
            values = (
                level
                * (1 + daily * np.sin(2 * np.pi * (hod - peak + 6) / 24))
                * np.where(dow < 2, weekend, 1.0)
                * (1 + noise * rng.standard_normal((n, series)))
            )
            spikes = rng.random((n, series)) < 1 / 20_000
            values = np.where(spikes, values * rng.uniform(3, 6, (n, series)), values)
            times = (start + hours.astype("timedelta64[h]")).astype(str)
            times = np.char.replace(times, "T", " ")
            body = np.column_stack([times, np.char.mod("%.2f", values)])
            f.write("\n".join(",".join(r) for r in body) + "\n")


def score(path, out, rows=None):
    import numpy as np
    import pandas as pd
    from statsmodels.tsa.seasonal import MSTL

    nrows = int(rows) if rows else None
    data = pd.read_csv(path, nrows=nrows)
    best = np.zeros(len(data))
    for name in data.columns[1:]:
        y = data[name].to_numpy(dtype=float)
        resid = pd.Series(MSTL(y, periods=(24, 168)).fit().resid)
        # Causal rolling statistics: the previous WINDOW rows, not the row itself.
        past = resid.shift(1).rolling(WINDOW, min_periods=24)
        med = past.median()
        mad = (resid - med).abs().shift(1).rolling(WINDOW, min_periods=24).median()
        z = ((resid - med) / (1.4826 * mad)).abs().fillna(0.0).to_numpy()
        best = np.maximum(best, z)
    pd.DataFrame({"row": np.arange(len(data)), "anomaly_score": best}).to_csv(out, index=False)


def main(argv):
    if len(argv) == 5 and argv[0] == "gen":
        gen(*argv[1:])
    elif len(argv) in (3, 4) and argv[0] == "score":
        score(*argv[1:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

#!/usr/bin/env python3
"""Regenerate the reference values that the Rust tests compare against.

Run from the repository root:  pip install pandas numpy && python3 scripts/gen_fixtures.py

The tests read the committed files in tests/fixtures/ and never need Python.
Fixtures that need ../shared/data are only written when that folder is present.
"""
import os
import sys

import numpy as np
import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures")
SHARED = os.path.join(ROOT, "..", "shared", "data", "regional_web_traffic.csv")
PERCENTILES = [0.01, 0.25, 0.5, 0.75, 0.99]


def describe(src, dst):
    """pandas describe() (count, mean, std, min, 1%, 25%, 50%, 75%, 99%, max) plus median,
    MAD and numpy 'auto' histogram bin counts, one row per feature."""
    df = pd.read_csv(src)
    time_col = df.columns[0]
    num = df.drop(columns=[time_col])
    d = num.describe(percentiles=PERCENTILES).T
    d["mad"] = [float(np.median(np.abs(num[c] - np.median(num[c])))) for c in num.columns]
    d["bins"] = [len(np.histogram_bin_edges(num[c].to_numpy(), "auto")) - 1 for c in num.columns]
    d.index.name = "feature"
    d.to_csv(dst, float_format="%.17g")
    print("wrote", os.path.relpath(dst, ROOT))


def main():
    os.makedirs(FIX, exist_ok=True)
    describe(os.path.join(ROOT, "sample_data", "web_traffic.csv"), os.path.join(FIX, "sample_describe.csv"))
    if os.path.exists(SHARED):
        describe(SHARED, os.path.join(FIX, "regional_describe.csv"))
        corr = pd.read_csv(SHARED).drop(columns=["Date"]).corr()
        corr.to_csv(os.path.join(FIX, "regional_corr.csv"), float_format="%.17g")
        print("wrote tests/fixtures/regional_corr.csv")
    else:
        print("skipped the regional fixtures: ../shared/data not found", file=sys.stderr)


if __name__ == "__main__":
    main()

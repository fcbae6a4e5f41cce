#!/usr/bin/env python3
"""Regenerate the Local Outlier Factor parity fixtures from scikit-learn.

Run from the repository root:  pip install scikit-learn pandas && python3 scripts/gen_lof_fixtures.py

Writes tests/fixtures/lof/<name>.csv (the training rows), <name>_test.csv (held-out rows for
novelty scoring) and <name>.json: for k in 1, 5, 20, 50, scikit-learn's negative_outlier_factor_,
the rows flagged with contamination "auto" and 0.05, offset_, and novelty score_samples of the
held-out rows; brute_rule.csv and .json: a small set where scikit-learn switches to brute force
(n_neighbors >= n_samples // 2). The tests read these files and never need Python.
"""
import json
import os

import numpy as np
import pandas as pd
import sklearn
from sklearn.neighbors import LocalOutlierFactor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "lof")
KS = [1, 5, 20, 50]


def datasets(rng):
    traffic = pd.read_csv(os.path.join(ROOT, "sample_data", "web_traffic.csv")).drop(columns=["Date"]).to_numpy()
    traffic_test = np.array([[150, 120, 200, 150, 200, 240], [900, 120, 200, 150, 200, 240], [20, 20, 20, 20, 20, 20],
                             [170, 130, 210, 160, 210, 250], [400, 400, 400, 400, 400, 400]], dtype=float)
    dense = rng.normal(scale=0.3, size=(400, 2))
    sparse = np.array([6.0, 6.0]) + rng.normal(scale=2.0, size=(300, 2))
    angle = rng.uniform(0, 2 * np.pi, 15)
    local = np.c_[np.cos(angle), np.sin(angle)] * rng.uniform(1.5, 2.2, (15, 1))
    clusters = np.vstack([dense, sparse, local])
    clusters_test = np.array([[0.1, -0.2], [1.8, 0.0], [6.0, 6.5], [12.0, -3.0], [3.0, 3.0]])
    base = rng.uniform(-5, 5, size=(150, 3))
    counts = rng.integers(1, 9, 150)
    counts[:2] = 60  # two groups with more copies than the largest k
    dups = np.repeat(base, counts, axis=0)
    dups = dups[rng.permutation(len(dups))]
    dups_test = np.vstack([base[:3], [[9.0, 9.0, 9.0]], base[5] + 0.01])
    one = np.r_[rng.normal(size=700), rng.normal(loc=6.0, scale=0.5, size=100), [15.0, -9.0, 3.1]].reshape(-1, 1)
    one_test = np.array([[0.0], [3.0], [6.1], [25.0]])
    hd = np.vstack([rng.normal(size=(600, 20)), rng.normal(size=(20, 20)) + rng.choice([-4.0, 4.0], (20, 20)) * (rng.random((20, 20)) < 0.2)])
    hd_test = np.vstack([rng.normal(size=(3, 20)), np.full((1, 20), 3.0)])
    return {"traffic": (traffic, traffic_test), "clusters": (clusters, clusters_test), "duplicates": (dups, dups_test),
            "one_d": (one, one_test), "high_dim": (hd, hd_test)}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(4)
    for name, (X, T) in datasets(rng).items():
        cols = [f"f{i}" for i in range(X.shape[1])]
        # Full precision: with rounded values, equal distances (ties broken differently by each
        # implementation) would appear between different points, mostly in 1-D.
        pd.DataFrame(X, columns=cols).to_csv(os.path.join(OUT, f"{name}.csv"), index=False, float_format="%.17g")
        pd.DataFrame(T, columns=cols).to_csv(os.path.join(OUT, f"{name}_test.csv"), index=False, float_format="%.17g")
        X = pd.read_csv(os.path.join(OUT, f"{name}.csv")).to_numpy()
        T = pd.read_csv(os.path.join(OUT, f"{name}_test.csv")).to_numpy()
        doc = {"sklearn": sklearn.__version__, "rows": int(len(X)), "k": {}}
        for k in KS:
            auto = LocalOutlierFactor(n_neighbors=k)
            flags_auto = auto.fit_predict(X)
            frac = LocalOutlierFactor(n_neighbors=k, contamination=0.05)
            flags_frac = frac.fit_predict(X)
            nov = LocalOutlierFactor(n_neighbors=k, novelty=True).fit(X)
            doc["k"][str(k)] = {
                "negative_outlier_factor": auto.negative_outlier_factor_.tolist(),
                "flagged_auto": np.flatnonzero(flags_auto == -1).tolist(),
                "offset_0_05": float(frac.offset_),
                "flagged_0_05": np.flatnonzero(flags_frac == -1).tolist(),
                "novelty_score_samples": nov.score_samples(T).tolist(),
                "method": auto._fit_method,
            }
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(doc, f)
        print(name, X.shape, "method", doc["k"]["20"]["method"], "flagged@0.05", len(doc["k"]["20"]["flagged_0_05"]))


def regional():
    """The rows scikit-learn's LOF (k=20, contamination=0.05) flags on the shared reference file,
    for the `trafficlens detect --algo lof` test. Written only where ../shared/data exists."""
    path = os.path.join(ROOT, "..", "shared", "data", "regional_web_traffic.csv")
    if not os.path.exists(path):
        print("skipped regional_flagged.json: ../shared/data not found")
        return
    X = pd.read_csv(path).drop(columns=["Date"]).to_numpy()
    flags = LocalOutlierFactor(n_neighbors=20, contamination=0.05).fit_predict(X)
    with open(os.path.join(OUT, "regional_flagged.json"), "w") as f:
        json.dump({"sklearn": sklearn.__version__, "rows": np.flatnonzero(flags == -1).tolist()}, f)
    print("regional: scikit-learn flags", int((flags == -1).sum()), "rows")


def brute_rule():
    """scikit-learn's algorithm="auto" searches by brute force when n_neighbors >= n_samples // 2:
    40 rows of 3 features, k in 10 and 19 (k-d tree) and 20, 30 and 39 (brute force). Writes
    brute_rule.csv and brute_rule.json (negative_outlier_factor_ and the method per k)."""
    rng = np.random.default_rng(12)
    X = np.vstack([rng.normal(size=(36, 3)), [[4.0, 4.0, 4.0], [-3.5, 2.0, 0.5], [0.0, 5.0, -4.0], [2.5, -3.0, 3.0]]])
    path = os.path.join(OUT, "brute_rule.csv")
    pd.DataFrame(X, columns=["f0", "f1", "f2"]).to_csv(path, index=False, float_format="%.17g")
    X = pd.read_csv(path).to_numpy()
    doc = {"sklearn": sklearn.__version__, "rows": int(len(X)), "k": {}}
    for k in [10, 19, 20, 30, 39]:
        lof = LocalOutlierFactor(n_neighbors=k).fit(X)
        doc["k"][str(k)] = {"negative_outlier_factor": lof.negative_outlier_factor_.tolist(), "method": lof._fit_method}
    with open(os.path.join(OUT, "brute_rule.json"), "w") as f:
        json.dump(doc, f)
    print("brute_rule", {k: v["method"] for k, v in doc["k"].items()})


if __name__ == "__main__":
    main()
    regional()
    brute_rule()

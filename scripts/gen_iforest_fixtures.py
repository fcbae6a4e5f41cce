#!/usr/bin/env python3
"""Regenerate the Isolation Forest parity fixtures from scikit-learn.

Run from the repository root:  pip install scikit-learn pandas && python3 scripts/gen_iforest_fixtures.py

Writes tests/fixtures/iforest/:
- exact_<name>.json: scikit-learn's fitted trees (children, feature, threshold, node sample
  counts), max_samples_, test points and scikit-learn's score_samples on them, and offsets.
  The Rust tests rebuild the forest from these arrays and must reproduce every score to 1e-12.
- <name>.csv and <name>_labels.csv: labelled data sets; stats.json: scikit-learn's ROC AUC over
  seeds 0..4 and the number of rows flagged with contamination=0.05.
The tests read these files and never need Python.
"""
import json
import os

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "iforest")
SEEDS = [0, 1, 2, 3, 4]


def sample_traffic():
    df = pd.read_csv(os.path.join(ROOT, "sample_data", "web_traffic.csv"))
    labels = pd.read_csv(os.path.join(ROOT, "sample_data", "web_traffic_labels.csv"))
    X = df.drop(columns=["Date"]).to_numpy()
    y = np.zeros(len(df), dtype=int)
    y[labels["row"].unique()] = 1
    return X, y


def clusters(rng):
    centres = np.array([[0.0, 0.0], [6.0, 6.0], [-5.0, 7.0]])
    normal = np.vstack([c + rng.normal(scale=1.0, size=(330, 2)) for c in centres])
    outliers = rng.uniform(-12, 14, size=(50, 2))
    return np.vstack([normal, outliers]), np.r_[np.zeros(len(normal), int), np.ones(50, int)]


def local(rng):
    dense = rng.normal(scale=0.3, size=(600, 2))
    sparse = np.array([8.0, 8.0]) + rng.normal(scale=2.5, size=(400, 2))
    angle = rng.uniform(0, 2 * np.pi, 25)
    near = np.c_[np.cos(angle), np.sin(angle)] * rng.uniform(1.8, 2.6, (25, 1))
    return np.vstack([dense, sparse, near]), np.r_[np.zeros(1000, int), np.ones(25, int)]


def high_dim(rng):
    normal = rng.normal(size=(1000, 24))
    outliers = rng.normal(size=(40, 24))
    cols = rng.integers(0, 24, size=(40, 3))
    for i in range(40):
        outliers[i, cols[i]] += rng.choice([-1, 1], 3) * rng.uniform(3.5, 5.0, 3)
    return np.vstack([normal, outliers]), np.r_[np.zeros(1000, int), np.ones(40, int)]


def write_dataset(name, X, y):
    cols = [f"f{i}" for i in range(X.shape[1])]
    pd.DataFrame(X, columns=cols).to_csv(os.path.join(OUT, f"{name}.csv"), index=False, float_format="%.6f")
    pd.DataFrame({"label": y}).to_csv(os.path.join(OUT, f"{name}_labels.csv"), index=False)
    # Read back what was written, so that both sides use the same numbers.
    return pd.read_csv(os.path.join(OUT, f"{name}.csv")).to_numpy()


def exact(name, X, extra, **params):
    model = IsolationForest(random_state=0, **params).fit(X)
    trees = []
    for est in model.estimators_:
        t = est.tree_
        trees.append(
            {
                "children_left": t.children_left.tolist(),
                "children_right": t.children_right.tolist(),
                "feature": t.feature.tolist(),
                "threshold": t.threshold.tolist(),
                "n_node_samples": t.n_node_samples.tolist(),
            }
        )
    for features in model.estimators_features_:
        assert list(features) == list(range(X.shape[1])) or sorted(features) == list(range(X.shape[1]))
    test = np.vstack([X, extra])
    doc = {
        "sklearn": sklearn.__version__,
        "params": params,
        "max_samples": int(model.max_samples_),
        "n_features": int(X.shape[1]),
        "estimators_features": [list(map(int, f)) for f in model.estimators_features_],
        "trees": trees,
        "test": test.tolist(),
        "score_samples": model.score_samples(test).tolist(),
    }
    with open(os.path.join(OUT, f"exact_{name}.json"), "w") as f:
        json.dump(doc, f)
    print("wrote", f"exact_{name}.json", len(trees), "trees")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261124)
    sets = {"traffic": sample_traffic(), "clusters": clusters(rng), "local": local(rng), "high_dim": high_dim(rng)}
    stats = {"sklearn": sklearn.__version__, "datasets": {}}
    for name, (X, y) in sets.items():
        X = write_dataset(name, X, y)
        aucs, flagged = [], []
        for seed in SEEDS:
            m = IsolationForest(random_state=seed, n_jobs=-1).fit(X)
            aucs.append(roc_auc_score(y, -m.score_samples(X)))
            m5 = IsolationForest(random_state=seed, contamination=0.05, n_jobs=-1).fit(X)
            flagged.append(int((m5.predict(X) == -1).sum()))
        stats["datasets"][name] = {"rows": int(len(X)), "features": int(X.shape[1]), "auc": aucs,
                                   "auc_mean": float(np.mean(aucs)), "flagged_0_05": flagged}
        print(name, "AUC", round(float(np.mean(aucs)), 4), "flagged", flagged)
    with open(os.path.join(OUT, "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)

    X, _ = sets["traffic"]
    X = pd.read_csv(os.path.join(OUT, "traffic.csv")).to_numpy()
    extra = np.array([[150, 160, 150, 150, 150, 150], [900, 160, 150, 150, 150, 150],
                      [0, 0, 0, 0, 0, 0], [400, 400, 400, 400, 400, 400], [149.99, 160.01, 151.5, 149.5, 150.25, 150.75]])
    exact("traffic", X, extra, n_estimators=25)
    # A small set with a constant feature, duplicate rows and max_samples that is no power of 2.
    small = np.c_[rng.normal(size=300).round(1), np.full(300, 2.5), rng.integers(0, 4, 300)]
    small[:30] = small[0]
    exact("small", small, np.array([[0.0, 2.5, 1.0], [9.0, 2.5, 3.0], [-0.05, 2.5, 0.0]]), n_estimators=30, max_samples=100)


if __name__ == "__main__":
    main()

"""The scikit-learn side of `cargo bench --bench end_to_end`: what a scikit-learn user runs to
score a CSV file and write the scores, end to end, in one process.

    python scripts/bench_end_to_end.py iforest INPUT OUTPUT
    python scripts/bench_end_to_end.py lof INPUT OUTPUT [N_NEIGHBORS]

Reads INPUT with pandas `read_csv`, fits the detector with `n_jobs=-1` on every column
(IsolationForest: 100 trees, max_samples "auto", contamination "auto", random_state 0;
LocalOutlierFactor: n_neighbors 20, contamination "auto"), and writes `row,anomaly_score,flagged`
with `to_csv` (the anomaly score as TrafficLens defines it: -score_samples for the forest,
-negative_outlier_factor_ for LOF; flagged 1 where the detector predicts -1, the forest's rows scored once).
"""

import sys

import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor


def main():
    algo, source, target = sys.argv[1], sys.argv[2], sys.argv[3]
    x = pd.read_csv(source).to_numpy()
    if algo == "iforest":
        model = IsolationForest(n_estimators=100, n_jobs=-1, random_state=0).fit(x)
        # Scored once: predict() would score every row again.
        samples = model.score_samples(x)
        flags = samples - model.offset_ < 0
        scores = -samples
    elif algo == "lof":
        k = int(sys.argv[4]) if len(sys.argv) > 4 else 20
        model = LocalOutlierFactor(n_neighbors=k, n_jobs=-1)
        flags = model.fit_predict(x) == -1
        scores = -model.negative_outlier_factor_
    else:
        sys.exit(f"unknown detector {algo!r}: iforest or lof")
    pd.DataFrame(
        {"row": range(len(scores)), "anomaly_score": scores, "flagged": flags.astype(int)}
    ).to_csv(target, index=False)


if __name__ == "__main__":
    main()

"""LOF end-to-end benchmark helpers (see scripts/bench_lof.sh).

    python scripts/bench_lof.py gen OUT.csv ROWS FEATURES SEED
        writes ROWS x FEATURES standard normal values (numpy, seeded), full precision, header
        f1..fFEATURES, no time column.
    python scripts/bench_lof.py score IN.csv OUT.csv
        what a scikit-learn user runs: pandas read_csv, LocalOutlierFactor(n_neighbors=20,
        algorithm='auto', n_jobs=-1).fit_predict, to_csv of row,anomaly_score,flagged (the
        anomaly score is the LOF, -negative_outlier_factor_, as `trafficlens detect` writes it).
    python scripts/bench_lof.py compare OURS.csv THEIRS.csv
        prints the largest relative difference of the anomaly scores and the number of rows
        flagged differently.
"""

import sys


def gen(out, rows, features, seed):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, features))
    pd.DataFrame(x, columns=[f"f{i + 1}" for i in range(features)]).to_csv(
        out, index=False, float_format="%.17g"
    )


def score(path, out):
    import pandas as pd
    from sklearn.neighbors import LocalOutlierFactor

    x = pd.read_csv(path).to_numpy()
    model = LocalOutlierFactor(n_neighbors=20, algorithm="auto", n_jobs=-1)
    flagged = model.fit_predict(x) == -1
    pd.DataFrame(
        {
            "row": range(len(x)),
            "anomaly_score": -model.negative_outlier_factor_,
            "flagged": flagged.astype(int),
        }
    ).to_csv(out, index=False)


def compare(ours, theirs):
    import pandas as pd

    a, b = pd.read_csv(ours), pd.read_csv(theirs)
    if len(a) != len(b):
        sys.exit(f"bench_lof.py: {ours} has {len(a)} rows, {theirs} {len(b)}")
    rel = ((a.anomaly_score - b.anomaly_score).abs() / b.anomaly_score.abs()).max()
    print(f"{rel:.1e} {(a.flagged != b.flagged).sum()}")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif sys.argv[1] == "score":
        score(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(f"bench_lof.py: unknown command {sys.argv[1]!r} (gen, score or compare)")

#!/usr/bin/env python3
"""Regenerate the automatic-threshold (SPOT) fixtures from scipy.

Run from the repository root:  pip install numpy scipy && python3 scripts/gen_spot_fixtures.py

Writes tests/fixtures/spot/reference.json: for samples with an exponential, a heavy (Lomax,
shape 0.5), a bounded (shape -1/3) and a Student-t (3 degrees of freedom) tail, the scores, the
initial threshold t (numpy's 98th percentile), scipy's maximum-likelihood generalized Pareto fit
of the excesses over t (genpareto.fit with the location fixed at 0, polished by Nelder-Mead to a
tight tolerance), its log-likelihood, and the SPOT threshold t + genpareto.isf(q n / N_t) at two
risks. The Rust tests (src/detect/spot/tests.rs) read this file and never need Python.
"""
import json
import os

import numpy as np
import scipy
from scipy import optimize, stats
from scipy.stats import genpareto

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "spot", "reference.json")
N = 2500
RISKS = [1e-3, 1e-4]


def samples(rng):
    return {
        "exponential": rng.exponential(1.0, N),
        "lomax_shape_0.5": rng.pareto(2.0, N),
        "bounded_shape_-1/3": 1.0 - rng.uniform(size=N) ** (1.0 / 3.0),
        "student_t3": rng.standard_t(3, N),
    }


CENSORED_SHARE = 0.1


def mle(excesses, censored=0):
    ys = np.sort(excesses)
    kept, at = ys[: ys.size - censored], ys[ys.size - censored - 1]
    if censored:
        data = stats.CensoredData(uncensored=kept, right=np.full(censored, at))
        c, _, scale = genpareto.fit(data, floc=0)
    else:
        c, _, scale = genpareto.fit(kept, floc=0)

    def nll(p):
        value = -genpareto.logpdf(kept, p[0], 0, p[1]).sum()
        value -= censored * genpareto.logsf(at, p[0], 0, p[1])
        return value if np.isfinite(value) and p[1] > 0 else 1e300

    res = optimize.minimize(
        nll, [c, scale], method="Nelder-Mead",
        options={"xatol": 1e-13, "fatol": 1e-15, "maxiter": 200000, "maxfev": 400000},
    )
    return float(res.x[0]), float(res.x[1]), float(-res.fun)


def main():
    rng = np.random.default_rng(20261202)
    cases = []
    for name, scores in samples(rng).items():
        t = float(np.percentile(scores, 98))
        excesses = scores[scores > t] - t
        gamma, sigma, loglik = mle(excesses)
        censored = int(np.floor(excesses.size * CENSORED_SHARE))
        c_gamma, c_sigma, c_loglik = mle(excesses, censored)
        thresholds = [
            {"risk": q, "threshold": float(t + genpareto.isf(q * N / excesses.size, c_gamma, 0, c_sigma))}
            for q in RISKS
        ]
        cases.append({
            "name": name,
            "scores": [float(s) for s in scores],
            "initial": t,
            "excesses": int(excesses.size),
            "gamma": gamma,
            "sigma": sigma,
            "log_likelihood": loglik,
            "censored": censored,
            "censored_gamma": c_gamma,
            "censored_sigma": c_sigma,
            "censored_log_likelihood": c_loglik,
            "thresholds": thresholds,
        })
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"numpy": np.__version__, "scipy": scipy.__version__, "cases": cases}, f)
    for c in cases:
        print(c["name"], c["excesses"], c["gamma"], c["sigma"], c["log_likelihood"],
              c["censored_gamma"], c["censored_sigma"], c["censored_log_likelihood"], c["thresholds"])


if __name__ == "__main__":
    main()

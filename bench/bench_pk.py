"""Benchmarks of the PK engine (prints figures; never asserted in tests).

    .venv/bin/python bench/bench_pk.py

1. 1,000,000 steady-state troughs (analytic, vectorised), target < 1 s.
2. A priori prediction for 100,000 patients: typical trough only, and with the 5-95% PI (2000 draws).
3. MAP estimation for 1,000 patients (one off-trough sample each; and three samples each).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from rashrisk.pk.apriori import predict_trough
from rashrisk.pk.concentration import trough_ss_ng_ml
from rashrisk.pk.map import map_estimate
from rashrisk.pk.model import load_pk_model
from rashrisk.pk.validation import chinese_gist_covariates


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    cl = 9.72 * np.exp(0.3 * rng.standard_normal(n))
    v = 229.0 * np.exp(0.3 * rng.standard_normal(n))
    ka = np.full(n, 1.22)
    t = best_of(lambda: trough_ss_ng_ml(400.0, cl, v, ka))
    print(f"steady-state troughs: 1,000,000 in {t:.3f} s (best of 3)")

    for name in ("jiang2023", "widmer2006"):
        model = load_pk_model(name)
        cov = chinese_gist_covariates(100_000, np.random.default_rng(1))
        t = best_of(lambda: predict_trough(cov, 400.0, model=model, n_sim=0), repeat=1)
        print(f"a priori ({name}, typical trough only, n_sim=0): 100,000 patients in {t:.2f} s")
        t = best_of(lambda: predict_trough(cov, 400.0, model=model, n_sim=2000, seed=0), repeat=1)
        print(f"a priori ({name}, 2000 draws): 100,000 patients in {t:.2f} s")

    for name in ("jiang2023", "widmer2006", "petain2008"):
        model = load_pk_model(name)
        rng = np.random.default_rng(2)
        cov = chinese_gist_covariates(1000, rng)
        params = model.individual_parameters(cov, model.sample_etas(1000, rng))
        for n_samples in (1, 3):
            hours = rng.uniform(2.0, 30.0, (1000, n_samples)) if n_samples > 1 else rng.uniform(16.0, 30.0, (1000, 1))
            conc = model.add_residual_error(model.concentration_ng_ml({k: params[k].to_numpy()[:, None] for k in params}, 400.0, hours), rng)
            samples = pd.DataFrame(
                {
                    "patient_id": np.repeat(cov["patient_id"].to_numpy(), n_samples),
                    "concentration_ng_ml": conc.ravel(),
                    "hours_after_dose": hours.ravel(),
                    "dose_mg": 400.0,
                }
            )
            t = best_of(lambda: map_estimate(cov, samples, model=model))
            print(f"MAP ({name}, {n_samples} sample(s) each): 1,000 patients in {t:.2f} s")


if __name__ == "__main__":
    main()

"""Severe-rash re-challenge cases from a foreign PK truth (:mod:`rashrisk.pk.foreign`), written in the
cohort contract's format: the evaluation's second generator (``bench/bench_rechallenge.py``).

The PK truth is the foreign generator's (:class:`~rashrisk.pk.foreign.ForeignTruth`: its own typical
values, covariate effects, IIV, natural-scale combined residual and LOQ) and its own Bateman
superposition; nothing comes from ``rashrisk.simulate`` or the model files. The clinical course
follows the source study's pathway with timings of its own (they differ from the planner's
assumptions on purpose):

- 400 mg (70%) or 600 mg once daily at 08:00 from the start date; rash onset on day 5-60
  (log-normal, median 14); half the patients have a routine sample on a day before onset;
- the onset sample on the onset day, 20-28 h after the last dose; imatinib then stopped for 10-35 days;
- re-introduction at 100 mg, +100 mg per step, each step 7-14 days, the trough sample on its last day
  18-30 h after the dose (the next dose waits for the sample), up to a final dose of 50/75/100% of the
  start dose (rounded to 100 mg, at least 100), then 1-2 samples at the final dose 14-42 days apart;
- the truth of each step is the true steady-state 24-h trough at its dose (closed form).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rashrisk.pk.foreign import FOREIGN_A, ForeignTruth, foreign_covariates, single_dose_ng_ml, trough_ss_ng_ml

START = pd.Timestamp("2025-01-06")
DOSE_CLOCK_H = 8.0


@dataclass
class ForeignCases:
    patients: pd.DataFrame  # patients.csv layout
    genotypes: pd.DataFrame  # genotypes.csv layout (long)
    tdm: pd.DataFrame  # tdm.csv layout, plus sample_kind, true_concentration_ng_ml
    outcomes: pd.DataFrame  # outcomes.csv layout
    truth: pd.DataFrame  # patient_id, cl_l_h, v_l, ka_per_h, start_dose_mg, final_dose_mg, true_trough_per_mg


def _course(rng, start_dose: float, onset_day: int):
    """(dose times h from start, doses, samples: list of (time h, last dose h, dose, kind)), one patient."""
    doses, samples = [], []
    last_pre = DOSE_CLOCK_H + 24.0 * (onset_day - 1)
    times = list(np.arange(DOSE_CLOCK_H, last_pre + 1e-9, 24.0))
    doses += [(t, start_dose) for t in times]
    if rng.random() < 0.5 and onset_day > 8:
        day = int(rng.integers(7, onset_day - 1))
        last = DOSE_CLOCK_H + 24.0 * (day - 1)
        samples.append((last + rng.uniform(20.0, 28.0), last, start_dose, "routine"))
    samples.append((last_pre + rng.uniform(20.0, 28.0), last_pre, start_dose, "onset"))
    final = max(100.0, float(np.rint(start_dose * rng.choice([0.5, 0.75, 1.0]) / 100.0) * 100.0))
    t = last_pre + 24.0 * int(rng.integers(10, 36))
    dose = 100.0
    while True:
        n = int(rng.integers(7, 15))
        for k in range(n):
            doses.append((t + 24.0 * k, dose))
        last = t + 24.0 * (n - 1)
        hours = rng.uniform(18.0, 30.0)
        samples.append((last + hours, last, dose, "escalation" if dose < final else "maintenance"))
        t = max(last + 24.0, last + hours + 0.25)
        if dose >= final:
            break
        dose += 100.0
    for _ in range(int(rng.integers(1, 3))):
        gap = int(rng.integers(14, 43))
        for k in range(gap):
            doses.append((t + 24.0 * k, final))
        last = t + 24.0 * (gap - 1)
        hours = rng.uniform(20.0, 28.0)
        samples.append((last + hours, last, final, "maintenance"))
        t = max(last + 24.0, last + hours + 0.25)
    return doses, samples, final


def simulate_foreign_cases(truth: ForeignTruth = FOREIGN_A, *, n: int = 200, seed: int = 0) -> ForeignCases:
    rng = np.random.default_rng(seed)
    cov = foreign_covariates(n, rng)
    cov["patient_id"] = [f"FR{i:05d}" for i in range(n)]
    w = cov["weight_kg"].to_numpy() / 70.0
    female = cov["sex"].to_numpy() == "F"
    cl = truth.cl_l_h * w**truth.cl_weight_exponent * np.where(female, truth.cl_female_factor, 1.0) * np.exp(truth.iiv_cl_sd * rng.standard_normal(n))
    v = truth.v_l * w**truth.v_weight_exponent * np.exp(truth.iiv_v_sd * rng.standard_normal(n))
    ka = truth.ka_per_h * np.exp(truth.iiv_ka_sd * rng.standard_normal(n))
    start_dose = np.where(rng.random(n) < truth.share_600mg, 600.0, 400.0)
    onset = np.clip(np.rint(np.exp(np.log(14.0) + 0.5 * rng.standard_normal(n))), 5, 60).astype(int)
    tdm_rows, finals = [], []
    for i, pid in enumerate(cov["patient_id"]):
        doses, samples, final = _course(rng, start_dose[i], int(onset[i]))
        finals.append(final)
        dt = np.array([d[0] for d in doses])
        dm = np.array([d[1] for d in doses])
        for t_sample, last, dose, kind in samples:
            true = float(single_dose_ng_ml(dm, t_sample - dt, cl[i], v[i], ka[i]).sum())
            obs = true * (1.0 + truth.residual_proportional * rng.standard_normal()) + truth.residual_additive_ng_ml * rng.standard_normal()
            below = obs < truth.loq_ng_ml
            tdm_rows.append({"patient_id": pid, "sample_time": (START + pd.Timedelta(hours=round(t_sample * 12) / 12)).isoformat(timespec="minutes"),
                             "last_dose_time": (START + pd.Timedelta(hours=last)).isoformat(timespec="minutes"),
                             "dose_mg": dose, "concentration": round(truth.loq_ng_ml if below else obs), "unit": "ng/mL",
                             "below_loq": "true" if below else "false", "sample_kind": kind, "true_concentration_ng_ml": true})
    patients = pd.DataFrame({"patient_id": cov["patient_id"], "sex": cov["sex"], "age_years": np.round(cov["age_years"], 0),
                             "weight_kg": np.round(cov["weight_kg"], 1), "ancestry": cov["ancestry"], "setting": "adjuvant",
                             "start_dose_mg": start_dose, "start_date": START.date().isoformat(), "data_origin": "simulated"})
    letters = {0: "G/G", 1: "G/T", 2: "T/T"}
    genotypes = pd.DataFrame({"patient_id": cov["patient_id"], "rsid": "rs2231142",
                              "genotype": [letters[int(c)] for c in cov["rs2231142_alt_count"]]})
    outcomes = pd.DataFrame({"patient_id": cov["patient_id"], "rash_max_grade": 3, "recurrent_grade2": "false",
                             "rash_onset_day": onset, "followup_days": 400})
    truth_table = pd.DataFrame({"patient_id": cov["patient_id"], "cl_l_h": cl, "v_l": v, "ka_per_h": ka,
                                "start_dose_mg": start_dose, "final_dose_mg": finals,
                                "true_trough_per_mg": trough_ss_ng_ml(1.0, cl, v, ka)})
    return ForeignCases(patients, genotypes, pd.DataFrame(tdm_rows), outcomes, truth_table)

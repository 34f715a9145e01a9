"""Patients: demographics, clinical setting, start dose and start date (one vectorised draw each)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.simulate.config import SimulationConfig
from rashrisk.simulate.rng import choice, stream, truncated_normal


def patient_ids(n: int, prefix: str) -> np.ndarray:
    """``SIM0000001``-style identifiers, zero-padded to a common width."""
    width = max(6, len(str(n)))
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width))


def simulate_population(cfg: SimulationConfig, n: int, seed: int) -> pd.DataFrame:
    """True (complete) patient characteristics; missing values are applied when writing files."""
    demo = cfg.get("demographics")
    rng = stream(seed, "population")
    is_male = rng.random(n) < cfg.probability("demographics", "male_fraction")
    sex = np.where(is_male, "M", "F")

    def by_sex(key: str) -> np.ndarray:
        table = demo[key]
        return np.where(is_male, float(table["M"]), float(table["F"]))

    w_lo, w_hi = cfg.pair("demographics", "weight_kg_limits")
    weight_kg = truncated_normal(rng, by_sex("weight_kg_mean"), by_sex("weight_kg_sd"), w_lo, w_hi, n)
    a_lo, a_hi = cfg.pair("demographics", "age_years_limits")
    age_years = truncated_normal(rng, demo["age_years_median"], demo["age_years_sd"], a_lo, a_hi, n)
    height_cm = truncated_normal(rng, by_sex("height_cm_mean"), by_sex("height_cm_sd"), 135.0, 205.0, n)
    al_lo, al_hi = cfg.pair("demographics", "albumin_g_l_limits")
    albumin_g_l = truncated_normal(rng, demo["albumin_g_l_mean"], demo["albumin_g_l_sd"], al_lo, al_hi, n)

    r_lo, r_hi = cfg.pair("demographics", "rbc_10e12_l_limits")
    rbc = truncated_normal(rng, by_sex("rbc_10e12_l_mean"), by_sex("rbc_10e12_l_sd"), r_lo, r_hi, n)
    setting = np.where(rng.random(n) < cfg.probability("setting", "adjuvant_fraction"), "adjuvant", "advanced")
    doses, probs = cfg.distribution(("dose", "start_dose_mg"), ("dose", "probability"))
    start_dose_mg = choice(rng, np.asarray(doses, dtype=float), probs, n)

    first = np.datetime64(cfg.get("cohort", "start_date_first"), "D")
    last = np.datetime64(cfg.get("cohort", "start_date_last"), "D")
    span_days = int((last - first).astype(int)) + 1
    start_date = first + rng.integers(0, span_days, n).astype("timedelta64[D]")

    return pd.DataFrame(
        {
            "patient_id": patient_ids(n, cfg.get("cohort", "patient_id_prefix")),
            "sex": sex,
            "age_years": np.round(age_years),
            "weight_kg": np.round(weight_kg, 1),
            "height_cm": np.round(height_cm),
            "albumin_g_l": np.round(albumin_g_l, 1),
            "rbc_10e12_l": np.round(rbc, 2),
            "ancestry": cfg.get("cohort", "ancestry"),
            "setting": setting,
            "start_dose_mg": start_dose_mg,
            "start_date": start_date,
        }
    )

"""TDM samples: early routine samples, the sample at severe-rash onset, and the samples of the
TDM-guided re-escalation after a severe rash (lower doses, so lower troughs).

Each sample is a measured concentration at steady state ``hours_after_dose`` after a once-daily
dose, times a log-normal residual (assay and intra-patient variability). Samples taken after the
re-escalation also carry the configured late-exposure factor (exposure drifts down over months).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.simulate.config import SimulationConfig
from rashrisk.simulate.exposure import concentration_ss_ng_ml, pk_model
from rashrisk.simulate.rng import choice, stream
from rashrisk.units import from_ng_per_ml

SAMPLE_KINDS = ("routine", "onset", "escalation", "maintenance")
_UNIT_DECIMALS = {"ng/mL": 0, "ug/mL": 3, "µg/mL": 3, "mg/L": 3, "nmol/L": 1, "umol/L": 4, "µmol/L": 4}


def _hours_after_dose(cfg: SimulationConfig, rng: np.random.Generator, size: int) -> np.ndarray:
    t = cfg.get("tdm")
    near_lo, near_hi = cfg.pair("tdm", "near_trough_hours_limits")
    off_lo, off_hi = cfg.pair("tdm", "off_trough_hours_limits")
    near = np.clip(t["near_trough_hours_mean"] + t["near_trough_hours_sd"] * rng.standard_normal(size), near_lo, near_hi)
    off = rng.uniform(off_lo, off_hi, size)
    hours = np.where(rng.random(size) < cfg.probability("tdm", "near_trough_fraction"), near, off)
    return np.round(hours * 12.0) / 12.0  # clock times to the 5 minutes


def _events(cfg: SimulationConfig, outcomes: pd.DataFrame, start_dose_mg: np.ndarray, seed: int):
    """(patient index, sample day, dose_mg, kind code) of every sample, before times and values."""
    rng = stream(seed, "tdm_schedule")
    n = len(outcomes)
    onset = outcomes["rash_onset_day"].to_numpy()
    severe = outcomes["severe_rash"].to_numpy()
    idx_all = np.arange(n)
    d_lo, d_hi = cfg.pair("tdm", "sample_day_range")
    g_lo, g_hi = cfg.pair("tdm", "second_sample_gap_days")
    sampled = rng.random(n) < cfg.probability("tdm", "sampled_fraction")
    first_day = rng.integers(int(d_lo), int(d_hi) + 1, n)
    second = sampled & (rng.random(n) < cfg.probability("tdm", "second_sample_fraction"))
    second_day = first_day + rng.integers(int(g_lo), int(g_hi) + 1, n)
    parts = []
    # routine samples: a severe case stops imatinib at onset, so no routine sample from onset on
    for mask, day in ((sampled, first_day), (second, second_day)):
        keep = mask & ~(severe & (day >= onset))
        parts.append((idx_all[keep], day[keep], start_dose_mg[keep], np.zeros(keep.sum(), dtype=np.int8)))
    # the sample at onset, at the start dose
    sev = idx_all[severe]
    parts.append((sev, onset[severe], start_dose_mg[severe], np.ones(len(sev), dtype=np.int8)))
    # re-escalation from the escalation start dose in 100 mg steps up to the final dose
    mg = cfg.get("outcome", "management")
    resumed = outcomes["resumed"].to_numpy()
    final = outcomes["final_dose_mg"].to_numpy()
    s_lo, s_hi = cfg.pair("outcome", "management", "escalation_step_days")
    day = onset + outcomes["interruption_days"].to_numpy()
    dose = np.full(n, float(mg["escalation_start_dose_mg"]))
    max_steps = int(np.nanmax(np.where(resumed, final, 0.0)) // 100) + 1 if resumed.any() else 0
    for _ in range(max_steps):
        active = resumed & (dose < final)
        if not active.any():
            break
        day = day + np.where(active, rng.integers(int(s_lo), int(s_hi) + 1, n), 0)
        parts.append((idx_all[active], day[active], dose[active], np.full(active.sum(), 2, dtype=np.int8)))
        dose = np.where(active, dose + 100.0, dose)
    n_lo, n_hi = cfg.pair("outcome", "management", "maintenance_samples")
    n_maint = rng.integers(int(n_lo), int(n_hi) + 1, n)
    for k in range(int(n_hi)):
        active = resumed & (n_maint > k)
        day = day + rng.integers(14, 43, n)
        parts.append((idx_all[active], day[active], final[active], np.full(active.sum(), 3, dtype=np.int8)))
    cols = [np.concatenate([p[j] for p in parts]) for j in range(4)]
    order = np.lexsort((cols[1], cols[0]))
    return cols[0][order], cols[1][order].astype(np.int64), cols[2][order].astype(float), cols[3][order]


def simulate_tdm(
    cfg: SimulationConfig,
    patients: pd.DataFrame,
    pk: pd.DataFrame,
    outcomes: pd.DataFrame,
    seed: int,
    *,
    model=None,
) -> pd.DataFrame:
    """All TDM samples, sorted by patient and time, with their true and measured concentrations.

    ``model``: the configured PK model when the caller already has it (default: ``pk_model(cfg)``).
    """
    model = pk_model(cfg) if model is None else model
    start_dose = patients["start_dose_mg"].to_numpy(dtype=float)
    pid, day, dose_mg, kind = _events(cfg, outcomes, start_dose, seed)
    rng = stream(seed, "tdm_values")
    m = len(pid)
    t = cfg.get("tdm")
    hours = _hours_after_dose(cfg, rng, m)
    # each patient has a usual dosing time (a few minutes' jitter from sample to sample)
    n = len(patients)
    clock_h = np.clip(t["dose_clock_hours_mean"] + t["dose_clock_hours_sd"] * rng.standard_normal(n), 5.0, 12.0)
    clock_min = (np.round(clock_h[pid] * 12.0 + rng.integers(-2, 3, m)) * 5.0).astype(np.int64)
    start = patients["start_date"].to_numpy().astype("datetime64[m]")[pid]
    last_dose_time = start + ((day - 1) * 1440 + clock_min).astype("timedelta64[m]")
    sample_time = last_dose_time + np.round(hours * 60.0).astype(np.int64).astype("timedelta64[m]")
    pk_rows = {c: pk[c].to_numpy()[pid] for c in ("cl_l_h", "v_l", "ka_per_h")}
    true_conc = concentration_ss_ng_ml(model, dose_mg, hours, pk_rows)
    late = np.where(kind >= 2, cfg.number("pk", "exposure_drift", "late_exposure_factor"), 1.0)
    measured = true_conc * late * np.exp(cfg.number("tdm", "residual_sd") * rng.standard_normal(m))
    units, probs = cfg.distribution(("tdm", "unit"), ("tdm", "unit_probability"))
    unit = choice(rng, np.asarray(units, dtype=object), probs, m)

    value = measured.copy()
    for u in units:
        sel = unit == u
        value[sel] = np.round(from_ng_per_ml(measured[sel], u), _UNIT_DECIMALS.get(u, 3))
    return pd.DataFrame(
        {
            "patient_index": pid,
            "patient_id": patients["patient_id"].to_numpy()[pid],
            "sample_time": sample_time,
            "last_dose_time": last_dose_time,
            "dose_mg": dose_mg,
            "concentration": value,
            "unit": unit.astype(str),
            "hours_after_dose": hours,
            "sample_day": day,
            "sample_kind": np.asarray(SAMPLE_KINDS)[kind],
            "true_concentration_ng_ml": true_conc * late,
        }
    )

"""The severe cases' clinical course: onset day of grade 3 vs recurrent grade 2 (Mann-Whitney U),
final maintenance dose by grade, and troughs at rash onset vs after TDM-guided re-escalation
(Wilcoxon signed-rank, paired).

How TDM samples are identified (the cohort contract has no sample label):

- troughs are 24-h troughs: each concentration is projected to 24 h after the dose with the
  log-linear correction (Wang 2009, ``rashrisk.pk.loglinear``) when taken 14-32 h after the dose;
  samples outside that window are not used;
- the *onset* sample of a severe case is the sample closest to the rash onset day whose
  ``day_on_treatment`` lies in [onset - ONSET_WINDOW_BEFORE_DAYS, onset + ONSET_WINDOW_AFTER_DAYS);
- the *after re-escalation* sample is the patient's last sample taken at least
  REESCALATION_MIN_DAYS days after onset (imatinib is stopped at onset, then re-introduced);
  its dose is the final maintenance dose.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.pk.loglinear import loglinear_trough_ng_ml

ONSET_WINDOW_BEFORE_DAYS = 3.0
ONSET_WINDOW_AFTER_DAYS = 2.0
REESCALATION_MIN_DAYS = 14.0
TROUGH_HOURS_WINDOW = (14.0, 32.0)


def _severe(outcomes: pd.DataFrame) -> pd.DataFrame:
    o = outcomes[outcomes["severe_rash"].astype(bool)].copy()
    o["severe_grade"] = np.where(o["rash_max_grade"].astype(int) >= 3, "grade_3", "recurrent_grade_2")
    return o


def _mann_whitney(a, b) -> dict:
    from scipy.stats import mannwhitneyu

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    out = {"n_grade_3": int(len(a)), "n_recurrent_grade_2": int(len(b)),
           "median_grade_3": float(np.median(a)) if len(a) else float("nan"),
           "median_recurrent_grade_2": float(np.median(b)) if len(b) else float("nan"),
           "u_statistic": float("nan"), "p_value": float("nan")}
    if len(a) and len(b):
        res = mannwhitneyu(a, b, alternative="two-sided")
        out["u_statistic"], out["p_value"] = float(res.statistic), float(res.pvalue)
    return out


def onset_by_grade(outcomes: pd.DataFrame) -> dict:
    """Onset day of grade >= 3 vs recurrent grade 2 severe rash (two-sided Mann-Whitney U)."""
    o = _severe(outcomes)
    onset = o["rash_onset_day"].astype(float)
    return _mann_whitney(onset[o["severe_grade"] == "grade_3"], onset[o["severe_grade"] == "recurrent_grade_2"])


def trough_samples(tdm: pd.DataFrame) -> pd.DataFrame:
    """TDM rows usable as troughs, with ``trough_ng_ml`` (log-linear projection to 24 h)."""
    lo, hi = TROUGH_HOURS_WINDOW
    t = tdm[(tdm["hours_after_dose"] >= lo) & (tdm["hours_after_dose"] <= hi)].copy()
    t["trough_ng_ml"] = loglinear_trough_ng_ml(t["concentration_ng_ml"].to_numpy(), t["hours_after_dose"].to_numpy())
    return t


def onset_and_reescalation_samples(outcomes: pd.DataFrame, tdm: pd.DataFrame) -> pd.DataFrame:
    """One row per severe case: onset day, trough and dose at onset, after re-escalation (NaN if absent)."""
    o = _severe(outcomes)[["patient_id", "severe_grade", "rash_onset_day"]]
    t = trough_samples(tdm).merge(o, on="patient_id")
    rel = t["day_on_treatment"] - t["rash_onset_day"].astype(float)
    at = t[(rel >= -ONSET_WINDOW_BEFORE_DAYS) & (rel < ONSET_WINDOW_AFTER_DAYS)].assign(distance=rel.abs())
    at = at.sort_values(["patient_id", "distance", "day_on_treatment"]).drop_duplicates("patient_id")
    after = t[rel >= REESCALATION_MIN_DAYS].sort_values(["patient_id", "day_on_treatment"]).drop_duplicates("patient_id", keep="last")
    out = o.set_index("patient_id")
    out["trough_onset_ng_ml"] = at.set_index("patient_id")["trough_ng_ml"]
    out["dose_onset_mg"] = at.set_index("patient_id")["dose_mg"]
    out["trough_after_reescalation_ng_ml"] = after.set_index("patient_id")["trough_ng_ml"]
    out["final_dose_mg"] = after.set_index("patient_id")["dose_mg"]
    return out.reset_index()


def troughs_onset_vs_reescalation(samples: pd.DataFrame) -> dict:
    """Paired comparison of troughs at onset and after re-escalation (two-sided Wilcoxon signed-rank)."""
    from scipy.stats import wilcoxon

    pairs = samples.dropna(subset=["trough_onset_ng_ml", "trough_after_reescalation_ng_ml"])
    a = pairs["trough_onset_ng_ml"].to_numpy(dtype=float)
    b = pairs["trough_after_reescalation_ng_ml"].to_numpy(dtype=float)
    out = {"n_pairs": int(len(pairs)),
           "median_onset_ng_ml": float(np.median(a)) if len(a) else float("nan"),
           "median_after_reescalation_ng_ml": float(np.median(b)) if len(b) else float("nan"),
           "w_statistic": float("nan"), "p_value": float("nan")}
    if len(pairs) >= 2 and np.any(a != b):
        res = wilcoxon(a, b, alternative="two-sided")
        out["w_statistic"], out["p_value"] = float(res.statistic), float(res.pvalue)
    return out


def final_dose_by_grade(samples: pd.DataFrame) -> dict:
    """Final maintenance dose (dose of the after-re-escalation sample), grade 3 vs recurrent grade 2."""
    s = samples.dropna(subset=["final_dose_mg"])
    return _mann_whitney(s.loc[s["severe_grade"] == "grade_3", "final_dose_mg"],
                         s.loc[s["severe_grade"] == "recurrent_grade_2", "final_dose_mg"])

"""A patient's TDM history for the re-challenge: the samples, the onset trough and the dose history.

Times are hours from the patient's ``start_date`` (00:00), the clock ``map_estimate``'s
``dose_history`` uses. The cohort contract has no dosing file, so the doses are rebuilt from the TDM
rows (``[history]`` in ``rechallenge.toml``): each sample's ``dose_mg`` taken once daily at its
``last_dose_time``, back to the previous sample's last dose (from the start for the first sample);
imatinib stopped after the onset sample's last dose (the source study's management); the first sample
after onset follows ``days_on_first_dose_after_onset`` days on its dose, because the re-introduction
date is not recorded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rashrisk.pk.loglinear import loglinear_trough_ng_ml
from rashrisk.rechallenge.config import RechallengeConfig

SAMPLE_COLUMNS = ("patient_id", "concentration_ng_ml", "hours_after_dose", "dose_mg", "day_on_treatment",
                  "below_loq", "hours_from_start")


@dataclass
class History:
    samples: pd.DataFrame  # SAMPLE_COLUMNS plus sample_time, phase ('before onset' | 'onset' | 'after onset')
    dose_history: pd.DataFrame  # patient_id, hours_from_start, dose_mg


def patient_samples(tdm: pd.DataFrame | None, patient_id: str) -> pd.DataFrame:
    """This patient's accepted TDM rows, oldest first, with ``hours_from_start``."""
    if tdm is None or not len(tdm):
        return pd.DataFrame(columns=[*SAMPLE_COLUMNS, "sample_time"])
    s = tdm[tdm["patient_id"].astype(str) == patient_id].copy()
    s["patient_id"] = s["patient_id"].astype(str)
    if "below_loq" not in s.columns:
        s["below_loq"] = False
    s["below_loq"] = s["below_loq"].astype(object).eq(True)
    s["hours_from_start"] = s["day_on_treatment"].astype(float) * 24.0
    return s.sort_values("hours_from_start", kind="stable").reset_index(drop=True)


def label_phases(samples: pd.DataFrame, onset_day: int | None) -> pd.DataFrame:
    """``phase`` of each sample against the rash onset day (whole days from the start)."""
    s = samples.copy()
    day = np.floor(s["day_on_treatment"].astype(float).to_numpy())
    if onset_day is None:
        s["phase"] = "before onset"
    else:
        s["phase"] = np.where(day > onset_day, "after onset", "before onset")
    return s


def onset_sample(samples: pd.DataFrame, onset_day: int, config: RechallengeConfig) -> pd.Series | None:
    """The measured sample nearest the onset day within ``window_days_before`` days before it (the
    latest on a tie), or None."""
    day = np.floor(samples["day_on_treatment"].astype(float).to_numpy())
    keep = (day <= onset_day) & (day >= onset_day - config.onset_window_days_before) & ~samples["below_loq"].to_numpy(dtype=bool)
    if not keep.any():
        return None
    return samples[keep].iloc[-1]


def onset_trough_from_sample(sample: pd.Series, config: RechallengeConfig) -> float | None:
    """The onset sample projected to a 24-h trough (log-linear, Wang 2009), when it was taken within
    ``correctable_hours`` after the dose; None otherwise."""
    hours = float(sample["hours_after_dose"])
    low, high = config.correctable_hours
    if not low <= hours <= high:
        return None
    return float(loglinear_trough_ng_ml(float(sample["concentration_ng_ml"]), hours))


def dose_history(samples: pd.DataFrame, onset_day: int | None, config: RechallengeConfig) -> pd.DataFrame:
    """The rebuilt once-daily dose history (module docstring)."""
    rows = []
    previous_last = None
    first_after = True
    for s in samples.itertuples(index=False):
        last = float(s.hours_from_start) - float(s.hours_after_dose)
        if previous_last is None:
            n = int(math.floor(max(last, 0.0) / 24.0 + 1e-9)) + 1  # daily from the start (hour >= 0)
        else:
            n = max(0, int(round((last - previous_last) / 24.0)))  # daily doses since the previous one
        if onset_day is not None and math.floor(float(s.day_on_treatment)) > onset_day and first_after:
            n = min(n, config.days_on_first_dose_after_onset)  # the interruption: no doses before re-introduction
            first_after = False
        rows += [(s.patient_id, last - 24.0 * k, float(s.dose_mg)) for k in range(n)]
        previous_last = last if previous_last is None else max(previous_last, last)
    out = pd.DataFrame(rows, columns=["patient_id", "hours_from_start", "dose_mg"])
    return out.drop_duplicates(["patient_id", "hours_from_start"]).sort_values("hours_from_start").reset_index(drop=True)


def build_history(samples: pd.DataFrame, onset_day: int | None, config: RechallengeConfig) -> History:
    s = label_phases(samples, onset_day)
    return History(samples=s, dose_history=dose_history(s, onset_day, config))

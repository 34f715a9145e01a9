"""The TDM landmark rule: which measured concentration may enter the ``tdm`` model.

For each patient: the first TDM sample whose ``day_on_treatment`` lies in the window
[first_day, last_day] and, when outcomes are known, that was taken strictly before the day of
rash onset (any grade >= 1): ``floor(day_on_treatment) < rash_onset_day`` (onset is a whole day
from start, so a sample on the onset day itself is excluded). A patient with a rash of grade >= 1
but no onset day cannot be checked and is excluded. Without outcomes (scoring) the first sample
in the window is used.

This prevents reverse causation (rash -> interruption -> lower trough) from reaching the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NO_SAMPLE_IN_WINDOW = "no TDM sample in the landmark window"
ONSET_BEFORE_SAMPLE = "rash onset on or before every landmark-window sample (not rash-free at landmark)"
ONSET_UNKNOWN = "rash of grade >= 1 with unknown onset day: landmark cannot be checked"


def select_landmark_samples(tdm: pd.DataFrame, patient_ids, outcomes: pd.DataFrame | None, *,
                            window: tuple[float, float] = (7, 42)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns (landmark samples indexed by patient_id, excluded: patient_id + reason)."""
    first_day, last_day = window
    patient_ids = pd.Index([str(p) for p in patient_ids], name="patient_id")
    samples = tdm.copy()
    samples["patient_id"] = samples["patient_id"].astype(str)
    day = pd.to_numeric(samples["day_on_treatment"], errors="coerce")
    samples = samples[(day >= first_day) & (day <= last_day) & samples["patient_id"].isin(patient_ids)]
    reasons: dict[str, str] = {}
    if outcomes is not None:
        out = outcomes.copy()
        out["patient_id"] = out["patient_id"].astype(str)
        out = out.set_index("patient_id")
        grade = pd.to_numeric(out["rash_max_grade"], errors="coerce")
        onset = pd.to_numeric(out.get("rash_onset_day", pd.Series(np.nan, index=out.index)), errors="coerce")
        onset = onset.astype(float)
        had_rash = grade >= 1
        unknown = had_rash & onset.isna()
        for pid in out.index[unknown]:
            reasons[pid] = ONSET_UNKNOWN
        onset_day = onset.where(had_rash, np.inf).reindex(samples["patient_id"]).to_numpy(dtype=float)
        onset_day = np.where(np.isnan(onset_day), np.inf, onset_day)
        before_onset = np.floor(samples["day_on_treatment"].to_numpy(dtype=float)) < onset_day
        in_window_ids = set(samples["patient_id"])
        samples = samples[before_onset & ~samples["patient_id"].isin(list(reasons))]
        for pid in in_window_ids - set(samples["patient_id"]) - set(reasons):
            reasons[pid] = ONSET_BEFORE_SAMPLE
    if len(samples) > 1:  # one sample (or none) is already in order and unique
        samples = samples.sort_values(["patient_id", "day_on_treatment"], kind="mergesort")
        samples = samples.drop_duplicates("patient_id", keep="first")
    chosen = samples.set_index("patient_id")
    for pid in patient_ids:
        if pid not in chosen.index and pid not in reasons:
            reasons[pid] = NO_SAMPLE_IN_WINDOW
    # in input order (reasons was filled partly from sets, whose order changes between processes)
    order = [p for p in dict.fromkeys(patient_ids) if p in reasons]
    excluded = pd.DataFrame({"patient_id": order, "reason": [reasons[p] for p in order]}, columns=["patient_id", "reason"])
    return chosen.reindex([p for p in patient_ids if p in chosen.index]), excluded

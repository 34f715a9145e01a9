"""Hand-built cohorts (rashrisk.contract.cohort.Cohort) for the model-frame and leakage tests."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rashrisk.contract.cohort import Cohort, LoadReport

START = pd.Timestamp("2024-01-01")


def make_cohort(tdm_rows, outcome_rows, n_patients=3):
    """``tdm_rows``: (patient_id, day_on_treatment, concentration_ng_ml); ``outcome_rows``:
    (patient_id, rash_max_grade, rash_onset_day or None, severe)."""
    ids = [f"P{i}" for i in range(1, n_patients + 1)]
    patients = pd.DataFrame({
        "patient_id": ids, "sex": ["F", "M", "F", "M", "F", "M"][:n_patients],
        "age_years": np.linspace(45, 65, n_patients), "weight_kg": np.linspace(55, 75, n_patients),
        "height_cm": 165.0, "albumin_g_l": 40.0, "ancestry": "EAS", "setting": "adjuvant",
        "start_dose_mg": 400.0, "start_date": START,
    })
    patients["bsa_m2"] = np.sqrt(patients["height_cm"] * patients["weight_kg"] / 3600)
    genotypes = pd.DataFrame({
        "patient_id": ids, "rsid": "rs4129267", "gene": "IL6R", "ref": "C", "alt": "T",
        "ref_count": pd.array([1] * n_patients, dtype="Int8"), "alt_count": pd.array([1] * n_patients, dtype="Int8"),
        "called": True,
    })
    tdm = pd.DataFrame(
        [{"patient_id": pid, "day_on_treatment": float(day), "concentration_ng_ml": float(conc),
          "hours_after_dose": 24.0, "dose_mg": 400.0} for pid, day, conc in tdm_rows],
        columns=["patient_id", "day_on_treatment", "concentration_ng_ml", "hours_after_dose", "dose_mg"],
    )
    outcomes = pd.DataFrame(
        [{"patient_id": pid, "rash_max_grade": grade, "rash_onset_day": onset, "severe_rash": severe}
         for pid, grade, onset, severe in outcome_rows]
    )
    return Cohort(name="handmade", path=Path("."), patients=patients, genotypes=genotypes, tdm=tdm,
                  outcomes=outcomes, report=LoadReport(), ancestry="EAS")


@pytest.fixture
def cohort_factory():
    return make_cohort

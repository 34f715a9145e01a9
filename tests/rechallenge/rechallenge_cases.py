"""Hand-made one-patient cohorts for the re-challenge tests."""

from __future__ import annotations

import pandas as pd


def one_patient(tdm_rows, *, onset_day=14, start="2025-03-03"):
    """A one-patient Cohort (PT-1, EUR woman) with these tdm.csv rows (dicts) and a grade-3 rash on ``onset_day``."""
    from rashrisk.contract.cohort import Cohort

    patients = pd.DataFrame([{"patient_id": "PT-1", "sex": "F", "age_years": 55, "weight_kg": 60, "ancestry": "EUR",
                              "setting": "advanced", "start_dose_mg": 400, "start_date": start}])
    genotypes = pd.DataFrame([{"patient_id": "PT-1", "rsid": "rs4129267", "genotype": "C/T"}])
    outcomes = pd.DataFrame([{"patient_id": "PT-1", "rash_max_grade": 3, "recurrent_grade2": "false",
                              "rash_onset_day": onset_day, "followup_days": 200}])
    tdm = pd.DataFrame(tdm_rows) if tdm_rows else None
    return Cohort.from_frames(patients, genotypes, tdm, outcomes, name="one")


def sample(day, hours, dose, conc, *, start="2025-03-03", below_loq="false"):
    """A tdm.csv row: last dose at 08:00 the day before ``day`` (days from start), sampled ``hours`` later
    (so a 24-h sample falls on ``day``, as the onset day counts)."""
    last = pd.Timestamp(start) + pd.Timedelta(days=day - 1, hours=8)
    return {"patient_id": "PT-1", "sample_time": (last + pd.Timedelta(hours=hours)).isoformat(timespec="minutes"),
            "last_dose_time": last.isoformat(timespec="minutes"), "dose_mg": dose, "concentration": conc,
            "unit": "ng/mL", "below_loq": below_loq}

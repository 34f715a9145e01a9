"""Fixtures: a simulated cohort folder with resumed severe cases, a clear skin record, a one-patient cohort builder."""

from __future__ import annotations

import pandas as pd
import pytest

from rashrisk.reports.skin import RED_FLAGS

CLEAR = {"rash_grade": 1, "recurrent": False, **dict.fromkeys(RED_FLAGS, False)}


@pytest.fixture(scope="session")
def sim_folder(tmp_path_factory):
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    folder = tmp_path_factory.mktemp("rechallenge-cohort")
    sim = simulate_cohort(load_config(None), 300, 7)
    write_cohort(sim, folder)
    return folder


@pytest.fixture(scope="session")
def sim_cohort(sim_folder):
    from rashrisk.contract.loader import load_cohort

    return load_cohort(sim_folder)


@pytest.fixture(scope="session")
def severe_id(sim_folder):
    """A resumed severe case whose escalation reached at least 300 mg."""
    truth = pd.read_csv(sim_folder / "truth.csv")
    cases = truth[truth["severe_rash"].astype(bool) & truth["resumed"].astype(bool) & (truth["final_dose_mg"] >= 300)]
    return str(cases["patient_id"].iloc[0])


@pytest.fixture
def clear_skin():
    return dict(CLEAR)


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

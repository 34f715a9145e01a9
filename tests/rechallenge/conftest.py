"""Fixtures: a simulated cohort folder with resumed severe cases and a clear skin record (the one-patient
cohort builder is in ``rechallenge_cases.py``: a conftest is not importable by name across the suite)."""

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

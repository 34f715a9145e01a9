"""Simulated cohorts shared by the simulator tests (simulated once per session)."""

from __future__ import annotations

import pytest

from rashrisk.simulate.cohort import simulate_cohort
from rashrisk.simulate.config import load_config


@pytest.fixture(scope="session")
def default_config():
    return load_config()


@pytest.fixture(scope="session")
def large_cohort(default_config):
    """20,000 patients: large enough for incidence and trough figures within tight tolerances."""
    return simulate_cohort(default_config, 20_000, 2026)

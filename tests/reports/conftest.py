"""Fixtures: report data of one patient at both stages (``models`` and ``cohort_dir`` come from
tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def report_pair(models, cohort_dir):
    """Report data of one patient at both stages (a patient with a landmark sample)."""
    from rashrisk.reports.patient import build_report_data
    from rashrisk.scoring.inputs import load_scoring_input
    from rashrisk.scoring.score import build_frame

    scoring_input = load_scoring_input(cohort_dir)
    frame, _ = build_frame(scoring_input.cohort, "tdm", models["tdm"])
    pid = str(frame.X.index[0])
    start = build_report_data(pid, scoring_input, "start", models["start"], model_source="test")
    tdm = build_report_data(pid, scoring_input, "tdm", models["tdm"], start_model=models["start"], model_source="test")
    return start, tdm

"""Fixtures: a small simulated cohort folder and the served models of both stages.

The models are the embedded default bundles (``models/start``, ``models/tdm``); when a checkout
does not have them yet, the same training code fits small bundles on a simulated cohort.
"""

from __future__ import annotations

import pytest


def simulate_folder(folder, n: int, seed: int):
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    write_cohort(simulate_cohort(load_config(None), n, seed), folder)
    return folder


def served_models(tmp_path_factory) -> dict:
    from rashrisk.errors import ModelError
    from rashrisk.models.bundle import load_default_model

    try:
        return {stage: load_default_model(stage) for stage in ("start", "tdm")}
    except ModelError:
        from rashrisk.models.train import train_stage

        folder = simulate_folder(tmp_path_factory.mktemp("train-cohort"), 500, 4)
        return {stage: train_stage(folder, stage, validate=False).model for stage in ("start", "tdm")}


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    return served_models(tmp_path_factory)


@pytest.fixture(scope="session")
def cohort_dir(tmp_path_factory):
    return simulate_folder(tmp_path_factory.mktemp("score-cohort"), 60, 21)


@pytest.fixture(scope="session")
def report_pair(models, cohort_dir):
    """Report data of one patient at both stages (a patient with a landmark sample)."""
    from rashrisk.report.patient import build_report_data
    from rashrisk.scoring.inputs import load_scoring_input
    from rashrisk.scoring.score import build_frame

    scoring_input = load_scoring_input(cohort_dir)
    frame, _ = build_frame(scoring_input.cohort, "tdm", models["tdm"])
    pid = str(frame.X.index[0])
    start = build_report_data(pid, scoring_input, "start", models["start"], model_source="test")
    tdm = build_report_data(pid, scoring_input, "tdm", models["tdm"], start_model=models["start"], model_source="test")
    return start, tdm

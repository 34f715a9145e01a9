"""On a simulated cohort (drivers known: IL6R genotype, sex and exposure), the served models' global
explanation ranks the drivers above a factor without effect on the outcome (ancestry only shifts
allele frequencies, and the genotype is in the model)."""

import pytest

from rashrisk.explanations.global_importance import global_explanation
from rashrisk.scoring.inputs import load_scoring_input
from rashrisk.scoring.score import build_frame


@pytest.mark.parametrize("stage, drivers, null", [
    ("start", ["rs4129267", "sex"], ["ancestry"]),
    ("tdm", ["early_trough", "rs4129267"], ["ancestry", "setting"]),
])
def test_drivers_rank_above_a_null_factor(models, cohort_dir, stage, drivers, null):
    frame, _ = build_frame(load_scoring_input(cohort_dir).cohort, stage, models[stage])
    summary, _ = global_explanation(models[stage], frame.X, plots=False)
    importance = summary["mean_abs_contribution"]
    for d in drivers:
        for z in null:
            assert importance[d] > importance.get(z, 0.0), (d, z, importance)
    assert summary["max_additivity_error"] < 1e-6

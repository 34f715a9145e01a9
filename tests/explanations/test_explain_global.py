"""Global explanation: the true drivers rank above factors without effect; PNGs are produced."""

import numpy as np
from fake_risk_model import fitted

from rashrisk.explanations.global_importance import global_explanation


def test_true_drivers_rank_above_null_factors():
    # the fake cohort's outcome depends on genotype, sex and trough only; age and weight have no effect
    model, X = fitted("logistic", n=4000, seed=5)
    summary, images = global_explanation(model, X.iloc[:1500])
    ranking = summary["ranking"]
    for driver in ("rs4129267", "sex", "apriori_trough_ng_ml"):
        for null in ("age_years", "weight_kg"):
            assert ranking.index(driver) < ranking.index(null), ranking
    assert summary["max_additivity_error"] < 1e-6
    assert set(images) == {"mean_abs_contribution.png", "shap_beeswarm.png", "risk_by_trough_and_genotype.png"}
    for png in images.values():
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_summary_is_json_able():
    import json

    model, X = fitted("xgboost", n=800)
    summary, _ = global_explanation(model, X.iloc[:200], plots=False)
    assert json.loads(json.dumps(summary))["n_patients"] == 200
    assert np.isclose(sum(summary["mean_abs_contribution"].values()) > 0, True)

"""Attributions are exact for the served calibrated model, for both estimator families."""

import numpy as np
import pytest
from fake_risk_model import clinical_frame, fitted

from rashrisk.explanations.attributions import explain_log_odds
from rashrisk.explanations.factors import factor_contributions


@pytest.fixture(scope="module", params=["logistic", "xgboost"])
def model(request):
    return fitted(request.param, n=1200)[0]


def test_additive_to_served_log_odds_for_10000_patients(model):
    X, _ = clinical_frame(10_000, seed=11)
    attributions = explain_log_odds(model, X)
    served = model.decision_function(X)
    total = attributions.base_value + attributions.values.to_numpy().sum(axis=1)
    assert np.max(np.abs(total - served)) < 1e-6
    np.testing.assert_allclose(attributions.model_logit, served, rtol=0, atol=0)
    assert np.ptp(attributions.base_value) == 0  # one base value for every patient


def test_factor_sums_stay_additive(model):
    X, _ = clinical_frame(300, seed=12)
    attributions = explain_log_odds(model, X)
    by_factor = factor_contributions(attributions.values, model.feature_factor_)
    assert set(by_factor.columns) == {"age_years", "weight_kg", "apriori_trough_ng_ml", "rs4129267", "sex", "ancestry"}
    np.testing.assert_allclose(by_factor.sum(axis=1).to_numpy() + attributions.base_value,
                               model.decision_function(X), atol=1e-6)


def test_linear_attribution_is_slope_times_coef_times_centred_feature():
    model, X = fitted("logistic", n=600)
    attributions = explain_log_odds(model, X.iloc[:50])
    matrix = model.preprocess_.transform(X.iloc[:50][model.input_columns_])
    means = model.preprocess_.transform(X[model.input_columns_]).mean(axis=0)  # the training matrix's mean
    expected = model.calibration_slope_ * model.estimator_.coef_.ravel() * (matrix - means)
    np.testing.assert_allclose(attributions.values.to_numpy(), expected, atol=1e-12)


def test_tree_attribution_scales_raw_treeshap_by_the_platt_slope():
    from rashrisk.explanations.tree import _import_shap

    shap = _import_shap()
    model, X = fitted("xgboost", n=600)
    rows = X.iloc[:40]
    matrix = model.preprocess_.transform(rows[model.input_columns_]).astype(np.float32)
    raw = shap.TreeExplainer(model.estimator_)(matrix).values
    ours = explain_log_odds(model, rows).values.to_numpy()
    np.testing.assert_allclose(ours, model.calibration_slope_ * raw, atol=1e-5)


def test_a_patient_changing_only_genotype_moves_only_the_genotype_factor_for_a_linear_model():
    model, X = fitted("logistic", n=600)
    pair = X.iloc[[0, 0]].copy()
    pair.index = ["a", "b"]
    pair.loc["a", "rs4129267_alt_count"] = 0.0
    pair.loc["b", "rs4129267_alt_count"] = 2.0
    by_factor = factor_contributions(explain_log_odds(model, pair).values, model.feature_factor_)
    moved = (by_factor.loc["b"] - by_factor.loc["a"]).abs()
    assert moved["rs4129267"] > 0.01
    assert moved.drop("rs4129267").max() < 1e-12


def test_no_patients_gives_empty_attributions(model):
    from rashrisk.explanations.local import explanation_table

    X, _ = clinical_frame(5, seed=1)
    attributions = explain_log_odds(model, X.iloc[:0])
    assert attributions.values.shape == (0, len(model.preprocess_.get_feature_names_out()))
    assert attributions.additivity_error == 0.0
    table = explanation_table(model, X.iloc[:0])
    assert len(table) == 0 and "contribution" in table.columns

import numpy as np
import pytest

from rashrisk.models.calibration import IDENTITY, apply_platt, calibrate, calibration_method, expit, fit_platt
from rashrisk.models.xgb_logit import LeafTable, base_margin


def test_platt_recovers_a_known_affine_miscalibration():
    rng = np.random.default_rng(3)
    raw = rng.normal(-2.5, 1.0, 20000)
    y = rng.random(raw.size) < expit(0.4 + 0.6 * raw)
    intercept, slope = fit_platt(raw, y)
    assert intercept == pytest.approx(0.4, abs=0.1)
    assert slope == pytest.approx(0.6, abs=0.05)
    np.testing.assert_allclose(apply_platt(raw[:3], intercept, slope), intercept + slope * raw[:3])


def test_platt_on_a_degenerate_outcome_is_the_identity():
    assert fit_platt(np.array([0.1, 0.2, 0.3]), np.array([0, 0, 0])) == (0.0, 1.0)


def test_only_the_configured_families_are_platt_recalibrated():
    rng = np.random.default_rng(4)
    raw = rng.normal(-2.5, 1.0, 5000)
    y = rng.random(raw.size) < expit(0.4 + 0.6 * raw)
    assert calibrate("logistic", ("xgboost",), raw, y) == IDENTITY == (0.0, 1.0)
    assert calibrate("xgboost", ("xgboost",), raw, y) == fit_platt(raw, y) != IDENTITY
    assert calibrate("logistic", ("logistic", "xgboost"), raw, y) == fit_platt(raw, y)
    assert calibration_method("logistic", ("xgboost",)).startswith("identity")
    assert calibration_method("xgboost", ("xgboost",)).startswith("Platt")


def test_xgboost_float64_leaf_sum_matches_its_margin():
    import xgboost as xgb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (rng.random(400) < expit(-2 + X[:, 0])).astype(int)
    model = xgb.XGBClassifier(n_estimators=40, max_depth=2, tree_method="hist", n_jobs=1).fit(X, y)
    booster = model.get_booster()
    raw = LeafTable(booster).raw_logit(booster, X)
    margin = booster.predict(xgb.DMatrix(X), output_margin=True)
    assert raw.dtype == np.float64
    np.testing.assert_allclose(raw, margin, atol=1e-5)
    assert base_margin(booster) == pytest.approx(np.log(y.mean() / (1 - y.mean())), abs=0.05)


def test_inverse_logit_is_stable_in_the_tails():
    # the one expit (scipy.special): no overflow warning (an error under pytest) and exact tails
    np.testing.assert_array_equal(expit(np.array([-800.0, 0.0, 800.0])), [0.0, 0.5, 1.0])
    assert expit(np.array([-40.0]))[0] == pytest.approx(np.exp(-40.0), rel=1e-12)

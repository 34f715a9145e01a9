"""The optional sign constraint of the logistic family ([logistic] nonnegative)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from rashrisk.models.config import LogisticGrid, TrainingConfig
from rashrisk.models.family import constrained_features
from rashrisk.models.family_logistic import LogisticFamily, fit_bounded_logistic
from rashrisk.models.state import decode, encode


def _data(seed=0, n=600):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    logit = -2.0 + 0.8 * X[:, 0] - 0.6 * X[:, 1] + 0.0 * X[:, 2]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_bounded_fit_equals_scikit_learn_when_no_bound_binds():
    X, y = _data()
    free = LogisticRegression(C=0.3, max_iter=5000, tol=1e-10).fit(X, y)
    bounded = fit_bounded_logistic(X, y, 0.3, np.array([True, False, False]))  # x0's coefficient is positive anyway
    assert free.coef_[0, 0] > 0
    np.testing.assert_allclose(bounded.coef_, free.coef_, atol=1e-4)
    np.testing.assert_allclose(bounded.intercept_, free.intercept_, atol=1e-4)
    np.testing.assert_allclose(bounded.predict_proba(X), free.predict_proba(X), atol=1e-5)


def test_a_binding_bound_holds_and_the_other_coefficients_refit():
    X, y = _data()
    free = LogisticRegression(C=0.3, max_iter=5000, tol=1e-10).fit(X, y)
    assert free.coef_[0, 1] < -0.2  # x1 lowers risk in the data
    bounded = fit_bounded_logistic(X, y, 0.3, np.array([False, True, False]))
    assert bounded.coef_[0, 1] == pytest.approx(0.0, abs=1e-8)
    assert bounded.coef_[0, 0] > 0.3
    # the binding bound moved the fit away from the free optimum
    assert not np.allclose(bounded.coef_, free.coef_, atol=1e-2)


def test_mask_never_constrains_missing_indicators_or_spline_bases():
    names = ["rs4129267_alt_count", "rs4129267_alt_count_missing", "apriori_trough_ng_ml_log",
             "apriori_trough_ng_ml_spline_1", "age_years"]
    factors = {"rs4129267_alt_count": "rs4129267", "rs4129267_alt_count_missing": "rs4129267",
               "apriori_trough_ng_ml_log": "apriori_trough_ng_ml", "apriori_trough_ng_ml_spline_1": "apriori_trough_ng_ml",
               "age_years": "age_years"}
    mask = constrained_features(names, factors, ("rs4129267", "apriori_trough_ng_ml"))
    assert mask.tolist() == [True, False, True, False, False]


def test_family_uses_the_bounded_fit_only_when_configured():
    X, y = _data()
    names, factors = ["a", "b", "c"], {"a": "a", "b": "b", "c": "c"}
    family = LogisticFamily()
    plain_config = TrainingConfig()
    # built in code: "b" is a synthetic factor, which a configuration file's [features] could not name
    constrained = TrainingConfig().with_overrides(logistic=LogisticGrid(nonnegative=("b",)))
    free, _ = family.fit({"C": 0.3}, plain_config, X, y, names, factors, seed=0)
    bound, _ = family.fit({"C": 0.3}, constrained, X, y, names, factors, seed=0)
    assert free.coef_[0, 1] < 0 and bound.coef_[0, 1] == pytest.approx(0.0, abs=1e-8)
    # the setting is not a grid dimension
    assert family.grid_points(constrained) == family.grid_points(plain_config)


def test_a_bounded_fit_round_trips_through_the_bundle_state_bit_for_bit():
    X, y = _data()
    bounded = fit_bounded_logistic(X, y, 0.3, np.array([False, True, False]))
    rebuilt = decode(encode(bounded))
    assert type(rebuilt) is LogisticRegression
    assert np.array_equal(rebuilt.decision_function(X), bounded.decision_function(X))

"""Coefficients left out of the L2 penalty ([logistic] unpenalised; default: the TDM landmark day)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from rashrisk.models.config import LogisticGrid, TrainingConfig
from rashrisk.models.family_logistic import LogisticFamily, fit_bounded_logistic


def _data(seed=0, n=800):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    logit = -2.5 + 1.0 * X[:, 0] + 0.5 * X[:, 1] + 0.0 * X[:, 2]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def test_every_coefficient_unpenalised_is_the_maximum_likelihood_fit():
    X, y = _data()
    mle = LogisticRegression(C=1e12, max_iter=10_000, tol=1e-10).fit(X, y)
    fit = fit_bounded_logistic(X, y, 0.01, np.zeros(3, bool), unpenalised=np.ones(3, bool))
    np.testing.assert_allclose(fit.coef_, mle.coef_, atol=1e-4)
    np.testing.assert_allclose(fit.intercept_, mle.intercept_, atol=1e-4)


def test_nothing_unpenalised_is_scikit_learns_ridge_fit():
    X, y = _data()
    ridge = LogisticRegression(C=0.1, max_iter=10_000, tol=1e-10).fit(X, y)
    fit = fit_bounded_logistic(X, y, 0.1, np.zeros(3, bool), unpenalised=np.zeros(3, bool))
    np.testing.assert_allclose(fit.coef_, ridge.coef_, atol=1e-4)


def test_an_unpenalised_coefficient_is_not_shrunk_and_the_others_are():
    """Under a strong penalty the free coefficient keeps (nearly) its maximum-likelihood size while the
    penalised ones are pulled towards 0, as with the penalty alone."""
    X, y = _data()
    mle = LogisticRegression(C=1e12, max_iter=10_000, tol=1e-10).fit(X, y).coef_[0]
    ridge = LogisticRegression(C=0.01, max_iter=10_000, tol=1e-10).fit(X, y).coef_[0]
    free = fit_bounded_logistic(X, y, 0.01, np.zeros(3, bool), unpenalised=np.array([True, False, False])).coef_[0]
    assert ridge[0] < 0.6 * mle[0]  # the penalty shrinks the strong effect a lot
    assert free[0] == pytest.approx(mle[0], rel=0.1)
    assert abs(free[1]) < 0.6 * abs(mle[1])  # the penalised effect stays shrunk


def test_the_family_leaves_the_landmark_day_unpenalised_by_default_and_only_it():
    X, y = _data()
    names = ["sex_M", "tdm_day", "rs4129267_alt_count"]
    factors = {"sex_M": "sex", "tdm_day": "tdm_day", "rs4129267_alt_count": "rs4129267"}
    family = LogisticFamily()
    default, _ = family.fit({"C": 0.01}, TrainingConfig(), X, y, names, factors, seed=0)
    penalised_config = TrainingConfig().with_overrides(logistic=LogisticGrid(unpenalised=()))
    penalised, _ = family.fit({"C": 0.01}, penalised_config, X, y, names, factors, seed=0)
    assert TrainingConfig().logistic.unpenalised == ("tdm_day",)
    # column 1 is the landmark day: free by default, shrunk when penalised
    assert abs(default.coef_[0, 1]) > 1.5 * abs(penalised.coef_[0, 1])
    # a start-stage matrix (no landmark day) is the plain scikit-learn fit
    start_names, start_factors = ["sex_M", "age_years", "rs4129267_alt_count"], {}
    plain, _ = family.fit({"C": 0.3}, TrainingConfig(), X, y, start_names, start_factors, seed=0)
    reference = LogisticRegression(C=0.3, max_iter=5000, tol=1e-6).fit(X, y)
    np.testing.assert_array_equal(plain.coef_, reference.coef_)


def test_unpenalised_is_read_from_toml_and_is_not_a_grid_dimension(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[logistic]\nunpenalised = []\n', encoding="utf-8")
    config = TrainingConfig.from_toml(path)
    assert config.logistic.unpenalised == ()
    assert LogisticFamily().grid_points(config) == LogisticFamily().grid_points(TrainingConfig())
    path.write_text('[logistic]\nunpenalised = "tdm_day"\n', encoding="utf-8")
    from rashrisk.errors import ConfigError
    with pytest.raises(ConfigError, match="unpenalised"):
        TrainingConfig.from_toml(path)


def test_a_trained_tdm_model_leaves_the_landmark_day_out_of_the_penalty(simulated_cohort, fast):
    """Through the real training entry point: the served TDM coefficients are the fit with the landmark
    day's penalty weight 0, and differ from the all-penalised fit; the start model is unaffected."""
    from rashrisk.features.frame import build_model_frame
    from rashrisk.models.train import train_stage

    config = fast(candidates=("logistic",))
    clf = train_stage(simulated_cohort, "tdm", config, validate=False).model.classifier
    assert clf.family_ == "logistic" and "tdm_day" in clf.feature_names_
    frame = build_model_frame(simulated_cohort, "tdm", landmark=config.landmark)
    matrix, y = clf.feature_matrix(frame.X), frame.y.to_numpy(dtype=int)
    free = np.array([name == "tdm_day" for name in clf.feature_names_])
    expected = fit_bounded_logistic(matrix, y, clf.params_["C"], np.zeros(len(free), bool), unpenalised=free)
    np.testing.assert_allclose(clf.estimator_.coef_, expected.coef_, atol=1e-8)
    penalised = fast(candidates=("logistic",), logistic=LogisticGrid(C=(clf.params_["C"],), unpenalised=()))
    other = train_stage(simulated_cohort, "tdm", penalised, validate=False).model.classifier
    day = clf.feature_names_.index("tdm_day")
    assert abs(clf.estimator_.coef_[0, day]) > abs(other.estimator_.coef_[0, day])

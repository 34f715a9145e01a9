"""RashriskClassifier is a scikit-learn classifier: clone, is_classifier and the estimator checks."""

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.utils.estimator_checks import parametrize_with_checks

import rashrisk
from rashrisk.models.classifier import RashriskClassifier
from rashrisk.models.config import LogisticGrid, XGBoostGrid

ESTIMATORS = [
    RashriskClassifier(),
    RashriskClassifier("tdm", candidates=("logistic",), logistic=LogisticGrid(C=(1.0,)), interval_bootstrap=2),
    RashriskClassifier(candidates=("xgboost",), xgboost=XGBoostGrid(n_estimators=(10,), max_depth=(2,)),
                       interval_bootstrap=2),
]
_MARK = parametrize_with_checks(ESTIMATORS)
CONTRACT_CHECKS = pytest.mark.parametrize(_MARK.args[0], list(_MARK.args[1]), **_MARK.kwargs)


@CONTRACT_CHECKS
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def test_clone_and_is_classifier():
    model = rashrisk.RashriskClassifier()
    copy = clone(model)
    assert is_classifier(copy) and copy.get_params() == model.get_params()


def test_fit_on_model_frame_reads_the_clinical_columns(start_frame):
    X, y = start_frame
    model = RashriskClassifier(candidates=("logistic",), interval_bootstrap=3).fit(X, y)
    assert model.input_columns_[:2] == ["sex", "age_years"]
    assert "rs4129267_alt_count" in model.input_columns_
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and np.allclose(proba.sum(axis=1), 1)
    np.testing.assert_array_equal(np.log(proba[:, 1] / proba[:, 0]).round(9), model.decision_function(X).round(9))
    low, high = model.predict_interval(X)
    assert np.all(low <= proba[:, 1]) and np.all(proba[:, 1] <= high) and np.any(high > low)


def test_same_seed_same_model(start_frame):
    X, y = start_frame
    a = RashriskClassifier(candidates=("logistic",), interval_bootstrap=3).fit(X, y)
    b = RashriskClassifier(candidates=("logistic",), interval_bootstrap=3).fit(X, y)
    np.testing.assert_array_equal(a.decision_function(X), b.decision_function(X))
    c = RashriskClassifier(candidates=("logistic",), interval_bootstrap=3, random_state=1).fit(X, y)
    assert not np.array_equal(a.predict_interval(X)[0], c.predict_interval(X)[0])


@pytest.fixture(scope="module")
def start_frame(simulated_cohort):
    from rashrisk.features.frame import build_model_frame

    frame = build_model_frame(simulated_cohort, "start")
    return frame.X, frame.y.to_numpy(dtype=int)


@pytest.mark.parametrize("column, value, message", [
    ("sex", "X", "column sex"), ("sex", "", "column sex"), ("age_years", -5.0, "column age_years"),
    ("weight_kg", -10.0, "column weight_kg"), ("rs4129267_alt_count", 7.0, "column rs4129267_alt_count"),
    ("rs4129267_alt_count", 1.5, "column rs4129267_alt_count"),
])
def test_predict_proba_checks_its_input_with_the_contract_rules(start_frame, column, value, message):
    from rashrisk.contract.model_inputs import ModelInputError

    X, y = start_frame
    model = RashriskClassifier(candidates=("logistic",), interval_bootstrap=2).fit(X, y)
    bad = X.iloc[:3].copy()
    bad[column] = bad[column].astype(object)
    bad.iloc[1, bad.columns.get_loc(column)] = value
    with pytest.raises(ModelInputError, match=message) as info:
        model.predict_proba(bad)
    assert str(bad.index[1]) in str(info.value)


def test_sex_spellings_the_contract_accepts_score_as_the_canonical_code(start_frame):
    X, y = start_frame
    model = RashriskClassifier(candidates=("logistic",), interval_bootstrap=2).fit(X, y)
    rows = X[X["sex"] == "M"].iloc[:2].copy()
    expected = model.predict_proba(rows)
    for spelling in ("m", "male", "Male"):
        rows["sex"] = spelling
        np.testing.assert_array_equal(model.predict_proba(rows), expected)

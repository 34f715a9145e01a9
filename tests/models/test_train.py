"""Training end to end on a small simulated cohort (fast configuration)."""

import numpy as np
import pandas as pd
import pytest

from rashrisk.contract.model_inputs import ModelInputError
from rashrisk.errors import RashriskError
from rashrisk.features.frame import build_model_frame
from rashrisk.models.bundle import RiskModel
from rashrisk.models.card import card_markdown
from rashrisk.models.train import train_frame, train_stage


@pytest.fixture(scope="module")
def start_result(simulated_cohort, fast):
    return train_stage(simulated_cohort, "start", fast())


def test_training_smoke_gives_a_validated_calibrated_bundle(start_result, tmp_path):
    result = start_result
    model = result.model
    X = result.frame.X
    assert model.name == "rashrisk-start" and model.stage == "start"
    assert result.validation["bootstrap"]["n_boot"] == 10
    instability = result.validation["instability"]  # the interval ensemble's refits, Riley and Collins 2023
    assert instability["n_models"] == 5 and 0 < instability["mape_mean"] < 0.05
    assert model.card.validation["instability"] == instability
    assert 0.5 < result.validation["metrics"]["auroc"]["corrected"] < 1.0
    assert {row["name"] for row in result.candidates} == {"logistic", "xgboost"}
    assert result.selected in ("logistic", "xgboost")
    assert result.oof_proba.shape == (len(X),) and np.all((result.oof_proba > 0) & (result.oof_proba < 1))
    # the served log-odds are the affine calibration of the estimator's own log-odds (computed apart
    # from the bundle: scikit-learn's decision_function or XGBoost's float32 margin)
    matrix = model.transform(X)
    own = (model.estimator_.decision_function(matrix) if model.family == "logistic" else
           model.estimator_.get_booster().inplace_predict(matrix.astype(np.float32), predict_type="margin"))
    np.testing.assert_allclose(model.decision_function(X),
                               model.calibration_intercept_ + model.calibration_slope_ * own, rtol=0, atol=1e-5)
    proba = model.predict_proba(X)
    # the input contract is the columns the model reads, nothing more
    assert "height_cm" not in model.input_columns_ and "rs2228145_alt_count" not in model.input_columns_
    np.testing.assert_array_equal(model.predict_proba(X[model.input_columns_]), proba)
    low, high = model.predict_interval(X.iloc[:50])
    assert np.all(low <= proba[:50, 1]) and np.all(proba[:50, 1] <= high) and np.any(high - low > 0)
    # every model feature maps to a clinical factor
    assert set(model.feature_factor_) == set(model.preprocess_.get_feature_names_out())
    assert model.feature_factor_["rs4129267_alt_count"] == "rs4129267"
    assert "rs4129267_alt_count_missing" not in model.feature_factor_  # a no-call is no factor of its own
    # linear explanations are taken against the training matrix's mean (aggregate, stored)
    np.testing.assert_allclose(model.feature_means_, model.preprocess_.transform(X[model.input_columns_]).mean(axis=0))
    # bundle round trip
    model.save(tmp_path / "start")
    loaded = RiskModel.load(tmp_path / "start")
    np.testing.assert_array_equal(loaded.predict_proba(X), proba)
    assert "not for clinical use" in (tmp_path / "start" / "card.md").read_text()
    assert loaded.card.trained_on.simulated is True
    assert sum(f.stat().st_size for f in (tmp_path / "start").iterdir()) < 5_000_000
    assert not list((tmp_path / "start").glob("*.joblib")) and not list((tmp_path / "start").glob("*.pkl"))


def test_fingerprint_has_hashes_and_counts_but_no_patient_ids(start_result):
    text = repr(start_result.fingerprint) + repr(start_result.model.card)
    assert "SIM0000" not in text
    assert start_result.fingerprint["rows"]["patients"] == 1500
    assert all(len(h) == 64 for h in start_result.fingerprint["files"].values())


def test_tdm_stage_uses_the_landmark_trough_and_accounts_for_every_patient(simulated_cohort, fast):
    result = train_stage(simulated_cohort, "tdm", fast(), validate=False)
    names = set(result.model.preprocess_.get_feature_names_out())
    assert {"map_trough_ng_ml_log", "trough_ratio_to_apriori_log", "tdm_day"} <= names
    frame = result.frame
    assert len(frame.X) + len(frame.excluded) == simulated_cohort.n_patients
    assert not set(frame.X.index) & set(frame.excluded["patient_id"])
    # no landmark sample on or after a rash onset (any grade), on the simulator's outcomes
    outcomes = simulated_cohort.outcomes.set_index("patient_id").reindex(frame.X.index)
    had_rash = outcomes["rash_max_grade"] >= 1
    onset = outcomes.loc[had_rash, "rash_onset_day"].astype(float)
    assert had_rash.sum() > 0
    assert (np.floor(frame.X.loc[had_rash, "tdm_day"]) < onset).all()


def test_same_seed_gives_the_same_predictions(simulated_cohort, fast):
    frame = build_model_frame(simulated_cohort, "start")
    a = train_frame(frame, fast(), validate=False).model.predict_proba(frame.X)
    b = train_frame(frame, fast(), validate=False).model.predict_proba(frame.X)
    np.testing.assert_array_equal(a, b)


def test_xgboost_bundle_is_monotone_in_the_risk_allele_count(simulated_cohort, fast):
    frame = build_model_frame(simulated_cohort, "start")
    model = train_frame(frame, fast(candidates=("xgboost",)), validate=False).model
    assert model.family == "xgboost"
    assert model.leaf_table_ is not None  # served log-odds: float64 leaf sums (exact explanations)
    X = frame.X.iloc[:200].copy()
    risks = []
    for count in (0.0, 1.0, 2.0):
        X["rs4129267_alt_count"] = count
        risks.append(model.predict_proba(X)[:, 1])
    assert np.all(risks[1] >= risks[0] - 1e-12) and np.all(risks[2] >= risks[1] - 1e-12)
    own_margin = model.estimator_.get_booster().inplace_predict(  # XGBoost's float32 margin
        model.transform(X).astype(np.float32), predict_type="margin")
    np.testing.assert_allclose(model.decision_function(X),
                               model.calibration_intercept_ + model.calibration_slope_ * own_margin, rtol=0, atol=1e-5)


def test_logistic_is_served_as_fitted_unless_configured_for_platt(simulated_cohort, fast):
    frame = build_model_frame(simulated_cohort, "start")
    served = train_frame(frame, fast(candidates=("logistic",)), validate=False).model
    assert (served.calibration_intercept_, served.calibration_slope_) == (0.0, 1.0)
    np.testing.assert_array_equal(served.decision_function(frame.X), served.raw_logit(frame.X))
    assert served.card.model.calibration.startswith("identity")
    platt = train_frame(frame, fast(candidates=("logistic",), platt_families=("logistic",)), validate=False).model
    assert platt.calibration_slope_ != 1.0 and platt.card.model.calibration.startswith("Platt")
    np.testing.assert_array_equal(platt.raw_logit(frame.X), served.raw_logit(frame.X))  # same fit, other map


def test_the_cards_full_model_equation_is_the_served_model(simulated_cohort, fast):
    from rashrisk.models.equation import equation_log_odds

    frame = build_model_frame(simulated_cohort, "start")
    for platt in ((), ("logistic",)):  # identity and Platt calibration both folded in
        model = train_frame(frame, fast(candidates=("logistic",), platt_families=platt), validate=False).model
        equation = model.card.model.equation
        features = model.preprocess_.named_steps["columns"].transform(frame.X[model.input_columns_])
        np.testing.assert_allclose(equation_log_odds(equation, features), model.decision_function(frame.X),
                                   rtol=0, atol=1e-9)
        terms = {t["feature"]: t for t in equation["terms"]}
        assert "rs4129267_alt_count_missing" not in terms  # no no-call indicator
        assert terms["apriori_trough_ng_ml_log"]["made_from"].startswith("natural log of apriori_trough_ng_ml")
        assert terms["sex_M"]["made_from"] == "1 when sex is M, else 0"
        # a no-call is trained as 2p at the training allele frequency (never the reference, 0)
        from rashrisk.explanations.no_call import training_frequency

        assert terms["rs4129267_alt_count"]["value_when_missing"] == pytest.approx(
            2 * training_frequency(model, "rs4129267"), rel=1e-12)
        trough = terms["apriori_trough_ng_ml_log"]
        assert trough["input_when_missing"] == pytest.approx(np.exp(trough["value_when_missing"]))
        # a row with every input missing gets intercept + sum(coefficient x value when missing) from the
        # fitted preprocessing; served, it is refused (sex, age, weight and dose are required inputs)
        blank = pd.DataFrame([[np.nan] * len(model.input_columns_)], columns=model.input_columns_)
        by_hand = equation["intercept"] + sum(t["coefficient"] * t["value_when_missing"] for t in equation["terms"])
        served = model.decision_function_matrix(model.preprocess_.transform(blank))[0]
        assert served == pytest.approx(by_hand, abs=1e-9)
        with pytest.raises(ModelInputError, match="column age_years, patient 0: empty"):
            model.decision_function(blank)
    assert "### Full model" in card_markdown(model.card)
    xgb = train_frame(frame, fast(candidates=("xgboost",)), validate=False).model
    assert xgb.card.model.equation is None


def test_no_outcomes_or_too_few_events_is_a_user_error(simulated_cohort, fast):
    frame = build_model_frame(simulated_cohort, "start")
    frame.y = None
    with pytest.raises(RashriskError, match="outcomes"):
        train_frame(frame, fast(), validate=False)
    frame = build_model_frame(simulated_cohort, "start")
    frame.y = pd.Series(False, index=frame.X.index)
    frame.y.iloc[:3] = True
    with pytest.raises(RashriskError, match="3 severe-rash events"):
        train_frame(frame, fast(), validate=False)


def test_friendly_train_accepts_a_config_dict(simulated_cohort):
    import rashrisk

    results = rashrisk.train(simulated_cohort, "start", validate=False, config={
        "training": {"cv_splits": 3, "cv_repeats": 1, "nested_outer_splits": 2, "nested_inner_splits": 2,
                     "interval_bootstrap": 3, "candidates": ["logistic"]},
        "logistic": {"C": [0.3]},
    })
    assert list(results) == ["start"]  # always a mapping stage -> result, one stage or both
    result = results["start"]
    assert result.model.params["C"] == 0.3 and result.stage == "start"


def test_stages_in_parallel_processes_equal_sequential_training(simulated_cohort, fast):
    from rashrisk.models.train import train_stages

    config = fast(candidates=("logistic",))
    sequential = train_stages(simulated_cohort, ("start", "tdm"), config, n_jobs=1, validate=False)
    parallel = train_stages(simulated_cohort, ("start", "tdm"), config, n_jobs=2, validate=False)
    for a, b in zip(sequential, parallel):
        assert a.stage == b.stage
        np.testing.assert_array_equal(a.model.predict_proba(a.frame.X), b.model.predict_proba(a.frame.X))


def test_simulated_rows_label_the_model_even_without_truth_csv(simulated_cohort, tmp_path):
    import shutil

    from rashrisk.contract.loader import load_cohort
    from rashrisk.models.train import _is_simulated

    assert _is_simulated(simulated_cohort)
    copied = tmp_path / "copied"
    shutil.copytree(simulated_cohort.path, copied)
    (copied / "truth.csv").unlink()
    assert _is_simulated(load_cohort(copied))  # the data_origin column travels with the rows
    patients = pd.read_csv(copied / "patients.csv").drop(columns="data_origin")
    patients.to_csv(copied / "patients.csv", index=False)
    assert not _is_simulated(load_cohort(copied))  # neither marker: treated as observed data

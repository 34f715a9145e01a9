"""Bootstrap optimism, subgroups and the assembled validation report."""

import json

import numpy as np
import pandas as pd
import pytest

from rashrisk.errors import RashriskError
from rashrisk.models.metrics import fit_logistic, expit
from rashrisk.models.validation import (
    TOO_FEW_EVENTS,
    bootstrap_optimism,
    default_subgroups,
    subgroup_performance,
    validate_model,
    validation_report_markdown,
)


def unpenalised_logistic(X_train, y_train, X_eval):
    """A deliberately overfitting procedure: maximum likelihood on every column."""
    Xt = np.column_stack([np.ones(len(X_train)), np.asarray(X_train, dtype=float)])
    coef, _ = fit_logistic(Xt, np.asarray(y_train, dtype=float), max_iter=25)
    Xe = np.column_stack([np.ones(len(X_eval)), np.asarray(X_eval, dtype=float)])
    return expit(Xe @ coef)


def noisy_data(n=160, n_noise=20, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 1 + n_noise))
    y = rng.random(n) < expit(-1.2 + 0.8 * X[:, 0])
    return X, y.astype(int)


def test_bootstrap_optimism_is_positive_for_an_overfitting_procedure():
    X, y = noisy_data()
    calls = []
    out = bootstrap_optimism(unpenalised_logistic, X, y, n_boot=25, seed=3, progress=lambda d, t: calls.append((d, t)))
    assert out["optimism"]["auroc"] > 0.03
    assert out["corrected"]["auroc"] < out["apparent"]["auroc"]
    assert out["corrected"]["calibration_slope"] < 0.9  # predictions too extreme out of sample
    assert out["corrected"]["log_loss"] > out["apparent"]["log_loss"]
    assert out["ci_low"]["auroc"] < out["corrected"]["auroc"] < out["ci_high"]["auroc"]
    # the calibration slope interval must not collapse although the in-sample slope is always 1
    assert out["ci_high"]["calibration_slope"] - out["ci_low"]["calibration_slope"] > 0.05
    for name, corrected in out["corrected"].items():  # every interval surrounds its estimate
        assert out["ci_low"][name] <= corrected <= out["ci_high"][name], name
    assert calls[-1] == (26, 26) and len(calls) == 26


def test_bootstrap_is_deterministic_for_a_seed_and_accepts_dataframes():
    X, y = noisy_data(n=120, n_noise=3, seed=1)
    frame = pd.DataFrame(X, index=[f"P{i}" for i in range(len(X))])
    a = bootstrap_optimism(unpenalised_logistic, frame, pd.Series(y, index=frame.index), n_boot=8, seed=5)
    b = bootstrap_optimism(unpenalised_logistic, frame, pd.Series(y, index=frame.index), n_boot=8, seed=5)
    c = bootstrap_optimism(unpenalised_logistic, frame, pd.Series(y, index=frame.index), n_boot=8, seed=6)
    assert a["corrected"] == b["corrected"]
    assert a["corrected"] != c["corrected"]


def test_bootstrap_rejects_mismatched_lengths():
    X, y = noisy_data(n=50, n_noise=1)
    with pytest.raises(RashriskError, match="50 rows in X but 49 outcomes"):
        bootstrap_optimism(unpenalised_logistic, X, y[:-1], n_boot=2)


def test_default_subgroups_age_bands_and_missing():
    X = pd.DataFrame({"sex": ["F", "M", None, "F"], "age_years": [49.9, 50.0, 65.0, np.nan],
                      "ancestry": ["East Asian", "European", "African", None],
                      "start_dose_mg": [400.0, 600.0, np.nan, 400.0]})
    g = default_subgroups(X)
    assert g["age_band"].tolist() == ["<50", "50-64", ">=65", "missing"]
    assert g["sex"].tolist() == ["F", "M", "missing", "F"]
    assert g["start_dose_mg"].tolist() == ["400 mg", "600 mg", "missing", "400 mg"]
    assert g["ancestry"].tolist()[-1] == "missing"


def test_subgroup_with_few_events_says_so_instead_of_a_number():
    rng = np.random.default_rng(2)
    n = 400
    sex = np.where(np.arange(n) < 300, "F", "M")
    p = rng.uniform(0.02, 0.4, n)
    y = (rng.random(n) < p).astype(int)
    y[300:] = 0
    y[300:303] = 1  # men: 3 events only
    rows = {r["level"]: r for r in subgroup_performance(y, p, pd.DataFrame({"sex": sex}), min_patients=1,
                                                        min_events=1)}  # suppression off: the AUROC rule alone
    assert rows["M"]["note"] == TOO_FEW_EVENTS and rows["M"]["auroc"] is None and rows["M"]["events"] == 3
    women = rows["F"]
    assert women["note"] is None and women["n"] == 300 and women["events"] == int(y[:300].sum())
    assert women["auroc_ci_low"] < women["auroc"] < women["auroc_ci_high"]
    assert women["expected_risk"] == pytest.approx(p[:300].mean())
    assert women["o_e_ratio"] == pytest.approx(y[:300].mean() / p[:300].mean())


def test_validate_model_report_is_json_and_warns_below_riley_minimum():
    X, y = noisy_data(n=200, n_noise=6, seed=4)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["sex"] = np.where(np.arange(200) % 2, "F", "M")

    def fit_predict(Xt, yt, Xe):
        return unpenalised_logistic(Xt.drop(columns="sex"), yt, Xe.drop(columns="sex"))

    oof = fit_predict(frame, y, frame)
    report = validate_model(fit_predict, frame, y, oof_proba=oof, n_parameters=7, n_boot=10, seed=0, curve_boot=10)
    text = json.dumps(report, allow_nan=False)  # strict JSON: no NaN sneaks in
    assert json.loads(text)["n"] == 200
    assert report["events"] == int(y.sum())
    assert report["metrics"]["auroc"]["cross_validated"] == pytest.approx(report["metrics"]["auroc"]["apparent"])
    assert report["sample_size"]["minimum_n"] > 200
    assert any("below the Riley minimum" in w for w in report["warnings"])
    assert {r["variable"] for r in report["subgroups"]} == {"sex"}
    assert len(report["decision_curve"]) == 30 and len(report["threshold_table"]) == 4
    md = validation_report_markdown(report)
    for heading in ("## Performance", "## Subgroups", "## Sample size (Riley et al.)", "## Warnings"):
        assert heading in md
    assert "| AUROC |" in md


def test_without_out_of_fold_predictions_the_report_says_displays_are_apparent():
    X, y = noisy_data(n=150, n_noise=2, seed=6)
    report = validate_model(unpenalised_logistic, X, y, None, n_parameters=3, n_boot=4, seed=0, curve_boot=4)
    assert report["display_predictions"] == "apparent"
    assert any("apparent (in-sample) predictions" in w for w in report["warnings"])
    assert report["subgroups"] == []  # no DataFrame, no default groups
    assert all(m["cross_validated"] is None for m in report["metrics"].values())


def test_markdown_shows_too_few_events_instead_of_numbers():
    rng = np.random.default_rng(7)
    X = pd.DataFrame({"x": rng.normal(size=300), "sex": np.where(np.arange(300) < 280, "F", "M")})
    y = (rng.random(300) < expit(-1.5 + X["x"])).astype(int)
    y[280:] = 0
    y[280] = 1

    def fit_predict(Xt, yt, Xe):
        return unpenalised_logistic(Xt[["x"]], yt, Xe[["x"]])

    report = validate_model(fit_predict, X, y, oof_proba=fit_predict(X, y, X), n_parameters=1, n_boot=4, curve_boot=4,
                            min_subgroup_patients=1, min_subgroup_events=1)
    md = validation_report_markdown(report)
    assert "| sex | M | 20 | 1 | 5.0% |" in md and "too few events" in md
    # with the default suppression the same cell of 20 patients and 1 event is not published at all
    report = validate_model(fit_predict, X, y, oof_proba=fit_predict(X, y, X), n_parameters=1, n_boot=4, curve_boot=4)
    md = validation_report_markdown(report)
    assert report["subgroup_suppression"] == {"min_patients": 50, "min_events": 10}
    assert "| sex | M | - | - | - | - | suppressed: fewer than 50 patients |" in md
    assert "| sex | F | - | - | - | - | suppressed: would reveal a suppressed level by subtraction |" in md
    assert "fewer than 50 patients or 10 events" in md


def test_prediction_instability_counts_absolute_differences_and_band_changes():
    from rashrisk.models.validation import instability_sentence, prediction_instability

    from rashrisk.models.bundle import risk_band

    def band(risk):
        return risk_band(risk, 0.05, 0.15)

    point = np.array([0.04, 0.10, 0.20, 0.05])
    # patients 1 and 2 each cross a band edge once; patient 4 sits on the 5% edge (intermediate) and a
    # refit at exactly 15% is high
    members = np.array([[0.04, 0.06], [0.10, 0.16], [0.20, 0.20], [0.05, 0.15]])
    out = prediction_instability(point, members, band)
    assert out["n_models"] == 2
    assert out["mape_mean"] == pytest.approx((0.01 + 0.03 + 0.0 + 0.05) / 4)
    assert out["band_change_share"] == pytest.approx(3 / 8)
    assert out["patients_with_any_band_change"] == pytest.approx(3 / 4)
    assert "2 models" in instability_sentence(out)
    with pytest.raises(RashriskError, match="shape"):
        prediction_instability(point, members[:2], band)


def _three_groups():
    """600 patients: level a (400, many events), b (150, 40 events), c (50, 4 events)."""
    rng = np.random.default_rng(5)
    level = np.array(["a"] * 400 + ["b"] * 150 + ["c"] * 50)
    p = rng.uniform(0.05, 0.5, 600)
    y = (rng.random(600) < p).astype(int)
    y[400:550] = 0
    y[400:440] = 1  # b: 40 events, 110 non-events
    y[550:] = 0
    y[550:554] = 1  # c: 4 events
    return y, p, pd.DataFrame({"group": level})


@pytest.mark.parametrize("min_patients, min_events, suppressed", [
    # c hidden; with a and b shown c would be the total minus a and b, so the smaller shown level goes too
    (50, 10, {"c": "suppressed: fewer than 10 events", "b": "suppressed: would reveal a suppressed level by subtraction"}),
    (151, 1, {"b": "suppressed: fewer than 151 patients", "c": "suppressed: fewer than 151 patients"}),
    (1, 1, {}),
])
def test_small_subgroups_are_suppressed_with_the_reason(min_patients, min_events, suppressed):
    y, p, groups = _three_groups()
    rows = {r["level"]: r for r in subgroup_performance(y, p, groups, min_patients=min_patients, min_events=min_events)}
    for level, row in rows.items():
        if level in suppressed:
            assert row["suppressed"] is True and row["note"] == suppressed[level]
            assert all(row[k] is None for k in ("n", "events", "observed_risk", "expected_risk", "o_e_ratio", "auroc"))
        else:
            assert row["suppressed"] is False and row["n"] == int((groups["group"] == level).sum())
            assert row["events"] == int(y[groups["group"].to_numpy() == level].sum())
    assert rows["a"]["suppressed"] is False and rows["a"]["auroc"] is not None


def test_training_config_sets_the_subgroup_thresholds(simulated_cohort, fast):
    from rashrisk.models.train import train_stage

    result = train_stage(simulated_cohort, "start", fast(validation_bootstrap=2, interval_bootstrap=2,
                                                         min_subgroup_patients=400, min_subgroup_events=30))
    report = result.validation
    assert report["subgroup_suppression"] == {"min_patients": 400, "min_events": 30}
    for row in report["subgroups"]:
        if row["suppressed"]:
            assert row["n"] is None and row["note"].startswith("suppressed: ")
        else:
            assert row["n"] >= 400 and row["events"] >= 30 and row["n"] - row["events"] >= 30
    assert any(r["suppressed"] for r in report["subgroups"]) and not all(r["suppressed"] for r in report["subgroups"])

import numpy as np
import pandas as pd

from rashrisk.pk.foreign import (BAND_COLUMNS, DEFAULT_LABEL, FOREIGN_A, FOREIGN_B, fit_foreign, fit_models, foreign_validation,
                                 meets_targets, oracle_model, simulate_foreign_cohort, superposition_ng_ml, trough_ss_ng_ml)
from rashrisk.pk import likelihood
from rashrisk.pk.map import map_estimate


def test_closed_form_steady_state_trough_equals_superposition_over_60_days():
    cl, v, ka = np.array([11.0, 5.0, 20.0]), np.array([180.0, 300.0, 150.0]), np.array([0.6, 1.2, 0.3])
    dose = np.array([400.0, 600.0, 400.0])
    n_doses = np.full(3, 61)  # doses on days 0-60, trough 24 h after the last
    by_sum = superposition_ng_ml(dose, n_doses, 24.0 * 61, cl, v, ka)
    np.testing.assert_allclose(trough_ss_ng_ml(dose, cl, v, ka), by_sum, rtol=1e-9)
    # and one dose alone is the Bateman curve written out independently
    ke = 11.0 / 180.0
    t = 7.0
    expected = 1000 * 400 * 0.6 / (180 * (0.6 - ke)) * (np.exp(-ke * t) - np.exp(-0.6 * t))
    np.testing.assert_allclose(superposition_ng_ml([400.0], [1], [t], [11.0], [180.0], [0.6]), [expected], rtol=1e-12)


def test_generator_true_concentration_accumulates_before_steady_state():
    cov, samples, true = simulate_foreign_cohort(FOREIGN_A, n=400, seed=3)
    assert set(samples.columns) == {"patient_id", "concentration_ng_ml", "hours_after_dose", "dose_mg", "day_on_treatment", "below_loq"}
    assert samples["day_on_treatment"].between(2.5, 60.25 + 1e-9).all()
    assert samples["hours_after_dose"].between(12.0, 30.0).all()
    assert set(samples["dose_mg"]) == {400.0, 600.0}
    # at or after 24 h the concentration is at most the steady-state trough (declining, and
    # still accumulating before steady state); on day 2-4 it is clearly below it for some
    ratio = true["concentration_ng_ml"] / true["true_trough_ss_ng_ml"]
    late = samples["hours_after_dose"] >= 24.0
    assert (ratio[late] <= 1.0 + 1e-9).all()
    early = late & (samples["day_on_treatment"] < 4.0)
    assert early.any() and (ratio[early] < 0.97).any()


def test_noise_free_steady_state_sample_gives_a_sensible_map_trough():
    # a flat-ish prior (the oracle model with wide IIV) and a noise-free sample 24 h after the 40th dose:
    # at the log-scale mean of an observation under the declared (mean-matched) residual, f exp(-s^2/2)
    model = oracle_model(FOREIGN_A).with_overrides(iiv_sd={"cl_l_h": 1.5, "v_l": 1.5}, reason="flat-ish prior for a test")
    cov = pd.DataFrame({"patient_id": ["p"], "sex": ["M"], "weight_kg": [70.0]})
    cl, v, ka = 16.0, 150.0, 0.6  # far from the typical 11 L/h
    conc = superposition_ng_ml([400.0], [40], [24.0 * 40], [cl], [v], [ka])[0]
    conc = float(np.exp(likelihood.log_mean(model, np.log(conc))[0]))
    samples = pd.DataFrame({"patient_id": ["p"], "concentration_ng_ml": [conc], "hours_after_dose": [24.0],
                            "dose_mg": [400.0], "day_on_treatment": [40.0]})
    fit = map_estimate(cov, samples, model=model).iloc[0]
    true = float(trough_ss_ng_ml(400.0, cl, v, ka))
    assert abs(fit.trough_ng_ml / true - 1.0) < 0.03
    assert fit.trough_low_ng_ml < true < fit.trough_high_ng_ml


def test_band_table_columns_and_counts():
    table = foreign_validation(FOREIGN_B, n=200, seed=1)
    assert tuple(table.columns) == BAND_COLUMNS
    labels = [spec.label for spec in fit_models(FOREIGN_B)]
    assert list(table["fit_model"].unique()) == labels
    assert (table.groupby("fit_model")["n"].sum() == 200).all()
    assert set(table["band"]) == {"20-28 h", "outside"}
    assert table[["mae_map_pct", "mae_loglinear_pct", "mae_raw_pct"]].gt(0).all().all()


def test_fit_foreign_keeps_patient_order_and_uses_the_ancestry_default():
    cov, samples, _ = simulate_foreign_cohort(FOREIGN_A, n=60, seed=4)
    spec = fit_models(shipped=False)[1]
    assert spec.label == DEFAULT_LABEL and not spec.re_estimate
    fit = fit_foreign(cov, samples, spec.models)
    assert fit["patient_id"].tolist() == cov["patient_id"].tolist()
    eas = (cov["ancestry"] == "EAS").to_numpy()
    # jiang2023 (EAS default) has IIV on CL/F only, so V/F is each EAS patient's typical value
    assert fit.loc[eas, "v_l"].nunique() == 1


def test_estimator_accuracy_targets_with_the_true_prior():
    # the estimator itself (fitted with the foreign truth as prior): bias within a few %, MAE below
    # the log-linear correction's and near-nominal coverage in both bands. The shipped default prior
    # does not reach this on foreign A (prior mismatch, docs/pk.md); that is reported, not asserted.
    table = foreign_validation(FOREIGN_A, n=1500, seed=11, models_to_fit=fit_models(FOREIGN_A, shipped=False)[2:])
    oracle = table[table["fit_model"].str.startswith("oracle")]
    assert (oracle["bias_map_pct"].abs() < 4.0).all()
    assert (oracle["mae_map_pct"] < oracle["mae_loglinear_pct"]).all()
    assert oracle["coverage_map_pct"].between(82.0, 96.0).all()


def test_meets_targets_checks_each_target_on_unrounded_figures():
    base = {"bias_map_pct": 1.0, "mae_map_pct": 15.0, "mae_loglinear_pct": 15.5, "coverage_map_pct": 90.0}
    rows = [base, {**base, "bias_map_pct": -2.0}, {**base, "bias_map_pct": 2.04},  # +2.0% printed, but outside
            {**base, "mae_map_pct": 15.6}, {**base, "coverage_map_pct": 84.8},  # 85% printed, but outside
            {**base, "coverage_map_pct": 95.2}]
    assert meets_targets(pd.DataFrame(rows)).tolist() == [True, True, False, False, False, False]


def test_target_cells_count_only_the_re_estimated_default(capsys):
    from rashrisk.pk.foreign import COHORT_PRIOR_LABEL
    from rashrisk.pk.validation import print_target_cells, print_target_total

    good = {"bias_map_pct": 0.5, "mae_map_pct": 15.0, "mae_loglinear_pct": 16.0, "coverage_map_pct": 90.0}
    table = pd.DataFrame([{**good, "fit_model": COHORT_PRIOR_LABEL}, {**good, "fit_model": COHORT_PRIOR_LABEL, "bias_map_pct": 3.0},
                          {**good, "fit_model": DEFAULT_LABEL}])
    assert print_target_cells(table) == (1, 2)
    print_target_total([1, 2], [(1, 2), (3, 4)])
    out = capsys.readouterr().out
    assert "1 of 2" in out and "All seeds 1, 2: 4 of 6 cells meet all three targets" in out

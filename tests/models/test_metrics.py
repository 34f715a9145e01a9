"""Metrics against hand-computed values and simulations with a known answer."""

import math

import numpy as np
import pytest

from rashrisk.errors import RashriskError
from rashrisk.models import metrics as m

Y4 = np.array([0, 0, 1, 1])
P4 = np.array([0.1, 0.4, 0.35, 0.8])


def simulate(n, seed, *, true_slope=1.0, shift=0.0):
    """Outcomes drawn from risks p_true; returns y and predictions whose logit is distorted."""
    rng = np.random.default_rng(seed)
    lp = rng.normal(-2.2, 1.0, n)
    y = rng.random(n) < m.expit(lp)
    # predictions with logit = (lp - shift) / true_slope: calibration slope true_slope, intercept ~ shift
    return y, m.expit((lp - shift) / true_slope)


def test_hand_computed_small_case():
    r = m.performance_metrics(Y4, P4)
    assert r["auroc"] == pytest.approx(0.75)  # 3 of 4 event/non-event pairs ordered correctly
    assert r["auprc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert r["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    assert r["scaled_brier"] == pytest.approx(1 - 0.158125 / 0.25)
    assert r["log_loss"] == pytest.approx(-(math.log(0.9) + math.log(0.6) + math.log(0.35) + math.log(0.8)) / 4)
    assert set(r) == set(m.METRIC_NAMES)


def test_ties_count_one_half():
    assert m.auroc([0, 1], [0.5, 0.5]) == 0.5
    assert m.auroc([0, 1, 0, 1], [0.2, 0.2, 0.1, 0.3]) == pytest.approx(0.875)


def test_perfect_and_inverted_predictions():
    y = np.array([0] * 20 + [1] * 5)
    p = np.r_[np.linspace(0.01, 0.3, 20), np.linspace(0.6, 0.9, 5)]
    assert m.auroc(y, p) == 1.0
    assert m.average_precision(y, p) == 1.0
    assert m.auroc(y, 1 - p) == 0.0
    # separation: calibration slope is not estimable and must say so rather than return a huge number
    assert math.isnan(m.performance_metrics(y, p)["calibration_slope"])


def test_single_class_gives_nan_not_an_error():
    r = m.performance_metrics([0, 0, 0], [0.1, 0.2, 0.3])
    assert math.isnan(r["auroc"]) and math.isnan(r["scaled_brier"]) and math.isnan(r["calibration_slope"])
    assert r["brier"] == pytest.approx((0.01 + 0.04 + 0.09) / 3)


def test_delong_standard_error_hand_computed():
    # events' placements (share of non-events below): 0.5, 1; non-events' (share of events above): 1, 0.5
    r = m.auroc_delong(Y4, P4)
    assert r["se"] == pytest.approx(math.sqrt(0.125 / 2 + 0.125 / 2))
    assert 0 < r["ci_low"] < 0.75 < r["ci_high"] < 1


def test_well_calibrated_simulation_has_slope_one_and_intercept_zero():
    y, p = simulate(40_000, 1)
    r = m.performance_metrics(y, p)
    assert r["calibration_slope"] == pytest.approx(1.0, abs=0.06)
    assert r["calibration_intercept"] == pytest.approx(0.0, abs=0.05)
    assert r["ici"] < 0.005


def test_too_extreme_predictions_have_slope_below_one():
    y, p = simulate(40_000, 2, true_slope=0.5)  # logit doubled: the signature of overfitting
    slope = m.performance_metrics(y, p)["calibration_slope"]
    assert slope == pytest.approx(0.5, abs=0.05)


def test_too_moderate_predictions_have_slope_above_one():
    y, p = simulate(40_000, 3, true_slope=2.0)
    assert m.performance_metrics(y, p)["calibration_slope"] == pytest.approx(2.0, abs=0.2)


def test_underestimated_risk_gives_positive_intercept_and_larger_ici():
    y, p = simulate(40_000, 4, shift=1.0)
    r = m.performance_metrics(y, p)
    assert r["calibration_intercept"] == pytest.approx(1.0, abs=0.1)
    assert r["ici"] > 0.03 and r["e90"] >= r["e50"]


def test_calibration_curve_band_contains_curve_and_is_deterministic():
    y, p = simulate(2_000, 5)
    c1 = m.calibration_curve(y, p, n_boot=40, seed=7)
    c2 = m.calibration_curve(y, p, n_boot=40, seed=7)
    assert list(c1.columns) == ["predicted", "observed", "observed_low", "observed_high"]
    assert c1.equals(c2)
    assert (c1["observed_low"] <= c1["observed"] + 1e-12).all() and (c1["observed"] <= c1["observed_high"] + 1e-12).all()
    # well calibrated: the ideal diagonal lies inside the 95% band almost everywhere
    inside = (c1["observed_low"] <= c1["predicted"]) & (c1["predicted"] <= c1["observed_high"])
    assert inside.mean() >= 0.9
    # and a badly calibrated prediction is outside it
    c3 = m.calibration_curve(y, p * 0.5, n_boot=40, seed=7)
    inside = (c3["observed_low"] <= c3["predicted"]) & (c3["predicted"] <= c3["observed_high"])
    assert inside.mean() < 0.5


def test_decision_curve_hand_computed_and_treat_all_formula():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.9, 0.6, 0.2, 0.1])
    dc = m.decision_curve(y, p, thresholds=[0.5, 0.15])
    # pt 0.5: TP 1, FP 1 -> 1/4 - 1/4 * 1 = 0; pt 0.15: TP 2, FP 1 -> 2/4 - 1/4 * 0.15/0.85
    assert dc["net_benefit_model"].tolist() == pytest.approx([0.0, 0.5 - 0.25 * 0.15 / 0.85])
    assert dc["net_benefit_treat_all"].tolist() == pytest.approx([0.5 - 0.5 * 1.0, 0.5 - 0.5 * 0.15 / 0.85])
    assert (dc["net_benefit_treat_none"] == 0).all()


def test_decision_curve_default_grid_and_treat_all_zero_at_prevalence():
    y, p = simulate(1_000, 6)
    dc = m.decision_curve(y, p)
    assert dc["threshold"].iloc[0] == pytest.approx(0.01) and dc["threshold"].iloc[-1] == pytest.approx(0.30)
    assert len(dc) == 30
    prev = y.mean()
    one = m.decision_curve(y, p, thresholds=[prev])
    assert one["net_benefit_treat_all"].iloc[0] == pytest.approx(0.0, abs=1e-12)


def test_threshold_table_counts():
    y = np.array([1, 1, 0, 0, 0, 1])
    p = np.array([0.30, 0.12, 0.16, 0.04, 0.10, 0.05])
    t = m.threshold_table(y, p, thresholds=(0.05, 0.15)).set_index("threshold")
    row = t.loc[0.05]  # flagged: 0.30 0.12 0.16 0.10 0.05 -> tp 3, fp 2, tn 1, fn 0
    assert (row.tp, row.fp, row.tn, row.fn, row.n_flagged) == (3, 2, 1, 0, 5)
    assert row.sensitivity == 1.0 and row.specificity == pytest.approx(1 / 3)
    assert row.ppv == pytest.approx(0.6) and row.npv == 1.0 and row.share_flagged == pytest.approx(5 / 6)
    row = t.loc[0.15]  # flagged: 0.30 0.16 -> tp 1, fp 1
    assert (row.tp, row.fp, row.tn, row.fn) == (1, 1, 2, 2)


def test_threshold_table_empty_flag_gives_nan_ppv():
    t = m.threshold_table([0, 1], [0.01, 0.02], thresholds=(0.5,))
    assert t["n_flagged"].iloc[0] == 0 and math.isnan(t["ppv"].iloc[0])


@pytest.mark.parametrize(
    "y, p, fragment",
    [
        ([0, 1, 1], [0.1, 0.2], "3 outcomes but 2 predicted risks"),
        ([0, 1], [0.1, 1.2], "predicted risk 1.2 at position 1"),
        ([0, 2], [0.1, 0.2], "outcome value 2 at position 1"),
        ([0, 1], [0.1, float("nan")], "expected a probability in [0, 1]"),
    ],
)
def test_bad_input_raises_a_user_error_naming_the_value(y, p, fragment):
    with pytest.raises(RashriskError, match=None) as info:
        m.performance_metrics(y, p)
    assert fragment in str(info.value)

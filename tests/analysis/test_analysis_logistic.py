"""Logistic regression against hand-computed answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rashrisk.analysis.logistic import Z_975, fit_logistic


def odds_ratio_2x2(exposed_cases: int, exposed_controls: int, unexposed_cases: int, unexposed_controls: int) -> dict:
    """Cross-product odds ratio with Woolf's (log) 95% CI; NaN when a cell is zero."""
    cells = np.array([exposed_cases, exposed_controls, unexposed_cases, unexposed_controls], dtype=float)
    if np.any(cells <= 0):
        return {"odds_ratio": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    a, b, c, d = cells
    log_or = np.log(a * d / (b * c))
    se = np.sqrt((1.0 / cells).sum())
    return {"odds_ratio": float(np.exp(log_or)), "ci_low": float(np.exp(log_or - Z_975 * se)),
            "ci_high": float(np.exp(log_or + Z_975 * se))}


def _binary_data(a, b, c, d):
    """x=1: a cases, b controls; x=0: c cases, d controls."""
    x = np.r_[np.ones(a + b), np.zeros(c + d)]
    y = np.r_[np.ones(a), np.zeros(b), np.ones(c), np.zeros(d)]
    return x, y


def test_binary_predictor_gives_the_cross_product_odds_ratio_and_woolf_se():
    x, y = _binary_data(10, 90, 5, 95)
    term = fit_logistic(x, y, names=("exposed",)).term("exposed")
    assert term["odds_ratio"] == pytest.approx(10 * 95 / (90 * 5), rel=1e-9)
    se = math.sqrt(1 / 10 + 1 / 90 + 1 / 5 + 1 / 95)
    assert term["se"] == pytest.approx(se, rel=1e-6)
    assert term["ci_low"] == pytest.approx(math.exp(math.log(950 / 450) - 1.959963984540054 * se), rel=1e-6)
    z = math.log(950 / 450) / se
    assert term["p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-6)
    two_by_two = odds_ratio_2x2(10, 90, 5, 95)
    assert two_by_two["odds_ratio"] == pytest.approx(term["odds_ratio"])
    assert two_by_two["ci_high"] == pytest.approx(term["ci_high"], rel=1e-6)


def test_intercept_only_matches_log_odds_of_the_event_rate():
    y = np.r_[np.ones(30), np.zeros(70)]
    fit = fit_logistic(np.zeros((100, 0)), y)
    assert fit.coef[0] == pytest.approx(math.log(30 / 70))


def test_recovers_known_coefficients_on_large_simulated_data():
    rng = np.random.default_rng(0)
    x = rng.binomial(2, 0.38, 50_000).astype(float)
    p = 1 / (1 + np.exp(-(-3.0 + math.log(2.0) * x)))
    y = (rng.random(50_000) < p).astype(float)
    term = fit_logistic(x, y, names=("g",)).term("g")
    assert term["ci_low"] < 2.0 < term["ci_high"]
    assert term["odds_ratio"] == pytest.approx(2.0, rel=0.1)


def test_complete_separation_is_reported_not_estimated():
    x, y = _binary_data(10, 0, 0, 20)
    fit = fit_logistic(x, y, names=("g",))
    term = fit.term("g")
    assert fit.separation and not term["estimable"] and math.isnan(term["odds_ratio"])


def test_zero_cell_two_by_two_is_nan():
    assert math.isnan(odds_ratio_2x2(0, 10, 5, 5)["odds_ratio"])

"""Platt calibration: a logistic regression on the raw log-odds, i.e. an affine map in log-odds.

calibrated_logit = intercept + slope * raw_logit. Being affine, it keeps additive explanations
exact: calibrated contribution = slope x raw contribution. Fitted on out-of-fold raw log-odds
so that the slope corrects the overfitting of the tuned model (slope < 1 shrinks).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit  # the one inverse logit (re-exported: bundle, scoring, selection)


def fit_platt(raw_logit: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood (intercept, slope) of y ~ logistic(intercept + slope * raw_logit).

    Unpenalised. With a degenerate outcome (no events or all events) returns the identity.
    """
    raw_logit = np.asarray(raw_logit, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if y.min() == y.max() or np.ptp(raw_logit) == 0:
        return 0.0, 1.0

    def loss(theta):
        eta = theta[0] + theta[1] * raw_logit
        value = np.sum(np.logaddexp(0.0, eta) - y * eta)
        p = expit(eta)
        grad = np.array([np.sum(p - y), np.sum((p - y) * raw_logit)])
        return value, grad

    result = minimize(loss, x0=np.array([0.0, 1.0]), jac=True, method="BFGS", options={"gtol": 1e-9})
    intercept, slope = (float(v) for v in result.x)
    return intercept, slope


def apply_platt(raw_logit: np.ndarray, intercept: float, slope: float) -> np.ndarray:
    """Calibrated log-odds."""
    return intercept + slope * np.asarray(raw_logit, dtype=np.float64)

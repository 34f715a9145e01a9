"""Calibration of the served log-odds: an affine map calibrated_logit = intercept + slope * raw_logit.

Being affine, it keeps additive explanations exact: calibrated contribution = slope x raw
contribution. Families listed in the training configuration's ``platt_families`` (XGBoost by
default) are recalibrated by Platt scaling, a logistic regression of the outcome on their
out-of-fold raw log-odds. The others (the penalised logistic regression by default) are served as
fitted, the identity map: maximum likelihood already makes them calibrated in the large, and a
slope re-estimated from a few dozen events made held-out calibration much less stable
(docs/training.md, sections 4 and 9).
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
        return IDENTITY

    def loss(theta):
        eta = theta[0] + theta[1] * raw_logit
        value = np.sum(np.logaddexp(0.0, eta) - y * eta)
        p = expit(eta)
        grad = np.array([np.sum(p - y), np.sum((p - y) * raw_logit)])
        return value, grad

    result = minimize(loss, x0=np.array([0.0, 1.0]), jac=True, method="BFGS", options={"gtol": 1e-9})
    intercept, slope = (float(v) for v in result.x)
    return intercept, slope


IDENTITY = (0.0, 1.0)  # (intercept, slope) of a family served as fitted


def calibrate(family: str, platt_families, oof_raw_logit: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(intercept, slope) for a model of ``family``: Platt on its out-of-fold raw log-odds when the
    family is in ``platt_families``, else the identity."""
    return fit_platt(oof_raw_logit, y) if family in platt_families else IDENTITY


def calibration_method(family: str, platt_families) -> str:
    """How a model of ``family`` is calibrated, in words (model card)."""
    if family in platt_families:
        return "Platt scaling, affine in log-odds, fitted on out-of-fold log-odds"
    return "identity, the penalised maximum-likelihood fit served as fitted"


def apply_platt(raw_logit: np.ndarray, intercept: float, slope: float) -> np.ndarray:
    """Calibrated log-odds."""
    return intercept + slope * np.asarray(raw_logit, dtype=np.float64)

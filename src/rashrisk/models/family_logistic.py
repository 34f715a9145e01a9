"""Penalised (L2) logistic regression on standardised features, optionally with sign constraints and
with some coefficients left out of the penalty.

``[logistic] unpenalised`` lists clinical factors whose coefficients are not penalised (fitted like the
intercept): design variables whose effect the study design implies, which a prior centred at 0 would
wrongly pull towards "no effect". The default is the TDM landmark day (docs/training.md, section 3).

``[logistic] nonnegative`` lists clinical factors (e.g. the risk-allele count ``rs4129267`` and the
exposure ``apriori_trough_ng_ml``) whose coefficients may not be negative: risk may only rise with
them. Such a model is fitted by bounded L-BFGS-B on scikit-learn's own objective (the same penalty
and scaling, intercept unpenalised) and stored as an ordinary fitted ``LogisticRegression``
(``coef_``, ``intercept_``, ``classes_``), so the served model, its JSON state and every reader of a
logistic model stay as they are. When the unconstrained optimum already satisfies the bounds, the
bounded fit lands on it. Spline bases and missing indicators are never constrained (a non-negative
B-spline coefficient does not make a curve monotone); they also stay penalised when their factor is
listed in ``unpenalised``. A model with constrained or unpenalised coefficients is fitted by the same
bounded L-BFGS-B on scikit-learn's objective, with those coefficients' penalty weight set to 0.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_expit
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from rashrisk.errors import ModelError
from rashrisk.models.family import ModelFamily, constrained_features
from rashrisk.models.state import decode, encode

def fit_bounded_logistic(matrix, y, C: float, lower_zero: np.ndarray, *, unpenalised: np.ndarray | None = None,
                         tol: float = 1e-8, max_iter: int = 5000) -> LogisticRegression:
    """L2-penalised logistic regression (scikit-learn's objective: C x sum of log-losses + ||w||^2 / 2,
    intercept unpenalised) with coefficients ``lower_zero`` bounded below by 0 and the coefficients
    ``unpenalised`` left out of the penalty (like the intercept); returned as a fitted ``LogisticRegression``."""
    X = np.asarray(matrix, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, p = X.shape
    sign = 2.0 * y - 1.0
    scale = 1.0 / (C * n)  # the objective divided by C n: the same optimum, better conditioned
    weight = scale * (np.ones(p) if unpenalised is None else np.where(np.asarray(unpenalised, dtype=bool), 0.0, 1.0))

    def objective(theta):
        w, b = theta[:p], theta[p]
        z = X @ w + b
        loss = -log_expit(sign * z).sum() / n + 0.5 * (weight * w) @ w
        residual = (expit(z) - y) / n
        return loss, np.concatenate([X.T @ residual + weight * w, [residual.sum()]])

    prevalence = min(max(y.mean(), 1e-6), 1 - 1e-6)
    start = np.concatenate([np.zeros(p), [np.log(prevalence / (1 - prevalence))]])
    bounds = [(0.0, None) if lower_zero[j] else (None, None) for j in range(p)] + [(None, None)]
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": max_iter, "ftol": tol * 1e-4, "gtol": tol})
    if not np.all(np.isfinite(result.x)):
        raise ModelError("the sign-constrained logistic fit did not converge to finite coefficients")
    estimator = LogisticRegression(C=C, max_iter=max_iter, tol=1e-6)
    estimator.classes_ = np.array([0, 1])
    estimator.coef_ = result.x[:p].reshape(1, p).copy()
    estimator.intercept_ = np.array([result.x[p]])
    estimator.n_features_in_ = p
    estimator.n_iter_ = np.array([int(result.nit)], dtype=np.int32)
    return estimator


class LogisticFamily(ModelFamily):
    name = "logistic"
    linear = True

    def short_label(self, params):
        return f"logistic L2 C={params.get('C')}" + (" + splines" if params.get("splines") else "")

    def preprocess(self, columns_step):
        return Pipeline([("columns", columns_step), ("standardise", StandardScaler())])

    def fit(self, params, config, matrix, y, feature_names, factors, *, seed, exact=False):
        y = np.asarray(y, dtype=int)
        mask = constrained_features(feature_names, factors, config.logistic.nonnegative)
        free = constrained_features(feature_names, factors, config.logistic.unpenalised)
        if mask.any() or free.any():
            return fit_bounded_logistic(matrix, y, params["C"], mask, unpenalised=free), None
        estimator = LogisticRegression(C=params["C"], max_iter=5000, tol=1e-6)
        return estimator.fit(matrix, y), None

    # Log-odds by einsum, not a BLAS product: BLAS kernels block by the number of rows, so a patient's
    # log-odds would differ in the last digit between a batch and the patient alone (train/serve parity).
    def raw_logit(self, estimator, exact, matrix, data=None):
        coef = np.asarray(estimator.coef_, dtype=np.float64).ravel()
        return np.einsum("ij,j->i", np.asarray(matrix, dtype=np.float64), coef) + float(np.ravel(estimator.intercept_)[0])

    def ensemble_logits(self, members, matrix, data=None):
        coef = np.vstack([np.asarray(est.coef_, dtype=np.float64).ravel() for est, _ in members])
        intercept = np.array([float(np.ravel(est.intercept_)[0]) for est, _ in members])
        return np.einsum("ij,mj->im", np.asarray(matrix, dtype=np.float64), coef) + intercept

    def to_state(self, estimator, name):
        return encode(estimator), {}

    def from_state(self, state, files, *, exact):
        estimator = decode(state, "logistic estimator")
        if not isinstance(estimator, LogisticRegression):
            raise ModelError(f"logistic estimator: expected a LogisticRegression, got {type(estimator).__name__}")
        return estimator, None

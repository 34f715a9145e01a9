"""Unpenalised logistic regression by iteratively reweighted least squares (Newton-Raphson),
with Wald standard errors, odds ratios, 95% confidence intervals and two-sided p-values.

Small and dependency-free (NumPy + SciPy's normal distribution), as the source study's
univariable analysis needs. Complete or quasi-complete separation (an estimate running off to
infinity) is reported through ``converged = False`` and ``separation = True`` rather than as a
huge, meaningless odds ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

Z_975 = 1.959963984540054


@dataclass(frozen=True)
class LogisticFit:
    names: tuple[str, ...]
    coef: np.ndarray  # log-odds, intercept first
    se: np.ndarray
    n: int
    n_events: int
    converged: bool
    separation: bool

    def term(self, name: str) -> dict:
        """Odds ratio, 95% Wald CI and p-value of one term (NaN when not estimable)."""
        from scipy.stats import norm

        j = self.names.index(name)
        beta, se = float(self.coef[j]), float(self.se[j])
        if not self.converged or self.separation or not np.isfinite(se) or se <= 0:
            return {"term": name, "log_odds": beta, "se": se, "odds_ratio": float("nan"), "ci_low": float("nan"),
                    "ci_high": float("nan"), "p_value": float("nan"), "estimable": False}
        z = beta / se
        return {
            "term": name,
            "log_odds": beta,
            "se": se,
            "odds_ratio": float(np.exp(beta)),
            "ci_low": float(np.exp(beta - Z_975 * se)),
            "ci_high": float(np.exp(beta + Z_975 * se)),
            "p_value": float(2.0 * norm.sf(abs(z))),
            "estimable": True,
        }


def fit_logistic(x, y, names=None, *, max_iter: int = 50, tol: float = 1e-10) -> LogisticFit:
    """Fit ``logit P(y=1) = b0 + x @ b``. ``x``: (n, k) or (n,) array without the intercept column.

    Rows with a missing value in ``x`` or ``y`` must be removed by the caller.
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    y = np.asarray(y, dtype=float)
    n, k = x.shape
    names = tuple(names) if names is not None else tuple(f"x{j}" for j in range(k))
    design = np.column_stack([np.ones(n), x])
    names = ("intercept", *names)
    beta = np.zeros(k + 1)
    events = int(y.sum())
    if 0 < events < n:
        beta[0] = np.log(events / (n - events))
    converged = False
    info = np.eye(k + 1)
    for _ in range(max_iter):
        eta = np.clip(design @ beta, -35.0, 35.0)
        p = expit(eta)
        w = p * (1.0 - p)
        info = design.T @ (design * w[:, None])
        score = design.T @ (y - p)
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    separation = bool(np.any(np.abs(beta) > 15.0)) or events in (0, n)
    try:
        cov = np.linalg.inv(info)
        se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    except np.linalg.LinAlgError:
        se = np.full(k + 1, np.nan)
    return LogisticFit(names=names, coef=beta, se=se, n=n, n_events=events, converged=converged,
                       separation=separation)


"""Probabilities of a step's trough from the MAP posterior (Laplace approximation).

``map_estimate`` gives, per patient, the 24-h steady-state trough at the MAP etas and its 5-95%
interval: the inverse Fisher information at the mode as the covariance of eta, carried to
log(trough) by the delta method. The models are linear in dose, so log(trough at dose d) is
normal with mean log(trough per mg) + log d and the same SD at every dose:
``sd = (log high - log low) / (2 x 1.645)``. These probabilities cover the uncertainty of the
patient's parameters given the samples and the prior only: not the residual (assay, timing) error of
a future measured sample, not inter-occasion variability, nor any drift of exposure over months.
"""

from __future__ import annotations

import math

from scipy.stats import norm

Z95 = 1.6448536269514722


def log_sd(low_ng_ml: float, high_ng_ml: float) -> float:
    """The posterior SD of log(trough) recovered from the 5-95% Laplace interval."""
    return (math.log(high_ng_ml) - math.log(low_ng_ml)) / (2.0 * Z95)


def p_below(limit_ng_ml: float, trough_ng_ml: float, sd_log: float) -> float:
    """P(trough < limit) for log(trough) ~ N(log trough_ng_ml, sd_log^2)."""
    if sd_log <= 0:
        return float(trough_ng_ml < limit_ng_ml)
    return float(norm.cdf((math.log(limit_ng_ml) - math.log(trough_ng_ml)) / sd_log))


def p_at_least(limit_ng_ml: float, trough_ng_ml: float, sd_log: float) -> float:
    """P(trough >= limit)."""
    return 1.0 - p_below(limit_ng_ml, trough_ng_ml, sd_log)


def interval(trough_ng_ml: float, sd_log: float) -> tuple[float, float]:
    """The 5-95% interval of the trough."""
    return trough_ng_ml * math.exp(-Z95 * sd_log), trough_ng_ml * math.exp(Z95 * sd_log)

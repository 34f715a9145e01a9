"""Minimum sample size to develop a binary-outcome prediction model (Riley et al.).

Implements the three criteria of Riley et al. (Stat Med 2019 part II; BMJ 2020;368:m441), as
computed by the pmsampsize software for binary outcomes:

1. expected uniform shrinkage of the coefficients >= ``shrinkage`` (0.9):
   n1 = P / ((S - 1) ln(1 - R2cs / S));
2. small optimism in apparent Nagelkerke R2 (absolute difference <= 0.05): the same formula with
   S = R2cs / (R2cs + 0.05 max(R2cs)), where max(R2cs) = 1 - (phi^phi (1 - phi)^(1 - phi))^2;
3. the overall risk estimated within +/- 0.05 (95% CI): n3 = (1.96 / 0.05)^2 phi (1 - phi).

The anticipated Cox-Snell R2 comes from ``r2_cs`` when given, else from an anticipated
C-statistic with the approximation of Riley, Van Calster & Collins (Stat Med 2021): linear
predictors normal with unit variance in events and non-events, means 0 and sqrt(2) Phi^-1(C); we
compute the large-sample R2cs of the (correct) logistic model by Gauss-Hermite quadrature instead
of simulating a million patients. Without either, the conservative choice of Riley et al. is used:
R2cs = 15% of its maximum.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from rashrisk.errors import RashriskError


def max_r2_cs(prevalence: float) -> float:
    """Largest Cox-Snell R2 attainable at this outcome prevalence."""
    phi = prevalence
    return 1.0 - math.exp(2 * (phi * math.log(phi) + (1 - phi) * math.log(1 - phi)))


def r2_cs_from_c_statistic(c_statistic: float, prevalence: float, *, n_nodes: int = 120) -> float:
    """Cox-Snell R2 implied by a C-statistic at a prevalence (Riley et al. 2021 approximation)."""
    _check_fraction("c_statistic", c_statistic, low=0.5)
    _check_fraction("prevalence", prevalence)
    mu = math.sqrt(2) * NormalDist().inv_cdf(c_statistic)
    nodes, weights = np.polynomial.hermite_e.hermegauss(n_nodes)  # weight exp(-x^2 / 2)
    weights = weights / math.sqrt(2 * math.pi)
    intercept = math.log(prevalence / (1 - prevalence)) - mu**2 / 2

    def log_p_event(lp):
        return -np.logaddexp(0.0, -(intercept + mu * lp))

    def log_p_non_event(lp):
        return -np.logaddexp(0.0, intercept + mu * lp)

    loglik = (prevalence * np.sum(weights * log_p_event(nodes + mu))
              + (1 - prevalence) * np.sum(weights * log_p_non_event(nodes)))
    loglik_null = prevalence * math.log(prevalence) + (1 - prevalence) * math.log(1 - prevalence)
    return float(1 - math.exp(-2 * (loglik - loglik_null)))


def riley_minimum_sample_size(n_parameters: int, prevalence: float, *, c_statistic: float | None = None,
                              r2_cs: float | None = None, shrinkage: float = 0.9, r2_difference: float = 0.05,
                              margin_of_error: float = 0.05) -> dict:
    """Minimum n (and events) to develop a model with ``n_parameters`` candidate parameters.

    Returns a JSON-able dict: inputs, ``r2_cs`` used and its source, ``max_r2_cs``, one entry per
    criterion (n, events, events per parameter, shrinkage) and the final ``minimum_n``,
    ``minimum_events``, ``events_per_parameter`` and ``expected_shrinkage``.
    """
    if not isinstance(n_parameters, (int, np.integer)) or n_parameters < 1:
        raise RashriskError(f"Riley sample size: n_parameters={n_parameters!r}; expected a positive integer")
    _check_fraction("prevalence", prevalence)
    _check_fraction("shrinkage", shrinkage)
    max_r2 = max_r2_cs(prevalence)
    if r2_cs is not None:
        source = "given"
    elif c_statistic is not None:
        r2_cs, source = r2_cs_from_c_statistic(c_statistic, prevalence), "c_statistic (Riley 2021 approximation)"
    else:
        r2_cs, source = 0.15 * max_r2, "conservative: 15% of max R2cs"
    if not 0 < r2_cs < max_r2:
        raise RashriskError(
            f"Riley sample size: Cox-Snell R2 {r2_cs!r} is outside (0, {max_r2:.4f}), the range possible at prevalence {prevalence}"
        )
    if shrinkage <= r2_cs:
        raise RashriskError(f"Riley sample size: shrinkage {shrinkage} must exceed the Cox-Snell R2 {r2_cs:.4f}")

    def n_for(s: float) -> int:
        return math.ceil(n_parameters / ((s - 1) * math.log(1 - r2_cs / s)))

    s2 = r2_cs / (r2_cs + r2_difference * max_r2)
    n3 = math.ceil((1.96 / margin_of_error) ** 2 * prevalence * (1 - prevalence))
    criteria = [
        {"criterion": 1, "description": f"expected shrinkage >= {shrinkage}", "n": n_for(shrinkage), "shrinkage": shrinkage},
        {"criterion": 2, "description": f"apparent minus adjusted Nagelkerke R2 <= {r2_difference}", "n": n_for(s2),
         "shrinkage": s2},
        {"criterion": 3, "description": f"overall risk within +/- {margin_of_error}", "n": n3, "shrinkage": None},
    ]
    for c in criteria:
        c["events"] = c["n"] * prevalence
        c["events_per_parameter"] = c["events"] / n_parameters
    minimum_n = max(c["n"] for c in criteria)
    return {
        "n_parameters": int(n_parameters),
        "prevalence": float(prevalence),
        "c_statistic": None if c_statistic is None else float(c_statistic),
        "r2_cs": float(r2_cs),
        "r2_cs_source": source,
        "max_r2_cs": max_r2,
        "nagelkerke_r2": float(r2_cs / max_r2),
        "criteria": criteria,
        "minimum_n": int(minimum_n),
        "minimum_events": math.ceil(minimum_n * prevalence),
        "events_per_parameter": minimum_n * prevalence / n_parameters,
        "expected_shrinkage": max(shrinkage, s2),
    }


def _check_fraction(name: str, value, *, low: float = 0.0) -> None:
    if not isinstance(value, (int, float, np.floating)) or not low < float(value) < 1:
        raise RashriskError(f"Riley sample size: {name}={value!r}; expected a number strictly between {low} and 1")

"""Checks of each TDM sample against the PK model before it is trusted: improbable and below-LOQ samples.

A sample is improbable when its standardised residual under the prior predictive,

    z = (log C_obs - mu_0) / sqrt(J_0 Omega J_0' + s^2(f_0)),

``f_0`` the a priori prediction (eta = 0), ``mu_0 = log f_0 - s^2(f_0)/2`` the mean of ``log C_obs`` there, ``J_0`` the gradient of ``log f`` in eta there, ``Omega``
the IIV and ``s^2`` the model's residual variance on the log scale (:mod:`rashrisk.pk.likelihood`),
lies beyond the bound of ``[sample_checks] improbable_abs_z`` in ``pk/defaults.toml`` (3). A
below-LOQ sample is always flagged: it is used censored, but a pharmacist should still ask why a
patient on treatment has no measurable imatinib. The flags are decision support: they ask about
adherence, unit and timing; they do not drop the sample.
"""

from __future__ import annotations

import numpy as np

from rashrisk.pk import likelihood
from rashrisk.pk.model import pk_defaults

INCONSISTENT = "sample inconsistent with the model: check adherence, unit and timing"


def improbable_abs_z() -> float:
    """The configured bound on |z| (``pk/defaults.toml``, ``[sample_checks] improbable_abs_z``)."""
    return float(pk_defaults().get("sample_checks", {}).get("improbable_abs_z", 3.0))


def prior_predictive_z(model, log_obs, log_pred0, jac0) -> np.ndarray:
    """Standardised residuals (same shape as ``log_obs``); ``jac0``: (..., n_eta) d log f / d eta at eta = 0."""
    var_iiv = np.einsum("...k,kl,...l->...", jac0, model.omega, jac0) if model.n_eta else 0.0
    mu, _, s2, _ = likelihood.log_mean(model, log_pred0)
    return (log_obs - mu) / np.sqrt(var_iiv + s2)


def flag_messages(concentration_ng_ml: float, hours_after_dose: float, below_loq: bool, z: float, bound: float) -> str:
    """The flag of one sample ("" when it is consistent with the model). No patient identifier."""
    if below_loq:
        return (f"below-LOQ sample {hours_after_dose:g} h after the dose (used as censored, not as a value): "
                f"{INCONSISTENT}")
    if np.isfinite(z) and abs(z) > bound:
        side = "lower" if z < 0 else "higher"
        return (f"sample of {concentration_ng_ml:,.4g} ng/mL {hours_after_dose:g} h after the dose is far {side} than the model "
                f"predicts (standardised residual {z:+.1f}, bound {bound:g}): {INCONSISTENT}")
    return ""

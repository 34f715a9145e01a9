"""The residual-error likelihood of a TDM sample under a PK model (the MAP objective and the sample checks).

The residual lives on the log scale (log-normal) and is **mean-matched**: the observation's
expected value is the prediction, as in the published models' combined error ``C = f (1 + e1) + e2``,

    log C_obs ~ N(log f - s^2/2, s^2),    s^2(f) = log(1 + (cv^2 f^2 + add^2) / f^2) = log(1 + cv^2 + add^2 / f^2),

``cv`` and ``add`` being the PK model's ``[residual] proportional`` and ``additive_ng_ml`` (one
record in the model TOML, covered by the model's sha256): the log-normal with the published error's
mean ``f`` and variance ``cv^2 f^2 + add^2``. Centred on ``log f`` instead (median ``f``), it reads
a natural-scale residual about ``s^2/2`` low (4% with cv 0.3), since such an observation's log has
mean ``log f - s^2/2``; the normal-scale proportional likelihood with its ``log(v)/2`` term put the
mode near 0.93 x the observation. ``log_mean`` gives the centre. Below-LOQ samples are censored (Beal's M3): their likelihood is
``P(C_obs < LOQ) = Phi((log LOQ - log f) / s)``, never a value substituted for the sample.

Functions work on arrays of log predictions ``m = log f`` and return per-sample negative log
likelihoods, their derivative in ``m`` and a positive curvature weight (expected information for
observed samples, the exact curvature of ``-log Phi`` for censored ones) for Fisher scoring.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_ndtr

_MIN_CONC_NG_ML = 1e-6  # predictions are clipped here before taking logs


def clipped_log(conc_ng_ml) -> np.ndarray:
    """``log`` of concentrations clipped at a tiny positive floor (a prediction can underflow to 0)."""
    return np.log(np.maximum(conc_ng_ml, _MIN_CONC_NG_ML))


def log_variance(model, log_pred):
    """``s^2`` (log scale) and ``d s^2 / d log f`` for predictions ``exp(log_pred)``."""
    cv2 = model.residual_proportional**2
    add2_rel = model.residual_additive_ng_ml**2 * np.exp(-2.0 * np.asarray(log_pred, dtype=float))
    inner = 1.0 + cv2 + add2_rel
    s2 = np.log(inner)
    ds2 = -2.0 * add2_rel / inner
    return np.maximum(s2, 1e-12), ds2


def log_mean(model, log_pred):
    """The mean of ``log C_obs`` (``log f - s^2/2``) and its derivative in ``log f``, with ``s^2``."""
    s2, ds2 = log_variance(model, log_pred)
    return np.asarray(log_pred, dtype=float) - 0.5 * s2, 1.0 - 0.5 * ds2, s2, ds2


def sample_terms(model, log_obs, log_pred, censored):
    """Per-sample (negative log likelihood, d/d log f, curvature weight).

    ``log_obs``: log of the measured concentration, or of the LOQ where ``censored`` is true.
    """
    mu, dmu, s2, ds2 = log_mean(model, log_pred)
    s = np.sqrt(s2)
    r = log_obs - mu
    # observed: r^2/(2 s^2) + log(s^2)/2, r = log C - mu(f)
    nll_obs = r**2 / (2.0 * s2) + 0.5 * np.log(s2)
    d_obs = -r * dmu / s2 + (0.5 / s2 - r**2 / (2.0 * s2**2)) * ds2
    w_obs = dmu**2 / s2 + ds2**2 / (2.0 * s2**2)
    # censored (M3): -log Phi(z), z = (log LOQ - mu(f)) / s
    z = r / s
    nll_cens = -log_ndtr(z)
    mills = np.exp(-0.5 * z**2 - 0.5 * np.log(2.0 * np.pi) - log_ndtr(z))  # phi(z) / Phi(z)
    dz = -dmu / s - z * ds2 / (2.0 * s2)
    d_cens = -mills * dz
    w_cens = mills * (mills + z) * dz**2
    return (np.where(censored, nll_cens, nll_obs), np.where(censored, d_cens, d_obs), np.where(censored, w_cens, w_obs))

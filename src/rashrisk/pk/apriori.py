"""A priori (population) trough prediction at imatinib start, from covariates and dose only.

The typical trough is the steady-state 24-h trough with eta = 0. The 5-95% prediction interval is
that of an *observed* trough in a patient with these covariates: ``n_sim`` draws of eta from the
model's IIV and of residual error, the same draws for every row (common random numbers, so the
intervals of two patients differ only through their covariates and dose; deterministic for a seed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.errors import ModelError
from rashrisk.pk.model import PopPKModel, default_pk_model

# rows x draws per chunk (memory bound: ~8 float64 arrays of this size)
_CHUNK_CELLS = 2_000_000


def imputed_names(imputed: pd.DataFrame) -> list[str]:
    """Per row, the comma-separated names of the imputed covariates ('' when none)."""
    if imputed.shape[1] == 0:
        return [""] * len(imputed)
    patterns, inverse = np.unique(imputed.to_numpy(dtype=bool), axis=0, return_inverse=True)
    labels = [", ".join(imputed.columns[row]) for row in patterns]
    return [labels[i] for i in np.ravel(inverse)]


def predict_trough(covariates: pd.DataFrame, dose_mg, *, model: PopPKModel | None = None, n_sim: int = 2000, seed: int = 0, tau_h: float = 24.0) -> pd.DataFrame:
    """Typical steady-state trough and its 5-95% prediction interval per row of ``covariates``.

    ``dose_mg``: a number or one value per row. Returns a DataFrame indexed like ``covariates``
    with ``dose_mg, trough_typical_ng_ml, trough_p05_ng_ml, trough_p95_ng_ml,
    imputed_covariates`` (comma-separated names that took the model's reference value) and
    ``domain_warnings`` (messages joined by '; ', empty when inside the validity domain).
    """
    model = model or default_pk_model()
    if n_sim < 20:
        raise ModelError(f"predict_trough: n_sim = {n_sim}; expected at least 20 draws for a 5-95% interval")
    n = len(covariates)
    dose = np.broadcast_to(np.asarray(dose_mg, dtype=float), (n,)).copy()
    if np.any(~np.isfinite(dose)) or np.any(dose <= 0):
        bad = dose[~(np.isfinite(dose) & (dose > 0))][0]
        raise ModelError(f"predict_trough: dose_mg = {bad!r}; expected a positive number of mg")
    typical = model.typical_parameters(covariates)
    trough_typical = np.asarray(model.trough_ss_ng_ml(typical, dose, tau_h=tau_h), dtype=float)

    rng = np.random.default_rng(seed)
    etas = model.sample_etas(n_sim, rng)  # (n_sim, n_eta), shared by all rows
    eps_prop = rng.standard_normal(n_sim)
    eps_add = rng.standard_normal(n_sim)
    factors = {p: np.ones(n_sim) for p in model.parameter_names}
    for j, p in enumerate(model.iiv_parameters):
        factors[p] = np.exp(etas[:, j])

    p05 = np.empty(n)
    p95 = np.empty(n)
    step = max(1, _CHUNK_CELLS // n_sim)
    for start in range(0, n, step):
        rows = slice(start, min(n, start + step))
        params = {p: typical[p].to_numpy()[rows, None] * factors[p][None, :] for p in model.parameter_names}
        c = model.trough_ss_ng_ml(params, dose[rows, None], tau_h=tau_h)
        c = c * (1.0 + model.residual_proportional * eps_prop) + model.residual_additive_ng_ml * eps_add
        q = np.quantile(np.maximum(c, 0.0), [0.05, 0.95], axis=1)
        p05[rows], p95[rows] = q[0], q[1]

    imputed = model.imputed_covariates(covariates)
    warnings = model.domain_warnings_by_row(covariates)
    return pd.DataFrame(
        {
            "dose_mg": dose,
            "trough_typical_ng_ml": trough_typical,
            "trough_p05_ng_ml": p05,
            "trough_p95_ng_ml": p95,
            "imputed_covariates": imputed_names(imputed),
            "domain_warnings": ["; ".join(w) for w in warnings],
        },
        index=covariates.index,
    )

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


def _row_quantiles(values: np.ndarray, probs) -> tuple[np.ndarray, ...]:
    """Per-row quantiles (NumPy's default linear interpolation) via partial sorting."""
    n = values.shape[1]
    pos = [p * (n - 1) for p in probs]
    kth = sorted({int(np.floor(x)) for x in pos} | {min(int(np.floor(x)) + 1, n - 1) for x in pos})
    part = np.partition(values, kth, axis=1)
    out = []
    for x in pos:
        lo = int(np.floor(x))
        hi = min(lo + 1, n - 1)
        out.append(part[:, lo] + (x - lo) * (part[:, hi] - part[:, lo]))
    return tuple(out)


def imputed_names(imputed: pd.DataFrame) -> list[str]:
    """Per row, the comma-separated names of the imputed covariates ('' when none)."""
    if imputed.shape[1] == 0:
        return [""] * len(imputed)
    flags = imputed.to_numpy(dtype=bool)
    codes = flags.astype(np.int64) @ (np.int64(1) << np.arange(flags.shape[1], dtype=np.int64))
    labels = {int(c): ", ".join(imputed.columns[flags[i]]) for c, i in zip(*np.unique(codes, return_index=True))}
    return [labels[c] for c in codes.tolist()]


def typical_trough(covariates: pd.DataFrame, dose_mg, *, model: PopPKModel, tau_h: float = 24.0):
    """(typical steady-state trough per row, the imputed-covariate flags): :func:`predict_trough`'s
    ``trough_typical_ng_ml`` and its covariate resolution, without the simulated interval."""
    _, _, imputed, trough = _typical(covariates, dose_mg, model, tau_h)
    return trough, imputed


def _typical(covariates: pd.DataFrame, dose_mg, model: PopPKModel, tau_h: float):
    dose = np.broadcast_to(np.asarray(dose_mg, dtype=float), (len(covariates),)).copy()
    if np.any(~np.isfinite(dose)) or np.any(dose <= 0):
        bad = dose[~(np.isfinite(dose) & (dose > 0))][0]
        raise ModelError(f"predict_trough: dose_mg = {float(bad):g}; expected a positive number of mg")
    typical, imputed = model.typical_and_imputed(covariates)
    return dose, typical, imputed, np.asarray(model.trough_ss_ng_ml(typical, dose, tau_h=tau_h), dtype=float)


def predict_trough(covariates: pd.DataFrame, dose_mg, *, model: PopPKModel | None = None, n_sim: int = 2000, seed: int = 0, tau_h: float = 24.0) -> pd.DataFrame:
    """Typical steady-state trough and its 5-95% prediction interval per row of ``covariates``.

    ``dose_mg``: a number or one value per row. ``n_sim = 0`` skips the simulation (interval
    columns NaN) when only the typical trough is needed. Returns a DataFrame indexed like ``covariates``
    with ``dose_mg, trough_typical_ng_ml, trough_p05_ng_ml, trough_p95_ng_ml,
    imputed_covariates`` (comma-separated names that took the model's reference value) and
    ``domain_warnings`` (messages joined by '; ', empty when inside the validity domain).
    """
    model = model or default_pk_model()
    if n_sim != 0 and n_sim < 20:
        raise ModelError(f"predict_trough: n_sim = {n_sim}; expected 0 (typical trough only) or at least 20 draws for a 5-95% interval")
    n = len(covariates)
    dose, typical, imputed, trough_typical = _typical(covariates, dose_mg, model, tau_h)

    rng = np.random.default_rng(seed)
    etas = model.sample_etas(n_sim, rng)  # (n_sim, n_eta), shared by all rows
    eps_prop = rng.standard_normal(n_sim)
    eps_add = rng.standard_normal(n_sim)
    factors = {p: np.exp(etas[:, j]) for j, p in enumerate(model.iiv_parameters)}

    p05 = np.full(n, np.nan)
    p95 = np.full(n, np.nan)
    step = max(1, _CHUNK_CELLS // max(n_sim, 1))
    for start in range(0, n if n_sim else 0, step):
        rows = slice(start, min(n, start + step))
        params = {p: typical[p].to_numpy()[rows, None] * factors[p][None, :] if p in factors else typical[p].to_numpy()[rows, None] for p in model.parameter_names}
        c = model.trough_ss_ng_ml(params, dose[rows, None], tau_h=tau_h)
        c = c * (1.0 + model.residual_proportional * eps_prop) + model.residual_additive_ng_ml * eps_add
        p05[rows], p95[rows] = _row_quantiles(np.maximum(c, 0.0), (0.05, 0.95))

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

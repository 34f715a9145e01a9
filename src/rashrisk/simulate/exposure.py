"""Individual imatinib pharmacokinetics of the virtual patients, from the PK engine's model.

The model is the engine's default for the cohort's ancestry (``rashrisk.pk``) or a named model,
with the overrides declared in the ``[pk]`` section of the configuration (docs/simulator.md shows
why they are needed to match observed Chinese GIST troughs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.errors import ConfigError, ModelError
from rashrisk.pk import model as pk_models
from rashrisk.simulate.config import SimulationConfig
from rashrisk.simulate.rng import stream

DOSING_INTERVAL_H = 24.0  # imatinib once daily


def pk_model(cfg: SimulationConfig):
    """The configured population-PK model (with its overrides applied)."""
    name = cfg.get("pk", "model")
    if name == "default":
        model = pk_models.default_pk_model(cfg.get("cohort", "ancestry"))
    else:
        model = pk_models.load_pk_model(name)
    overrides = dict(cfg.get("pk").get("overrides", {}).get(model.name, {}))
    if overrides:
        try:
            model = model.with_overrides(**overrides)
        except (TypeError, ModelError) as exc:
            raise ConfigError(f"{cfg.source}: [pk.overrides.{model.name}] not accepted by the PK model: {exc}") from None
    return model


def pk_covariates(patients: pd.DataFrame, abcg2_alt_count: np.ndarray) -> pd.DataFrame:
    """The covariate frame the PK engine expects (true values, no missingness)."""
    return pd.DataFrame(
        {
            "rbc_10e12_l": patients["rbc_10e12_l"].to_numpy(dtype=float),
            "sex": patients["sex"].to_numpy(),
            "age_years": patients["age_years"].to_numpy(dtype=float),
            "weight_kg": patients["weight_kg"].to_numpy(dtype=float),
            "albumin_g_l": patients["albumin_g_l"].to_numpy(dtype=float),
            "rs2231142_alt_count": np.asarray(abcg2_alt_count, dtype=float),
        }
    )


def individual_pk(cfg: SimulationConfig, patients: pd.DataFrame, abcg2_alt_count: np.ndarray, seed: int, *, model=None) -> pd.DataFrame:
    """Individual apparent parameters ``cl_l_h, v_l, ka_per_h`` (one row per patient).

    ``model``: the configured model when the caller already has it (default: :func:`pk_model`).
    """
    model = pk_model(cfg) if model is None else model
    rng = stream(seed, "pk_etas")
    etas = model.sample_etas(len(patients), rng)
    covariates = pk_covariates(patients, abcg2_alt_count)
    # covariate equations evaluated once per distinct covariate combination (values are rounded,
    # so a million patients share a few thousand combinations), then spread back: exact, and the
    # engine's per-row checks run on the small table only
    columns = [c for c in model.covariates if c in covariates.columns]
    if columns:
        key = np.zeros(len(covariates), dtype=np.int64)
        for column in columns:
            codes, uniques = pd.factorize(covariates[column], use_na_sentinel=False)
            key = pd.factorize(key * (len(uniques) + 1) + codes)[0].astype(np.int64)  # stays small
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        distinct = covariates.iloc[first].reset_index(drop=True)
        typical = model.typical_parameters(distinct).iloc[inverse.ravel()].reset_index(drop=True)
    else:
        typical = model.typical_parameters(covariates)
    params = model.apply_etas(typical, etas)
    return pd.DataFrame(
        {
            "cl_l_h": np.asarray(params["cl_l_h"], dtype=float),
            "v_l": np.asarray(params["v_l"], dtype=float),
            "ka_per_h": np.asarray(params["ka_per_h"], dtype=float),
        }
    )


def trough_ss_ng_ml(model, dose_mg, pk: pd.DataFrame | dict) -> np.ndarray:
    """Steady-state 24-h trough at ``dose_mg`` (once daily), by ``model``'s structure."""
    return np.asarray(model.trough_ss_ng_ml(pk, dose_mg, tau_h=DOSING_INTERVAL_H), dtype=float)


def concentration_ss_ng_ml(model, dose_mg, hours_after_dose, pk: pd.DataFrame | dict) -> np.ndarray:
    """Steady-state concentration ``hours_after_dose`` after a once-daily dose, by ``model``'s structure."""
    return np.asarray(model.concentration_ng_ml(pk, dose_mg, hours_after_dose, tau_h=DOSING_INTERVAL_H), dtype=float)

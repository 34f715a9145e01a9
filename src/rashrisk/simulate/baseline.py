"""The virtual patients before any outcome: covariates, true genotypes, individual PK and the
steady-state trough at the start dose.

:mod:`rashrisk.simulate.cohort` builds a cohort on it; :mod:`rashrisk.simulate.outcomes` draws a
large reference population from it to solve the outcome model's intercept.
"""

from __future__ import annotations

import numpy as np

from rashrisk.errors import ConfigError
from rashrisk.simulate.config import SimulationConfig
from rashrisk.simulate.exposure import individual_pk, pk_model, trough_ss_ng_ml
from rashrisk.simulate.genotypes import simulate_genotypes
from rashrisk.simulate.population import simulate_population

ABCG2_RSID = "rs2231142"


def il6r_rsid(cfg: SimulationConfig) -> str:
    """The IL6R variant of the outcome model (it must be one of the simulated IL6R block)."""
    rsid = cfg.get("outcome", "il6r", "rsid")
    if rsid not in cfg.get("genotypes", "il6r_block", "rsids"):
        raise ConfigError(f"{cfg.source}: [outcome.il6r.rsid] = {rsid!r} is not in [genotypes.il6r_block.rsids]")
    return rsid


def simulate_baseline(cfg: SimulationConfig, n: int, seed: int):
    """Patients, true genotypes, the PK model, individual PK parameters and the steady-state trough at
    the start dose."""
    patients = simulate_population(cfg, n, seed)
    genotypes = simulate_genotypes(cfg, n, seed)
    if ABCG2_RSID not in genotypes:
        raise ConfigError(f"{cfg.source}: [genotypes.alt_frequency] must include {ABCG2_RSID} (ABCG2, a PK covariate)")
    model = pk_model(cfg)
    pk = individual_pk(cfg, patients, genotypes[ABCG2_RSID], seed, model=model)
    trough_start = trough_ss_ng_ml(model, patients["start_dose_mg"].to_numpy(), pk)
    return patients, genotypes, model, pk, trough_start


def simulate_exposure_only(cfg: SimulationConfig, n: int, seed: int) -> dict[str, np.ndarray]:
    """The covariates the outcome model needs (used to solve the intercept on a reference population)."""
    patients, genotypes, _, _, trough_start = simulate_baseline(cfg, n, seed)
    return {
        "sex": patients["sex"].to_numpy(),
        "il6r_alt_count": genotypes[il6r_rsid(cfg)],
        "trough_ss_start_ng_ml": trough_start,
    }

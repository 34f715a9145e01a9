"""One virtual cohort, start to end: patients -> genotypes -> PK -> outcomes -> TDM samples.

:func:`simulate_cohort` returns the tables in memory (:class:`SimulatedCohort`); writing them in
the cohort contract's format is :mod:`rashrisk.simulate.writer`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rashrisk.errors import ConfigError
from rashrisk.simulate.baseline import il6r_rsid, simulate_baseline
from rashrisk.simulate.config import SimulationConfig
from rashrisk.simulate.exposure import trough_ss_ng_ml
from rashrisk.simulate.genotypes import observed_genotypes
from rashrisk.simulate.outcomes import linear_predictor, simulate_outcomes
from rashrisk.simulate.tdm import simulate_tdm


@dataclass
class SimulatedCohort:
    """Simulated tables. ``patients`` holds the true (complete) covariates; missingness, no-calls
    and unit choices are applied by the writer from ``observed_*`` and ``missing_*``."""

    seed: int
    config: SimulationConfig
    patients: pd.DataFrame
    genotypes: dict[str, np.ndarray]  # true ALT counts
    observed_genotypes: dict[str, np.ndarray]  # -1 = no-call
    in_vcf: np.ndarray
    pk: pd.DataFrame
    outcomes: pd.DataFrame
    tdm: pd.DataFrame
    truth_columns: dict[str, np.ndarray]  # written as truth.csv

    @property
    def n_patients(self) -> int:
        return len(self.patients)

    @property
    def truth(self) -> pd.DataFrame:
        """truth.csv as a DataFrame (built on demand: the writer uses the columns directly)."""
        return pd.DataFrame(self.truth_columns)


def _check_n(n: int) -> int:
    if int(n) != n or n < 1:
        raise ConfigError(f"number of patients {n!r}: expected a positive integer")
    return int(n)


def simulate_cohort(cfg: SimulationConfig, n: int, seed: int) -> SimulatedCohort:
    """Simulate ``n`` patients with ``seed`` (same configuration and seed -> same cohort)."""
    n = _check_n(n)
    seed = int(seed)
    patients, genotypes, model, pk, trough_start = simulate_baseline(cfg, n, seed)
    observed, in_vcf = observed_genotypes(cfg, genotypes, seed)  # its own random stream: order is free
    start_dose = patients["start_dose_mg"].to_numpy()
    il6r = genotypes[il6r_rsid(cfg)]
    lp = linear_predictor(cfg, patients["sex"].to_numpy(), il6r, trough_start)
    outcomes = simulate_outcomes(cfg, lp, start_dose, seed)
    tdm = simulate_tdm(cfg, patients, pk, outcomes, seed, model=model)
    # follow-up covers every recorded event
    last_day = np.zeros(n, dtype=np.int64)
    np.maximum.at(last_day, tdm["patient_index"].to_numpy(), tdm["sample_day"].to_numpy())
    last_event = np.maximum(last_day, outcomes["rash_onset_day"].to_numpy())
    outcomes["followup_days"] = np.maximum(outcomes["followup_days"].to_numpy(), last_event + 30)

    late = cfg.number("pk", "exposure_drift", "late_exposure_factor")
    final = outcomes["final_dose_mg"].to_numpy()
    truth = {
        "patient_id": patients["patient_id"].to_numpy(),
        "sex": patients["sex"].to_numpy(),
        "age_years": patients["age_years"].to_numpy(),
        "weight_kg": patients["weight_kg"].to_numpy(),
        "height_cm": patients["height_cm"].to_numpy(),
        "albumin_g_l": patients["albumin_g_l"].to_numpy(),
        "rbc_10e12_l": patients["rbc_10e12_l"].to_numpy(),
        "ancestry": patients["ancestry"].to_numpy(),
        "setting": patients["setting"].to_numpy(),
        "start_dose_mg": start_dose,
            **{f"{rsid}_alt_count": counts for rsid, counts in genotypes.items()},
        "in_vcf": in_vcf,
        "cl_l_h": pk["cl_l_h"].to_numpy(),
        "v_l": pk["v_l"].to_numpy(),
        "ka_per_h": pk["ka_per_h"].to_numpy(),
        "trough_ss_start_ng_ml": trough_start,
        "trough_ss_400mg_ng_ml": trough_ss_ng_ml(model, 400.0, pk),
        "log_odds_without_intercept": lp,
        "true_risk": outcomes["true_risk"].to_numpy(),
        "severe_rash": outcomes["severe_rash"].to_numpy(),
        "rash_max_grade": outcomes["rash_max_grade"].to_numpy(),
        "recurrent_grade2": outcomes["recurrent_grade2"].to_numpy(),
        "rash_onset_day": np.where(outcomes["rash_onset_day"].to_numpy() >= 0, outcomes["rash_onset_day"].to_numpy(), np.nan),
        "resumed": outcomes["resumed"].to_numpy(),
        "final_dose_mg": final,
        "trough_ss_final_ng_ml": np.where(np.isnan(final), np.nan, trough_ss_ng_ml(model, np.nan_to_num(final, nan=1.0), pk) * late),
    }
    return SimulatedCohort(
        seed=seed,
        config=cfg,
        patients=patients,
        genotypes=genotypes,
        observed_genotypes=observed,
        in_vcf=in_vcf,
        pk=pk,
        outcomes=outcomes,
        tdm=tdm,
        truth_columns=truth,
    )

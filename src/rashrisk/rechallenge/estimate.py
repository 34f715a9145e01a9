"""The individual PK of a re-challenge patient: ``map_estimate`` on the whole TDM history with the
rebuilt dose history (superposition of the actual doses, interruption included)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rashrisk.genotype.table import with_allele_counts
from rashrisk.pk.map import map_estimate
from rashrisk.pk.model import PopPKModel
from rashrisk.rechallenge import probabilities
from rashrisk.rechallenge.history import SAMPLE_COLUMNS, History


@dataclass
class Estimate:
    row: pd.Series  # map_estimate's row for the patient
    trough_per_mg: float  # 24-h steady-state trough per mg once daily, ng/mL
    sd_log: float  # posterior SD of log(trough) (Laplace)
    params: dict  # individual parameters (model.parameter_names)


def patient_covariates(cohort, patient_id: str) -> pd.DataFrame:
    """The patient's row with its genotype ALT counts (``<rsid>_alt_count``), as ``rashrisk pk fit`` builds them."""
    row = cohort.patients[cohort.patients["patient_id"].astype(str) == patient_id]
    genotypes = cohort.genotypes
    if genotypes is not None and len(genotypes):
        genotypes = genotypes[genotypes["patient_id"].astype(str) == patient_id]
    return with_allele_counts(row, genotypes).reset_index(drop=True)


def fit(covariates: pd.DataFrame, history: History, model: PopPKModel) -> Estimate:
    samples = history.samples[list(SAMPLE_COLUMNS)]
    out = map_estimate(covariates, samples, model=model, dose_history=history.dose_history).iloc[0]
    per_mg = float(out["trough_ng_ml"]) / float(out["dose_mg"])
    sd = probabilities.log_sd(float(out["trough_low_ng_ml"]), float(out["trough_high_ng_ml"]))
    return Estimate(row=out, trough_per_mg=per_mg, sd_log=sd,
                    params={p: float(out[p]) for p in model.parameter_names})


def concentration_curve(model: PopPKModel, params: dict, dose_times_h, doses_mg, times_h) -> np.ndarray:
    """Predicted concentrations (ng/mL) at ``times_h`` after the doses (superposition, the model's own)."""
    p = {k: np.asarray([v]) for k, v in params.items()}
    dose_times = np.asarray(dose_times_h, dtype=float)[None, :]
    doses = np.asarray(doses_mg, dtype=float)[None, :]
    return model.history_concentration_ng_ml(p, dose_times, doses, np.asarray(times_h, dtype=float)[None, :])[0]

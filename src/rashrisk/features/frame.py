"""The model frame per stage: one row per patient of clinical inputs, the outcome, and an
account of every patient left out and of where each input value came from.

``start``: covariates, genotypes and the a priori (population-PK) trough at the start dose. No
measured concentration can enter (:data:`TDM_COLUMNS` are refused at this stage).
``tdm``: adds the landmark sample (see :mod:`rashrisk.features.landmark`): its day, the MAP
individual 24-h trough from that one sample, and the ratio of that trough to the a priori
prediction at the same dose.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rashrisk.errors import RashriskError
from rashrisk.features.landmark import select_landmark_samples
from rashrisk.genotype.table import allele_count_wide
from rashrisk.pk.apriori import typical_trough
from rashrisk.pk.map import map_estimate
from rashrisk.pk.model import default_pk_model
from rashrisk.stages import STAGES

PATIENT_COLUMNS = ("sex", "age_years", "weight_kg", "height_cm", "bsa_m2", "albumin_g_l", "ancestry",
                   "setting", "start_dose_mg")
TDM_COLUMNS = ("tdm_day", "map_trough_ng_ml", "trough_ratio_to_apriori")
# derived model inputs -> the frame columns they are computed from (a model reading the ratio reads the
# a priori trough through it, so the a priori trough's warnings and provenance apply)
DERIVED_FROM = {"trough_ratio_to_apriori": ("map_trough_ng_ml", "apriori_trough_ng_ml")}
NO_OUTCOME = "no outcome recorded"


@dataclass
class ModelFrame:
    stage: str
    X: pd.DataFrame  # indexed by patient_id
    y: pd.Series | None  # bool severe_rash, aligned with X, or None without outcomes
    excluded: pd.DataFrame  # patient_id, reason
    imputed: pd.DataFrame  # bool per input: value not the patient's own (missing, no-call, PK reference covariate)
    provenance: pd.DataFrame  # str per input: measured | derived | predicted | defaulted | missing | no-call
    landmark: tuple[float, float] | None = None
    pk_model: object = None  # the PopPKModel that predicted the troughs (recorded in the model card)
    # tdm stage: per patient of X, the landmark sample the MAP fit read, and that fit's 90% interval
    # of the 24-h trough (trough_low_ng_ml, trough_high_ng_ml); None at the start stage
    landmark_samples: pd.DataFrame | None = None
    map_interval: pd.DataFrame | None = None

    @property
    def n(self) -> int:
        return len(self.X)

    @property
    def events(self) -> int | None:
        return None if self.y is None else int(self.y.sum())


def _genotype_table(cohort, index: pd.Index) -> pd.DataFrame:
    if cohort.genotypes is None or len(cohort.genotypes) == 0:
        return pd.DataFrame(index=index)
    wide = allele_count_wide(cohort.genotypes, allele="alt")
    wide.index = wide.index.astype(str)
    return wide.reindex(index)


def _apriori(covariates: pd.DataFrame, pk_model) -> tuple[pd.Series, np.ndarray]:
    """Typical a priori trough at the start dose, and per patient whether the PK model used a
    reference value for a covariate the cohort carries but this patient lacks ('defaulted').
    Covariates the contract never carries (e.g. red-cell count) are a property of the PK model."""
    table = covariates.reset_index()
    # predict_trough's typical trough and covariate resolution, once (its simulated interval is not used)
    trough, imputed = typical_trough(table, table["start_dose_mg"].to_numpy(dtype=float), model=pk_model)
    carried = [c for c in imputed.columns if c in table.columns]
    defaulted = imputed[carried].to_numpy(dtype=bool).any(axis=1) if carried else np.zeros(len(table), dtype=bool)
    return pd.Series(trough, index=covariates.index), defaulted


def build_model_frame(cohort, stage: str, *, pk_model=None, landmark=(7, 42)) -> ModelFrame:
    """Model frame for ``stage`` ('start' | 'tdm') from a loaded :class:`~rashrisk.contract.cohort.Cohort`."""
    if stage not in STAGES:
        raise RashriskError(f"stage {stage!r}; expected one of {', '.join(STAGES)}")
    if pk_model is None:
        pk_model = default_pk_model(getattr(cohort, "ancestry", None))
    patients = cohort.patients
    index = pd.Index(patients["patient_id"].astype(str).to_numpy(dtype=object), name="patient_id")
    rows = None  # positions of the patients kept (None: all of them)
    excluded = []
    y = None
    if cohort.outcomes is not None:
        outcomes = cohort.outcomes.copy()
        outcomes["patient_id"] = outcomes["patient_id"].astype(str)
        label = outcomes.set_index("patient_id")["severe_rash"].astype(bool)
        excluded += [(pid, NO_OUTCOME) for pid in index.difference(label.index)]
        keep = index.isin(label.index)
        if not keep.all():
            rows, index = np.flatnonzero(keep), index[keep]
        y = label.reindex(index)

    # every column built as an array and each frame made once (no per-column insertion): the patients'
    # columns as the contract typed them, the contract's columns it lacks as missing, then the genotypes
    def patient_column(name):
        values = patients[name].array
        return values if rows is None else values[rows]

    columns = {c: patient_column(c) for c in patients.columns if c != "patient_id"}
    for column in PATIENT_COLUMNS:
        columns.setdefault(column, np.full(len(index), np.nan))
    wide = _genotype_table(cohort, index)
    counts = wide.to_numpy(dtype=float)
    genotypes = {column: counts[:, j] for j, column in enumerate(wide.columns)}
    covariates = pd.DataFrame({**columns, **genotypes}, index=index)
    trough, defaulted = _apriori(covariates, pk_model)

    provenance = {column: np.where(pd.isna(columns[column]), "missing", "measured") for column in PATIENT_COLUMNS}
    provenance["bsa_m2"] = np.where(pd.isna(columns["bsa_m2"]), "missing", "derived")
    for column, values in genotypes.items():
        provenance[column] = np.where(np.isnan(values), "no-call", "measured")
    provenance["apriori_trough_ng_ml"] = np.where(defaulted, "defaulted", "predicted")
    X = pd.DataFrame({**{c: columns[c] for c in PATIENT_COLUMNS}, **genotypes, "apriori_trough_ng_ml": trough},
                     index=index)
    provenance = pd.DataFrame(provenance, index=index)

    samples = interval = None
    if stage == "tdm":
        X, provenance, y, lm_excluded, samples, interval = _add_landmark(cohort, covariates, X, provenance, y,
                                                                         pk_model, landmark)
        excluded += list(lm_excluded.itertuples(index=False, name=None))
    else:
        leaked = [c for c in X.columns if c in TDM_COLUMNS or "concentration" in c]
        if leaked:  # defensive: the start stage must never see a measured concentration
            raise RashriskError(f"start-stage frame would contain measured-concentration columns {leaked}")

    X.index.name = "patient_id"
    imputed = provenance.isin(["missing", "no-call", "defaulted"])
    excluded_df = pd.DataFrame(excluded, columns=["patient_id", "reason"])
    return ModelFrame(stage=stage, X=X, y=y, excluded=excluded_df, imputed=imputed, provenance=provenance,
                      landmark=tuple(landmark) if stage == "tdm" else None, pk_model=pk_model,
                      landmark_samples=samples, map_interval=interval)


def _add_landmark(cohort, covariates, X, provenance, y, pk_model, landmark):
    samples, excluded = select_landmark_samples(cohort.tdm, X.index, cohort.outcomes, window=landmark)
    keep = X.index.isin(samples.index)
    if not keep.all():
        X, provenance = X.loc[keep], provenance.loc[keep]
        y = None if y is None else y.loc[keep]
    samples = samples.reindex(X.index)
    tdm_day = samples["day_on_treatment"].astype(float)
    if len(X):
        covariates = covariates.loc[X.index].reset_index()
        columns = [c for c in ("concentration_ng_ml", "hours_after_dose", "dose_mg", "day_on_treatment", "below_loq")
                   if c in samples.columns]
        sample_rows = samples[columns].reset_index()
        estimate = map_estimate(covariates, sample_rows, model=pk_model).set_index("patient_id").reindex(X.index)
        map_trough = estimate["trough_ng_ml"].astype(float)
        dose_ratio = samples["dose_mg"].astype(float) / X["start_dose_mg"].astype(float)
        ratio = map_trough / (X["apriori_trough_ng_ml"] * dose_ratio)
        interval = estimate[["trough_low_ng_ml", "trough_high_ng_ml"]].astype(float)
        interval["sample_flags"] = estimate["sample_flags"]  # below-LOQ / improbable sample (pk.sample_checks)
    else:
        map_trough = ratio = pd.Series(dtype=float, index=X.index)
        interval = pd.DataFrame(columns=["trough_low_ng_ml", "trough_high_ng_ml"], dtype=float)
    # the three columns added in one frame each (not three insertions into X and provenance)
    added = pd.DataFrame({"tdm_day": tdm_day, "map_trough_ng_ml": map_trough, "trough_ratio_to_apriori": ratio},
                         index=X.index)
    words = {"tdm_day": "measured", "map_trough_ng_ml": "predicted", "trough_ratio_to_apriori": "derived"}
    said = pd.DataFrame({c: np.full(len(X), w, dtype=object) for c, w in words.items()}, index=provenance.index)
    return (pd.concat([X, added], axis=1), pd.concat([provenance, said], axis=1), y, excluded, samples, interval)

"""The PK prior of a re-challenge plan: the patient's default model per ancestry, as published or
re-estimated on the patient's cohort (``rashrisk pk fit``'s default, :mod:`rashrisk.pk.cohort_prior`).

With ``prior="cohort"`` the default model of the patient's ancestry has its typical CL/F, V/F and IIV
scale re-estimated on the cohort's patients of the same ancestry (every accepted TDM sample, read as
a cohort fit reads them: steady state from day 5); below ``[cohort_prior] min_patients`` patients with
samples (pk/defaults.toml) the published model is kept and the plan says why.
"""

from __future__ import annotations

import pandas as pd

from rashrisk.errors import RashriskError
from rashrisk.genotype.table import with_allele_counts
from rashrisk.pk.cohort_prior import adapt_by_ancestry
from rashrisk.pk.model import PopPKModel, default_pk_model

PRIORS = ("cohort", "published")
_SAMPLE_COLUMNS = ("patient_id", "concentration_ng_ml", "hours_after_dose", "dose_mg", "day_on_treatment", "below_loq")


def _ancestry_key(value) -> str:
    return "" if value is None or pd.isna(value) else str(value)


def patient_ancestry(cohort, patient_id: str):
    """The patient's ancestry, else the cohort's majority ancestry (as ``rashrisk pk fit`` chooses the model)."""
    row = cohort.patients[cohort.patients["patient_id"].astype(str) == str(patient_id)]
    value = row["ancestry"].iloc[0] if len(row) and "ancestry" in row.columns else None
    return getattr(cohort, "ancestry", None) if _ancestry_key(value) == "" else value


def cohort_priors(cohort, ancestries=None) -> dict[str, tuple[PopPKModel, str]]:
    """Ancestry code ('' = unknown) -> (the default model re-estimated on those patients, a description)."""
    patients = with_allele_counts(cohort.patients, cohort.genotypes)
    keys = pd.Series([_ancestry_key(patient_ancestry(cohort, pid)) for pid in patients["patient_id"]], index=patients.index)
    tdm = cohort.tdm if cohort.tdm is not None else pd.DataFrame(columns=_SAMPLE_COLUMNS)
    tdm = tdm[[c for c in _SAMPLE_COLUMNS if c in tdm.columns]]
    wanted = None if ancestries is None else {_ancestry_key(a) for a in ancestries}
    return {key: (adapted.model, adapted.describe()) for key, adapted in adapt_by_ancestry(patients, tdm, keys, wanted).items()}


def prior_for(cohort, patient_id: str, prior: str) -> tuple[PopPKModel | None, str]:
    """(the model to fit with, how the prior was chosen); ``None`` = the published default for the ancestry."""
    if prior not in PRIORS:
        raise RashriskError(f"--prior {prior!r}: expected one of {', '.join(PRIORS)}")
    ancestry = patient_ancestry(cohort, patient_id)
    if prior == "published":
        return default_pk_model(_ancestry_key(ancestry) or None), "published (--prior published)"
    model, text = cohort_priors(cohort, [ancestry])[_ancestry_key(ancestry)]
    return model, text

"""Per-patient warnings attached to a score: inputs the model did not get from the patient, and
values outside the validity domain of the PK model or of the model's training data."""

from __future__ import annotations

import numpy as np
import pandas as pd

PROVENANCE_WORDS = {"missing": "imputed (not recorded)", "defaulted": "PK covariate defaulted to the reference",
                    "no-call": "genotype no-call"}


def input_warnings(provenance: pd.DataFrame, used_columns) -> list[list[str]]:
    """Per patient: imputed / defaulted inputs and genotype no-calls among the model's inputs."""
    used = [c for c in provenance.columns if c in set(used_columns)]
    out = []
    for row in provenance[used].itertuples(index=False, name=None):
        messages = []
        for column, state in zip(used, row):
            if state == "no-call":
                messages.append(f"genotype no-call: {column.removesuffix('_alt_count')}")
            elif state in ("missing", "defaulted"):
                messages.append(f"{column}: {PROVENANCE_WORDS[state]}")
        out.append(messages)
    return out


def pk_domain_warnings(cohort, index: pd.Index, pk_model) -> list[list[str]]:
    """Per patient (in ``index`` order): covariates outside the PK model's validity domain."""
    patients = cohort.patients.copy()
    patients["patient_id"] = patients["patient_id"].astype(str)
    patients = patients.set_index("patient_id").reindex(index)
    messages = pk_model.domain_warnings_by_row(patients.reset_index())
    return [[f"PK model {pk_model.name}: {m}" for m in row] for row in messages]


def training_range_warnings(X: pd.DataFrame, background: pd.DataFrame | None, columns) -> list[list[str]]:
    """Per patient: numeric inputs outside the range seen in the model's background (training) rows."""
    out = [[] for _ in range(len(X))]
    if not isinstance(background, pd.DataFrame) or len(background) < 20:
        return out
    for column in columns:
        if column not in X.columns or column not in background.columns or column.endswith("_alt_count"):
            continue
        reference = pd.to_numeric(background[column], errors="coerce").dropna()
        values = pd.to_numeric(X[column], errors="coerce").to_numpy(dtype=float)
        if reference.empty or np.all(np.isnan(values)):
            continue
        low, high = float(reference.min()), float(reference.max())
        outside = (values < low) | (values > high)
        for i in np.flatnonzero(outside):
            out[i].append(f"{column} = {values[i]:,.4g} outside the training range {low:,.4g}-{high:,.4g}")
    return out

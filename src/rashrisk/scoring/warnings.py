"""Per-patient warnings attached to a score: inputs the model did not get from the patient, and
values outside the validity domain of the PK model or of the model's training data."""

from __future__ import annotations

import numpy as np
import pandas as pd

PROVENANCE_WORDS = {"missing": "imputed (not recorded)", "defaulted": "a PK covariate took the PK model's reference value",
                    "no-call": "genotype no-call"}


def input_warnings(provenance: pd.DataFrame, used_columns, *, pk_reference: tuple[str, list[str]] | None = None
                   ) -> list[list[str]]:
    """Per patient: imputed / defaulted inputs and genotype no-calls among the model's inputs.

    ``pk_reference``: (PK model name, the covariates it took at its reference value) when known
    (the one-patient report); the a priori trough's message then names them."""
    used = [c for c in provenance.columns if c in set(used_columns)]
    out = []
    for row in provenance[used].itertuples(index=False, name=None):
        messages = []
        for column, state in zip(used, row):
            if state == "no-call":
                messages.append(f"genotype no-call: {column.removesuffix('_alt_count')}")
            elif (state in ("missing", "defaulted") and column == "apriori_trough_ng_ml"
                  and pk_reference and pk_reference[1]):
                name, covariates = pk_reference
                messages.append(f"a priori trough: the PK model {name} used its reference value for "
                                f"{', '.join(c.removesuffix('_alt_count') for c in covariates)} "
                                "(not available for this patient)")
            elif state in ("missing", "defaulted"):
                messages.append(f"{column}: {PROVENANCE_WORDS[state]}")
        out.append(messages)
    return out


def pk_domain_warnings(cohort, index: pd.Index, pk_model) -> list[list[str]]:
    """Per patient (in ``index`` order): covariates outside the PK model's validity domain."""
    patients = cohort.patients.copy()
    patients["patient_id"] = patients["patient_id"].astype(str)
    patients = patients.set_index("patient_id").reindex(index).reset_index()  # read, not changed, below
    messages = pk_model.domain_warnings_by_row(patients)
    reference = pk_reference_warnings(patients, pk_model)
    return [[f"PK model {pk_model.name}: {m}" for m in row] + ref for row, ref in zip(messages, reference)]


def pk_reference_warnings(patients: pd.DataFrame, pk_model) -> list[list[str]]:
    """Per row of ``patients``: a numeric PK covariate that was not recorded and took the model's
    reference value, e.g. ``PK model jiang2023: reference red-cell count 3.7 x10^12/L used (rbc_10e12_l
    not recorded)``. Genotype no-calls are warned as no-calls elsewhere."""
    imputed = pk_model.imputed_covariates(patients)
    numeric = [c for c, spec in pk_model.covariates.items() if spec.kind == "numeric" and c in imputed.columns]
    out = []
    for row in imputed[numeric].itertuples(index=False, name=None):
        out.append([f"PK model {pk_model.name}: reference {_reference_text(pk_model.covariates[c])} used ({c} not recorded)"
                    for c, missing in zip(numeric, row) if missing])
    return out


def _reference_text(spec) -> str:
    """'red-cell count 3.7 x10^12/L' from a covariate spec's description ('what, unit') and reference."""
    what, _, unit = str(spec.description or spec.column).partition(",")
    unit = unit.strip()
    unit = f"x{unit}" if unit.startswith("10^") else unit
    return f"{what.strip()} {spec.reference:g} {unit}".strip()


def pk_sample_warnings(frame) -> list[list[str]]:
    """Per patient of ``frame.X``: the MAP fit's flags on the landmark sample (below the LOQ, or
    improbable under the model: adherence, unit, timing); none at the start stage."""
    interval = getattr(frame, "map_interval", None)
    if interval is None or "sample_flags" not in interval.columns:
        return [[] for _ in range(len(frame.X))]
    flags = interval["sample_flags"].reindex(frame.X.index).fillna("")
    return [[f"TDM sample: {m}" for m in str(f).split("; ") if m] for f in flags]


def model_ranges(model) -> dict[str, tuple[float, float, str]]:
    """{column: (low, high, what)} from the model card's ``input_ranges`` (``what``: which range).

    A card of this rashrisk stores ``{"low", "high", "percentiles", "unit"}``: the 1st-99th
    percentile of the training patients widened to the clinical unit (no patient's exact value; see
    :mod:`rashrisk.models.input_summary`), ``what`` = "1st-99th percentile". An older card's
    ``{"min", "max"}`` (or a ``[low, high]`` pair) is read as the training range, ``what`` = "".
    Genotype counts are not range-checked (0-2)."""
    card_ranges = model.card.input_ranges
    out = {}
    for column, bounds in card_ranges.items():
        if column.endswith("_alt_count"):
            continue
        what = ""
        if isinstance(bounds, dict) and "low" in bounds:
            low, high = bounds.get("low"), bounds.get("high")
            first, last = bounds.get("percentiles") or (1, 99)
            what = f"{_ordinal(first)}-{_ordinal(last)} percentile"
        elif isinstance(bounds, dict):
            low, high = bounds.get("min"), bounds.get("max")
        else:
            low, high = bounds
        if low is None or high is None:
            continue
        out[column] = (float(low), float(high), what)
    return out


def _ordinal(number) -> str:
    number = int(number)
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def training_range_warnings(X: pd.DataFrame, model, columns) -> list[list[str]]:
    """Per patient: numeric inputs outside the model's training ranges (see :func:`model_ranges`),
    e.g. ``weight_kg = 160 outside the training range (1st-99th percentile, 45-118)``."""
    out = [[] for _ in range(len(X))]
    ranges = model_ranges(model)
    for column in [c for c in columns if c in X.columns and c in ranges]:
        low, high, what = ranges[column]
        values = pd.to_numeric(X[column], errors="coerce").to_numpy(dtype=float)
        outside = (values < low) | (values > high)
        for i in np.flatnonzero(outside):
            label = f"{what}, " if what else ""
            out[i].append(f"{column} = {values[i]:,.4g} outside the training range ({label}{low:,.4g}-{high:,.4g})")
    return out


def patient_warnings(provenance: pd.DataFrame, X: pd.DataFrame, model, used_columns, *,
                     pk_reference: tuple[str, list[str]] | None = None) -> list[list[str]]:
    """Per patient (``provenance`` aligned with ``X``): :func:`input_warnings` then
    :func:`training_range_warnings` of the model's inputs."""
    return [a + b for a, b in zip(input_warnings(provenance, used_columns, pk_reference=pk_reference),
                                  training_range_warnings(X, model, used_columns))]

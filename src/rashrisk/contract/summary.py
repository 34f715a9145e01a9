"""The validation report as data: one dict (JSON-ready) built from a loaded Cohort.

``rashrisk validate --json`` prints it; the rich tables render the same dict.
"""

from __future__ import annotations

import math

import pandas as pd

from rashrisk.contract.cohort import Cohort


def build_validation_data(cohort: Cohort) -> dict:
    report = cohort.report
    return {
        "cohort": cohort.name,
        "n_patients": cohort.n_patients,
        "ancestry": cohort.ancestry,
        "valid": not report.errors,
        "files": {name: fr.to_dict() for name, fr in report.files.items()},
        "errors": [f.to_dict() for f in report.errors],
        "warnings": [f.to_dict() for f in report.warnings],
        "genotype_qc": _records(report.genotype_qc),
    }


def _records(table: pd.DataFrame | None) -> list[dict]:
    if table is None:
        return []
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_dict(orient="records")]


def _plain(value):
    """JSON-safe scalar: numpy -> Python, NaN/NA -> None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)

"""The validation report as data: one dict (JSON-ready) built from a loaded Cohort.

``rashrisk validate --json`` prints it; the rich tables render the same dict.
"""

from __future__ import annotations

from rashrisk._json import json_safe
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
        "genotype_qc": [] if report.genotype_qc is None else json_safe(report.genotype_qc.to_dict(orient="records")),
    }

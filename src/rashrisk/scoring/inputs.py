"""Scoring input: a cohort folder (outcomes ignored) or a one-patient JSON document.

Every patient row read from the input is accounted for: it is either in the loaded cohort or in
``rejected`` with the loader's reason, so the score output can list it as ``not_scored``.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rashrisk.errors import CohortError


@dataclass
class ScoringInput:
    cohort: object  # rashrisk.contract.cohort.Cohort, outcomes removed
    patient_ids: list[str]  # every patient id read, in input order
    rejected: dict[str, str]  # patient id -> why the loader rejected the row
    source: str  # what the user passed


def _rejections(folder: Path, cohort) -> tuple[list[str], dict[str, str]]:
    from rashrisk.contract.readers import find_table, read_table
    from rashrisk.contract.schema import PATIENTS

    raw, _ = read_table(find_table(folder, PATIENTS.stem), PATIENTS)
    ids = raw.frame["patient_id"].astype(str).str.strip().tolist() if "patient_id" in raw.frame else []
    lines = [int(x) for x in raw.lines]
    accepted = set(cohort.patients["patient_id"].astype(str))
    messages: dict[int, list[str]] = {}
    for finding in cohort.report.findings:
        if finding.level == "error" and finding.file.startswith(PATIENTS.stem):
            for line in finding.lines:
                messages.setdefault(line, []).append(finding.message)
    rejected: dict[str, str] = {}
    seen: set[str] = set()
    ordered: list[str] = []
    for pid, line in zip(ids, lines):
        key = pid or f"(empty patient_id, line {line})"
        if key not in seen:
            ordered.append(key)
            seen.add(key)
        if key not in accepted and key not in rejected:
            reason = "; ".join(messages.get(line, [])) or f"row rejected by the cohort loader (patients file line {line})"
            rejected[key] = "input rejected: " + reason
    return ordered, rejected


def load_scoring_input(path) -> ScoringInput:
    """Load ``path`` (a cohort folder or a ``.json`` patient document) for scoring."""
    from rashrisk.contract.loader import load_cohort
    from rashrisk.scoring.patient_json import read_patient_document

    path = Path(path)
    if path.is_dir():
        folder = path
        cohort = load_cohort(folder)
        ids, rejected = _rejections(folder, cohort)
    elif path.is_file() and path.suffix.lower() == ".json":
        return scoring_input_from_document(read_patient_document(path), name=path.stem, source=str(path))
    elif path.exists():
        raise CohortError(f"{path}: expected a cohort folder or a one-patient .json document")
    else:
        raise CohortError(f"{path} does not exist; expected a cohort folder or a one-patient .json document")
    cohort = dataclasses.replace(cohort, outcomes=None)  # scoring never looks at outcomes
    return ScoringInput(cohort=cohort, patient_ids=ids, rejected=rejected, source=str(path))


def scoring_input_from_document(document: dict, *, name: str = "patient", source: str = "patient document") -> ScoringInput:
    """A one-patient document (parsed JSON, e.g. an API request body) loaded through the cohort loader."""
    from rashrisk.contract.loader import load_cohort
    from rashrisk.scoring.patient_json import check_patient_document, write_cohort_folder

    document = check_patient_document(document, source)
    with tempfile.TemporaryDirectory(prefix="rashrisk-patient-") as tmp:
        folder = write_cohort_folder(document, tmp)
        cohort = load_cohort(folder)
        ids, rejected = _rejections(folder, cohort)
    cohort = dataclasses.replace(cohort, name=name, path=Path(source), outcomes=None)
    return ScoringInput(cohort=cohort, patient_ids=ids, rejected=rejected, source=source)

"""Scoring input: a cohort folder (outcomes ignored) or a one-patient JSON document.

Every patient row read from the input is accounted for: it is either in the loaded cohort or in
``rejected`` with the loader's reason (from the cohort's row record, ``Cohort.input_rows``), so the
score output can list it as ``not_scored``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from rashrisk.contract.cohort import Cohort
from rashrisk.contract.loader import load_cohort
from rashrisk.errors import CohortError
from rashrisk.scoring.patient_json import check_patient_document, document_frames, read_patient_document, rows_frames


@dataclass
class ScoringInput:
    cohort: object  # rashrisk.contract.cohort.Cohort, outcomes removed
    patient_ids: list[str]  # every patient id read, in input order
    rejected: dict[str, str]  # patient id -> why the loader rejected the row
    source: str  # what the user passed


def _rejections(cohort) -> tuple[list[str], dict[str, str]]:
    """Patient ids in input order (an empty id is named by its row) and why each rejected one was."""
    rows = cohort.input_rows["patients"]
    accepted = set(cohort.patients["patient_id"].astype(str))
    rejected: dict[str, str] = {}
    ordered: dict[str, None] = {}
    for i, (pid, row_accepted) in enumerate(zip(rows.patient_id, rows.accepted)):
        key = pid or f"(empty patient_id, {rows.where(i)})"
        ordered.setdefault(key, None)
        if not row_accepted and key not in accepted and key not in rejected:
            reason = rows.reason(i) or f"row rejected by the cohort loader ({rows.where(i)})"
            rejected[key] = "input rejected: " + reason
    return list(ordered), rejected


def load_scoring_input(path) -> ScoringInput:
    """Load ``path`` (a cohort folder or a ``.json`` patient document) for scoring."""
    path = Path(path)
    if path.is_dir():
        cohort = load_cohort(path)
    elif path.is_file() and path.suffix.lower() == ".json":
        found = scoring_input_from_document(read_patient_document(path), name=path.stem, source=path.name)
        found.cohort = dataclasses.replace(found.cohort, path=path)
        found.source = str(path)
        return found
    elif path.exists():
        raise CohortError(f"{path}: expected a cohort folder or a one-patient .json document")
    else:
        raise CohortError(f"{path} does not exist; expected a cohort folder or a one-patient .json document")
    return _scoring_input(cohort, str(path))


def scoring_input_from_document(document: dict, *, name: str = "patient", source: str = "patient document") -> ScoringInput:
    """A one-patient document (parsed JSON, e.g. an API request body) checked by the cohort rules.

    The document becomes the contract's tables in memory (:func:`rashrisk.scoring.patient_json.document_frames`)
    and goes through ``Cohort.from_frames``: messages name e.g. ``patients (request body), column sex, row 0``.
    """
    frames = document_frames(check_patient_document(document, source))
    return _scoring_input(Cohort.from_frames(**frames, name=name, source=source), source)


def scoring_input_from_rows(rows, *, name: str = "rows", source: str = "patient rows") -> ScoringInput:
    """Flat patient rows (:func:`rashrisk.scoring.patient_json.rows_frames`, e.g. what an MLflow
    client sends) checked by the cohort rules."""
    return _scoring_input(Cohort.from_frames(**rows_frames(rows), name=name, source=source), source)


def scoring_input_from_cohort(cohort) -> ScoringInput:
    """An already loaded :class:`~rashrisk.contract.cohort.Cohort` (folder or DataFrames) for scoring."""
    return _scoring_input(cohort, str(cohort.path or cohort.name))


def _scoring_input(cohort, source: str) -> ScoringInput:
    ids, rejected = _rejections(cohort)
    cohort = dataclasses.replace(cohort, outcomes=None)  # scoring never looks at outcomes
    return ScoringInput(cohort=cohort, patient_ids=ids, rejected=rejected, source=source)

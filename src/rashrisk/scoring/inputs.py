"""Scoring input: a cohort folder (outcomes ignored) or a one-patient JSON document.

Every patient row read from the input is accounted for: it is either in the loaded cohort or in
``rejected`` with the loader's reason (from the cohort's row record, ``Cohort.input_rows``), so the
score output can list it as ``not_scored``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

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
    warnings: dict[str, list[str]] = field(default_factory=dict)  # patient id -> its patients row's warnings


def _rejections(cohort) -> tuple[list[str], dict[str, str], dict[str, list[str]]]:
    """Patient ids in input order (an empty id is named by its row), why each rejected one was (the
    messages of its own rows only: a duplicated id lists each of its rows), and the loader's warnings
    on each accepted patient's row."""
    rows = cohort.input_rows["patients"]
    accepted = set(cohort.patients["patient_id"].astype(str))
    reasons: dict[str, list[str]] = {}
    warnings: dict[str, list[str]] = {}
    ordered: dict[str, None] = {}
    for i, (pid, row_accepted) in enumerate(zip(rows.patient_id, rows.accepted)):
        key = pid or f"(empty patient_id, {rows.where(i)})"
        ordered.setdefault(key, None)
        if not row_accepted and key not in accepted:
            reason = rows.reason(i) or f"row rejected by the cohort loader ({rows.where(i)})"
            reasons.setdefault(key, [])
            if reason not in reasons[key]:
                reasons[key].append(reason)
        elif row_accepted and rows.warnings.get(i):
            warnings[key] = list(rows.warnings[i])
    rejected = {key: "input rejected: " + "; ".join(found) for key, found in reasons.items()}
    return list(ordered), rejected, warnings


def tdm_row_warnings(cohort, samples) -> dict[str, list[str]]:
    """patient id -> the loader's warnings on the TDM row of that patient's sample in ``samples``
    (the landmark samples, indexed by patient_id), each naming its file line. ``cohort.tdm`` holds the
    accepted rows in input order, so its row k is the k-th accepted input row."""
    rows = cohort.input_rows.get("tdm")
    if rows is None or not rows.warnings or samples is None or not len(samples):
        return {}
    accepted = np.flatnonzero(rows.accepted)
    tdm = cohort.tdm
    # (patient, sample time) -> the warnings of the accepted rows with that key, in row order: one pass
    # over the warned rows, not one scan of the table per sample
    warned_rows = np.array(sorted(i for i, found in rows.warnings.items() if found), dtype=np.int64)
    position = np.searchsorted(accepted, warned_rows)
    inside = position < len(accepted)
    warned = position[inside][accepted[position[inside]] == warned_rows[inside]]  # accepted warned rows only
    by_key: dict[tuple, list[str]] = {}
    ids, times = tdm["patient_id"].astype(str).to_numpy(), tdm["sample_time"].to_numpy()
    for k in warned:
        by_key.setdefault((ids[k], times[k]), []).extend(rows.warnings[int(accepted[k])])
    out: dict[str, list[str]] = {}
    for pid, time in zip(samples.index.astype(str), samples["sample_time"].to_numpy()):
        found = by_key.get((pid, time))
        if found:
            out[pid] = list(found)
    return out


def tdm_row_problems(cohort, patient_id: str) -> list[str]:
    """Why this patient's TDM rows were rejected: one message per rejected row (its own line, column,
    value and rule)."""
    rows = cohort.input_rows.get("tdm")
    if rows is None:
        return []
    return [rows.reason(int(i)) or f"{rows.where(int(i))} rejected" for i in rows.of_patient(patient_id)
            if not rows.accepted[i]]


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
    ids, rejected, warnings = _rejections(cohort)
    cohort = dataclasses.replace(cohort, outcomes=None)  # scoring never looks at outcomes
    return ScoringInput(cohort=cohort, patient_ids=ids, rejected=rejected, source=source, warnings=warnings)

"""One-patient JSON documents (see docs/reports.md) turned into a cohort folder the loader reads.

Shape: the patients.csv fields of one patient at the top level, ``genotypes`` as
``{rsid: "C/T"}`` (empty, "./." or "NC" = no-call) and optional ``tdm``: a list of samples with the
tdm.csv fields. Writing the document as contract files lets the one validated loader check it, so
a JSON patient meets exactly the same rules (and messages) as a cohort folder.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from rashrisk.errors import CohortError

PATIENT_FIELDS = ("patient_id", "sex", "age_years", "weight_kg", "height_cm", "albumin_g_l", "ancestry",
                  "setting", "start_dose_mg", "start_date")
TDM_FIELDS = ("sample_time", "last_dose_time", "dose_mg", "concentration", "unit", "below_loq")
DOCUMENT_KEYS = set(PATIENT_FIELDS) | {"genotypes", "tdm"}


def _cell(value) -> str:
    return "" if value is None else str(value)


def read_patient_document(path) -> dict:
    """The parsed document, checked for shape (field values are checked by the cohort loader)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CohortError(f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return check_patient_document(document, path.name)


def check_patient_document(document, source: str = "patient document") -> dict:
    """``document`` (already parsed, e.g. an API request body) checked for shape."""
    if not isinstance(document, dict):
        raise CohortError(f"{source}: expected one JSON object (one patient), got {type(document).__name__}")
    unknown = sorted(set(document) - DOCUMENT_KEYS)
    if unknown:
        raise CohortError(f"{source}: unknown fields {unknown}; expected some of {sorted(DOCUMENT_KEYS)}")
    if not str(document.get("patient_id", "")).strip():
        raise CohortError(f"{source}: field 'patient_id' is missing or empty; expected the patient's pseudonym")
    genotypes = document.get("genotypes", {})
    if not isinstance(genotypes, dict):
        raise CohortError(f"{source}: field 'genotypes' must be an object of rsid -> genotype such as "
                          f'{{"rs4129267": "C/T"}}, got {type(genotypes).__name__}')
    tdm = document.get("tdm", [])
    if not isinstance(tdm, list) or not all(isinstance(s, dict) for s in tdm):
        raise CohortError(f"{source}: field 'tdm' must be a list of sample objects with {', '.join(TDM_FIELDS)}")
    for i, sample in enumerate(tdm, start=1):
        extra = sorted(set(sample) - set(TDM_FIELDS))
        if extra:
            raise CohortError(f"{source}: tdm sample {i} has unknown fields {extra}; expected {', '.join(TDM_FIELDS)}")
    return document


def write_cohort_folder(document: dict, folder) -> Path:
    """Write ``document`` as patients.csv, genotypes.csv and (when samples are given) tdm.csv."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pid = _cell(document["patient_id"])
    with open(folder / "patients.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PATIENT_FIELDS)
        writer.writerow([_cell(document.get(f)) for f in PATIENT_FIELDS])
    with open(folder / "genotypes.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("patient_id", "rsid", "genotype"))
        for rsid, genotype in (document.get("genotypes") or {}).items():
            writer.writerow((pid, rsid, _cell(genotype)))
    samples = document.get("tdm") or []
    if samples:
        with open(folder / "tdm.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(("patient_id",) + TDM_FIELDS)
            for sample in samples:
                writer.writerow([pid] + [_cell(sample.get(f)) for f in TDM_FIELDS])
    return folder

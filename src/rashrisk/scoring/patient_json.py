"""One-patient JSON documents (see docs/reports.md) turned into the contract's tables in memory.

Shape: the patients.csv fields of one patient at the top level, ``genotypes`` as
``{rsid: "C/T"}`` (empty, "./." or "NC" = no-call) and optional ``tdm``: a list of samples with the
tdm.csv fields. The tables go through ``Cohort.from_frames``, the folder loader's own checks, so a
JSON patient meets exactly the same rules (and messages) as a cohort folder. Values are kept as
given (``61``, ``"61"``, ``null``) and written as text the way a CSV would hold them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from rashrisk.errors import CohortError

PATIENT_FIELDS = ("patient_id", "sex", "age_years", "weight_kg", "height_cm", "albumin_g_l", "rbc_10e12_l",
                  "ancestry",
                  "setting", "start_dose_mg", "start_date")
TDM_FIELDS = ("sample_time", "last_dose_time", "dose_mg", "concentration", "unit", "below_loq")
DOCUMENT_KEYS = set(PATIENT_FIELDS) | {"genotypes", "tdm"}


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


def document_frames(document: dict) -> dict[str, pd.DataFrame | None]:
    """``document`` (checked for shape) as the keyword arguments of ``Cohort.from_frames``: one patients
    row, the genotypes in the genotypes.csv layout (no rows when none are given) and the samples in
    the tdm.csv layout (None without samples). Every cell keeps its JSON value (object dtype)."""
    pid = document["patient_id"]
    patients = pd.DataFrame([[document.get(f) for f in PATIENT_FIELDS]], columns=list(PATIENT_FIELDS), dtype=object)
    genotypes = pd.DataFrame([[pid, rsid, genotype] for rsid, genotype in (document.get("genotypes") or {}).items()],
                             columns=["patient_id", "rsid", "genotype"], dtype=object)
    samples = document.get("tdm") or []
    tdm = None
    if samples:
        tdm = pd.DataFrame([[pid] + [sample.get(f) for f in TDM_FIELDS] for sample in samples],
                           columns=["patient_id", *TDM_FIELDS], dtype=object)
    return {"patients": patients, "genotypes": genotypes, "tdm": tdm}


def rows_frames(rows: pd.DataFrame) -> dict[str, pd.DataFrame | None]:
    """Flat rows, one per patient, as the keyword arguments of ``Cohort.from_frames``: the patients.csv
    fields, one column per genotyped variant named by its rsID (``rs4129267`` = ``"C/T"``, empty =
    no-call) and, for the TDM stage, the tdm.csv fields of one sample per row (``sample_time``,
    ``last_dose_time``, ``dose_mg``, ``concentration``, ``unit``, ``below_loq``). Any other column goes
    with the patient's fields, where the loader keeps and lists extra columns as it does for a file."""
    if not isinstance(rows, pd.DataFrame):
        raise CohortError(f"expected a DataFrame of patient rows, got {type(rows).__name__}")
    rows = rows.reset_index(drop=True)
    if "patient_id" not in rows.columns:
        rows = rows.assign(patient_id=[f"row{i}" for i in range(len(rows))])
    columns = [str(c) for c in rows.columns]
    variants = [c for c in columns if c.lower().startswith("rs") and c[2:].isdigit()]
    patients = rows[[c for c in columns if c not in TDM_FIELDS and c not in variants]].astype(object)
    genotypes = rows.melt(id_vars="patient_id", value_vars=variants, var_name="rsid", value_name="genotype")
    sample_fields = [f for f in TDM_FIELDS if f in columns]
    tdm = rows[["patient_id", *sample_fields]].astype(object) if sample_fields else None
    return {"patients": patients, "genotypes": genotypes.astype(object), "tdm": tdm}


"""One-patient JSON documents (see docs/reports.md) turned into the contract's tables in memory.

Shape: the patients.csv fields of one patient at the top level, ``genotypes`` as
``{rsid: "C/T"}`` (empty, "./." or "NC" = no-call) and optional ``tdm``: a list of samples with the
tdm.csv fields, and optional ``skin``: the patient's current skin state
(:func:`check_skin_record`; it feeds the report's rash-management options, not the risk model). The tables go through ``Cohort.from_frames``, the folder loader's own checks, so a
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
DOCUMENT_KEYS = set(PATIENT_FIELDS) | {"genotypes", "tdm", "skin"}
SKIN_RED_FLAGS = ("mucosal_involvement", "blistering_or_detachment", "fever", "facial_oedema", "lymphadenopathy",
                  "eosinophilia_or_organ_involvement")
SKIN_KEYS = ("rash_grade", "recurrent", *SKIN_RED_FLAGS)


def check_skin_record(record, source: str = "skin record") -> dict:
    """A ``skin`` record checked: ``rash_grade`` (required key) 0-4 or null, ``recurrent`` and the six red
    flags true / false / null; an omitted flag is "not recorded" (null). Returns the record with every key."""
    if not isinstance(record, dict):
        raise CohortError(f"{source}: expected a JSON object with rash_grade and the red flags "
                          f"({', '.join(SKIN_RED_FLAGS)}), got {type(record).__name__}")
    unknown = sorted(set(record) - set(SKIN_KEYS))
    if unknown:
        raise CohortError(f"{source}: unknown fields {unknown}; expected some of {', '.join(SKIN_KEYS)}")
    if "rash_grade" not in record:
        raise CohortError(f"{source}: field 'rash_grade' is missing; expected the CTCAE grade 0-4 of the current "
                          "rash (0 = no rash), or null when not recorded")
    grade = record["rash_grade"]
    if grade is not None and (isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= 4):
        raise CohortError(f"{source}: field 'rash_grade' is {grade!r}; expected an integer CTCAE grade 0-4 "
                          "(0 = no rash) or null")
    for key in ("recurrent", *SKIN_RED_FLAGS):
        value = record.get(key)
        if value is not None and not isinstance(value, bool):
            raise CohortError(f"{source}: field '{key}' is {value!r}; expected true, false or null (not recorded)")
    return {key: record.get(key) for key in SKIN_KEYS}


def _read_json(path: Path, option: str, expected: str):
    """The parsed JSON of ``path``; a user error naming the file (and where the JSON breaks) otherwise."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CohortError(f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except OSError as exc:
        raise CohortError(f"{option} {path}: cannot read ({exc.strerror or exc}); expected {expected}") from None


def read_skin_record(path) -> dict:
    """``--skin FILE.json``: one skin record, checked."""
    path = Path(path)
    return check_skin_record(_read_json(path, "--skin", "a JSON skin record"), f"{path.name} (skin)")


def read_patient_document(path) -> dict:
    """The parsed document, checked for shape (field values are checked by the cohort loader)."""
    path = Path(path)
    return check_patient_document(_read_json(path, "patient document", "a one-patient JSON document"), path.name)


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
    if document.get("skin") is not None:
        document = {**document, "skin": check_skin_record(document["skin"], f"{source}: field 'skin'")}
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



def document_skin(cohort_input):
    """The ``skin`` record of a one-patient document given as a parsed dict or a ``.json`` path (checked),
    None for anything else (a cohort folder, DataFrames) or a document without one."""
    if isinstance(cohort_input, dict):
        skin = cohort_input.get("skin")
        return None if skin is None else check_skin_record(skin, "patient document: field 'skin'")
    if isinstance(cohort_input, (str, Path)):
        path = Path(cohort_input)
        if path.is_file() and path.suffix.lower() == ".json":
            return read_patient_document(path).get("skin")
    return None


def combined_skin(document_record, given, given_name: str = "--skin"):
    """The one skin record of a report: from the patient document or ``given`` (a dict or a .json
    file, checked), not both."""
    if given is None:
        return document_record
    if document_record is not None:
        raise CohortError(f"{given_name}: the patient document already has a 'skin' field; give the skin record once")
    if isinstance(given, dict):
        return check_skin_record(given, given_name)
    if isinstance(given, (str, Path)):
        return read_skin_record(given)
    raise CohortError(f"{given_name}: expected a skin record (dict) or a .json file, got {type(given).__name__}")

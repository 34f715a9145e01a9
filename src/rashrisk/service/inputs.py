"""Request bodies to scoring input, with the cohort contract's own checks and messages.

One patient goes through ``scoring_input_from_document`` (messages name ``patients (request body)``).
A batch becomes one in-memory cohort (the documents' tables concatenated, then ``Cohort.from_frames``),
so that it is scored as a cohort folder with those patients would be. Any error the contract finds
(a value out of range, a bad spelling, a genotype or TDM row it rejects) makes the request a 422 that
lists every problem with its place in the body (``["body", "patients", 3, "tdm", 0, "concentration"]``),
the value and what was expected: nothing is scored from a request with broken input.
"""

from __future__ import annotations

import pandas as pd

from rashrisk.contract.cohort import Cohort
from rashrisk.errors import CohortError
from rashrisk.scoring.inputs import scoring_input_from_cohort, scoring_input_from_document
from rashrisk.scoring.patient_json import check_patient_document, document_frames

SOURCE = "request body"
# consequences of another error (a rejected patients row), not problems of their own
DERIVED_RULES = ("genotypes.patient_id.accepted", "tdm.patient_id.accepted", "file.no_patients")


class RequestProblems(Exception):
    """The request's input breaks the contract: 422 with :attr:`problems` (loc, msg, type, input)."""

    def __init__(self, problems: list[dict]):
        super().__init__(f"{len(problems)} problem(s) in the request body")
        self.problems = problems


def problem(loc: list, msg: str, kind: str, value=None) -> dict:
    return {"loc": list(loc), "msg": msg, "type": kind, "input": value}


def _table(file: str) -> str:
    return file.split(" (", 1)[0]


def document_problems(document: dict, cohort, prefix: list) -> list[dict]:
    """The contract's errors on the one-patient cohort of ``document``, each placed in the body."""
    findings = [f for f in cohort.report.findings if f.level == "error"]
    own = [f for f in findings if f.rule not in DERIVED_RULES] or findings
    rsids = list((document.get("genotypes") or {}).keys())
    samples = document.get("tdm") or []
    out = []
    for finding in own:
        table = _table(finding.file)
        rows = finding.lines or [None]
        for row in rows:
            loc, value = list(prefix), None
            if table == "patients" and finding.column:
                loc.append(finding.column)
                value = document.get(finding.column)
            elif table == "genotypes" and row is not None and row < len(rsids):
                loc += ["genotypes", rsids[row]]
                value = document["genotypes"][rsids[row]] if finding.column == "genotype" else rsids[row]
            elif table == "tdm" and row is not None and row < len(samples):
                loc += ["tdm", row] + ([finding.column] if finding.column and finding.column != "patient_id" else [])
                value = samples[row].get(finding.column) if finding.column else None
            out.append(problem(loc, finding.message, f"contract.{finding.rule or 'error'}", value))
    return out


def _has_errors(scoring_input) -> bool:
    return any(f.level == "error" for f in scoring_input.cohort.report.findings)


def _checked(document: dict, source: str, prefix: list) -> dict:
    try:
        return check_patient_document(document, source)
    except CohortError as exc:
        loc = list(prefix)
        skin = document.get("skin")
        if isinstance(skin, dict) and "field 'skin'" in str(exc):  # name the skin field the message names
            loc.append("skin")
            loc += [key for key in skin if f"field '{key}'" in str(exc)][:1]
        raise RequestProblems([problem(loc, str(exc), "contract.document")]) from None


def single_input(document: dict, prefix=("body", "patient"), source: str = SOURCE):
    """The ScoringInput of one patient document; :class:`RequestProblems` when the contract rejects any of it."""
    prefix = list(prefix)
    found = scoring_input_from_document(_checked(document, source, prefix), name="request", source=source)
    if _has_errors(found):
        raise RequestProblems(document_problems(document, found.cohort, prefix))
    return found


def batch_input(documents: list[dict]):
    """The ScoringInput of a batch (one in-memory cohort, rows in request order)."""
    seen: dict[str, int] = {}
    problems = []
    for i, document in enumerate(documents):
        pid = str(document.get("patient_id", "")).strip()
        if pid in seen:
            problems.append(problem(["body", "patients", i, "patient_id"],
                                    f"patients[{i}].patient_id {pid!r} is also patients[{seen[pid]}]'s; expected "
                                    "each patient once per request", "contract.duplicate_patient_id", pid))
        seen.setdefault(pid, i)
    if problems:
        raise RequestProblems(problems)
    checked = [_checked(d, f"{SOURCE}, patients[{i}]", ["body", "patients", i]) for i, d in enumerate(documents)]
    frames = [document_frames(d) for d in checked]
    tables = {}
    for name in ("patients", "genotypes", "tdm"):
        parts = [f[name] for f in frames if f[name] is not None]
        tables[name] = pd.concat(parts, ignore_index=True) if parts else None
    found = scoring_input_from_cohort(Cohort.from_frames(**tables, name="request", source=SOURCE))
    if _has_errors(found):
        # place each problem: the patients one by one, with their own messages
        for i, document in enumerate(checked):
            try:
                single_input(document, prefix=("body", "patients", i), source=f"{SOURCE}, patients[{i}]")
            except RequestProblems as exc:
                problems += exc.problems
        raise RequestProblems(problems or [problem(["body", "patients"], f.message, f"contract.{f.rule}")
                                           for f in found.cohort.report.findings if f.level == "error"])
    return found

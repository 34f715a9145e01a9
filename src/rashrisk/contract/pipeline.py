"""The tables of one cohort, in contract order, through the same checks: the one load pipeline.

Patients first (every other table refers to them), then genotypes, tdm and outcomes. A source is
a cohort folder's files (:func:`rashrisk.contract.loader.load_cohort`) or DataFrames
(:func:`rashrisk.contract.frames.cohort_from_frames`); both come here as readers of raw text tables,
so a value meets the same rules, derivations and messages wherever it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rashrisk.contract import derive
from rashrisk.contract.checking import CheckedTable, InputRows, ReadTable, check_table
from rashrisk.contract.cohort import Cohort, LoadReport
from rashrisk.findings import Finding
from rashrisk.contract.genotypes import GenotypeSource, load_genotypes
from rashrisk.contract.rules import Context
from rashrisk.contract.schema import FILES, OUTCOMES, PATIENTS, TDM, FileSchema


@dataclass
class CohortSources:
    """Where each table of one cohort comes from (None = absent). Readers are called in contract
    order, so the first table that cannot be read at all stops the load."""

    name: str
    path: Path | None
    patients: ReadTable
    genotypes: GenotypeSource = field(default_factory=GenotypeSource)
    tdm: ReadTable | None = None
    outcomes: ReadTable | None = None


def check_cohort(sources: CohortSources) -> Cohort:
    """Read and check every table of ``sources``; the tables hold only accepted rows, in canonical units."""
    report = LoadReport()
    context = Context()
    input_rows: dict[str, InputRows] = {}

    checked = check_table(PATIENTS, sources.patients, context, report, derive.patients)
    patients = _accepted(PATIENTS, checked, input_rows)
    context.patient_ids_read = pd.Index(checked.table.frame["patient_id"].unique()) if checked.usable \
        else pd.Index([], dtype=object)
    if patients.empty:
        name = checked.table.file_name
        report.findings.append(Finding("error", name, "patient_id", [], f"{name}: no patient accepted out of "
                                       f"{report.files[name].rows_read} row(s) ... expected at least one valid "
                                       "patient row", "file.no_patients", 0))
    context.patient_ids_accepted = pd.Index(patients["patient_id"])

    ancestry = majority_ancestry(patients["ancestry"])
    genotypes, genotype_rows = load_genotypes(sources.genotypes, context, report, ancestry=ancestry)
    if genotype_rows is not None:
        input_rows["genotypes"] = genotype_rows

    tdm = derive.empty_table(TDM)
    if sources.tdm is not None:
        starts = patients.set_index("patient_id")["start_date"]
        checked = check_table(TDM, sources.tdm, context, report, lambda v: derive.tdm(v, starts))
        tdm = _accepted(TDM, checked, input_rows)
    outcomes = None
    if sources.outcomes is not None:
        checked = check_table(OUTCOMES, sources.outcomes, context, report, derive.outcomes)
        outcomes = _accepted(OUTCOMES, checked, input_rows)

    return Cohort(name=sources.name, path=sources.path, patients=patients, genotypes=genotypes, tdm=tdm,
                  outcomes=outcomes, report=report, ancestry=ancestry, input_rows=input_rows)


def _accepted(schema: FileSchema, checked: CheckedTable, input_rows: dict[str, InputRows]) -> pd.DataFrame:
    """The accepted rows in canonical form (an empty table when the table is unusable)."""
    input_rows[schema.key] = checked.rows
    if not checked.usable:
        return derive.empty_table(schema)
    return derive.canonical(schema, checked.result.values, checked.table, ~checked.result.rejected)


def majority_ancestry(ancestry: pd.Series) -> str | None:
    """Most common ancestry (ties: contract order); None when no patient has one."""
    counts = ancestry.dropna().value_counts()
    if counts.empty:
        return None
    order = FILES["patients"].column("ancestry").allowed
    best = counts.max()
    return next(a for a in order if counts.get(a, 0) == best)

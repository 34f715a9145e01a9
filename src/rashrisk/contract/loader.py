"""``load_cohort``: read a cohort folder (contract v1) into a validated :class:`Cohort`.

Order: patients first (every other file refers to them), then genotypes, tdm and outcomes. Each
table goes through the same rule engine; rows with an error are rejected and counted, rows with
a warning are kept. A folder or file that cannot be read at all raises :class:`CohortError`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rashrisk.contract import derive
from rashrisk.contract.cohort import Cohort, Finding, LoadReport
from rashrisk.contract.genotypes import load_genotypes
from rashrisk.contract.readers import find_table, read_and_check_rows
from rashrisk.contract.rules import Context
from rashrisk.contract.schema import FILES, OUTCOMES, PATIENTS, TDM, FileSchema
from rashrisk.errors import CohortError
from rashrisk.genotype.catalogue import BUILDS


def load_cohort(path, *, build: str | None = None) -> Cohort:
    """Read and validate the cohort folder ``path``.

    ``build`` forces the genome build of a VCF ('GRCh37' or 'GRCh38'); by default it is read from
    the VCF header (GRCh38 when the header does not say). Problems with rows are in
    ``cohort.report``; the tables hold only accepted rows, in canonical units.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise CohortError(f"cohort folder {str(folder)!r} does not exist or is not a folder")
    if build is not None and build not in BUILDS:
        raise CohortError(f"--build {build!r}: expected one of {', '.join(BUILDS)}")
    report = LoadReport()
    context = Context()

    patients_path = find_table(folder, PATIENTS.stem)
    if patients_path is None:
        raise CohortError(f"{folder}: no patients.csv or patients.parquet (the patients file is required)")
    patients, read_ids = _load_table(PATIENTS, patients_path, context, report, derive.patients)
    context.patient_ids_read = read_ids
    if patients.empty:
        name = patients_path.name
        report.findings.append(Finding("error", name, "patient_id", [], f"{name}: no patient accepted out of "
                                       f"{report.files[name].rows_read} row(s) ... expected at least one valid "
                                       "patient row", "file.no_patients", 0))
    context.patient_ids_accepted = pd.Index(patients["patient_id"])

    ancestry = majority_ancestry(patients["ancestry"])
    genotypes = load_genotypes(folder, context, report, build=build, ancestry=ancestry)

    tdm_path = find_table(folder, TDM.stem)
    if tdm_path is not None:
        starts = patients.set_index("patient_id")["start_date"]
        tdm, _ = _load_table(TDM, tdm_path, context, report, lambda v: derive.tdm(v, starts))
    else:
        tdm = derive.empty_table(TDM)
    outcomes_path = find_table(folder, OUTCOMES.stem)
    outcomes = None
    if outcomes_path is not None:
        outcomes, _ = _load_table(OUTCOMES, outcomes_path, context, report, derive.outcomes)

    return Cohort(
        name=folder.resolve().name,
        path=folder,
        patients=patients,
        genotypes=genotypes,
        tdm=tdm,
        outcomes=outcomes,
        report=report,
        ancestry=ancestry,
    )


def _load_table(schema: FileSchema, path: Path, context: Context, report: LoadReport, derive_fn):
    """Returns (accepted canonical rows, patient ids read)."""
    checked = read_and_check_rows(schema, path, context, report, derive_fn)
    if checked is None:
        return derive.empty_table(schema), pd.Index([], dtype=object)
    table, result = checked
    accepted = derive.canonical(schema, result.values, table, ~result.rejected)
    read_ids = pd.Index(table.frame["patient_id"].unique())
    return accepted, read_ids


def majority_ancestry(ancestry: pd.Series) -> str | None:
    """Most common ancestry (ties: contract order); None when no patient has one."""
    counts = ancestry.dropna().value_counts()
    if counts.empty:
        return None
    order = FILES["patients"].column("ancestry").allowed
    best = counts.max()
    return next(a for a in order if counts.get(a, 0) == best)


__all__ = ["load_cohort", "majority_ancestry"]

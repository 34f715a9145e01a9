"""Cohorts from DataFrames: the contract's tables in memory, checked like a folder's files.

Each DataFrame has the layout of its file (``patients.csv``, ``genotypes.csv``, ``tdm.csv``,
``outcomes.csv``): the same column names, one row per file row. Cells may be text as a CSV would be
read (``pd.read_csv(..., dtype=str, keep_default_na=False)``) or typed values (numbers, booleans,
datetimes, None/NaN for missing); typed values are written as text first (:mod:`rashrisk.contract.text`)
and then meet exactly the rules, derivations and messages of the folder loader
(:mod:`rashrisk.contract.pipeline`).

Messages name the table as ``patients (DataFrame)`` (``source`` replaces 'DataFrame') and a row by
its 0-based position, ``row 2`` being ``frame.iloc[2]`` whatever the index. Genotypes come as the long
table ``patient_id, rsid, genotype``; a VCF is read from a folder only.
"""

from __future__ import annotations

from functools import partial

import pandas as pd

from rashrisk.contract.checking import raw_table
from rashrisk.contract.cohort import Cohort
from rashrisk.contract.genotypes import GenotypeSource
from rashrisk.contract.pipeline import CohortSources, check_cohort
from rashrisk.contract.rules import RawTable
from rashrisk.contract.schema import GENOTYPES_CSV, OUTCOMES, PATIENTS, TDM, FileSchema
from rashrisk.contract.text import frame_as_text
from rashrisk.errors import CohortError


def cohort_from_frames(patients: pd.DataFrame, genotypes: pd.DataFrame | None = None,
                       tdm: pd.DataFrame | None = None, outcomes: pd.DataFrame | None = None, *,
                       name: str = "cohort", source: str = "DataFrame") -> Cohort:
    """The validated :class:`Cohort` of these tables (``patients`` required; None = table absent).

    Without ``genotypes`` every genotype is a no-call and the report has the same error as a folder
    without a genotype file. A table that cannot be used at all (not a DataFrame, a column named
    twice, none of the contract's columns) raises :class:`CohortError` naming it.
    """
    if patients is None:
        raise CohortError(f"patients ({source}): the patients table is required (one row per patient)")
    missing = (f"{name}: no genotypes table ... expected a genotypes DataFrame with columns "
               f"{', '.join(GENOTYPES_CSV.names)} (every genotype is a no-call without one)")
    return check_cohort(CohortSources(
        name=name,
        path=None,
        patients=_reader(PATIENTS, patients, source),
        genotypes=(GenotypeSource(table=_reader(GENOTYPES_CSV, genotypes, source)) if genotypes is not None
                   else GenotypeSource(absent_file=_label(GENOTYPES_CSV, source), absent_message=missing)),
        tdm=_reader(TDM, tdm, source),
        outcomes=_reader(OUTCOMES, outcomes, source),
    ))


def _label(schema: FileSchema, source: str) -> str:
    return f"{schema.key} ({source})"


def _reader(schema: FileSchema, frame, source: str):
    return None if frame is None else partial(frame_table, frame, schema, label=_label(schema, source))


def frame_table(frame: pd.DataFrame, schema: FileSchema, *, label: str) -> tuple[RawTable, int]:
    """``frame`` as a raw text table (rows numbered from 0) and the number of blank rows skipped.

    A frame indexed by ``patient_id`` (and without such a column) has its index read as the column.
    """
    if not isinstance(frame, pd.DataFrame):
        raise CohortError(f"{label}: expected a pandas DataFrame in the layout of {schema.stem}.csv, "
                          f"got {type(frame).__name__}")
    if "patient_id" not in frame.columns and frame.index.name == "patient_id":
        frame = frame.reset_index()
    names = [str(c) for c in frame.columns]
    repeated = next((n for n in names if names.count(n) > 1), None)
    if repeated is not None:
        raise CohortError(f"{label}, column {repeated}: the DataFrame has {names.count(repeated)} columns named "
                          f"{repeated!r} ... expected each column once")
    if names and not set(schema.names).intersection(names):
        shown = ", ".join(repr(c) for c in names[:5])
        raise CohortError(f"{label}: none of the contract's column names "
                          f"(expected {', '.join(schema.present_columns)}; found {shown})")
    return raw_table(frame_as_text(frame), schema, label=label, first_row=0, row_word="row")

"""New TDM samples for an update of the plan (``--tdm new_samples.csv``, or rows of an API body),
checked by the cohort contract's rules for tdm.csv against the patient's own row.

Every row is accounted for: a row that the contract rejects, or that belongs to another patient,
stops the update with the loader's message (file, column, line, value, expectation); nothing is
dropped silently. A sample already in the history (same sample_time) is an error too.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from rashrisk.contract.checking import raw_table
from rashrisk.contract.genotypes import GenotypeSource
from rashrisk.contract.pipeline import CohortSources, check_cohort
from rashrisk.contract.readers import read_table
from rashrisk.contract.schema import PATIENTS, TDM
from rashrisk.contract.text import frame_as_text
from rashrisk.errors import CohortError

_PATIENT_COLUMNS = [c for c in PATIENTS.names]


def _patient_reader(cohort, patient_id: str):
    patients = cohort.patients[cohort.patients["patient_id"].astype(str) == patient_id]
    frame = patients[[c for c in _PATIENT_COLUMNS if c in patients.columns]]
    return partial(raw_table, frame_as_text(frame), PATIENTS, label=f"patients ({cohort.name})", first_row=0, row_word="row")


def _checked(cohort, patient_id: str, tdm_reader, label: str) -> pd.DataFrame:
    checked = check_cohort(CohortSources(name=label, path=None, patients=_patient_reader(cohort, patient_id),
                                         genotypes=GenotypeSource(absent_file="genotypes", absent_message=""),
                                         tdm=tdm_reader))
    errors = [f for f in checked.report.errors if f.file != "genotypes" and "genotype" not in f.file]
    if errors:
        raise CohortError(f"{label}: {len(errors)} problem(s) with the new samples; none was used: "
                          + " | ".join(f.message for f in errors))
    tdm = checked.tdm
    old = cohort.tdm[cohort.tdm["patient_id"].astype(str) == patient_id] if cohort.tdm is not None else None
    if old is not None and len(old):
        repeated = tdm[tdm["sample_time"].isin(set(old["sample_time"]))]
        if len(repeated):
            raise CohortError(f"{label}: the sample of {repeated['sample_time'].iloc[0]} is already in the patient's TDM "
                              "history; expected only new samples")
    return tdm


def read_new_samples(path, cohort, patient_id: str) -> pd.DataFrame:
    """The new samples of ``path`` (CSV or Parquet with tdm.csv's columns), canonical (ng/mL, hours_after_dose, day_on_treatment)."""
    path = Path(path)
    if not path.is_file():
        raise CohortError(f"--tdm {path}: file not found; expected a CSV with the columns of tdm.csv")
    return _checked(cohort, str(patient_id), partial(read_table, path, TDM), path.name)


def check_new_samples(frame: pd.DataFrame, cohort, patient_id: str, *, source: str = "new samples") -> pd.DataFrame:
    """The same checks on a DataFrame in tdm.csv's layout (e.g. from an API request body); rows named by 0-based position."""
    if not isinstance(frame, pd.DataFrame):
        raise CohortError(f"{source}: expected rows with the columns of tdm.csv, got {type(frame).__name__}")
    reader = partial(raw_table, frame_as_text(frame), TDM, label=f"tdm ({source})", first_row=0, row_word="row")
    return _checked(cohort, str(patient_id), reader, source)

"""The in-memory cohort: validated tables in canonical units plus the load report.

Column conventions (all tables keyed by ``patient_id`` as str):

patients  one row per accepted patient. Contract columns in canonical form (``sex`` 'F'/'M',
          ``start_date`` datetime64, numbers float, optional columns NaN/None when missing),
          plus derived ``bsa_m2`` (Mosteller, NaN without height). Extra columns are kept.
genotypes long table, one row per accepted patient x catalogue variant (no-calls included):
          ``patient_id, rsid, gene, ref, alt, ref_count, alt_count, called`` where the counts are
          pandas nullable Int8 (<NA> for a no-call) and ``called`` is bool. A no-call is never
          the reference genotype.
tdm       one row per accepted sample: contract columns plus ``concentration_ng_ml`` (canonical),
          ``hours_after_dose`` (sample_time - last_dose_time, h) and ``day_on_treatment``
          (sample_time - start_date, days, float).
outcomes  one row per accepted patient with outcomes (or None when the file is absent):
          contract columns plus ``severe_rash`` (bool): grade >= 3, or grade 2 and recurrent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rashrisk.findings import FileReport, Finding


@dataclass
class LoadReport:
    files: dict[str, FileReport] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    genotype_qc: pd.DataFrame | None = None  # one row per catalogue variant (see rashrisk.genotype.qc)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]


@dataclass
class Cohort:
    """Validated tables of one cohort (see the module docstring) and how every input row fared.

    ``input_rows``: per table read ('patients', 'genotypes' unless from a VCF, 'tdm', 'outcomes'), a
    :class:`~rashrisk.contract.checking.InputRows`: for every input row its ``patient_id`` as written,
    ``line`` (the file line, or the DataFrame row position), ``accepted``, and for a rejected row its
    reason (the error messages naming that row); ``.to_frame()`` gives them as a table.
    """

    name: str
    path: Path | None  # the folder read; None for a cohort built from DataFrames
    patients: pd.DataFrame
    genotypes: pd.DataFrame
    tdm: pd.DataFrame
    outcomes: pd.DataFrame | None
    report: LoadReport
    ancestry: str | None = None  # the cohort's majority ancestry (for QC and PK model choice)
    input_rows: dict = field(default_factory=dict)  # table key -> InputRows

    @property
    def n_patients(self) -> int:
        return len(self.patients)

    @classmethod
    def from_frames(cls, patients, genotypes=None, tdm=None, outcomes=None, *, name: str = "cohort",
                    source: str = "DataFrame") -> "Cohort":
        """A cohort from DataFrames in the contract's file layout, checked like a folder's files.

        ``patients``, ``genotypes`` (long: patient_id, rsid, genotype), ``tdm`` and ``outcomes`` have
        the columns of patients.csv, genotypes.csv, tdm.csv and outcomes.csv; cells may be text (as
        ``pd.read_csv(..., dtype=str, keep_default_na=False)`` reads them) or typed values. The same
        rules, derivations and messages as :func:`rashrisk.load_cohort` apply; messages name the table
        as 'patients (DataFrame)' ('DataFrame' is ``source``) and a row by its position, 'row 2' being
        ``patients.iloc[2]``. A table that cannot be used at all raises :class:`~rashrisk.errors.CohortError`.
        See :mod:`rashrisk.contract.frames` and docs/api.md.
        """
        from rashrisk.contract.frames import cohort_from_frames

        return cohort_from_frames(patients, genotypes, tdm, outcomes, name=name, source=source)

"""A cohort's genotypes: genotypes.vcf / genotypes.vcf.gz (read by :mod:`rashrisk.genotype.vcf`) or a
long table ``patient_id, rsid, genotype`` (genotypes.csv / .parquet, or a DataFrame; row rules here),
completed to the long table and QC'd.

Exactly one genotype source may be present. Without one, every patient has no-calls for every
variant and an error finding says the genotypes are required. Calls whose alleles match neither the
catalogue's reference nor alternate allele become no-calls with a warning (never flipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rashrisk.contract.checking import InputRows, ReadTable, check_table
from rashrisk.contract.cohort import LoadReport
from rashrisk.contract.readers import find_table
from rashrisk.contract.rules import Context
from rashrisk.contract.schema import GENOTYPES_CSV
from rashrisk.errors import CohortError
from rashrisk.findings import Finding
from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.genotype.qc import MIN_PREDICTOR_CALL_RATE, call_rates, genotype_qc
from rashrisk.genotype.table import complete_genotype_table
from rashrisk.genotype.vcf import read_vcf

VCF_NAMES = ("genotypes.vcf", "genotypes.vcf.gz")


@dataclass
class GenotypeSource:
    """Where the genotypes come from: a long table, a VCF file, or neither (then ``absent_*`` say so)."""

    table: ReadTable | None = None
    vcf: Path | None = None
    build: str | None = None  # of the VCF; None = from its header
    absent_file: str = VCF_NAMES[0]  # the missing-genotypes finding's file
    absent_message: str = ""


def find_genotype_file(folder: Path) -> Path | None:
    found = [folder / n for n in VCF_NAMES if (folder / n).is_file()]
    table = find_table(folder, GENOTYPES_CSV.stem)
    if table is not None:
        found.append(table)
    if len(found) > 1:
        raise CohortError(f"{folder}: more than one genotype file ({', '.join(p.name for p in found)}); "
                          "keep exactly one")
    return found[0] if found else None


def load_genotypes(source: GenotypeSource, context: Context, report: LoadReport, *,
                   ancestry: str | None) -> tuple[pd.DataFrame, InputRows | None]:
    """The long genotype table of the accepted patients, and the long table's row record (None for a
    VCF, whose rows are variants, or without genotypes)."""
    catalogue = load_catalogue()
    context.catalogue = catalogue
    patient_ids = [str(p) for p in context.patient_ids_accepted]
    rows = None
    if source.vcf is not None:
        result = read_vcf(source.vcf, patient_ids, build=source.build, catalogue=catalogue)
        report.files[source.vcf.name] = result.file_report
        report.findings.extend(result.findings)
        genotypes, label = result.genotypes, source.vcf.name
    elif source.table is not None:
        checked = check_table(GENOTYPES_CSV, source.table, context, report)
        calls = _accepted_calls(checked) if checked.usable else _no_calls()
        genotypes = complete_genotype_table(calls, patient_ids, catalogue)
        label, rows = checked.table.file_name, checked.rows
    else:
        report.findings.append(Finding("error", source.absent_file, None, [], source.absent_message,
                                       "file.genotypes_missing", 0))
        genotypes, label = complete_genotype_table(_no_calls(), patient_ids, catalogue), source.absent_file
    report.genotype_qc = _qc(genotypes, catalogue, ancestry, report, label)
    if source.vcf is not None or (rows is not None and len(rows)):  # an empty table is no genotypes at all
        _none_called(genotypes, patient_ids, report, label)
    return genotypes, rows


def _none_called(genotypes: pd.DataFrame, patient_ids: list[str], report: LoadReport, label: str) -> None:
    """An error when a genotype file was given but not one genotype of one accepted patient was called."""
    if not patient_ids or genotypes["called"].to_numpy(dtype=bool).any():
        return
    report.findings.append(Finding(
        "error", label, None, [], f"{label}: no genotype was called for any of the {len(patient_ids)} accepted "
        "patient(s) ... expected the genotypes of the cohort's patients (VCF sample names or patient_id values equal "
        "to patients' patient_id; the right genome build): the genotypes did not load", "file.genotypes_uncalled",
        len(patient_ids)))


def predictor_call_rates(cohort, rsids) -> pd.DataFrame:
    """One row per pre-specified genotype predictor: ``rsid, n_called, n_patients, call_rate`` among the
    cohort's accepted patients (``rsids`` empty: every catalogue variant)."""
    rsids = list(rsids) or list(load_catalogue()["rsid"])
    rates = call_rates(cohort.genotypes, rsids)
    return pd.DataFrame([{"rsid": r, "n_called": c, "n_patients": n, "call_rate": c / n if n else float("nan")}
                         for r, (c, n) in rates.items()], columns=["rsid", "n_called", "n_patients", "call_rate"])


def low_call_rate_messages(cohort, rsids, *, minimum: float = MIN_PREDICTOR_CALL_RATE, rates=None,
                           name: str | None = None) -> list[str]:
    """One message per predictor called in fewer than ``minimum`` of the cohort's patients. ``rates``
    (a :func:`predictor_call_rates` table) and ``name`` replace the cohort's own, e.g. the rates of a
    whole partitioned cohort summed over its partitions (:mod:`rashrisk.scale`)."""
    rates = predictor_call_rates(cohort, rsids) if rates is None else rates
    name = cohort.name if name is None else name
    out = []
    for rsid, called, n, rate in rates[["rsid", "n_called", "n_patients", "call_rate"]].itertuples(index=False, name=None):
        if n and rate >= minimum:
            continue
        shown = f"{rate:.2f}" if n else "no patient"
        out.append(f"{name}: genotype predictor {rsid} called in {called} of {n} patient(s) (call rate "
                   f"{shown}) ... expected at least {minimum:.2f}: the genotypes probably did not load (check that "
                   "the VCF sample names or genotypes.csv patient_id values equal patients' patient_id, and the "
                   "genome build)")
    return out


def check_predictor_call_rate(cohort, rsids, *, minimum: float = MIN_PREDICTOR_CALL_RATE) -> None:
    """Raise :class:`CohortError` when a pre-specified genotype predictor (``FeatureSpec.genotypes``) is
    called in fewer than ``minimum`` of ``cohort``'s patients: a model must not be trained on
    genotypes that mostly did not load (training calls this before building the model frame)."""
    problems = low_call_rate_messages(cohort, rsids, minimum=minimum)
    if problems:
        raise CohortError("cannot train on this cohort: " + "; ".join(problems))


def _no_calls() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in ("patient_id", "rsid", "allele1", "allele2")})


def _accepted_calls(checked) -> pd.DataFrame:
    table, result = checked.table, checked.result
    keep = ~result.rejected
    values = result.values.loc[keep]
    mismatch = result.flagged["genotypes.genotype.alleles"][keep]
    alleles = values["genotype"].where(~mismatch, None)  # reported as a warning; read as a no-call
    return pd.DataFrame({
        "patient_id": values["patient_id"].to_numpy(object),
        "rsid": table.frame.loc[keep, "rsid"].to_numpy(object),
        "allele1": [a[0] if a else None for a in alleles],
        "allele2": [a[1] if a else None for a in alleles],
    })


def _qc(genotypes: pd.DataFrame, catalogue: pd.DataFrame, ancestry: str | None, report: LoadReport, file: str):
    qc_table, findings = genotype_qc(genotypes, catalogue, ancestry, file=file)
    report.findings.extend(findings)
    return qc_table

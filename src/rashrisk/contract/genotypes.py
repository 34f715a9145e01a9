"""The cohort's genotype file: genotypes.vcf / genotypes.vcf.gz (read by :mod:`rashrisk.genotype.vcf`)
or genotypes.csv / .parquet (row rules here), completed to the long table and QC'd.

Exactly one genotype source may be present. Without one, every patient has no-calls for every
variant and an error finding says the file is required. Calls whose alleles match neither the
catalogue's reference nor alternate allele become no-calls with a warning (never flipped).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rashrisk.contract.cohort import LoadReport
from rashrisk.contract.readers import find_table, read_and_check_rows
from rashrisk.contract.rules import Context
from rashrisk.contract.schema import GENOTYPES_CSV
from rashrisk.errors import CohortError
from rashrisk.findings import Finding
from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.genotype.qc import genotype_qc
from rashrisk.genotype.table import complete_genotype_table
from rashrisk.genotype.vcf import read_vcf

VCF_NAMES = ("genotypes.vcf", "genotypes.vcf.gz")


def find_genotype_file(folder: Path) -> Path | None:
    found = [folder / n for n in VCF_NAMES if (folder / n).is_file()]
    table = find_table(folder, GENOTYPES_CSV.stem)
    if table is not None:
        found.append(table)
    if len(found) > 1:
        raise CohortError(f"{folder}: more than one genotype file ({', '.join(p.name for p in found)}); "
                          "keep exactly one")
    return found[0] if found else None


def load_genotypes(folder: Path, context: Context, report: LoadReport, *, build: str | None,
                   ancestry: str | None) -> pd.DataFrame:
    catalogue = load_catalogue()
    context.catalogue = catalogue
    patient_ids = [str(p) for p in context.patient_ids_accepted]
    path = find_genotype_file(folder)
    if path is None:
        report.findings.append(Finding(
            "error", "genotypes.vcf", None, [],
            f"{folder.name}: no genotype file ... expected genotypes.vcf, genotypes.vcf.gz or genotypes.csv "
            "(every genotype is a no-call without one)", "file.genotypes_missing", 0))
        genotypes = complete_genotype_table(_no_calls(), patient_ids, catalogue)
    elif path.name in VCF_NAMES:
        result = read_vcf(path, patient_ids, build=build, catalogue=catalogue)
        report.files[path.name] = result.file_report
        report.findings.extend(result.findings)
        genotypes = result.genotypes
    else:
        calls = _read_genotype_table(path, context, report)
        genotypes = complete_genotype_table(calls, patient_ids, catalogue)
    report.genotype_qc = _qc(genotypes, catalogue, ancestry, report, path.name if path else VCF_NAMES[0])
    return genotypes


def _no_calls() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in ("patient_id", "rsid", "allele1", "allele2")})


def _read_genotype_table(path: Path, context: Context, report: LoadReport) -> pd.DataFrame:
    checked = read_and_check_rows(GENOTYPES_CSV, path, context, report)
    if checked is None:
        return _no_calls()
    table, result = checked
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

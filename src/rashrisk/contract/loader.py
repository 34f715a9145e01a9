"""``load_cohort``: read a cohort folder (contract v1) into a validated :class:`Cohort`.

The folder's files are found here and read as raw text tables (:mod:`rashrisk.contract.readers`);
checking them is the one pipeline shared with DataFrames (:mod:`rashrisk.contract.pipeline`): rows
with an error are rejected and counted, rows with a warning are kept. A folder or file that cannot
be read at all raises :class:`CohortError`.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from rashrisk.contract.cohort import Cohort
from rashrisk.contract.genotypes import VCF_NAMES, GenotypeSource, find_genotype_file
from rashrisk.contract.pipeline import CohortSources, check_cohort, majority_ancestry
from rashrisk.contract.readers import find_table, read_table
from rashrisk.contract.schema import GENOTYPES_CSV, OUTCOMES, PATIENTS, TDM, FileSchema
from rashrisk.errors import CohortError
from rashrisk.genotype.catalogue import BUILDS


def load_cohort(path, *, build: str | None = None, name: str | None = None, file_prefix: str = "") -> Cohort:
    """Read and validate the cohort folder ``path``.

    ``build`` forces the genome build of a VCF ('GRCh37' or 'GRCh38'); by default it is read from
    the VCF header (GRCh38 when the header does not say). Problems with rows are in
    ``cohort.report``; the tables hold only accepted rows, in canonical units.

    ``name`` replaces the cohort's name (default: the folder's); ``file_prefix`` is put before every
    table file's name in messages (a partition of a partitioned cohort, :mod:`rashrisk.scale`, is read
    with ``file_prefix="part-00003/"``, so a finding names ``part-00003/patients.parquet, line 12``).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise CohortError(f"cohort folder {str(folder)!r} does not exist or is not a folder")
    if build is not None and build not in BUILDS:
        raise CohortError(f"--build {build!r}: expected one of {', '.join(BUILDS)}")
    patients_path = find_table(folder, PATIENTS.stem)
    if patients_path is None:
        raise CohortError(f"{folder}: no patients.csv or patients.parquet (the patients file is required)")
    return check_cohort(CohortSources(
        name=name or folder.resolve().name,
        path=folder,
        patients=_reader(PATIENTS, patients_path, file_prefix),
        genotypes=_genotype_source(folder, build, file_prefix),
        tdm=_reader(TDM, find_table(folder, TDM.stem), file_prefix),
        outcomes=_reader(OUTCOMES, find_table(folder, OUTCOMES.stem), file_prefix),
    ))


def _reader(schema: FileSchema, path: Path | None, file_prefix: str = ""):
    return None if path is None else partial(read_table, path, schema, label=file_prefix + path.name)


def _genotype_source(folder: Path, build: str | None, file_prefix: str = "") -> GenotypeSource:
    path = find_genotype_file(folder)
    missing = (f"{folder.name}: no genotype file ... expected genotypes.vcf, genotypes.vcf.gz or genotypes.csv "
               "(every genotype is a no-call without one)")
    if path is None:
        return GenotypeSource(absent_file=VCF_NAMES[0], absent_message=missing)
    if path.name in VCF_NAMES:
        return GenotypeSource(vcf=path, build=build)
    return GenotypeSource(table=_reader(GENOTYPES_CSV, path, file_prefix))


__all__ = ["load_cohort", "majority_ancestry"]

"""The partitioned cohort folder: a cohort as partitions of whole patients.

A partitioned cohort is a folder of partition folders ``part-00000/``, ``part-00001/``, ... (five
digits or more, read in name order). Each partition is a cohort folder of contract v1
(``patients.parquet`` or ``patients.csv``, ``genotypes.vcf[.gz]`` or ``genotypes.csv|parquet``,
``tdm``, ``outcomes``) holding whole patients: every row of a patient, in every table, is in the
same partition. ``partitions.json`` beside them (written by :func:`write_manifest`) records how
the partitions were made; it is informative, a registry may write partitions without it.

Messages about a partition's rows name the partition's file and its own line
(``part-00003/patients.parquet, line 12``); the cohort's name is the partitioned folder's name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk.atomic import write_text
from rashrisk.contract.loader import load_cohort
from rashrisk.contract.readers import find_table
from rashrisk.contract.schema import PATIENTS
from rashrisk.errors import CohortError

PARTITION_PATTERN = re.compile(r"^part-(\d{5,})$")
MANIFEST = "partitions.json"
FORMAT = "rashrisk-partitioned-cohort"


def partition_name(index: int) -> str:
    return f"part-{index:05d}"


def is_partitioned(folder) -> bool:
    """True when ``folder`` has partition folders and no patients file of its own."""
    folder = Path(folder)
    return folder.is_dir() and find_table(folder, PATIENTS.stem) is None and any(
        PARTITION_PATTERN.match(p.name) and p.is_dir() for p in folder.iterdir())


def partition_folders(folder) -> list[Path]:
    """The partition folders of the partitioned cohort ``folder``, in order; CohortError naming the
    folder when it is not one (or a partition has no patients file)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CohortError(f"cohort folder {str(folder)!r} does not exist or is not a folder")
    if find_table(folder, PATIENTS.stem) is not None:
        raise CohortError(f"{folder}: has a patients file of its own: a cohort folder, not a partitioned cohort "
                          f"(expected partition folders part-00000/, part-00001/, ...)")
    found = sorted((p for p in folder.iterdir() if p.is_dir() and PARTITION_PATTERN.match(p.name)),
                   key=lambda p: int(PARTITION_PATTERN.match(p.name).group(1)))
    if not found:
        raise CohortError(f"{folder}: no partition folder (expected part-00000/, part-00001/, ... each a cohort "
                          "folder of whole patients)")
    for part in found:
        if find_table(part, PATIENTS.stem) is None:
            raise CohortError(f"{folder.name}/{part.name}: no patients.csv or patients.parquet (every partition "
                              "needs its patients file)")
    return found


def load_partition(part: Path, cohort_name: str):
    """One partition as a :class:`~rashrisk.contract.cohort.Cohort` (the single-process loader),
    messages naming ``<partition>/<file>`` and its own lines."""
    return load_cohort(part, name=cohort_name, file_prefix=f"{part.name}/")


def write_manifest(folder: Path, **fields) -> Path:
    """``partitions.json``: what the partitions are (format, counts, how they were made)."""
    document = {"format": FORMAT, "version": 1, **fields}
    path = Path(folder) / MANIFEST
    write_text(path, json.dumps(document, indent=1, sort_keys=True) + "\n")
    return path


def read_manifest(folder) -> dict | None:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CohortError(f"{path}: not a readable partitions.json ({exc})") from None


def is_partition_output(path: Path) -> bool:
    """An entry of a previous partitioned output (``--out`` may replace a folder holding only these)."""
    return (path.name == MANIFEST or bool(PARTITION_PATTERN.match(path.name))
            or bool(re.match(r"^part-\d{5,}(\.[a-z]+)+$", path.name)))


# ---- splitting an existing cohort folder by patient (used by tests and `docs/deploy.md`) ----

_TABLE_STEMS = ("patients", "tdm", "outcomes", "genotypes")


def split_cohort(folder, out, n_partitions: int) -> list[Path]:
    """Split the cohort folder ``folder`` into ``n_partitions`` partitions of whole patients under ``out``,
    in patients-file order (consecutive blocks of rows), every table as Parquet text (each cell exactly as
    written, so the partitions load to the same values as the folder). A VCF is split by sample column.
    Rows whose patient_id is not in patients go with the first partition (where they are reported)."""
    folder, out = Path(folder), Path(out)
    patients_path = find_table(folder, "patients")
    if patients_path is None:
        raise CohortError(f"{folder}: no patients.csv or patients.parquet")
    tables = {stem: read_text_table(path) for stem in _TABLE_STEMS if (path := find_table(folder, stem)) is not None}
    ids = tables["patients"]["patient_id"].str.strip().to_numpy(object)
    blocks = np.array_split(np.arange(len(ids)), n_partitions)
    part_of: dict[str, int] = {}
    for k, rows in enumerate(blocks):
        for pid in ids[rows]:
            part_of.setdefault(pid, k)  # a duplicated id: every row of it in its first partition
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for k in range(n_partitions):
        part = out / partition_name(k)
        part.mkdir(exist_ok=True)
        for stem, table in tables.items():
            keys = table["patient_id"].str.strip().map(part_of).fillna(0).astype(int).to_numpy()
            table.loc[keys == k].reset_index(drop=True).to_parquet(part / f"{stem}.parquet", index=False)
        written.append(part)
    vcf = next((folder / n for n in ("genotypes.vcf", "genotypes.vcf.gz") if (folder / n).is_file()), None)
    if vcf is not None:
        _split_vcf(vcf, [out / partition_name(k) / "genotypes.vcf" for k in range(n_partitions)], part_of)
    write_manifest(out, partitions=n_partitions, patients_rows=len(ids), split_from=folder.name)
    return written


def read_text_table(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        from rashrisk.contract.text import frame_as_text

        return frame_as_text(pd.read_parquet(path))
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                       encoding="utf-8-sig")


def _split_vcf(vcf: Path, targets: list[Path], part_of: dict[str, int]) -> None:
    import gzip

    opener = gzip.open if vcf.suffix == ".gz" else open
    with opener(vcf, "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    header = [line for line in lines if line.startswith("##")]
    columns = next(line for line in lines if line.startswith("#CHROM")).split("\t")
    body = [line.split("\t") for line in lines if line and not line.startswith("#")]
    for k, target in enumerate(targets):
        keep = list(range(9)) + [j for j in range(9, len(columns)) if part_of.get(columns[j], 0) == k]
        rows = ["\t".join(columns[j] for j in keep)] + ["\t".join(row[j] for j in keep) for row in body]
        target.write_text("\n".join(header + rows) + "\n", encoding="utf-8")

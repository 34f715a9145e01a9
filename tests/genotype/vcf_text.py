"""Small VCF texts for the genotype tests."""

from __future__ import annotations

import gzip
from pathlib import Path

HEADER_FIXED = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"


def vcf_text(rows: list[str], samples: list[str], *, meta: tuple[str, ...] = ("##reference=GRCh38",)) -> str:
    """A VCF with ``rows`` given as space-separated fields (converted to tabs)."""
    lines = ["##fileformat=VCFv4.2", *meta]
    lines.append("\t".join([HEADER_FIXED, "FORMAT", *samples]) if samples else HEADER_FIXED)
    lines += ["\t".join(row.split()) for row in rows]
    return "\n".join(lines) + "\n"


def write_vcf(path: Path, text: str, *, gz: bool = False) -> Path:
    if gz:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path

"""Benchmark: read_vcf on 100,000 sample columns x 36 lines (6 catalogue variants + 30 others).

Prints the time to read the plain and the gzip-compressed file. Run once:
    .venv/bin/python bench/bench_vcf_read.py [n_samples]
"""

from __future__ import annotations

import gzip
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.genotype.vcf import read_vcf


def write_vcf(path: Path, n_samples: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    samples = [f"P{i:06d}" for i in range(n_samples)]
    gts = np.array(["0/0", "0/1", "1/1", "./.", "1|0"])
    catalogue = load_catalogue()
    lines = ["##fileformat=VCFv4.2", "##reference=GRCh38",
             "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples])]
    records = [(f"chr{r.chrom}", str(r.pos_grch38) if r.pos_grch38 is not None and str(r.pos_grch38) != "<NA>"
                else "1", r.rsid, r.ref, r.alt) for r in catalogue.itertuples()]
    records += [("chr2", str(1000 + i), ".", "A", "G") for i in range(30)]
    for chrom, pos, rsid, ref, alt in records:
        calls = gts[rng.choice(5, size=n_samples, p=[0.45, 0.35, 0.15, 0.02, 0.03])]
        depth = rng.integers(5, 60, size=n_samples).astype(str)
        fields = np.char.add(np.char.add(calls, ":"), depth)
        lines.append("\t".join([chrom, pos, rsid, ref, alt, ".", "PASS", ".", "GT:DP", *fields]))
    path.write_text("\n".join(lines) + "\n")
    return samples


def main() -> None:
    n_samples = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "genotypes.vcf"
        samples = write_vcf(plain, n_samples)
        packed = Path(tmp) / "genotypes.vcf.gz"
        with open(plain, "rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
            dst.write(src.read())
        size_mb = plain.stat().st_size / 1e6
        for label, path in (("plain", plain), ("gzip", packed)):
            start = time.perf_counter()
            result = read_vcf(path, samples)
            seconds = time.perf_counter() - start
            called = float(result.genotypes["called"].mean())
            print(f"read_vcf {label:5s}: {n_samples} samples x {result.file_report.rows_read} lines "
                  f"({size_mb:.0f} MB uncompressed): {seconds:.2f} s; "
                  f"{len(result.genotypes)} genotype rows, {called:.3f} called")


if __name__ == "__main__":
    main()

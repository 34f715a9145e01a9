"""Benchmark: genotype tables and QC for 100,000 patients x the catalogue variants.

Prints the time of complete_genotype_table (the genotypes.csv path), allele_count_wide and
genotype_qc. Run once:  .venv/bin/python bench/bench_genotype_tables.py [n_patients]
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.genotype.qc import genotype_qc
from rashrisk.genotype.table import allele_count_wide, complete_genotype_table


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    catalogue = load_catalogue()
    rng = np.random.default_rng(0)
    patients = [f"P{i:06d}" for i in range(n)]
    parts = []
    for variant in catalogue.itertuples():
        alleles = rng.choice([variant.ref, variant.alt, None], size=(n, 2), p=[0.6, 0.38, 0.02])
        parts.append(pd.DataFrame({"patient_id": patients, "rsid": variant.rsid,
                                   "allele1": alleles[:, 0], "allele2": alleles[:, 1]}))
    calls = pd.concat(parts, ignore_index=True)
    import scipy.stats  # noqa: F401  (import time is not QC time)

    start = time.perf_counter()
    genotypes = complete_genotype_table(calls, patients, catalogue)
    t_table = time.perf_counter() - start
    start = time.perf_counter()
    allele_count_wide(genotypes)
    t_wide = time.perf_counter() - start
    start = time.perf_counter()
    genotype_qc(genotypes, catalogue, "EAS")
    t_qc = time.perf_counter() - start
    print(f"{n} patients x {len(catalogue)} variants ({len(calls)} calls): complete_genotype_table "
          f"{t_table:.2f} s, allele_count_wide {t_wide:.2f} s, genotype_qc {t_qc:.2f} s")


if __name__ == "__main__":
    main()

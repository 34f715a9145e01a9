"""Benchmark: load_cohort and `rashrisk validate --json` on a synthetic 100,000-patient cohort.

Writes patients.csv, genotypes.vcf (100k sample columns, the catalogue's positioned variants),
tdm.csv (one sample per patient) and outcomes.csv into a temporary folder, then prints the
generation time, the load_cohort time and the time of the CLI in a fresh process.

    .venv/bin/python bench/bench_validate.py [N_PATIENTS] [--genotypes-csv]

``--genotypes-csv`` writes the genotypes as genotypes.csv (one row per patient and variant)
instead of the VCF.

Target (issue 2): 100,000 patients with their VCF in under 30 s.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def write_cohort(folder: Path, n: int, seed: int = 0, genotypes_csv: bool = False) -> None:
    from rashrisk.genotype.catalogue import load_catalogue

    rng = np.random.default_rng(seed)
    ids = np.array([f"S{i:06d}" for i in range(n)], dtype=object)
    start = pd.Timestamp("2022-01-03") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    pd.DataFrame({
        "patient_id": ids,
        "sex": rng.choice(["F", "M"], n),
        "age_years": rng.integers(20, 85, n),
        "weight_kg": np.round(rng.normal(65, 10, n).clip(40, 140), 1),
        "height_cm": np.round(rng.normal(165, 8, n).clip(140, 200), 0),
        "albumin_g_l": np.round(rng.normal(40, 4, n).clip(25, 52), 1),
        "ancestry": rng.choice(["EAS", "EUR"], n, p=[0.8, 0.2]),
        "setting": rng.choice(["adjuvant", "advanced"], n),
        "start_dose_mg": 400,
        "start_date": start.strftime("%Y-%m-%d"),
    }).to_csv(folder / "patients.csv", index=False)
    sample = start + pd.to_timedelta(rng.integers(20, 60, n), unit="D") + pd.Timedelta(hours=8)
    last = sample - pd.to_timedelta(rng.uniform(20, 28, n), unit="h").round("min")
    units = rng.choice(["ng/mL", "ug/mL", "nmol/L"], n)
    conc_ng = rng.lognormal(np.log(1100), 0.4, n)
    conc = np.where(units == "ng/mL", conc_ng, np.where(units == "ug/mL", conc_ng / 1000, conc_ng * 1000 / 493.6))
    pd.DataFrame({
        "patient_id": ids, "sample_time": sample.strftime("%Y-%m-%dT%H:%M"),
        "last_dose_time": last.strftime("%Y-%m-%dT%H:%M"), "dose_mg": 400, "concentration": np.round(conc, 3),
        "unit": units, "below_loq": "",
    }).to_csv(folder / "tdm.csv", index=False)
    grade = rng.choice([0, 1, 2, 3], n, p=[0.7, 0.15, 0.1, 0.05])
    pd.DataFrame({
        "patient_id": ids, "rash_max_grade": grade,
        "recurrent_grade2": np.where(grade == 2, rng.choice(["yes", "no"], n), ""),
        "rash_onset_day": np.where(grade > 0, rng.integers(5, 90, n).astype(str), ""),
        "followup_days": 365,
    }).to_csv(folder / "outcomes.csv", index=False)
    catalogue = load_catalogue().dropna(subset=["pos_grch38"])
    gts = np.array(["0/0", "0/1", "1/1", "./."])
    if genotypes_csv:
        texts = {r.rsid: np.array([r.ref * 2, f"{r.ref}/{r.alt}", f"{r.alt}|{r.alt}", "./."])
                 for r in catalogue.itertuples()}
        pd.DataFrame({
            "patient_id": np.repeat(ids, len(catalogue)),
            "rsid": np.tile(catalogue["rsid"].to_numpy(object), n),
            "genotype": np.stack([texts[r][rng.choice(4, n, p=[0.49, 0.42, 0.08, 0.01])]
                                  for r in catalogue["rsid"]], axis=1).ravel(),
        }).to_csv(folder / "genotypes.csv", index=False)
        return
    with open(folder / "genotypes.vcf", "w", encoding="utf-8") as out:
        out.write("##fileformat=VCFv4.2\n##reference=GRCh38\n")
        out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(ids) + "\n")
        for row in catalogue.itertuples():
            calls = gts[rng.choice(4, n, p=[0.49, 0.42, 0.08, 0.01])]
            out.write(f"chr{row.chrom}\t{row.pos_grch38}\t{row.rsid}\t{row.ref}\t{row.alt}\t.\tPASS\t.\tGT\t")
            out.write("\t".join(calls) + "\n")


def main(n: int, genotypes_csv: bool = False) -> None:
    t_import = time.perf_counter()
    import scipy.stats  # noqa: F401  (genotype QC imports it on first use)

    import rashrisk.genotype.qc  # noqa: F401
    import rashrisk.genotype.vcf  # noqa: F401
    from rashrisk.contract.loader import load_cohort

    print(f"imports (loader, genotype, scipy.stats): {time.perf_counter() - t_import:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / f"bench_{n}"
        folder.mkdir()
        t0 = time.perf_counter()
        write_cohort(folder, n, genotypes_csv=genotypes_csv)
        t1 = time.perf_counter()
        source = "genotypes.csv" if genotypes_csv else "genotypes.vcf"
        print(f"generated {n:,} patients ({source}) in {t1 - t0:.1f} s")
        cohort = load_cohort(folder)
        t2 = time.perf_counter()
        files = ", ".join(f"{k} {v.rows_accepted}/{v.rows_read}" for k, v in cohort.report.files.items())
        print(f"load_cohort: {t2 - t1:.1f} s ({files}; {len(cohort.report.errors)} error findings, "
              f"{len(cohort.report.warnings)} warning findings)")
        t3 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "rashrisk.cli.main", "validate", str(folder), "--json"],
                              capture_output=True, text=True)
        t4 = time.perf_counter()
        print(f"rashrisk validate --json (fresh process): {t4 - t3:.1f} s, exit {proc.returncode}, "
              f"{len(proc.stdout):,} bytes of JSON")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(int(args[0]) if args else 100_000, genotypes_csv="--genotypes-csv" in sys.argv)

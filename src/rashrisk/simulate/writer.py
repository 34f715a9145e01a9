"""Write a :class:`SimulatedCohort` as a cohort folder (contract v1) plus ``truth.csv``.

Files: patients.csv, genotypes.vcf (genotypes.vcf.gz from ``[cohort].vcf_gzip_from_n`` patients),
tdm.csv, outcomes.csv and truth.csv. Byte-identical for the same configuration and seed (no dates
or versions of the writing run in the files; gzip with mtime 0). Everything is vectorised; the VCF
rows are built from fixed-width byte arrays.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk.errors import RashriskError
from rashrisk.simulate.cohort import SimulatedCohort
from rashrisk.simulate.rng import stream

COHORT_FILES = ("patients.csv", "genotypes.vcf", "genotypes.vcf.gz", "tdm.csv", "outcomes.csv", "truth.csv")
_GT_BYTES = np.array([b"0/0\t", b"0/1\t", b"1/1\t", b"./.\t"], dtype="S4")


def observed_patients(sim: SimulatedCohort) -> pd.DataFrame:
    """patients.csv content: the true covariates with the configured optional values left empty."""
    cfg = sim.config
    rng = stream(sim.seed, "missing_values")
    p = sim.patients
    n = len(p)
    out = pd.DataFrame({"patient_id": p["patient_id"], "sex": p["sex"], "age_years": p["age_years"].astype(np.int64),
                        "weight_kg": p["weight_kg"]})
    height = p["height_cm"].astype("Int64")
    out["height_cm"] = height.mask(rng.random(n) < cfg.probability("missing", "height_cm"))
    out["albumin_g_l"] = p["albumin_g_l"].mask(rng.random(n) < cfg.probability("missing", "albumin_g_l"))
    out["ancestry"] = p["ancestry"].mask(rng.random(n) < cfg.probability("missing", "ancestry"))
    out["setting"] = p["setting"].mask(rng.random(n) < cfg.probability("missing", "setting"))
    out["start_dose_mg"] = p["start_dose_mg"].astype(np.int64)
    out["start_date"] = np.datetime_as_string(p["start_date"].to_numpy().astype("datetime64[D]"), unit="D")
    return out


def observed_tdm(sim: SimulatedCohort) -> pd.DataFrame:
    """tdm.csv content (contract columns only; the sample kind stays in memory)."""
    t = sim.tdm
    dose = t["dose_mg"].to_numpy()
    return pd.DataFrame(
        {
            "patient_id": t["patient_id"],
            "sample_time": np.datetime_as_string(t["sample_time"].to_numpy().astype("datetime64[m]"), unit="m"),
            "last_dose_time": np.datetime_as_string(t["last_dose_time"].to_numpy().astype("datetime64[m]"), unit="m"),
            "dose_mg": dose.astype(np.int64),
            "concentration": t["concentration"],
            "unit": t["unit"],
        }
    )


def observed_outcomes(sim: SimulatedCohort) -> pd.DataFrame:
    o = sim.outcomes
    onset = o["rash_onset_day"].astype("Int64")
    return pd.DataFrame(
        {
            "patient_id": sim.patients["patient_id"],
            "rash_max_grade": o["rash_max_grade"].astype(np.int64),
            "recurrent_grade2": np.where(o["recurrent_grade2"], "true", "false"),
            "rash_onset_day": onset.mask(onset < 0),
            "followup_days": o["followup_days"].astype(np.int64),
        }
    )


def vcf_variants(rsids) -> pd.DataFrame:
    """Catalogue rows (GRCh38) of the simulated variants that have a verified position, in genome order.

    A variant without a GRCh38 position in the catalogue is left out of the VCF (so it is a no-call
    for everyone) rather than written at a guessed position.
    """
    from rashrisk.genotype.catalogue import load_catalogue

    cat = load_catalogue()
    cat = cat[cat["rsid"].isin(list(rsids)) & cat["pos_grch38"].notna()].copy()
    cat["chrom_order"] = pd.to_numeric(cat["chrom"].str.replace("chr", "", regex=False), errors="coerce")
    return cat.sort_values(["chrom_order", "pos_grch38"]).reset_index(drop=True)


def vcf_bytes_parts(sim: SimulatedCohort):
    """Yield the VCF as byte chunks: header lines, then one chunk per variant row."""
    from rashrisk import __version__

    variants = vcf_variants(sim.observed_genotypes.keys())
    ids = sim.patients["patient_id"].to_numpy()[sim.in_vcf]
    contigs = sorted(set(variants["chrom"]), key=lambda c: (len(c), c))
    header = ["##fileformat=VCFv4.2", f"##source=rashrisk-simulate {__version__} (virtual cohort, seed {sim.seed})",
              "##reference=GRCh38"]
    header += [f"##contig=<ID=chr{c}>" for c in contigs]
    header += ['##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">']
    header.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *ids]))
    yield ("\n".join(header) + "\n").encode()
    for row in variants.itertuples(index=False):
        counts = sim.observed_genotypes[row.rsid][sim.in_vcf]
        fixed = f"chr{row.chrom}\t{int(row.pos_grch38)}\t{row.rsid}\t{row.ref}\t{row.alt}\t.\tPASS\t.\tGT\t".encode()
        gts = bytearray(_GT_BYTES[np.where(counts < 0, 3, counts)].tobytes())
        if gts:
            gts[-1:] = b"\n"
        else:
            fixed = fixed[:-1] + b"\n"
        yield fixed + bytes(gts)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, lineterminator="\n")


def write_cohort(sim: SimulatedCohort, out: str | Path, *, gzip_vcf: bool | None = None) -> dict[str, Path]:
    """Write the cohort folder; returns the written files by role. Existing cohort files are replaced."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RashriskError(f"output {out} exists and is not a folder; expected a folder for the cohort files")
    out.mkdir(parents=True, exist_ok=True)
    if gzip_vcf is None:
        gzip_vcf = sim.n_patients >= int(sim.config.number("cohort", "vcf_gzip_from_n", low=1))
    for stale in ("genotypes.vcf", "genotypes.vcf.gz"):
        (out / stale).unlink(missing_ok=True)
    paths = {
        "patients": out / "patients.csv",
        "genotypes": out / ("genotypes.vcf.gz" if gzip_vcf else "genotypes.vcf"),
        "tdm": out / "tdm.csv",
        "outcomes": out / "outcomes.csv",
        "truth": out / "truth.csv",
    }
    _write_csv(observed_patients(sim), paths["patients"])
    with open(paths["genotypes"], "wb") as raw:
        if gzip_vcf:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=4) as gz:
                for part in vcf_bytes_parts(sim):
                    gz.write(part)
        else:
            for part in vcf_bytes_parts(sim):
                raw.write(part)
    _write_csv(observed_tdm(sim), paths["tdm"])
    _write_csv(observed_outcomes(sim), paths["outcomes"])
    _write_csv(sim.truth, paths["truth"])
    return paths

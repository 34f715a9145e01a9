"""Write a :class:`SimulatedCohort` as a cohort folder (contract v1) plus ``truth.csv``.

Files: patients.csv, genotypes.vcf (genotypes.vcf.gz from ``[cohort].vcf_gzip_from_n`` patients),
tdm.csv, outcomes.csv and truth.csv. Byte-identical for the same configuration and seed (no dates
or versions of the writing run in the files; gzip with mtime 0). Everything is vectorised: tables
go from NumPy columns to Arrow's C++ CSV writer (files written in parallel threads), VCF rows are
built from fixed-width byte arrays.
"""

from __future__ import annotations

import gzip
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk._version import __version__
from rashrisk.atomic import atomic_folder
from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.simulate.cohort import SimulatedCohort
from rashrisk.simulate.rng import stream

_GT_BYTES = np.array([b"0/0\t", b"0/1\t", b"1/1\t", b"./.\t"], dtype="S4")


def _pa():
    import pyarrow as pa

    return pa


def _column(values, mask=None):
    """An Arrow array from a NumPy/pandas column (``mask`` True = empty cell)."""
    pa = _pa()
    values = np.asarray(values)
    mask = None if mask is None else np.asarray(mask, dtype=bool)
    if values.dtype.kind in "OU":
        return pa.array(values.astype(object), type=pa.string(), mask=mask)
    return pa.array(values, mask=mask)


def patients_table(sim: SimulatedCohort):
    """patients.csv content: the true covariates with the configured optional values left empty."""
    pa = _pa()
    cfg = sim.config
    rng = stream(sim.seed, "missing_values")
    p = sim.patients
    n = len(p)
    missing = {c: rng.random(n) < cfg.probability("missing", c) for c in ("height_cm", "albumin_g_l", "ancestry", "setting")}
    return pa.table({
        "patient_id": _column(p["patient_id"].to_numpy()),
        "sex": _column(p["sex"].to_numpy()),
        "age_years": _column(p["age_years"].to_numpy().astype(np.int64)),
        "weight_kg": _column(p["weight_kg"].to_numpy()),
        "height_cm": _column(p["height_cm"].to_numpy().astype(np.int64), missing["height_cm"]),
        "albumin_g_l": _column(p["albumin_g_l"].to_numpy(), missing["albumin_g_l"]),
        "ancestry": _column(p["ancestry"].to_numpy(), missing["ancestry"]),
        "setting": _column(p["setting"].to_numpy(), missing["setting"]),
        "start_dose_mg": _column(p["start_dose_mg"].to_numpy().astype(np.int64)),
        "start_date": _iso(p["start_date"].to_numpy(), with_minutes=False),
        # an extra column (the contract keeps and reports extra columns): it travels with the rows,
        # so a model trained on them is labelled as trained on simulated data even without truth.csv
        "data_origin": _column(np.full(n, "simulated", dtype=object)),
    })


def _iso(times: np.ndarray, with_minutes: bool):
    """ISO 8601 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM' strings, vectorised: the few thousand distinct
    dates and 1,440 clock times are formatted once, then gathered and joined by Arrow."""
    import pyarrow.compute as pa_compute

    pa = _pa()
    minutes = np.asarray(times).astype("datetime64[m]").astype(np.int64)
    day = minutes // 1440
    if len(day) == 0:
        return pa.array([], type=pa.string())
    first = int(day.min())
    dates = np.datetime_as_string(np.arange(first, int(day.max()) + 1).astype("datetime64[D]"), unit="D")
    date_str = pa.array(dates.astype(object), type=pa.string()).take(pa.array(day - first))
    if not with_minutes:
        return date_str
    clock = np.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)], dtype=object)
    time_str = pa.array(clock, type=pa.string()).take(pa.array(minutes - day * 1440))
    return pa_compute.binary_join_element_wise(date_str, time_str, "T")


def tdm_table(sim: SimulatedCohort):
    """tdm.csv content (contract columns only; the sample kind stays in memory)."""
    t = sim.tdm
    return _pa().table({
        "patient_id": _column(t["patient_id"].to_numpy()),
        "sample_time": _iso(t["sample_time"].to_numpy(), with_minutes=True),
        "last_dose_time": _iso(t["last_dose_time"].to_numpy(), with_minutes=True),
        "dose_mg": _column(t["dose_mg"].to_numpy().astype(np.int64)),
        "concentration": _column(t["concentration"].to_numpy()),
        "unit": _column(t["unit"].to_numpy()),
    })


def outcomes_table(sim: SimulatedCohort):
    o = sim.outcomes
    onset = o["rash_onset_day"].to_numpy()
    return _pa().table({
        "patient_id": _column(sim.patients["patient_id"].to_numpy()),
        "rash_max_grade": _column(o["rash_max_grade"].to_numpy().astype(np.int64)),
        "recurrent_grade2": _column(o["recurrent_grade2"].to_numpy(dtype=bool)),
        "rash_onset_day": _column(onset.astype(np.int64), onset < 0),
        "followup_days": _column(o["followup_days"].to_numpy().astype(np.int64)),
    })


def truth_table(sim: SimulatedCohort):
    """truth.csv: floats rounded to 6 significant digits (readable, smaller, exact enough)."""
    columns = {}
    for name, values in sim.truth_columns.items():
        values = np.asarray(values)
        if values.dtype.kind == "f":
            columns[name] = _column(_round_significant(values, 6), np.isnan(values))
        else:
            columns[name] = _column(values)
    return _pa().table(columns)


def _round_significant(x: np.ndarray, digits: int) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = digits - 1 - np.floor(np.log10(np.abs(np.where((x == 0) | ~np.isfinite(x), 1.0, x))))
    scale = 10.0 ** exponent
    return np.where(np.isfinite(x), np.round(x * scale) / scale, x)


def vcf_variants(rsids) -> pd.DataFrame:
    """Catalogue rows (GRCh38) of the simulated variants that have a verified position, in genome order.

    A variant without a GRCh38 position in the catalogue is left out of the VCF (so it is a no-call
    for everyone) rather than written at a guessed position.
    """
    cat = load_catalogue()
    cat = cat[cat["rsid"].isin(list(rsids)) & cat["pos_grch38"].notna()].copy()
    cat["chrom_order"] = pd.to_numeric(cat["chrom"].str.replace("chr", "", regex=False), errors="coerce")
    return cat.sort_values(["chrom_order", "pos_grch38"]).reset_index(drop=True)


def vcf_bytes_parts(sim: SimulatedCohort):
    """Yield the VCF as byte chunks: header lines, then one chunk per variant row."""
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


def _write_vcf(sim: SimulatedCohort, path: Path, gzip_vcf: bool) -> None:
    with open(path, "wb") as raw:
        if gzip_vcf:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=4) as gz:
                for part in vcf_bytes_parts(sim):
                    gz.write(part)
        else:
            for part in vcf_bytes_parts(sim):
                raw.write(part)


def _write_csv(table, path: Path) -> None:
    """Unquoted CSV (no value contains a comma or quote) by Arrow's C++ writer (~10x pandas)."""
    import pyarrow.csv as pa_csv

    with open(path, "wb") as fh:
        fh.write((",".join(table.column_names) + "\n").encode())
        pa_csv.write_csv(table, fh, pa_csv.WriteOptions(include_header=False, quoting_style="none"))


# every name write_cohort produces: an existing --out folder holding only these is a previous output
COHORT_FILES = ("patients.csv", "genotypes.vcf", "genotypes.vcf.gz", "tdm.csv", "outcomes.csv", "truth.csv")


def write_cohort(sim: SimulatedCohort, out: str | Path, *, gzip_vcf: bool | None = None) -> dict[str, Path]:
    """Write the cohort folder; returns the written files by role.

    Atomic (:func:`rashrisk.atomic.atomic_folder`): the files are written into a hidden sibling
    folder that is renamed to ``out`` once complete. An existing ``out`` is replaced whole if it is
    empty or holds only cohort file names (:data:`COHORT_FILES`, a previous simulation); a folder
    with any other entry is refused before the simulation is written, and nothing in it changes.
    """
    out = Path(out)
    if gzip_vcf is None:
        gzip_vcf = sim.n_patients >= int(sim.config.number("cohort", "vcf_gzip_from_n"))
    names = {
        "patients": "patients.csv",
        "genotypes": "genotypes.vcf.gz" if gzip_vcf else "genotypes.vcf",
        "tdm": "tdm.csv",
        "outcomes": "outcomes.csv",
        "truth": "truth.csv",
    }
    tables = {"patients": patients_table, "tdm": tdm_table, "outcomes": outcomes_table, "truth": truth_table}
    with atomic_folder(out, COHORT_FILES, what="--out") as folder:
        paths = {role: folder / name for role, name in names.items()}
        # Arrow's writer and gzip release the GIL: the files are written side by side
        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [pool.submit(_write_vcf, sim, paths["genotypes"], gzip_vcf)]
            jobs += [pool.submit(lambda role=role, build=build: _write_csv(build(sim), paths[role]))
                     for role, build in tables.items()]
            for job in jobs:
                job.result()
    return {role: out / name for role, name in names.items()}


def observed_patients(sim: SimulatedCohort) -> pd.DataFrame:
    """patients.csv content as a DataFrame (missing cells as NaN/None)."""
    return patients_table(sim).to_pandas()


def observed_outcomes(sim: SimulatedCohort) -> pd.DataFrame:
    """outcomes.csv content as a DataFrame."""
    return outcomes_table(sim).to_pandas()

"""Genotype tables: the long per-patient x variant allele-count table, its wide form, labels.

The long table has one row per patient x catalogue variant (patients in the given order,
variants in catalogue order): ``patient_id, rsid, gene, ref, alt, ref_count, alt_count, called``.
Counts are pandas nullable Int8; a no-call has <NA> counts and ``called == False``. A no-call is
never the reference genotype.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

NO_CALL = -1  # sentinel in int8 count arrays
LONG_COLUMNS = ("patient_id", "rsid", "gene", "ref", "alt", "ref_count", "alt_count", "called")
ALLELE_KINDS = ("alt", "ref")


def build_long_table(
    patient_ids: Sequence[str],
    catalogue: pd.DataFrame,
    ref_counts: np.ndarray,
    alt_counts: np.ndarray,
) -> pd.DataFrame:
    """Long table from count arrays of shape (n_patients, n_variants); -1 marks a no-call."""
    n_patients = len(patient_ids)
    n_variants = len(catalogue)
    ref_counts = np.asarray(ref_counts, dtype=np.int8).reshape(n_patients, n_variants)
    alt_counts = np.asarray(alt_counts, dtype=np.int8).reshape(n_patients, n_variants)
    called = (ref_counts != NO_CALL) & (alt_counts != NO_CALL)
    ref_flat = ref_counts.ravel()
    alt_flat = alt_counts.ravel()
    called_flat = called.ravel()
    table = pd.DataFrame(
        {
            "patient_id": np.repeat(np.asarray(patient_ids, dtype=object), n_variants),
            "rsid": np.tile(catalogue["rsid"].to_numpy(dtype=object), n_patients),
            "gene": np.tile(catalogue["gene"].to_numpy(dtype=object), n_patients),
            "ref": np.tile(catalogue["ref"].to_numpy(dtype=object), n_patients),
            "alt": np.tile(catalogue["alt"].to_numpy(dtype=object), n_patients),
            "ref_count": pd.arrays.IntegerArray(ref_flat.copy(), ~called_flat),
            "alt_count": pd.arrays.IntegerArray(alt_flat.copy(), ~called_flat),
            "called": called_flat,
        }
    )
    return table


def _allele_column(values: pd.Series) -> np.ndarray:
    """Upper-case allele letters; None for missing (each distinct spelling normalised once)."""
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    cleaned = [u.strip().upper() if isinstance(u, str) and u.strip() else None for u in uniques]
    lookup = np.array(cleaned + [None], dtype=object)
    return lookup[np.where(codes < 0, len(cleaned), codes)]


def complete_genotype_table(
    calls: pd.DataFrame, patient_ids: Sequence[str], catalogue: pd.DataFrame
) -> pd.DataFrame:
    """Long table for every patient x catalogue variant from sparse ``calls``.

    ``calls`` has columns patient_id, rsid, allele1, allele2 (None/NaN = no-call). Pairs absent
    from ``calls`` are no-calls. Calls for unknown patients or variants are ignored (the loader
    reports them). Raises ValueError for a duplicated (patient_id, rsid) pair or an allele that
    is neither the catalogue's ref nor alt (alleles are never flipped).
    """
    missing = {"patient_id", "rsid", "allele1", "allele2"} - set(calls.columns)
    if missing:
        raise ValueError(f"calls table lacks column(s) {sorted(missing)}")
    patient_ids = [str(p) for p in patient_ids]
    n_patients, n_variants = len(patient_ids), len(catalogue)
    ref_counts = np.full((n_patients, n_variants), NO_CALL, dtype=np.int8)
    alt_counts = np.full((n_patients, n_variants), NO_CALL, dtype=np.int8)

    patient_index = pd.Index(patient_ids)
    variant_index = pd.Index(catalogue["rsid"].astype(str))
    row = patient_index.get_indexer(calls["patient_id"].astype(str))
    col = variant_index.get_indexer(calls["rsid"].astype(str))
    keep = (row >= 0) & (col >= 0)
    row, col = row[keep], col[keep]
    pair = row.astype(np.int64) * max(n_variants, 1) + col
    if len(pair) and np.bincount(pair).max() > 1:
        raise ValueError("calls table has more than one row for the same patient_id and rsid")

    allele1 = _allele_column(calls["allele1"])[keep]
    allele2 = _allele_column(calls["allele2"])[keep]
    ref = catalogue["ref"].to_numpy(dtype=object)[col]
    alt = catalogue["alt"].to_numpy(dtype=object)[col]
    is_called = pd.notna(allele1) & pd.notna(allele2)
    a1_ref, a1_alt = allele1 == ref, allele1 == alt
    a2_ref, a2_alt = allele2 == ref, allele2 == alt
    bad = is_called & ~((a1_ref | a1_alt) & (a2_ref | a2_alt))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{int(bad.sum())} call(s) have alleles that match neither ref nor alt of the catalogue, "
            f"e.g. {allele1[i]}/{allele2[i]} for {catalogue['rsid'].iloc[col[i]]} "
            f"(expected {ref[i]}/{alt[i]} letters)"
        )
    ok = is_called
    ref_counts[row[ok], col[ok]] = a1_ref[ok].astype(np.int8) + a2_ref[ok].astype(np.int8)
    alt_counts[row[ok], col[ok]] = a1_alt[ok].astype(np.int8) + a2_alt[ok].astype(np.int8)
    return build_long_table(patient_ids, catalogue, ref_counts, alt_counts)


def allele_count_wide(genotypes: pd.DataFrame, allele: str = "alt") -> pd.DataFrame:
    """One row per patient, columns ``<rsid>_<allele>_count`` (float, NaN = no-call)."""
    if allele not in ALLELE_KINDS:
        raise ValueError(f"allele {allele!r}: expected one of {', '.join(ALLELE_KINDS)}")
    counts = genotypes[f"{allele}_count"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    patient_codes, patients = pd.factorize(genotypes["patient_id"], sort=False)
    rsid_codes, rsids = pd.factorize(genotypes["rsid"], sort=False)
    values = np.full((len(patients), len(rsids)), np.nan)
    values[patient_codes, rsid_codes] = counts
    wide = pd.DataFrame(values, index=pd.Index(patients, name="patient_id"),
                        columns=[f"{rsid}_{allele}_count" for rsid in rsids])
    return wide


def with_allele_counts(patients: pd.DataFrame, genotypes: pd.DataFrame | None, allele: str = "alt") -> pd.DataFrame:
    """``patients`` (``patient_id`` as str) joined with their ``<rsid>_<allele>_count`` columns (the PK
    covariates of ``rashrisk pk fit`` and the re-challenge planner); patients without genotypes get NaN."""
    out = patients.copy()
    out["patient_id"] = out["patient_id"].astype(str)
    if genotypes is not None and len(genotypes):
        wide = allele_count_wide(genotypes, allele=allele)
        wide.index = wide.index.astype(str)
        out = out.join(wide, on="patient_id")
    return pd.DataFrame(out)


def genotype_label(ref_count: object, alt_count: object, ref: str, alt: str) -> str:
    """'C/T' style label (reference allele first); 'no call' for a no-call."""
    if ref_count is None or alt_count is None or pd.isna(ref_count) or pd.isna(alt_count):
        return "no call"
    ref_count, alt_count = int(ref_count), int(alt_count)
    if ref_count < 0 or alt_count < 0 or ref_count + alt_count != 2:
        raise ValueError(f"allele counts {ref_count}+{alt_count}: a diploid genotype needs 2 alleles")
    return "/".join([ref] * ref_count + [alt] * alt_count)

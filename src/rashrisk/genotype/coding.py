"""Risk-allele counts and their coding under a genetic model: the one definition that the study's
analysis, the feature encoder and the simulator's outcome model share.

Which allele carries the risk is an option, never a fact (the source study does not say): as the
catalogue's ``'alt'`` or ``'ref'`` allele for ALT-count arrays (:func:`risk_allele_count`), or as
the allele letter for the cohort's long genotype table (:func:`risk_allele_counts`). No-calls stay
NaN throughout.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.errors import RashriskError

# the genetic models of a risk allele
GENETIC_MODELS = ("additive", "dominant", "recessive")
# which catalogue allele carries the risk
RISK_ALLELES = ("alt", "ref")


def risk_allele_count(alt_count, risk_allele: str) -> np.ndarray:
    """Copies of the risk allele from ALT-allele counts, ``risk_allele`` 'alt' or 'ref' (NaN stays NaN)."""
    alt_count = np.asarray(alt_count, dtype=np.float64)
    return alt_count if risk_allele == "alt" else 2.0 - alt_count


def risk_allele_counts(genotypes: pd.DataFrame, rsid: str, risk_allele: str | None = None) -> tuple[pd.Series, dict]:
    """Per patient, the number of ``risk_allele`` copies (float, NaN = no-call) and the allele letters,
    from the cohort's long genotype table.

    ``risk_allele`` defaults to the ALT allele. It must be the variant's REF or ALT letter.
    """
    rows = genotypes[genotypes["rsid"] == rsid]
    if rows.empty:
        raise RashriskError(f"variant {rsid} is not in the cohort's genotype table; expected a catalogue rsID")
    ref, alt = str(rows["ref"].iloc[0]), str(rows["alt"].iloc[0])
    allele = (risk_allele or alt).upper()
    if allele not in (ref, alt):
        raise RashriskError(f"risk allele {risk_allele!r} for {rsid}: expected {ref} (REF) or {alt} (ALT)")
    column = "alt_count" if allele == alt else "ref_count"
    counts = pd.Series(rows[column].astype("Float64").astype(float).to_numpy(), index=rows["patient_id"].to_numpy())
    other = ref if allele == alt else alt
    return counts, {"rsid": rsid, "ref": ref, "alt": alt, "risk_allele": allele, "other_allele": other}


def code_genotype(counts, model: str) -> np.ndarray:
    """Risk-allele counts coded for a genetic model (float, NaN = no-call): additive 0/1/2, dominant
    1 for a carrier (>= 1 risk allele), recessive 1 for two risk alleles.

    Counts are whole numbers; the thresholds lie half-way (0.5, 1.5) so that a value a rounding
    error off a whole count is coded as that count.
    """
    c = np.asarray(counts, dtype=float)
    if model == "additive":
        return c
    if model in ("dominant", "recessive"):
        threshold = 0.5 if model == "dominant" else 1.5
        return np.where(np.isnan(c), np.nan, (c >= threshold).astype(float))
    raise RashriskError(f"genetic model {model!r}; expected one of {', '.join(GENETIC_MODELS)}")

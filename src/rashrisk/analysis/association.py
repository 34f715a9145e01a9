"""Genotype counts in cases and controls and the per-allele association with severe rash
(logistic regression, additive and dominant coding of the risk allele), plus Hardy-Weinberg
equilibrium in controls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.analysis.logistic import fit_logistic
from rashrisk.errors import RashriskError

# the genetic models of a risk allele (the one definition: the simulator and the feature encoder use it)
GENETIC_MODELS = ("additive", "dominant", "recessive")


def risk_allele_counts(genotypes: pd.DataFrame, rsid: str, risk_allele: str | None = None) -> tuple[pd.Series, dict]:
    """Per patient, the number of ``risk_allele`` copies (float, NaN = no-call) and the allele letters.

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


def risk_allele_count(alt_count, risk_allele: str) -> np.ndarray:
    """Copies of the risk allele from ALT-allele counts, ``risk_allele`` 'alt' or 'ref' (NaN stays NaN)."""
    alt_count = np.asarray(alt_count, dtype=np.float64)
    return alt_count if risk_allele == "alt" else 2.0 - alt_count


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


def genotype_counts(counts: pd.Series, alleles: dict, outcomes: pd.DataFrame) -> dict:
    """Genotype counts (other/other, het, risk/risk, no-call) in severe cases and controls."""
    o, r = alleles["other_allele"], alleles["risk_allele"]
    labels = {0: o + o, 1: o + r if o < r else r + o, 2: r + r}
    ids = outcomes["patient_id"].to_numpy()
    c = counts.reindex(ids).to_numpy(dtype=float)  # patients absent from the genotype table: no-call
    case = outcomes["severe_rash"].astype(bool).to_numpy()
    table = {}
    for group, mask in (("cases", case), ("controls", ~case)):
        g = c[mask]
        table[group] = {labels[k]: int((g == k).sum()) for k in (0, 1, 2)}
        table[group]["no_call"] = int(np.isnan(g).sum())
        called = g[~np.isnan(g)]
        table[group]["risk_allele_frequency"] = float(called.sum() / (2 * len(called))) if len(called) else float("nan")
    return {"genotype_labels": [labels[0], labels[1], labels[2]], **table}


def association(counts: pd.Series, outcomes: pd.DataFrame, model: str) -> dict:
    """Univariable logistic regression of severe rash on the coded risk-allele count."""
    ids = outcomes["patient_id"].to_numpy()
    x = code_genotype(counts.reindex(ids).to_numpy(dtype=float), model)
    y = outcomes["severe_rash"].astype(bool).to_numpy().astype(float)
    keep = ~np.isnan(x)
    fit = fit_logistic(x[keep], y[keep], names=("genotype",))
    result = fit.term("genotype")
    result.update({"model": model, "n": fit.n, "n_cases": fit.n_events, "converged": fit.converged,
                   "separation": fit.separation})
    return result


def hwe_in_controls(counts: pd.Series, outcomes: pd.DataFrame) -> dict:
    """Exact Hardy-Weinberg test (Wigginton 2005) on the controls' called genotypes."""
    from rashrisk.genotype.qc import hwe_exact_p

    ids = outcomes["patient_id"].to_numpy()
    c = counts.reindex(ids).to_numpy(dtype=float)[~outcomes["severe_rash"].astype(bool).to_numpy()]
    c = c[~np.isnan(c)]
    n0, n1, n2 = (int((c == k).sum()) for k in (0, 1, 2))
    return {"n_called": int(len(c)), "counts": [n0, n1, n2], "p_value": float(hwe_exact_p(n0, n1, n2))}

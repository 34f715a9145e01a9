"""Genotype counts in cases and controls and the per-allele association with severe rash
(logistic regression, additive and dominant coding of the risk allele), plus Hardy-Weinberg
equilibrium in controls. Risk-allele counts and their coding: :mod:`rashrisk.genotype.coding`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.analysis.logistic import fit_logistic
from rashrisk.genotype.coding import GENETIC_MODELS, code_genotype
from rashrisk.genotype.qc import hwe_exact_p

# GENETIC_MODELS is re-exported for cli/analyze.py (`rashrisk analyze --model`), which still reads it here
__all__ = ["GENETIC_MODELS", "association", "genotype_counts", "hwe_in_controls"]


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
    ids = outcomes["patient_id"].to_numpy()
    c = counts.reindex(ids).to_numpy(dtype=float)[~outcomes["severe_rash"].astype(bool).to_numpy()]
    c = c[~np.isnan(c)]
    n0, n1, n2 = (int((c == k).sum()) for k in (0, 1, 2))
    return {"n_called": int(len(c)), "counts": [n0, n1, n2], "p_value": float(hwe_exact_p(n0, n1, n2))}

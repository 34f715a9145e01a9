"""Counterfactual statements on the probability scale, computed by re-scoring a modified input.

"with genotype C/C the risk would be 4.1% instead of 8.9%": the patient's own inputs with one
factor changed, scored by the same served model. Only factors a clinician can reason about are
varied: each genotype in the model (to the genotype without a risk allele) and, at the TDM stage, the
early trough (to the a priori expectation). A no-call says what testing would change: "genotyping
rs4129267 would give C/C 0.6%, C/T 1.2% or T/T 2.2% (now 0.9%, averaged)", from the averaged risk the
patient is served (:mod:`rashrisk.explanations.no_call`); every "instead of" compares with the served risk.

A counterfactual reads as an effect of the factor, so by default only factors whose effect the
model established (:mod:`rashrisk.models.effects`, the card's ``effects``) get one; the others are
described by :func:`rashrisk.explanations.phrases.effect_statement` instead. The no-call's testing
statement is always given: it lists the genotype-specific risks the served average is made of.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rashrisk.explanations.factors import EARLY_TROUGH
from rashrisk.explanations.phrases import genotype_with_count, variant_alleles
from rashrisk.models.effects import effect_of, is_established
from rashrisk.explanations.no_call import average_over_no_calls, model_genotypes, testing_statement


def _pct(p: float) -> str:
    return f"{100 * p:.1f}%"


def _label(rsid: str) -> str:
    return f"{variant_alleles(rsid)[0]} {rsid}".strip()


def _scenarios(model, row: pd.Series, risk_alleles: dict) -> list[tuple[str, str, dict]]:
    """(factor, label, changed inputs) for one patient."""
    out = []
    for rsid in model_genotypes(model):
        column = f"{rsid}_alt_count"
        value = row.get(column)
        no_risk = 0 if risk_alleles.get(rsid, "alt") == "alt" else 2
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue  # a no-call: what testing would change, from the averaged risk (counterfactuals)
        if int(round(float(value))) != no_risk:
            out.append((rsid, f"with {_label(rsid)} genotype {genotype_with_count(rsid, no_risk)}", {column: float(no_risk)}))
    ratio = row.get("trough_ratio_to_apriori")
    if ratio is not None and not (isinstance(ratio, float) and math.isnan(ratio)) and abs(float(ratio) - 1) >= 0.1:
        expected = float(row["map_trough_ng_ml"]) / float(ratio)
        out.append((EARLY_TROUGH, f"with an early trough as expected ({expected:,.0f} ng/mL)",
                    {"map_trough_ng_ml": expected, "trough_ratio_to_apriori": 1.0}))
    return out


def _testing_entries(averaged, risk_alleles: dict) -> list[dict]:
    """A no-call patient's "genotyping ... would give" statements; ``counterfactual_risk``: the genotype
    without a risk allele, ``genotype_risks``: every genotype's."""
    out = []
    for genotype in averaged.genotypes:
        letters = [genotype_with_count(genotype.rsid, g) for g in (0, 1, 2)]
        no_risk = 0 if risk_alleles.get(genotype.rsid, "alt") == "alt" else 2
        out.append({"factor": genotype.rsid, "statement": testing_statement(averaged, genotype, letters),
                    "risk": averaged.risk, "counterfactual_risk": genotype.genotype_risks[no_risk],
                    "genotype_risks": dict(zip(letters, genotype.genotype_risks)),
                    "alt_allele_frequency": genotype.alt_allele_frequency, "frequency_source": genotype.source})
    return out


def counterfactuals(model, X: pd.DataFrame, *, risk_alleles: dict | None = None,
                    averaged: dict | None = None, only_established: bool = True) -> dict[str, list[dict]]:
    """Per patient id: list of {factor, statement, risk, counterfactual_risk} (one batch re-scoring).

    ``averaged``: the no-call averages already computed (``LogOddsAttributions.no_calls``), else computed here.
    ``only_established``: leave out factors whose effect the model did not establish (the default: a
    counterfactual of such a factor would present the model's arithmetic as an effect)."""
    risk_alleles = risk_alleles or {}
    averaged = average_over_no_calls(model, X) if averaged is None else averaged
    rows, meta = [], []
    shown: dict[str, bool] = {}
    for pid, row in X.iterrows():
        for factor, label, changes in _scenarios(model, row, risk_alleles):
            if only_established and not shown.setdefault(factor, is_established(effect_of(model, factor))):
                continue
            changed = row.copy()
            for column, value in changes.items():
                changed[column] = value
            rows.append(changed)
            meta.append((pid, factor, label))
    result: dict[str, list[dict]] = {str(pid): [] for pid in X.index}
    for i, a in averaged.items():
        result[str(X.index[i])] += _testing_entries(a, risk_alleles)
    if not rows:
        return result
    served = np.array(model.predict_proba(X)[:, 1], dtype=np.float64)
    for i, a in averaged.items():  # a no-call patient is served the averaged risk
        served[i] = a.risk
    base_risk = dict(zip(X.index, served))
    frame = pd.DataFrame(rows).astype(X.dtypes.to_dict())
    new_risk = model.predict_proba(frame)[:, 1]
    for (pid, factor, label), p in zip(meta, new_risk):
        p0 = float(base_risk[pid])
        if _pct(p) == _pct(p0):
            statement = f"{label} the risk would be about the same ({_pct(p0)})"
        else:
            statement = f"{label} the risk would be {_pct(p)} instead of {_pct(p0)}"
        result[str(pid)].append({
            "factor": factor,
            "statement": statement,
            "risk": p0,
            "counterfactual_risk": float(p),
        })
    return result

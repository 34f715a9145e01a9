"""Per-patient explanations of the served model: factor contributions, plain words, long tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.explanations.attributions import LogOddsAttributions, explain_log_odds
from rashrisk.explanations.factors import factor_contributions, factor_inputs
from rashrisk.explanations.phrases import describe_factor, effect_direction, effect_statement
from rashrisk.models.effects import effect_of


def risk_alleles_of(model) -> dict:
    """{rsid: 'alt'|'ref'} counted as the risk allele, from the model card's genotype coding."""
    return dict(model.card.genotype_coding.risk_allele)


def explain_factors(model, X: pd.DataFrame) -> tuple[pd.DataFrame, LogOddsAttributions]:
    """(contributions by clinical factor in calibrated log-odds, the feature-level attributions)."""
    attributions = explain_log_odds(model, X)
    return factor_contributions(attributions.values, model.feature_factor_), attributions


SMALL_BATCH = 64


def factor_descriptions(model, X: pd.DataFrame, factors) -> dict[str, np.ndarray]:
    """Per factor, every patient's description in words (object array aligned with ``X``).

    A description depends only on the factor's input values, so it is built once per distinct
    combination (100,000 patients share few distinct genotypes, doses or rounded weights)."""
    alleles = risk_alleles_of(model)
    n = len(X)
    out = {}
    records = None
    for factor in factors:
        inputs = factor_inputs(factor, X.columns)
        if not inputs or n == 0:
            out[factor] = np.full(n, describe_factor(factor, {}, risk_alleles=alleles), dtype=object)
            continue
        if n <= SMALL_BATCH:  # a few patients: grouping costs more than describing each one
            if records is None:
                records = X.to_dict(orient="records")
            out[factor] = np.array([describe_factor(factor, {c: r[c] for c in inputs}, risk_alleles=alleles)
                                    for r in records], dtype=object)
            continue
        table = X[inputs].reset_index(drop=True)
        codes = table.groupby(inputs, dropna=False, sort=False).ngroup().to_numpy()
        first = pd.Series(np.arange(n)).groupby(codes).first().to_numpy()
        records = table.iloc[first].to_dict(orient="records")
        texts = np.array([describe_factor(factor, r, risk_alleles=alleles) for r in records], dtype=object)
        out[factor] = texts[codes]
    return out


def factor_effects_of(model, factors) -> dict[str, dict]:
    """{factor: its effect record} from the model card (:func:`rashrisk.models.effects.effect_of`)."""
    return {f: effect_of(model, f) for f in factors}


def top_factor_columns(model, X: pd.DataFrame, contributions: pd.DataFrame, k: int = 3) -> list[np.ndarray]:
    """``k`` arrays (strongest factor first) of :func:`~rashrisk.explanations.phrases.effect_statement`
    per patient: "female sex: raises risk (+0.42 log-odds; 90% interval ...)" for an established factor,
    "... could not establish the direction of this factor's effect ..." for any other."""
    n = len(X)
    factors = list(contributions.columns)
    k = min(k, len(factors))
    if n == 0 or k == 0:
        return [np.array([], dtype=object) for _ in range(k)]
    matrix = contributions.to_numpy(dtype=np.float64)
    order = np.argsort(-np.abs(matrix), axis=1, kind="stable")[:, :k]
    descriptions = factor_descriptions(model, X, factors)
    records = factor_effects_of(model, factors)
    rows = np.arange(n)
    out = []
    for j in range(k):
        value = matrix[rows, order[:, j]]
        text = np.empty(n, dtype=object)
        for code, factor in enumerate(factors):
            mask = order[:, j] == code
            if mask.any():  # one statement per patient: the description and the contribution are the patient's
                text[mask] = [effect_statement(d, v, records[factor])
                              for d, v in zip(descriptions[factor][mask], value[mask])]
        out.append(text)
    return out


def explanation_table(model, X: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per patient and factor, with ``contribution`` (calibrated log-odds),
    ``description`` (the factor's value in words), ``direction`` ('raises risk' / 'lowers risk' / 'little
    effect' for an established factor, else 'not established' or 'against expectation'),
    ``effect_status`` (the card's status of the factor), ``statement`` (the factor in words, claiming
    only what was established), ``base_value`` and ``model_logit`` (``base_value`` + the patient's
    contributions = ``model_logit``)."""
    contributions, attributions = explain_factors(model, X)
    return factor_rows(model, X, contributions, attributions)


def factor_rows(model, X: pd.DataFrame, contributions: pd.DataFrame, attributions: LogOddsAttributions) -> pd.DataFrame:
    """:func:`explanation_table` of an explanation already computed by :func:`explain_factors`."""
    alleles = risk_alleles_of(model)
    records = X.to_dict(orient="records")
    factors = list(contributions.columns)
    matrix = contributions.to_numpy(dtype=np.float64)
    effects = factor_effects_of(model, factors)
    rows = []
    for i, pid in enumerate(contributions.index):
        for j, factor in enumerate(factors):
            description, value, effect = describe_factor(factor, records[i], risk_alleles=alleles), matrix[i, j], effects[factor]
            rows.append((str(pid), factor, description, value, effect_direction(value, effect), effect["status"],
                         effect_statement(description, value, effect), attributions.base_value[i],
                         attributions.model_logit[i]))
    return pd.DataFrame(rows, columns=["patient_id", "factor", "description", "contribution", "direction",
                                       "effect_status", "statement", "base_value", "model_logit"])

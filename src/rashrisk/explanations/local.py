"""Per-patient explanations of the served model: factor contributions, plain words, long tables."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from rashrisk._records import frame_records
from rashrisk.explanations.attributions import LogOddsAttributions, explain_log_odds
from rashrisk.explanations.factors import factor_contributions, factor_inputs
from rashrisk.explanations.phrases import describe_factor, effect_direction, effect_statement
from rashrisk.models.effects import effect_of
from rashrisk.explanations.no_call import average_over_no_calls, frequency_for, model_genotypes, no_call_text

NOT_TESTED = "not tested (averaged)"


def risk_alleles_of(model) -> dict:
    """{rsid: 'alt'|'ref'} counted as the risk allele, from the model card's genotype coding."""
    return dict(model.card.genotype_coding.risk_allele)


def explain_factors(model, X: pd.DataFrame) -> tuple[pd.DataFrame, LogOddsAttributions]:
    """(contributions by clinical factor in calibrated log-odds, the feature-level attributions).

    A patient with a genotype no-call is served the risk averaged over the genotypes
    (:mod:`rashrisk.explanations.no_call`): its ``model_logit`` is the log-odds of that risk, and the
    no-call genotype's contribution is what the averaging adds beyond the other factors, so that
    base + contributions = the served log-odds (one no-call: exactly; several: on the first)."""
    attributions = explain_log_odds(model, X)
    averaged = average_over_no_calls(model, X)
    if averaged:
        values = attributions.values.copy()
        model_logit = np.array(attributions.model_logit, dtype=np.float64, copy=True)
        for i, a in averaged.items():
            served = float(np.log(a.risk) - np.log1p(-a.risk))  # the served risk's log-odds
            first = next(c for c in values.columns if model.feature_factor_.get(c) == a.genotypes[0].rsid)
            values.iloc[i, values.columns.get_loc(first)] += served - model_logit[i]
            model_logit[i] = served
        attributions = dataclasses.replace(attributions, values=values, model_logit=model_logit, no_calls=averaged)
    return factor_contributions(attributions.values, model.feature_factor_), attributions


def _no_call_descriptions(model, X: pd.DataFrame, factor: str, texts: np.ndarray) -> np.ndarray:
    """``texts`` with a no-call of genotype ``factor`` read as 'not tested: risk averaged ...'."""
    missing = np.flatnonzero(is_no_call(model, X, factor))
    if not len(missing):
        return texts
    texts = texts.copy()
    ancestry = X["ancestry"].to_numpy(dtype=object) if "ancestry" in X.columns else np.full(len(X), None)
    column = f"{factor}_alt_count"
    label = describe_factor(factor, {column: np.nan}).removesuffix(" not called (genotype no-call)")
    for i in missing:
        texts[i] = no_call_text(label, *frequency_for(model, factor, ancestry[i]))
    return texts


def is_no_call(model, X: pd.DataFrame, factor: str) -> np.ndarray:
    """Per patient, whether ``factor`` is a model genotype not called for the patient."""
    if factor not in model_genotypes(model):
        return np.zeros(len(X), dtype=bool)
    return X[f"{factor}_alt_count"].isna().to_numpy()


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
                records = frame_records(X)
            out[factor] = np.array([describe_factor(factor, {c: r[c] for c in inputs}, risk_alleles=alleles)
                                    for r in records], dtype=object)
            continue
        table = X[inputs].reset_index(drop=True)
        codes = table.groupby(inputs, dropna=False, sort=False).ngroup().to_numpy()
        first = pd.Series(np.arange(n)).groupby(codes).first().to_numpy()
        records = frame_records(table.iloc[first])
        texts = np.array([describe_factor(factor, r, risk_alleles=alleles) for r in records], dtype=object)
        out[factor] = texts[codes]
    return {factor: _no_call_descriptions(model, X, factor, texts) for factor, texts in out.items()}


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
    # a no-call is not a factor that raises or lowers risk: ranked after every factor, shown without a direction
    no_call = np.column_stack([is_no_call(model, X, f) for f in factors])
    order = np.argsort(np.where(no_call, 1.0, -np.abs(matrix)), axis=1, kind="stable")[:, :k]
    descriptions = factor_descriptions(model, X, factors)
    records = factor_effects_of(model, factors)
    rows = np.arange(n)
    out = []
    for j in range(k):
        value, untested = matrix[rows, order[:, j]], no_call[rows, order[:, j]]
        text = np.empty(n, dtype=object)
        for code, factor in enumerate(factors):
            mask = order[:, j] == code
            if mask.any():  # one statement per patient: the description and the contribution are the patient's
                text[mask] = [d if nc else effect_statement(d, v, records[factor])
                              for d, v, nc in zip(descriptions[factor][mask], value[mask], untested[mask])]
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
    factors = list(contributions.columns)
    matrix = contributions.to_numpy(dtype=np.float64)
    effects = factor_effects_of(model, factors)
    descriptions = factor_descriptions(model, X, factors)
    no_call = {f: is_no_call(model, X, f) for f in factors}
    rows = []
    for i, pid in enumerate(contributions.index):
        for j, factor in enumerate(factors):
            description, value, effect = descriptions[factor][i], matrix[i, j], effects[factor]
            untested = no_call[factor][i]
            rows.append((str(pid), factor, description, value,
                         NOT_TESTED if untested else effect_direction(value, effect), effect["status"],
                         description if untested else effect_statement(description, value, effect),
                         attributions.base_value[i], attributions.model_logit[i]))
    return pd.DataFrame(rows, columns=["patient_id", "factor", "description", "contribution", "direction",
                                       "effect_status", "statement", "base_value", "model_logit"])

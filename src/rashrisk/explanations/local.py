"""Per-patient explanations of the served model: factor contributions, plain words, long tables."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from rashrisk.explanations.attributions import LogOddsAttributions, explain_log_odds
from rashrisk.explanations.factors import factor_contributions, factor_inputs
from rashrisk.explanations.phrases import describe_factor, direction_text
from scipy.special import logit
from rashrisk.explanations.no_call import average_over_no_calls, frequency_for, no_call_rsids, no_call_text

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
            served = float(logit(np.array([a.risk]))[0])
            first = next(c for c in values.columns if model.feature_factor_.get(c) == a.genotypes[0].rsid)
            values.iloc[i, values.columns.get_loc(first)] += served - model_logit[i]
            model_logit[i] = served
        attributions = dataclasses.replace(attributions, values=values, model_logit=model_logit, no_calls=averaged)
    return factor_contributions(attributions.values, model.feature_factor_), attributions


def _no_call_descriptions(model, X: pd.DataFrame, factor: str, texts: np.ndarray) -> np.ndarray:
    """``texts`` with a no-call of genotype ``factor`` read as 'not tested: risk averaged ...'."""
    column = f"{factor}_alt_count"
    if column not in X.columns or factor not in set(model.feature_factor_.values()):
        return texts
    missing = np.flatnonzero(X[column].isna().to_numpy())
    if not len(missing):
        return texts
    texts = texts.copy()
    ancestry = X["ancestry"].to_numpy(dtype=object) if "ancestry" in X.columns else np.full(len(X), None)
    label = describe_factor(factor, {column: np.nan}).removesuffix(" not called (genotype no-call)")
    for i in missing:
        texts[i] = no_call_text(label, *frequency_for(model, factor, ancestry[i]))
    return texts


def is_no_call(model, X: pd.DataFrame, factor: str) -> np.ndarray:
    """Per patient, whether ``factor`` is a model genotype not called for the patient."""
    column = f"{factor}_alt_count"
    if column not in X.columns or factor not in set(getattr(model, "feature_factor_", {}).values()):
        return np.zeros(len(X), dtype=bool)
    return X[column].isna().to_numpy()


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
    return {factor: _no_call_descriptions(model, X, factor, texts) for factor, texts in out.items()}


def top_factor_columns(model, X: pd.DataFrame, contributions: pd.DataFrame, k: int = 3) -> list[np.ndarray]:
    """``k`` arrays (strongest factor first): "female sex: raises risk (+0.42 log-odds)" per patient."""
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
    table = np.column_stack([descriptions[f] for f in factors])
    rows = np.arange(n)
    out = []
    if n <= SMALL_BATCH:
        for j in range(k):
            value = matrix[rows, order[:, j]]
            out.append(np.array([t if nc else f"{t}: {direction_text(v)} ({v:+.2f} log-odds)"
                                 for t, v, nc in zip(table[rows, order[:, j]], value, no_call[rows, order[:, j]])],
                                dtype=object))
        return out
    for j in range(k):
        value = matrix[rows, order[:, j]]
        direction = np.where(np.abs(value) < 0.01, "little effect", np.where(value > 0, "raises risk", "lowers risk"))
        text = (pd.Series(table[rows, order[:, j]]) + ": " + direction.astype(object) + " ("
                + pd.Series(np.char.mod("%+.2f", value)).astype(object) + " log-odds)")
        text = np.where(no_call[rows, order[:, j]], table[rows, order[:, j]], text.to_numpy(dtype=object))
        out.append(np.asarray(text, dtype=object))
    return out


def explanation_table(model, X: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per patient and factor, with ``contribution`` (calibrated log-odds),
    ``description`` (the factor's value in words), ``direction``, ``base_value`` and ``model_logit``
    (``base_value`` + the patient's contributions = ``model_logit``)."""
    contributions, attributions = explain_factors(model, X)
    return factor_rows(model, X, contributions, attributions)


def factor_rows(model, X: pd.DataFrame, contributions: pd.DataFrame, attributions: LogOddsAttributions) -> pd.DataFrame:
    """:func:`explanation_table` of an explanation already computed by :func:`explain_factors`."""
    factors = list(contributions.columns)
    matrix = contributions.to_numpy(dtype=np.float64)
    descriptions = factor_descriptions(model, X, factors)
    no_call = {f: is_no_call(model, X, f) for f in factors}
    rows = []
    for i, pid in enumerate(contributions.index):
        for j, factor in enumerate(factors):
            direction = NOT_TESTED if no_call[factor][i] else direction_text(matrix[i, j])
            rows.append((str(pid), factor, descriptions[factor][i], matrix[i, j], direction,
                         attributions.base_value[i], attributions.model_logit[i]))
    return pd.DataFrame(rows, columns=["patient_id", "factor", "description", "contribution", "direction",
                                       "base_value", "model_logit"])

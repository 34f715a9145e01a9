"""Per-patient explanations of the served model: factor contributions, plain words, long tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.explain.attributions import LogOddsAttributions, explain_log_odds
from rashrisk.explain.factors import factor_contributions, top_factors
from rashrisk.explain.phrases import describe_factor, direction_text, factor_statement


def risk_alleles_of(model) -> dict:
    """{rsid: 'alt'|'ref'} counted as the risk allele, from the model card (default 'alt')."""
    card = getattr(model, "card", {}) or {}
    features = card.get("features", {}) if isinstance(card.get("features"), dict) else {}
    return dict(features.get("risk_allele", card.get("risk_allele", {})) or {})


def explain_factors(model, X: pd.DataFrame) -> tuple[pd.DataFrame, LogOddsAttributions]:
    """(contributions by clinical factor in calibrated log-odds, the feature-level attributions)."""
    attributions = explain_log_odds(model, X)
    return factor_contributions(attributions.values, model.feature_factor_), attributions


def top_factor_statements(model, X: pd.DataFrame, contributions: pd.DataFrame, k: int = 3) -> list[list[str]]:
    """Per patient, the ``k`` strongest factors as plain-language statements."""
    alleles = risk_alleles_of(model)
    records = X.to_dict(orient="records")
    out = []
    for row, names, values in zip(records, top_factors(contributions, k), contributions.to_dict(orient="records")):
        out.append([factor_statement(f, row, values[f], risk_alleles=alleles) for f in names])
    return out


def explanation_table(model, X: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per patient and factor, with ``contribution`` (calibrated log-odds),
    ``description`` (the factor's value in words), ``direction``, ``base_value`` and ``model_logit``
    (``base_value`` + the patient's contributions = ``model_logit``)."""
    contributions, attributions = explain_factors(model, X)
    alleles = risk_alleles_of(model)
    records = X.to_dict(orient="records")
    factors = list(contributions.columns)
    matrix = contributions.to_numpy(dtype=np.float64)
    rows = []
    for i, pid in enumerate(contributions.index):
        for j, factor in enumerate(factors):
            rows.append((str(pid), factor, describe_factor(factor, records[i], risk_alleles=alleles),
                         matrix[i, j], direction_text(matrix[i, j]), attributions.base_value[i],
                         attributions.model_logit[i]))
    return pd.DataFrame(rows, columns=["patient_id", "factor", "description", "contribution", "direction",
                                       "base_value", "model_logit"])

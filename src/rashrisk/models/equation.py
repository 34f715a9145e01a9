"""The full model written out as an equation, for the model card.

TRIPOD+AI asks that the full model be presented so that others can compute a prediction, check it
and validate it on their own patients. For a logistic bundle that is one intercept and one
coefficient per model feature, with the standardisation and the calibration folded in, plus how
each feature is made from the clinical input and the value it takes when that input is missing:

    log-odds = intercept + sum(coefficient_j * feature_j),   risk = 1 / (1 + exp(-log-odds))

A tree ensemble has no such form (``None``); its card lists the candidates and its explanation
method instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.features.preprocess import feature_kinds


def _made_from(kind: str, feature: str, factor: str) -> str:
    """How a model feature is computed from its clinical input, in words."""
    if feature.endswith("_missing"):
        return f"1 when {factor} is missing, else 0"
    if kind == "categorical":
        return f"1 when {factor} is {feature[len(factor) + 1:]}, else 0"
    if kind == "genotype":
        return f"{factor} genotype encoded as {feature[len(factor) + 1:].replace('_', ' ')}"
    if "_spline" in feature:
        of = f"the natural log of {factor}" if "_log_spline" in feature else factor
        return f"B-spline basis function {feature.rsplit('_spline', 1)[1]} of {of}"
    if feature.endswith("_log"):
        return f"natural log of {factor}"
    return factor


def logistic_equation(preprocess, estimator, calibration: tuple[float, float], factors: dict) -> dict | None:
    """{"intercept", "terms": [{"feature", "factor", "made_from", "coefficient", "odds_ratio",
    "value_when_missing" (and, for a log feature, "input_when_missing" on the input's scale)}, ...]}
    reproducing the served log-odds; None for a non-linear estimator.

    ``preprocess``: the fitted Pipeline (columns, standardise); ``calibration``: (intercept, slope)
    of the served affine map; ``factors``: model feature -> clinical factor.
    """
    if not hasattr(estimator, "coef_"):
        return None
    columns = preprocess.named_steps["columns"]
    scaler = preprocess.named_steps["standardise"]
    a, b = calibration
    per_unit = np.asarray(estimator.coef_, dtype=np.float64).ravel() / scaler.scale_
    intercept = a + b * (float(estimator.intercept_[0]) - float(per_unit @ scaler.mean_))
    coefficients = b * per_unit
    # every input missing: each feature then takes its learned fill value (indicators 1; a genotype no-call
    # its Hardy-Weinberg expectation at the training allele frequency, no indicator)
    missing_row = pd.DataFrame([[np.nan] * len(columns.feature_names_in_)], columns=list(columns.feature_names_in_))
    when_missing = np.asarray(columns.transform(missing_row), dtype=np.float64).ravel()
    kinds = feature_kinds(columns)
    terms = []
    for j, feature in enumerate(columns.get_feature_names_out()):
        factor = factors.get(feature, feature)
        term = {"feature": str(feature), "factor": factor, "made_from": _made_from(kinds[feature], feature, factor),
                "coefficient": float(coefficients[j]), "odds_ratio": float(np.exp(coefficients[j])),
                "value_when_missing": float(when_missing[j])}
        if feature.endswith("_log"):  # the same fill value on the input's own scale
            term["input_when_missing"] = float(np.exp(when_missing[j]))
        terms.append(term)
    return {"form": "log-odds = intercept + sum(coefficient x feature); risk = 1 / (1 + exp(-log-odds))",
            "intercept": intercept, "terms": terms}


def equation_log_odds(equation: dict, features: np.ndarray) -> np.ndarray:
    """Log-odds from the written-out equation and the unstandardised feature matrix (the columns
    step's output): the check that the card's equation is the served model."""
    coefficients = np.array([t["coefficient"] for t in equation["terms"]])
    return equation["intercept"] + np.asarray(features, dtype=np.float64) @ coefficients

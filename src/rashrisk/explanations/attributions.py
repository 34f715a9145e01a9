"""Exact per-feature attributions in the served model's calibrated log-odds.

For every patient ``base_value + contributions.sum() == model.decision_function(X)`` (to ~1e-9):

- logistic regression: interventional linear SHAP against the training means of the feature
  matrix (``model.feature_means_``, stored in the bundle as aggregates, no patient rows),
  ``phi_j = slope * coef_j * (x_j - mean_j)``;
- XGBoost: TreeSHAP (``shap.TreeExplainer``, path-dependent) of the raw margin, times the
  calibration slope; see :mod:`rashrisk.explanations.tree` for how float64 precision is kept.

The calibration (Platt, or the identity for a logistic model served as fitted) is affine in
log-odds, so scaling raw attributions by its slope and moving its intercept into the base value
keeps additivity exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rashrisk.errors import ModelError
from rashrisk.models.candidates import FAMILIES
from rashrisk.explanations.tree import tree_raw_contributions


@dataclass
class LogOddsAttributions:
    """Attributions of one model for a set of patients, all in calibrated log-odds."""

    values: pd.DataFrame  # patients x model features
    base_value: np.ndarray  # (n,) the same for every patient
    model_logit: np.ndarray  # (n,) model.decision_function(X)
    matrix: np.ndarray | None = None  # the preprocessed feature matrix explained (reused for intervals)
    # rows with a genotype no-call: {row position: rashrisk.explanations.no_call.AveragedRisk} (set by explain_factors)
    no_calls: dict = field(default_factory=dict)

    @property
    def additivity_error(self) -> float:
        """Largest |base + sum - model_logit| over patients (0 for an empty set)."""
        if len(self.values) == 0:
            return 0.0
        total = self.base_value + self.values.to_numpy().sum(axis=1)
        return float(np.max(np.abs(total - self.model_logit)))


def feature_matrix(model, X: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The preprocessed numeric matrix the estimator sees, with its feature names."""
    columns = getattr(model, "input_columns_", None) or list(X.columns)
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ModelError(f"{model.name}: input columns {missing} are missing for the explanation")
    matrix = np.asarray(model.preprocess_.transform(X[columns]), dtype=np.float64)
    names = [str(n) for n in model.preprocess_.get_feature_names_out()]
    return matrix, names


def background_means(model, names: list[str]) -> np.ndarray:
    """Mean of the training feature matrix (``model.feature_means_``), one value per model feature."""
    means = getattr(model, "feature_means_", None)
    if means is None:
        raise ModelError(f"{model.name} {model.version}: the bundle has no feature_means_; "
                         "expected a bundle written by rashrisk train")
    means = np.asarray(means, dtype=np.float64).ravel()
    if len(means) != len(names):
        raise ModelError(f"{model.name} {model.version}: {len(means)} feature means for {len(names)} model features")
    return means


def explain_log_odds(model, X: pd.DataFrame) -> LogOddsAttributions:
    """Attributions of ``model`` (a RiskModel) for the clinical frame ``X``, in calibrated log-odds."""
    if len(X) == 0:  # nothing to explain (e.g. every patient excluded at the landmark)
        names = [str(n) for n in model.preprocess_.get_feature_names_out()]
        empty = np.zeros(0, dtype=np.float64)
        return LogOddsAttributions(values=pd.DataFrame(np.zeros((0, len(names))), index=X.index, columns=names),
                                   base_value=empty, model_logit=empty.copy())
    matrix, names = feature_matrix(model, X)
    slope = float(model.calibration_slope_)
    intercept = float(model.calibration_intercept_)
    estimator = model.estimator_
    family = FAMILIES.get(model.family)
    if family is None:
        raise ModelError(f"{model.name} {model.version}: cannot explain a model of family {model.family!r}; "
                         f"expected one of {sorted(FAMILIES)}")
    if family.linear:
        coef = np.asarray(estimator.coef_, dtype=np.float64).ravel()
        means = background_means(model, names)
        values = slope * coef * (matrix - means)
        raw_base = float(np.asarray(estimator.intercept_, dtype=np.float64).ravel()[0] + coef @ means)
        base = np.full(len(matrix), intercept + slope * raw_base)
        # the served log-odds, computed as RiskModel.decision_function does, on the matrix already built
        # (tests compare it with model.decision_function bit for bit)
        logit = intercept + slope * family.raw_logit(estimator, None, matrix)
    else:  # a tree family: TreeSHAP
        raw_values, raw_base = tree_raw_contributions(estimator, matrix)
        values = slope * raw_values
        base = intercept + slope * raw_base
        from_matrix = getattr(model, "decision_function_matrix", None)  # RiskModel: no second preprocessing
        logit = np.asarray(from_matrix(matrix) if from_matrix else model.decision_function(X), dtype=np.float64)
    frame = pd.DataFrame(values, index=X.index, columns=names)
    return LogOddsAttributions(values=frame, base_value=np.asarray(base, dtype=np.float64), model_logit=logit,
                               matrix=matrix)

"""Candidate models: a family (:data:`FAMILIES`: penalised logistic regression, shallow XGBoost)
plus one point of its grid. Fitting one gives a :class:`FittedCandidate` (preprocess + estimator)
whose ``raw_logit`` is float64 log-odds. What differs between families lives in the family classes
(:mod:`rashrisk.models.family`), not here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rashrisk.features.preprocess import FeatureSpec, build_preprocess, feature_factors, used_columns
from rashrisk.models.family import ModelFamily
from rashrisk.models.family_logistic import LogisticFamily
from rashrisk.models.family_xgboost import XGBoostFamily

FAMILIES: dict[str, ModelFamily] = {f.name: f for f in (LogisticFamily(), XGBoostFamily())}


def candidate_label(family: str, params: dict) -> str:
    """'logistic(C=0.1, splines=False)': a candidate's name in tables, MLflow runs and tags."""
    return f"{family}(" + ", ".join(f"{k}={v}" for k, v in sorted(params.items())) + ")"


@dataclass(frozen=True)
class Candidate:
    family: str  # a key of FAMILIES
    params: tuple  # sorted (name, value) pairs: hashable

    @property
    def label(self) -> str:
        return candidate_label(self.family, dict(self.params))

    @property
    def param_dict(self) -> dict:
        return dict(self.params)

    @property
    def model_family(self) -> ModelFamily:
        return FAMILIES[self.family]

    @property
    def preprocess_key(self) -> tuple:
        """Candidates with the same key share the same preprocessing (fitted once per fold)."""
        return (self.family, bool(self.param_dict.get("splines", False)))


def candidate_grid(config) -> list[Candidate]:
    return [Candidate(family, tuple(sorted(point.items())))
            for family in config.candidates for point in FAMILIES[family].grid_points(config)]


def make_preprocess(candidate: Candidate, spec: FeatureSpec, stage: str, columns):
    """Unfitted preprocessing for the candidate (the clinical encoders plus what its family needs)."""
    splines = bool(candidate.param_dict.get("splines", False))
    return candidate.model_family.preprocess(build_preprocess(spec, stage, columns, splines=splines))


def columns_step(preprocess):
    """The :class:`~rashrisk.features.columns.ClinicalColumns` step of a preprocess."""
    return preprocess.named_steps["columns"] if hasattr(preprocess, "named_steps") else preprocess


def column_factors(preprocess) -> dict[str, str]:
    return feature_factors(columns_step(preprocess))


def fit_estimator(candidate: Candidate, config, matrix, y, feature_names, factors, *, seed: int, exact: bool = False):
    """Fit the estimator on an already preprocessed matrix: returns (estimator, exact-sum helper or
    None); ``exact=True`` builds the float64 leaf table of an XGBoost model (the served model only)."""
    return candidate.model_family.fit(candidate.param_dict, config, matrix, y, feature_names, factors, seed=seed,
                                      exact=exact)


class FittedCandidate:
    """Preprocess + estimator fitted on a clinical frame; ``raw_logit`` on new frames."""

    def __init__(self, candidate: Candidate, config, stage: str, *, seed: int, exact: bool = False):
        self.candidate = candidate
        self.config = config
        self.stage = stage
        self.seed = seed
        self.exact = exact

    def fit(self, X, y):
        self.input_columns_ = used_columns(self.config.features, self.stage, X.columns)
        self.preprocess_ = make_preprocess(self.candidate, self.config.features, self.stage, self.input_columns_)
        matrix = self.preprocess_.fit_transform(X[self.input_columns_])
        self.feature_names_ = [str(n) for n in self.preprocess_.get_feature_names_out()]
        self.factors_ = column_factors(self.preprocess_)
        self.estimator_, self.leaf_table_ = fit_estimator(
            self.candidate, self.config, matrix, y, self.feature_names_, self.factors_, seed=self.seed,
            exact=self.exact)
        return self

    def transform(self, X) -> np.ndarray:
        return self.preprocess_.transform(X[self.input_columns_])

    def raw_logit(self, X) -> np.ndarray:
        return self.candidate.model_family.raw_logit(self.estimator_, self.leaf_table_, self.transform(X))

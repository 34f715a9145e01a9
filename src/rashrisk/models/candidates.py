"""Candidate models: penalised logistic regression (L2, optional B-splines) and shallow XGBoost
with monotone constraints. A candidate is a family plus one point of its grid; fitting one gives
a :class:`FittedCandidate` (preprocess + estimator) whose ``raw_logit`` is float64 log-odds."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from rashrisk.features.preprocess import FeatureSpec, build_preprocess, feature_factors, used_columns
from rashrisk.models.config import TrainingConfig


def candidate_label(family: str, params: dict) -> str:
    """'logistic(C=0.1, splines=False)': a candidate's name in tables, MLflow runs and tags."""
    return f"{family}(" + ", ".join(f"{k}={v}" for k, v in sorted(params.items())) + ")"


@dataclass(frozen=True)
class Candidate:
    family: str  # 'logistic' | 'xgboost'
    params: tuple  # sorted (name, value) pairs: hashable

    @property
    def label(self) -> str:
        return candidate_label(self.family, dict(self.params))

    @property
    def param_dict(self) -> dict:
        return dict(self.params)

    @property
    def preprocess_key(self) -> tuple:
        """Candidates with the same key share the same preprocessing (fitted once per fold)."""
        return (self.family, bool(self.param_dict.get("splines", False)))


def candidate_grid(config: TrainingConfig) -> list[Candidate]:
    out = []
    for family in config.candidates:
        grid = config.logistic if family == "logistic" else config.xgboost
        names = [n for n in grid.__dataclass_fields__ if n != "monotone_increasing"]
        for values in itertools.product(*(getattr(grid, n) for n in names)):
            out.append(Candidate(family, tuple(sorted(zip(names, values)))))
    return out


def make_preprocess(candidate: Candidate, spec: FeatureSpec, stage: str, columns):
    """Unfitted preprocessing for the candidate (logistic: plus standardisation)."""
    splines = bool(candidate.param_dict.get("splines", False))
    columns_step = build_preprocess(spec, stage, columns, splines=splines)
    if candidate.family == "logistic":
        return Pipeline([("columns", columns_step), ("standardise", StandardScaler())])
    return columns_step


def monotone_constraints(feature_names, factors: dict, increasing) -> tuple[int, ...]:
    """+1 for each feature of a listed clinical factor (never its missing indicator), else 0."""
    out = []
    for name in feature_names:
        factor = factors.get(name, name)
        out.append(1 if factor in increasing and not name.endswith("_missing") else 0)
    return tuple(out)


def make_estimator(candidate: Candidate, config: TrainingConfig, feature_names, factors, *, seed: int):
    params = candidate.param_dict
    if candidate.family == "logistic":
        return LogisticRegression(C=params["C"], max_iter=5000, tol=1e-6)
    import xgboost as xgb

    return xgb.XGBClassifier(
        n_estimators=int(params["n_estimators"]),
        max_depth=int(params["max_depth"]),
        learning_rate=float(params["learning_rate"]),
        min_child_weight=float(params["min_child_weight"]),
        reg_lambda=float(params["reg_lambda"]),
        monotone_constraints=monotone_constraints(feature_names, factors, config.xgboost.monotone_increasing),
        tree_method="hist",
        n_jobs=1,
        random_state=seed,
        objective="binary:logistic",
    )


def column_factors(preprocess) -> dict[str, str]:
    columns_step = preprocess.named_steps["columns"] if isinstance(preprocess, Pipeline) else preprocess
    return feature_factors(columns_step)


def estimator_raw_logit(estimator, matrix: np.ndarray, leaf_table=None) -> np.ndarray:
    """float64 log-odds of a fitted estimator on the feature matrix.

    XGBoost with a leaf table: the exact float64 sum of leaf values (the served model, so that
    explanations add up). XGBoost without one: XGBoost's own margin (float32 accumulation, ~1e-6
    away), several times faster: used inside CV, bootstrap and the interval ensemble.
    """
    if leaf_table is not None:
        return leaf_table.raw_logit(estimator.get_booster(), matrix)
    if hasattr(estimator, "get_booster"):
        margin = estimator.get_booster().inplace_predict(np.asarray(matrix, dtype=np.float32), predict_type="margin")
        return np.asarray(margin, dtype=np.float64).reshape(len(matrix))
    return np.asarray(estimator.decision_function(matrix), dtype=np.float64)


def fit_estimator(candidate: Candidate, config: TrainingConfig, matrix, y, feature_names, factors, *, seed: int,
                  exact: bool = False):
    """Fit the estimator on an already preprocessed matrix: returns (estimator, leaf_table or None);
    ``exact=True`` builds the float64 leaf table of an XGBoost model (the served model only)."""
    estimator = make_estimator(candidate, config, feature_names, factors, seed=seed)
    estimator.fit(matrix, np.asarray(y, dtype=int))
    if exact and candidate.family == "xgboost":
        from rashrisk.models.xgb_logit import LeafTable

        return estimator, LeafTable(estimator.get_booster())
    return estimator, None


class FittedCandidate:
    """Preprocess + estimator fitted on a clinical frame; ``raw_logit`` on new frames."""

    def __init__(self, candidate: Candidate, config: TrainingConfig, stage: str, *, seed: int, exact: bool = False):
        self.candidate = candidate
        self.config = config
        self.stage = stage
        self.seed = seed
        self.exact = exact

    def fit(self, X, y):
        self.input_columns_ = used_columns(self.config.features, self.stage, X.columns)
        self.preprocess_ = make_preprocess(self.candidate, self.config.features, self.stage, self.input_columns_)
        matrix = self.preprocess_.fit_transform(X[self.input_columns_])
        self.feature_names_ = list(self.preprocess_.get_feature_names_out())
        self.factors_ = column_factors(self.preprocess_)
        self.estimator_, self.leaf_table_ = fit_estimator(
            self.candidate, self.config, matrix, y, self.feature_names_, self.factors_, seed=self.seed,
            exact=self.exact)
        return self

    def transform(self, X) -> np.ndarray:
        return self.preprocess_.transform(X[self.input_columns_])

    def raw_logit(self, X) -> np.ndarray:
        return estimator_raw_logit(self.estimator_, self.transform(X), self.leaf_table_)

"""A small stand-in for ``rashrisk.models.bundle.RiskModel`` fitted in the test process.

It follows the shared interface (preprocess_, estimator_, Platt slope/intercept, feature_factor_,
feature_means_, input_summary_, raw_logit in float64, decision_function, predict_proba, predict_interval, card) so that
the explanation math is tested on both estimator families independently of the training code.
"""

from __future__ import annotations

import json

from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from rashrisk.models.card import BandThresholds, GenotypeCoding

NUMERIC = ["age_years", "weight_kg", "apriori_trough_ng_ml", "rs4129267_alt_count"]
CATEGORICAL = ["sex", "ancestry"]


def clinical_frame(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "sex": rng.choice(["F", "M"], n),
        "ancestry": rng.choice(["EAS", "EUR", "AFR"], n),
        "age_years": rng.normal(58, 12, n).round(),
        "weight_kg": rng.normal(68, 13, n).round(1),
        "apriori_trough_ng_ml": rng.lognormal(np.log(1100), 0.35, n),
        "rs4129267_alt_count": rng.choice([0.0, 1.0, 2.0, np.nan], n, p=[0.38, 0.46, 0.14, 0.02]),
    }, index=pd.Index([f"P{i:05d}" for i in range(n)], name="patient_id"))
    logit = (-3.0 + 0.6 * np.nan_to_num(X["rs4129267_alt_count"]) + 0.5 * (X["sex"] == "F")
             + 0.9 * np.log(X["apriori_trough_ng_ml"] / 1100))
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    return X, y.to_numpy()


def _preprocess():
    numeric = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    return ColumnTransformer([("num", numeric, NUMERIC),
                              ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CATEGORICAL)],
                             verbose_feature_names_out=False)


def _factor(name: str) -> str:
    if name.startswith("missingindicator_"):
        name = name[len("missingindicator_"):]
    for column in NUMERIC + CATEGORICAL:
        if name == column or name.startswith(column + "_"):
            return "rs4129267" if column.startswith("rs4129267") else column
    raise KeyError(name)


class FakeRiskModel:
    def __init__(self, family: str, stage: str = "start"):
        self.family = family
        self.stage = stage
        self.name = f"rashrisk-{stage}"
        self.version = "test-1"
        self.card = SimpleNamespace(  # the ModelCard fields the explanation and report read
            intended_use="research use only",
            trained_on=SimpleNamespace(cohort="unit-test", simulated=True, n=0, events=0),
            band_thresholds=BandThresholds(low_below=0.05, high_from=0.15),
            baseline_risk=0.076, simulated=True, input_ranges={},
            disclaimer="Research use only; trained on simulated data.",
            limitations=("test model",),
            genotype_coding=GenotypeCoding(genotypes=("rs4129267",), genetic_model="additive",
                                           risk_allele={"rs4129267": "alt"}),
            pk_model=SimpleNamespace(name="widmer2006", sha256="0" * 64),
        )
        self.input_columns_ = NUMERIC + CATEGORICAL

    def fit(self, X: pd.DataFrame, y, *, seed: int = 0):
        self.preprocess_ = _preprocess().fit(X[self.input_columns_])
        matrix = self.preprocess_.transform(X[self.input_columns_])
        if self.family == "logistic":
            self.estimator_ = LogisticRegression(C=0.5, max_iter=1000).fit(matrix, y)
        else:
            from xgboost import XGBClassifier

            self.estimator_ = XGBClassifier(n_estimators=120, max_depth=3, learning_rate=0.08,
                                            random_state=seed, n_jobs=1).fit(matrix, y)
        self.calibration_slope_ = 0.83
        self.calibration_intercept_ = -0.12
        self.feature_factor_ = {n: _factor(n) for n in self.preprocess_.get_feature_names_out()}
        # the training aggregate a no-call is averaged at when the ancestry has no reference frequency
        self.input_summary_ = {"rs4129267_alt_count": {"mean": float(np.nanmean(X["rs4129267_alt_count"]))}}
        self.feature_means_ = np.asarray(matrix, dtype=np.float64).mean(axis=0)  # aggregates, no patient rows
        self.baseline_risk = float(np.mean(y))
        return self

    def raw_logit(self, X) -> np.ndarray:
        matrix = self.preprocess_.transform(X[self.input_columns_])
        if self.family == "logistic":
            # as the served logistic family computes it (models/family_logistic.py): a row-wise einsum,
            # not sklearn's BLAS product, so a patient's log-odds do not depend on the batch
            coef = np.asarray(self.estimator_.coef_, dtype=np.float64).ravel()
            return np.einsum("ij,j->i", np.asarray(matrix, dtype=np.float64), coef) + float(self.estimator_.intercept_[0])
        return _leaf_sum(self.estimator_.get_booster(), matrix)

    def decision_function(self, X) -> np.ndarray:
        return self.calibration_intercept_ + self.calibration_slope_ * self.raw_logit(X)

    def predict_proba(self, X) -> np.ndarray:
        p = 1 / (1 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def predict_interval(self, X, level: float = 0.95):
        logit = self.decision_function(X)
        return 1 / (1 + np.exp(-(logit - 0.4))), 1 / (1 + np.exp(-(logit + 0.4)))

    def band(self, risk):
        t = self.card.band_thresholds
        risk = np.asarray(risk, dtype=float)
        return np.where(risk < t.low_below, "low", np.where(risk >= t.high_from, "high", "intermediate"))


def _leaf_sum(booster, matrix) -> np.ndarray:
    """float64 base margin + sum of float32 leaf values (independent of the code under test)."""
    import xgboost as xgb

    model = json.loads(booster.save_raw("json"))["learner"]
    base = float(json.loads(model["learner_model_param"]["base_score"])[0])
    trees = model["gradient_booster"]["model"]["trees"]
    leaf = booster.predict(xgb.DMatrix(np.asarray(matrix, dtype=np.float32)), pred_leaf=True).astype(int)
    total = np.full(len(matrix), np.log(base) - np.log1p(-base))
    for i, tree in enumerate(trees):
        values = np.asarray(tree["split_conditions"], dtype=np.float32).astype(np.float64)
        total += values[leaf[:, i]]
    return total


def with_effects(model: FakeRiskModel, **statuses: str) -> FakeRiskModel:
    """The model with a card effects record giving each named factor ``status`` (the intervals are
    made up to match it; the real ones come from rashrisk.models.effects.factor_effects)."""
    bounds = {"established": (0.2, 0.9), "against expectation": (-0.9, -0.2), "not established": (-0.4, 0.7)}
    model.card.effects = {"level": 0.90, "unit": "calibrated log-odds", "n_bootstrap": 30, "factors": {
        factor: {"contrast": "two risk alleles vs none", "effect": sum(bounds[status]) / 2, "low": bounds[status][0],
                 "high": bounds[status][1], "expected": "raises", "status": status}
        for factor, status in statuses.items()}}
    return model


def fitted(family: str, n: int = 1500, seed: int = 0) -> tuple[FakeRiskModel, pd.DataFrame]:
    X, y = clinical_frame(n, seed)
    return FakeRiskModel(family).fit(X, y, seed=seed), X

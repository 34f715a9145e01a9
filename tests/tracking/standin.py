"""A minimal stand-in with the RiskModel interface (stage, name, version, card, input_columns_,
preprocess_ / estimator_ / Platt attributes / feature_factor_ / feature_means_ so that it can be
explained, decision_function, predict_proba, save/load), importable in a fresh process via PYTHONPATH.

Its log-odds are set by hand: intercept + 0.4 (female) + sum of coef x value (missing counts as 0).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk.models.result import TrainingResult
from rashrisk.models.sample_size import riley_minimum_sample_size


class StandInRiskModel:
    family = "logistic"

    def __init__(self, stage: str, version: str, coef: dict, intercept: float, card: dict):
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import OneHotEncoder

        self.stage = stage
        self.name = f"rashrisk-{stage}"
        self.version = version
        self.coef = dict(coef)
        self.intercept = float(intercept)
        self.card = card
        self.input_columns_ = ["sex", "age_years", "rs4129267_alt_count", "map_trough_ng_ml"]
        numeric = self.input_columns_[1:]
        self.preprocess_ = ColumnTransformer(
            [("sex", OneHotEncoder(categories=[["M", "F"]], drop="first", handle_unknown="ignore",
                                   sparse_output=False), ["sex"]),
             ("num", SimpleImputer(strategy="constant", fill_value=0.0, keep_empty_features=True), numeric)],
            verbose_feature_names_out=False).fit(frame(20))
        names = [str(n) for n in self.preprocess_.get_feature_names_out()]
        self.estimator_ = LogisticRegression()
        self.estimator_.classes_ = np.array([0, 1])
        self.estimator_.coef_ = np.array([[0.4] + [self.coef.get(c, 0.0) for c in numeric]])
        self.estimator_.intercept_ = np.array([self.intercept])
        self.calibration_intercept_ = 0.0
        self.calibration_slope_ = 1.0
        self.feature_factor_ = {n: ("sex" if n.startswith("sex") else n.removesuffix("_alt_count")) for n in names}
        self.feature_means_ = self.preprocess_.transform(frame()).mean(axis=0)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        matrix = self.preprocess_.transform(X[self.input_columns_])
        return np.asarray(self.estimator_.decision_function(matrix), dtype=np.float64)

    def predict_proba(self, X) -> np.ndarray:
        p = 1 / (1 + np.exp(-self.decision_function(X)))
        return np.column_stack([1 - p, p])

    def save(self, directory) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "model.pkl").write_bytes(pickle.dumps(self))
        (directory / "card.json").write_text(json.dumps(self.card))
        (directory / "card.md").write_text(f"# Model card: {self.name} {self.version}\n")
        return directory

    @classmethod
    def load(cls, directory) -> "StandInRiskModel":
        return pickle.loads((Path(directory) / "model.pkl").read_bytes())


def frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "sex": rng.choice(["F", "M"], n),
        "age_years": rng.normal(60, 10, n).round(),
        "rs4129267_alt_count": rng.choice([0.0, 1.0, 2.0, np.nan], n),
        "map_trough_ng_ml": rng.normal(1200, 300, n),
    }, index=[f"P{i:03d}" for i in range(n)])
    return X


class _Frame:
    def __init__(self, X):
        self.X = X


def training_result(*, stage="tdm", version="0.1.0+test", auroc=0.70, log_loss=0.25, files=None, seed=0):
    """A TrainingResult around the stand-in with the given corrected AUROC and log-loss."""
    X = frame(seed=seed)
    model = StandInRiskModel(stage, version, {"rs4129267_alt_count": 0.5, "map_trough_ng_ml": 0.001}, -4.0,
                             {"trained_on": {"cohort": "unit-cohort", "simulated": True, "n": len(X), "events": 12}})
    p = model.predict_proba(X)[:, 1]
    y = (np.arange(len(X)) % 10 == 0).astype(int)
    metrics = {name: {"apparent": value, "optimism": 0.01, "corrected": value, "ci_low": value - 0.05,
                      "ci_high": value + 0.05, "cross_validated": value, "n_boot_valid": 20}
               for name, value in (("auroc", auroc), ("log_loss", log_loss), ("calibration_slope", 0.9),
                                   ("brier", 0.08))}
    report = {"schema": "rashrisk.validation/1", "n": len(X), "events": int(y.sum()), "prevalence": y.mean(),
              "n_parameters": 4, "events_per_parameter": y.sum() / 4, "metrics": metrics, "warnings": [],
              "sample_size": riley_minimum_sample_size(4, 0.1, c_statistic=0.7), "display_predictions": "out-of-fold",
              "calibration_curve": [{"predicted": 0.05, "observed": 0.06, "observed_low": 0.03, "observed_high": 0.09},
                                    {"predicted": 0.2, "observed": 0.18, "observed_low": 0.1, "observed_high": 0.3}],
              "decision_curve": [{"threshold": 0.05, "net_benefit_model": 0.05, "net_benefit_treat_all": 0.05},
                                 {"threshold": 0.10, "net_benefit_model": 0.02, "net_benefit_treat_all": 0.0}],
              "threshold_table": [], "subgroups": [], "bootstrap": {"n_boot": 20, "seed": 0, "method": "test"}}
    return TrainingResult(stage=stage, model=model, frame=_Frame(X),
                          candidates=[{"name": "logistic-C0.1", "label": "logistic(C=0.1)", "params": {"C": 0.1},
                                       "cv_logloss_mean": 0.26, "cv_logloss_sd": 0.01}],
                          selected="logistic", oof_proba=p, y=y, validation=report,
                          fingerprint={"files": files or {"patients.csv": "ab" * 32}, "rows": {"patients": len(X)}},
                          config={"seed": 0, "cv_splits": 5}, seconds={"tuning": 1.5})

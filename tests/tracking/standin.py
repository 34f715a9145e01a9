"""A small real RiskModel (penalised logistic regression on four columns of a made-up frame) inside a
TrainingResult whose validation figures the tests set by hand, so that the champion rule can be
driven; it is saved and loaded like any bundle (importable in a fresh process via PYTHONPATH).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.models.bundle import RiskModel
from rashrisk.models.card import BandThresholds, build_card
from rashrisk.models.classifier import RashriskClassifier
from rashrisk.models.config import LogisticGrid
from rashrisk.models.result import TrainingResult
from rashrisk.models.sample_size import riley_minimum_sample_size
from rashrisk.features.preprocess import FeatureSpec
from rashrisk.pk.model import default_pk_model


def standin_model(stage: str, version: str, X: pd.DataFrame, y: np.ndarray) -> RiskModel:
    classifier = RashriskClassifier(stage, candidates=("logistic",), logistic=LogisticGrid(C=(0.1,)), cv_splits=2,
                                    cv_repeats=1, interval_bootstrap=2).fit(X, y)
    card = build_card(stage=stage, name=f"rashrisk-{stage}", version=version, cohort_name="unit-cohort",
                      simulated=True, n=len(X), events=int(y.sum()), fingerprint={}, factors=["sex", "age_years"],
                      family="logistic", params=classifier.params_, calibration=(0.0, 1.0), calibration_method="identity",
                      landmark=(7.0, 42.0), band_thresholds=BandThresholds(0.05, 0.15), validation={}, nested_cv={},
                      excluded={}, candidates=[], pk_model=default_pk_model(), features=FeatureSpec(),
                      input_summary=classifier.input_summary_)
    return RiskModel(classifier, card)


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


def training_result(*, stage="tdm", version="0.1.0+test", auroc=0.70, log_loss=0.25, scaled_brier=0.05, files=None,
                    seed=0):
    """A TrainingResult around the stand-in with the given corrected AUROC, log-loss and scaled Brier
    (interval: the value +- 0.05)."""
    X = frame(seed=seed)
    y = (np.arange(len(X)) % 10 == 0).astype(int)
    model = standin_model(stage, version, X, y)
    p = model.predict_proba(X)[:, 1]
    metrics = {name: {"apparent": value, "optimism": 0.01, "corrected": value, "ci_low": value - 0.05,
                      "ci_high": value + 0.05, "cross_validated": value, "n_boot_valid": 20}
               for name, value in (("auroc", auroc), ("log_loss", log_loss), ("calibration_slope", 0.9),
                                   ("brier", 0.08), ("scaled_brier", scaled_brier))}
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

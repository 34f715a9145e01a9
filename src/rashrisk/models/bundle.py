"""The served model: :class:`RiskModel`, a fitted, picklable bundle (preprocess + estimator +
Platt calibration + bootstrap ensemble for intervals + model card), saved as a folder
(``model.joblib``, ``card.json``, ``card.md``).

Served calibrated log-odds: ``decision_function(X) = calibration_intercept_ + calibration_slope_ *
raw_logit(X)``, where ``raw_logit`` is the estimator's log-odds in float64 (XGBoost: float64 sum of
leaf values), so that additive explanations of the raw model scaled by the slope are exact.

The bundle carries no patient rows: the training data is described by aggregates only
(``feature_means_``, the mean of the training feature matrix that linear explanations are taken
against, and ``input_summary_``, per input column mean / median / percentiles / range or category
shares; see :func:`rashrisk.models.card.summarize_inputs`).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk.errors import ModelError
from rashrisk.models.calibration import expit
from rashrisk.models.candidates import estimator_raw_logit

BUNDLE_FILE = "model.joblib"
CARD_JSON = "card.json"
CARD_MD = "card.md"
STAGE_NAMES = {"start": "rashrisk-start", "tdm": "rashrisk-tdm"}


class RiskModel:
    """A fitted severe-rash risk model for one stage (see the module docstring)."""

    def __init__(self, *, stage: str, version: str, card: dict, preprocess, estimator, leaf_table,
                 calibration_intercept: float, calibration_slope: float, feature_factor: dict,
                 feature_means, input_summary: dict, input_columns: list[str], ensemble: list, family: str,
                 params: dict):
        if stage not in STAGE_NAMES:
            raise ModelError(f"stage {stage!r}; expected one of {', '.join(STAGE_NAMES)}")
        self.stage = stage
        self.name = STAGE_NAMES[stage]
        self.version = version
        self.card = card
        self.family = family
        self.params = dict(params)
        self.preprocess_ = preprocess
        self.estimator_ = estimator
        self.leaf_table_ = leaf_table
        self.calibration_intercept_ = float(calibration_intercept)
        self.calibration_slope_ = float(calibration_slope)
        self.feature_factor_ = dict(feature_factor)
        self.feature_means_ = np.asarray(feature_means, dtype=np.float64).ravel()
        self.input_summary_ = dict(input_summary)
        self.input_columns_ = list(input_columns)
        self.ensemble_ = list(ensemble)  # [(estimator, leaf_table or None)] refitted on bootstrap resamples

    def __repr__(self) -> str:
        return f"RiskModel(name={self.name!r}, version={self.version!r}, family={self.family!r})"

    @property
    def feature_names_(self) -> list[str]:
        return [str(n) for n in self.preprocess_.get_feature_names_out()]

    def _matrix(self, X: pd.DataFrame) -> np.ndarray:
        if not isinstance(X, pd.DataFrame):
            raise ModelError(f"{self.name}: expected a pandas DataFrame of clinical inputs, got {type(X).__name__}")
        missing = [c for c in self.input_columns_ if c not in X.columns]
        if missing:
            raise ModelError(f"{self.name} {self.version}: input columns {missing} are missing; "
                             f"the model expects {self.input_columns_}")
        return self.preprocess_.transform(X[self.input_columns_])

    def raw_logit(self, X) -> np.ndarray:
        """Uncalibrated log-odds, float64."""
        return estimator_raw_logit(self.estimator_, self._matrix(X), self.leaf_table_)

    def decision_function(self, X) -> np.ndarray:
        """Served calibrated log-odds."""
        return self.calibration_intercept_ + self.calibration_slope_ * self.raw_logit(X)

    def predict_proba(self, X) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict_interval(self, X, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Percentile interval of the bootstrap ensemble's calibrated risks (model uncertainty).

        Each member was refitted with the chosen hyperparameters on a bootstrap resample of the
        training feature matrix and uses the bundle's calibration. The interval is widened to
        include the point estimate when needed.
        """
        if not 0 < level < 1:
            raise ModelError(f"predict_interval: level = {level!r}; expected a number between 0 and 1")
        matrix = self._matrix(X)
        point = expit(self.decision_function(X))
        if not self.ensemble_:
            return point.copy(), point.copy()
        logits = np.column_stack([estimator_raw_logit(est, matrix, leaves) for est, leaves in self.ensemble_])
        risks = expit(self.calibration_intercept_ + self.calibration_slope_ * logits)
        alpha = (1.0 - level) / 2.0
        low = np.quantile(risks, alpha, axis=1)
        high = np.quantile(risks, 1.0 - alpha, axis=1)
        return np.minimum(low, point), np.maximum(high, point)

    def band(self, risk) -> np.ndarray:
        """'low' / 'intermediate' / 'high' by the card's thresholds."""
        t = self.card["band_thresholds"]
        risk = np.asarray(risk, dtype=float)
        return np.where(risk < t["low_below"], "low", np.where(risk >= t["high_from"], "high", "intermediate"))

    # ---- persistence -------------------------------------------------------------------------
    def save(self, directory) -> Path:
        import joblib

        from rashrisk.models.card import card_markdown

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, directory / BUNDLE_FILE, compress=3)
        (directory / CARD_JSON).write_text(json.dumps(self.card, indent=2, default=_json_default) + "\n", encoding="utf-8")
        (directory / CARD_MD).write_text(card_markdown(self.card), encoding="utf-8")
        return directory

    @classmethod
    def load(cls, directory) -> "RiskModel":
        import joblib

        path = Path(directory) / BUNDLE_FILE
        if not path.is_file():
            raise ModelError(f"no model bundle at {path}: expected a folder written by RiskModel.save "
                             f"({BUNDLE_FILE}, {CARD_JSON}, {CARD_MD})")
        model = joblib.load(path)
        if not isinstance(model, cls):
            raise ModelError(f"{path} holds a {type(model).__name__}, not a rashrisk RiskModel")
        return model


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def default_bundle_dir(stage: str) -> Path:
    """The embedded default bundle for ``stage`` (package data ``rashrisk/_bundles/<stage>``)."""
    if stage not in STAGE_NAMES:
        raise ModelError(f"stage {stage!r}; expected one of {', '.join(STAGE_NAMES)}")
    root = resources.files("rashrisk") / "_bundles" / stage
    path = Path(str(root))
    if not (path / BUNDLE_FILE).is_file():
        raise ModelError(f"the embedded default {stage} model is missing ({path / BUNDLE_FILE}); "
                         "reinstall rashrisk or train one with `rashrisk train`")
    return path


def load_default_model(stage: str) -> RiskModel:
    return RiskModel.load(default_bundle_dir(stage))

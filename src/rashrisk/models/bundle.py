"""The served model: :class:`RiskModel`, a fitted, picklable bundle (preprocess + estimator +
calibration (affine in log-odds) + bootstrap ensemble for intervals + model card), saved as a folder
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
import os
import weakref
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk.errors import ModelError
from rashrisk.models.calibration import expit
from rashrisk.models.candidates import estimator_raw_logit
from rashrisk.models.xgb_logit import base_margin_from_learner

BUNDLE_FILE = "model.joblib"
CARD_JSON = "card.json"
CARD_MD = "card.md"
STAGE_NAMES = {"start": "rashrisk-start", "tdm": "rashrisk-tdm"}
SMALL_BATCH_ROWS = 2000  # below this, XGBoost data is built with one thread: starting a pool costs more than the work


def risk_band(risk, low_below: float, high_from: float) -> np.ndarray:
    """'low' below ``low_below``, 'high' from ``high_from``, else 'intermediate' (the card's bands)."""
    risk = np.asarray(risk, dtype=float)
    return np.where(risk < low_below, "low", np.where(risk >= high_from, "high", "intermediate"))


def _xgb_data(matrix: np.ndarray):
    """One XGBoost DMatrix for every booster of a call (one thread for small batches)."""
    import xgboost as xgb

    threads = 1 if len(matrix) < SMALL_BATCH_ROWS else (os.cpu_count() or 1)
    return xgb.DMatrix(np.asarray(matrix, dtype=np.float32), nthread=threads)


def _is_xgboost(estimator) -> bool:
    return type(estimator).__module__.startswith("xgboost")


FOREST_ROWS = 64  # up to this many rows, the interval ensemble is evaluated by _ForestTable (no call per member)
_FORESTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # RiskModel -> _ForestTable (not pickled)


class _ForestTable:
    """Every tree of several XGBoost boosters as padded numpy arrays: the margins of a few rows for
    all boosters at once, walking all trees level by level (XGBoost's rule: ``value < split`` goes
    left, a missing value follows ``default_left``). Leaf values are summed in float64 (XGBoost
    accumulates in float32: the margins agree to ~1e-6)."""

    def __init__(self, boosters):
        trees, owner, bases = [], [], []
        for k, booster in enumerate(boosters):
            learner = json.loads(booster.save_raw("json"))["learner"]
            bases.append(base_margin_from_learner(learner))
            for tree in learner["gradient_booster"]["model"]["trees"]:
                if any(int(t) != 0 for t in tree.get("split_type", [])):
                    raise ValueError("categorical splits are not supported by the forest table")
                trees.append(tree)
                owner.append(k)
        width = max(len(t["left_children"]) for t in trees)
        shape = (len(trees), width)
        self.feature = np.zeros(shape, dtype=np.int64)
        self.threshold = np.zeros(shape, dtype=np.float32)
        self.left = np.zeros(shape, dtype=np.int64)
        self.right = np.zeros(shape, dtype=np.int64)
        self.default_left = np.zeros(shape, dtype=bool)
        self.leaf = np.zeros(shape, dtype=np.float64)
        self.depth = 0
        for i, tree in enumerate(trees):
            left, right = np.asarray(tree["left_children"]), np.asarray(tree["right_children"])
            n = len(left)
            leaves = left == -1
            self.left[i, :n] = np.where(leaves, np.arange(n), left)  # a leaf points to itself
            self.right[i, :n] = np.where(leaves, np.arange(n), right)
            self.feature[i, :n] = np.where(leaves, 0, np.asarray(tree["split_indices"]))
            conditions = np.asarray(tree["split_conditions"], dtype=np.float32)
            self.threshold[i, :n] = conditions
            self.default_left[i, :n] = np.asarray(tree["default_left"], dtype=bool)
            self.leaf[i, :n] = np.where(leaves, conditions.astype(np.float64), 0.0)
            self.depth = max(self.depth, _depth(left, right))
        self.base = np.asarray(bases, dtype=np.float64)
        self.owner = np.zeros((len(trees), len(boosters)))
        self.owner[np.arange(len(trees)), owner] = 1.0

    def margins(self, matrix: np.ndarray) -> np.ndarray:
        """(n, boosters) margins of the rows of ``matrix``."""
        x = np.asarray(matrix, dtype=np.float32)
        trees = np.arange(self.feature.shape[0])[None, :]
        rows = np.arange(len(x))[:, None]
        node = np.zeros((len(x), self.feature.shape[0]), dtype=np.int64)
        for _ in range(self.depth):
            value = x[rows, self.feature[trees, node]]
            go_left = np.where(np.isnan(value), self.default_left[trees, node], value < self.threshold[trees, node])
            node = np.where(go_left, self.left[trees, node], self.right[trees, node])
        return self.base + self.leaf[trees, node] @ self.owner


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    """Number of splits on the longest root-to-leaf path."""
    depth, level = 0, [0]
    while True:
        level = [c for node in level if left[node] != -1 for c in (left[node], right[node])]
        if not level:
            return depth
        depth += 1


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

    def transform(self, X) -> np.ndarray:
        """The feature matrix the estimator sees (preprocessing of the clinical inputs)."""
        return self._matrix(X)

    def _raw_logit_matrix(self, matrix: np.ndarray, data=None) -> np.ndarray:
        if self.leaf_table_ is not None and _is_xgboost(self.estimator_):
            # exact float64 leaf sum on one DMatrix shared with the ensemble
            data = _xgb_data(matrix) if data is None else data
            return self.leaf_table_.raw_logit(self.estimator_.get_booster(), matrix, data)
        return estimator_raw_logit(self.estimator_, matrix, self.leaf_table_)

    def raw_logit(self, X) -> np.ndarray:
        """Uncalibrated log-odds, float64."""
        return self._raw_logit_matrix(self._matrix(X))

    def decision_function_matrix(self, matrix: np.ndarray, data=None) -> np.ndarray:
        """Served calibrated log-odds of an already preprocessed feature matrix (see :meth:`transform`)."""
        return self.calibration_intercept_ + self.calibration_slope_ * self._raw_logit_matrix(matrix, data)

    def decision_function(self, X) -> np.ndarray:
        """Served calibrated log-odds."""
        return self.decision_function_matrix(self._matrix(X))

    def predict_proba(self, X) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict_interval(self, X, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Percentile interval of the bootstrap ensemble's calibrated risks (model uncertainty).

        Each member was refitted with the chosen hyperparameters on a bootstrap resample of the
        training feature matrix and uses the bundle's calibration. The interval is widened to
        include the point estimate when needed.
        """
        return self.interval_from_matrix(self._matrix(X), level=level)

    def interval_from_matrix(self, matrix: np.ndarray, logit: np.ndarray | None = None,
                             level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`predict_interval` of an already preprocessed matrix; ``logit``: its served log-odds
        when already computed (e.g. by the explanation). One XGBoost DMatrix serves every member;
        linear members are one matrix product."""
        if not 0 < level < 1:
            raise ModelError(f"predict_interval: level = {level!r}; expected a number between 0 and 1")
        matrix = np.asarray(matrix, dtype=np.float64)
        data = _xgb_data(matrix) if _is_xgboost(self.estimator_) and len(matrix) else None
        if logit is None:
            logit = self.decision_function_matrix(matrix, data)
        point = expit(np.asarray(logit, dtype=np.float64))
        if not self.ensemble_ or not len(matrix):
            return point.copy(), point.copy()
        risks = self.ensemble_risks_from_matrix(matrix, data)
        alpha = (1.0 - level) / 2.0
        low = np.quantile(risks, alpha, axis=1)
        high = np.quantile(risks, 1.0 - alpha, axis=1)
        return np.minimum(low, point), np.maximum(high, point)

    def ensemble_risks_from_matrix(self, matrix: np.ndarray, data=None) -> np.ndarray:
        """(n, members) calibrated risks of the bootstrap ensemble on a preprocessed matrix."""
        if not self.ensemble_:
            raise ModelError(f"{self.name}: this bundle has no bootstrap ensemble")
        matrix = np.asarray(matrix, dtype=np.float64)
        if data is None and _is_xgboost(self.estimator_) and len(matrix):
            data = _xgb_data(matrix)
        return expit(self.calibration_intercept_ + self.calibration_slope_ * self._ensemble_logits(matrix, data))

    def _ensemble_logits(self, matrix: np.ndarray, data) -> np.ndarray:
        """(n, members) raw log-odds of the bootstrap ensemble."""
        members = [est for est, _ in self.ensemble_]
        if all(hasattr(est, "coef_") and hasattr(est, "intercept_") for est in members):
            coef = np.vstack([np.asarray(est.coef_, dtype=np.float64).ravel() for est in members])
            intercept = np.array([float(np.ravel(est.intercept_)[0]) for est in members])
            return matrix @ coef.T + intercept
        if len(matrix) <= FOREST_ROWS and all(_is_xgboost(est) and leaves is None for est, leaves in self.ensemble_):
            forest = _FORESTS.get(self)
            if forest is None:
                try:
                    forest = _ForestTable([est.get_booster() for est in members])
                except ValueError:  # a tree kind the table does not read: XGBoost evaluates every member
                    forest = False
                _FORESTS[self] = forest
            if forest:
                return forest.margins(matrix)
        if data is not None and all(_is_xgboost(est) for est, leaves in self.ensemble_ if leaves is None):
            columns = []
            for est, leaves in self.ensemble_:
                if leaves is None:  # XGBoost's own float32 margin, as estimator_raw_logit computes it
                    margin = est.get_booster().predict(data, output_margin=True)
                    columns.append(np.asarray(margin, dtype=np.float64).reshape(len(matrix)))
                else:
                    columns.append(estimator_raw_logit(est, matrix, leaves))
            return np.column_stack(columns)
        return np.column_stack([estimator_raw_logit(est, matrix, leaves) for est, leaves in self.ensemble_])

    def band(self, risk) -> np.ndarray:
        """'low' / 'intermediate' / 'high' by the card's thresholds."""
        t = self.card["band_thresholds"]
        return risk_band(risk, t["low_below"], t["high_from"])

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

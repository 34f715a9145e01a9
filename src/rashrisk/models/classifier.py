"""The severe-rash classifier of one stage: a scikit-learn estimator whose parameters are the whole
modelling procedure.

``RashriskClassifier(stage="tdm").fit(X, y)`` with ``X`` the model frame (one row per patient,
clinical columns in canonical units, as :func:`rashrisk.model_frame` returns it) and ``y`` the
severe-rash outcome:

1. tunes every candidate of the grid (families and their hyperparameters) by repeated stratified
   cross-validation on log-loss, and picks one (one-standard-error rule across families);
2. calibrates it (Platt on its out-of-fold log-odds for ``platt_families``, else the identity);
3. refits it on all rows (XGBoost: with the exact float64 leaf table) and refits
   ``interval_bootstrap`` members on bootstrap resamples for :meth:`predict_interval`.

Served log-odds: ``decision_function(X) = calibration_intercept_ + calibration_slope_ * raw(X)``.
The classifier knows no patient: only aggregates of its training inputs are kept
(``feature_means_``, ``input_summary_``).

A DataFrame with none of the feature specification's columns, or a plain numeric array (as
scikit-learn's estimator checks pass), is read as unnamed continuous covariates.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import assert_all_finite, check_is_fitted, column_or_1d

from rashrisk.contract.model_inputs import check_model_frame
from rashrisk.errors import ModelError
from rashrisk.features._base import frame_of
from rashrisk.features.preprocess import FeatureSpec, used_columns
from rashrisk.models.calibration import apply_platt, calibrate, expit
from rashrisk.models.candidates import FAMILIES, FittedCandidate, candidate_grid, fit_estimator
from rashrisk.models.config import LogisticGrid, TrainingConfig, XGBoostGrid
from rashrisk.models.input_summary import summarize_inputs
from rashrisk.models.selection import best, tune
from rashrisk.stages import STAGES


class RashriskClassifier(ClassifierMixin, BaseEstimator):
    """Severe-rash risk classifier of one stage (see the module docstring).

    Parameters
    ----------
    stage : 'start' or 'tdm' (which clinical columns the feature specification uses).
    candidates : model families to tune, some of 'logistic', 'xgboost'.
    logistic, xgboost : the families' grids (:class:`LogisticGrid`, :class:`XGBoostGrid`); None = defaults.
    features : :class:`FeatureSpec` (which columns enter and how); None = the pre-specified default.
    platt_families : families recalibrated by Platt scaling on out-of-fold log-odds.
    cv_splits, cv_repeats : repeated stratified K-fold of the tuning.
    interval_bootstrap : bootstrap refits behind :meth:`predict_interval`.
    random_state : seed of every split, resample and fit.
    """

    _parameter_constraints: dict = {
        "stage": [StrOptions(set(STAGES))],
        "candidates": [tuple, list],
        "logistic": [LogisticGrid, None],
        "xgboost": [XGBoostGrid, None],
        "features": [FeatureSpec, None],
        "platt_families": [tuple, list],
        "cv_splits": [Interval(numbers.Integral, 2, None, closed="left")],
        "cv_repeats": [Interval(numbers.Integral, 1, None, closed="left")],
        "interval_bootstrap": [Interval(numbers.Integral, 2, None, closed="left")],
        "random_state": [Interval(numbers.Integral, 0, None, closed="left")],
    }

    def __init__(self, stage="start", *, candidates=("logistic", "xgboost"), logistic=None, xgboost=None,
                 features=None, platt_families=("xgboost",), cv_splits=5, cv_repeats=2, interval_bootstrap=30,
                 random_state=20261128):
        self.stage = stage
        self.candidates = candidates
        self.logistic = logistic
        self.xgboost = xgboost
        self.features = features
        self.platt_families = platt_families
        self.cv_splits = cv_splits
        self.cv_repeats = cv_repeats
        self.interval_bootstrap = interval_bootstrap
        self.random_state = random_state

    @classmethod
    def from_config(cls, config: TrainingConfig, stage: str) -> "RashriskClassifier":
        """The classifier of ``stage`` that a training configuration describes."""
        return cls(stage, candidates=tuple(config.candidates), logistic=config.logistic, xgboost=config.xgboost,
                   features=config.features, platt_families=tuple(config.platt_families), cv_splits=config.cv_splits,
                   cv_repeats=config.cv_repeats, interval_bootstrap=config.interval_bootstrap,
                   random_state=config.seed)

    def training_config(self) -> TrainingConfig:
        """These parameters as a :class:`TrainingConfig` (the form the tuning functions take)."""
        bad = [c for c in list(self.candidates) + list(self.platt_families) if c not in FAMILIES]
        if bad or not self.candidates:
            raise ValueError(f"candidates/platt_families {bad or '[]'}; expected some of {sorted(FAMILIES)}")
        return TrainingConfig(seed=int(self.random_state), candidates=tuple(self.candidates),
                              cv_splits=int(self.cv_splits), cv_repeats=int(self.cv_repeats),
                              interval_bootstrap=int(self.interval_bootstrap),
                              platt_families=tuple(self.platt_families),
                              features=self.features or FeatureSpec(), logistic=self.logistic or LogisticGrid(),
                              xgboost=self.xgboost or XGBoostGrid())

    # ---- fitting ---------------------------------------------------------------------------------

    def _frame(self, X, *, reset: bool) -> pd.DataFrame:
        """``X`` as a frame; a model frame's clinical columns checked by the contract's rules first
        (sex spelled 'm' or 'male' becomes 'M'; 'X', an age of -5 or an allele count of 7 is an error)."""
        if not reset:
            check_is_fitted(self, "estimator_")
        frame = frame_of(self, X, reset=reset)
        if isinstance(X, pd.DataFrame):
            frame = check_model_frame(frame)
        if not reset:
            missing = [c for c in self.input_columns_ if c not in frame.columns]
            if missing:
                raise ModelError(f"model input: columns {missing} are missing; the model reads {self.input_columns_}")
        return frame

    def _spec(self, config: TrainingConfig, columns) -> TrainingConfig:
        """The configuration whose feature specification reads ``columns``: the clinical one when
        ``X`` carries any of its columns, else every column as a continuous input."""
        if used_columns(config.features, self.stage, columns):
            return config
        generic = FeatureSpec(categorical=(), continuous=tuple(columns), tdm_continuous=(), tdm_exclude=(), log=(),
                              genotypes=(), risk_allele={})
        return config.with_overrides(features=generic)

    def fit(self, X, y):
        """Tune, select, calibrate and refit on the model frame ``X`` and outcome ``y``; returns self."""
        self._validate_params()
        frame = self._frame(X, reset=True)
        y = column_or_1d(y, warn=True)
        if y.dtype.kind in "fc":
            assert_all_finite(y, input_name="y")
        check_classification_targets(y)
        target = type_of_target(y, input_name="y", raise_unknown=True)
        if target != "binary":
            raise ValueError(f"Only binary classification is supported (severe rash or not). The type of the target "
                             f"is {target}.")
        if len(frame) != len(y):
            raise ValueError(f"X has {len(frame)} rows but y has {len(y)}")
        self.classes_ = np.unique(y)
        if len(self.classes_) != 2:
            raise ValueError(f"RashriskClassifier needs two classes (severe rash or not); y has {len(self.classes_)} "
                             f"class(es): {list(self.classes_)}")
        y01 = (y == self.classes_[1]).astype(int)
        smaller = int(min(y01.sum(), len(y01) - y01.sum()))
        if smaller < 2:
            raise ValueError(f"the smaller class has {smaller} row(s); stratified tuning needs at least 2")
        config = self._spec(self.training_config(), [str(c) for c in frame.columns])
        # fewer folds only when a class has fewer rows than cv_splits (never with the >= 10 events training requires)
        self.cv_splits_ = min(config.cv_splits, smaller)
        config = config.with_overrides(cv_splits=self.cv_splits_)
        seed = config.seed
        candidates = candidate_grid(config)
        rows, oof = tune(candidates, config, self.stage, frame, y01, seed=seed, n_splits=config.cv_splits,
                         n_repeats=config.cv_repeats)
        chosen = best(rows)["candidate"]
        self.calibration_intercept_, self.calibration_slope_ = (
            float(v) for v in calibrate(chosen.family, config.platt_families, oof[chosen], y01))
        fitted = FittedCandidate(chosen, config, self.stage, seed=seed, exact=True).fit(frame, y01)
        matrix = np.asarray(fitted.transform(frame), dtype=np.float64)
        self.family_ = chosen.family
        self.params_ = chosen.param_dict
        self.candidate_ = chosen
        self.cv_results_ = [{k: v for k, v in row.items() if k != "candidate"} for row in rows]
        self.oof_raw_logit_ = np.asarray(oof[chosen], dtype=np.float64)
        self.input_columns_ = list(fitted.input_columns_)
        self.preprocess_ = fitted.preprocess_
        self.feature_names_ = list(fitted.feature_names_)
        self.feature_factor_ = dict(fitted.factors_)
        self.estimator_, self.leaf_table_ = fitted.estimator_, fitted.leaf_table_
        self.feature_means_ = matrix.mean(axis=0)
        self.input_summary_ = summarize_inputs(frame, self.input_columns_)
        self.ensemble_ = self._bootstrap_members(chosen, config, matrix, y01, seed=seed + 1)
        return self

    def _bootstrap_members(self, candidate, config, matrix, y, *, seed) -> list:
        rng = np.random.default_rng(seed)
        members = []
        n = len(y)
        for b in range(config.interval_bootstrap):
            for _ in range(100):
                idx = rng.integers(0, n, n)
                if 0 < y[idx].sum() < n:
                    break
            members.append(fit_estimator(candidate, config, matrix[idx], y[idx], self.feature_names_,
                                         self.feature_factor_, seed=seed + b))
        return members

    # ---- serving ---------------------------------------------------------------------------------

    @property
    def model_family(self):
        check_is_fitted(self, "family_")
        return FAMILIES[self.family_]

    def feature_matrix(self, X) -> np.ndarray:
        """The feature matrix the estimator sees (preprocessing of the clinical inputs)."""
        frame = self._frame(X, reset=False)
        return np.asarray(self.preprocess_.transform(frame[self.input_columns_]), dtype=np.float64)

    def raw_logit_matrix(self, matrix: np.ndarray, data=None) -> np.ndarray:
        """Uncalibrated float64 log-odds of an already preprocessed matrix."""
        return self.model_family.raw_logit(self.estimator_, self.leaf_table_, matrix, data)

    def decision_function_matrix(self, matrix: np.ndarray, data=None) -> np.ndarray:
        """Served calibrated log-odds of an already preprocessed feature matrix (see :meth:`transform`)."""
        return apply_platt(self.raw_logit_matrix(matrix, data), self.calibration_intercept_, self.calibration_slope_)

    def decision_function(self, X) -> np.ndarray:
        """Served calibrated log-odds of severe rash."""
        return self.decision_function_matrix(self.feature_matrix(X))

    def predict_proba(self, X) -> np.ndarray:
        """(n, 2): probability of each class of ``classes_`` (the second: severe rash)."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        """The class with probability > 0.5 (a statistical convention, not a clinical threshold:
        use :meth:`predict_proba` and the card's risk bands)."""
        severe = self.decision_function(X) > 0.0
        return self.classes_[severe.astype(int)]

    def predict_interval(self, X, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Percentile interval of the bootstrap ensemble's calibrated risks (model uncertainty),
        widened to include the point estimate when needed."""
        return self.interval_from_matrix(self.feature_matrix(X), level=level)

    def interval_from_matrix(self, matrix: np.ndarray, logit: np.ndarray | None = None,
                             level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`predict_interval` of an already preprocessed matrix; ``logit``: its served log-odds
        when already computed (e.g. by the explanation)."""
        if not 0 < level < 1:
            raise ModelError(f"predict_interval: level = {level!r}; expected a number between 0 and 1")
        matrix = np.asarray(matrix, dtype=np.float64)
        data = self.model_family.prepared(matrix) if len(matrix) else None
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
            raise ModelError("this model has no bootstrap ensemble")
        matrix = np.asarray(matrix, dtype=np.float64)
        logits = self.model_family.ensemble_logits(self.ensemble_, matrix, data)
        return expit(apply_platt(logits, self.calibration_intercept_, self.calibration_slope_))

    def get_feature_names_out(self, input_features=None):
        """The model features (after preprocessing), e.g. ``sex_M``, ``rs4129267_alt_count``."""
        check_is_fitted(self, "feature_names_")
        return np.asarray(self.feature_names_, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.classifier_tags.multi_class = False
        return tags

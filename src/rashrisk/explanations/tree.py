"""TreeSHAP of an XGBoost classifier's raw margin, in float64 precision.

XGBoost computes SHAP values in float32: over a few hundred trees the sum of contributions drifts
from the float64 leaf sum (``RiskModel.raw_logit``) by ~1e-6. TreeSHAP is linear in the model (the
values of a sum of trees are the sum of each tree's values), so the ensemble is explained in
slices of :data:`TREES_PER_SLICE` trees with ``shap.TreeExplainer`` (path-dependent: it runs
XGBoost's exact TreeSHAP) and the slices are added in float64. Each slice is explained with a zero
base margin, so its base value is only the slice's expected output (small, precisely stored); the
model's base margin is added once, in float64, exactly as ``raw_logit`` adds it.
"""

from __future__ import annotations

import os
import warnings
import weakref

import numpy as np

from rashrisk.models.xgb_logit import base_margin

TREES_PER_SLICE = 10
SMALL_BATCH_ROWS = 2000  # below this, one thread: starting XGBoost's thread pool costs more than the work

# fitted estimator -> (base margin, [(slice explainer, slice booster)], {"nthread": threads the slices use}):
# built once per served model (weak keys)
_EXPLAINERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _import_shap():
    """shap, imported without the matplotlib deprecation warning its plotting module raises on import."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        import shap
    return shap


def _slice_explainers(estimator, shap) -> tuple[float, list, dict]:
    """(base margin, one path-dependent TreeExplainer per slice of trees, the slices' thread setting),
    cached for the estimator's lifetime."""
    cached = _EXPLAINERS.get(estimator)
    if cached is None:
        booster = estimator.get_booster()
        n_trees = booster.num_boosted_rounds()
        slices = []
        for start in range(0, n_trees, TREES_PER_SLICE):
            part = booster[start:min(start + TREES_PER_SLICE, n_trees)]
            slices.append((shap.TreeExplainer(part, feature_perturbation="tree_path_dependent"), part))
        cached = (base_margin(booster), slices, {"nthread": None})
        _EXPLAINERS[estimator] = cached
    return cached


def tree_raw_contributions(estimator, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(contributions (n, p), base value (n,)) of the raw margin; ``base + sum == raw margin``."""
    import xgboost as xgb

    shap = _import_shap()

    threads = 1 if len(matrix) < SMALL_BATCH_ROWS else (os.cpu_count() or 1)
    data = xgb.DMatrix(np.asarray(matrix, dtype=np.float32), base_margin=np.zeros(len(matrix), dtype=np.float32),
                       nthread=threads)
    values = np.zeros(np.shape(matrix), dtype=np.float64)
    base, slices, setting = _slice_explainers(estimator, shap)
    if setting["nthread"] != threads:  # set_param makes XGBoost reconfigure at the next call: only on change
        for _, part in slices:
            part.set_param({"nthread": threads})  # a slice is a copy: the served model is untouched
        setting["nthread"] = threads
    for explainer, part in slices:
        values += np.asarray(explainer.shap_values(data, check_additivity=False), dtype=np.float64)
        # with a DMatrix, shap takes the base value from XGBoost's bias column of this very call
        base += float(np.asarray(explainer.expected_value, dtype=np.float64))
    return values, np.full(len(values), base)

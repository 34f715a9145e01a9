"""XGBoost raw log-odds as an exact float64 sum of leaf values.

XGBoost's own margin is accumulated in float32. Explanations (SHAP) are computed in float64 from
the same leaf values, so the served score sums the leaves in float64 too: then "base value +
contributions = served log-odds" holds to ~1e-12 instead of ~1e-6.
"""

from __future__ import annotations

import json

import numpy as np


def base_margin_from_learner(learner: dict) -> float:
    """log-odds of the ``base_score`` of a parsed XGBoost ``learner`` (JSON model), in float64."""
    text = learner["learner_model_param"]["base_score"]
    prob = float(json.loads(text)[0]) if text.startswith("[") else float(text)
    return float(np.log(prob) - np.log1p(-prob))


def base_margin(booster) -> float:
    """log-odds of a fitted booster's ``base_score`` (the margin every prediction starts from)."""
    return base_margin_from_learner(json.loads(booster.save_raw("json"))["learner"])


class LeafTable:
    """Leaf values of every tree of a fitted binary:logistic XGBoost model, in float64."""

    def __init__(self, booster):
        model = json.loads(booster.save_raw("json"))
        learner = model["learner"]
        objective = learner["objective"]["name"]
        if objective != "binary:logistic":
            raise ValueError(f"expected a binary:logistic XGBoost model, got objective {objective!r}")
        self.base_margin = base_margin_from_learner(learner)
        trees = learner["gradient_booster"]["model"]["trees"]
        width = max(len(t["split_conditions"]) for t in trees) if trees else 1
        self.values = np.zeros((len(trees), width), dtype=np.float64)
        for i, tree in enumerate(trees):
            leaves = np.asarray(tree["left_children"]) == -1
            conditions = np.asarray(tree["split_conditions"], dtype=np.float32).astype(np.float64)
            self.values[i, : len(conditions)] = np.where(leaves, conditions, 0.0)

    def raw_logit(self, booster, matrix: np.ndarray, data=None) -> np.ndarray:
        """float64 base margin + sum of leaf values for each row of the feature ``matrix``; ``data``:
        an ``xgboost.DMatrix`` of ``matrix`` already built (shared with other boosters), if any."""
        if data is None:
            import xgboost as xgb

            data = xgb.DMatrix(np.asarray(matrix, dtype=np.float32))
        leaf_index = booster.predict(data, pred_leaf=True)
        leaf_index = np.asarray(leaf_index, dtype=np.int64).reshape(len(matrix), -1)
        tree_index = np.arange(self.values.shape[0])[None, :]
        return self.base_margin + self.values[tree_index, leaf_index].sum(axis=1)

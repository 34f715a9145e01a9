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


class ForestTable:
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

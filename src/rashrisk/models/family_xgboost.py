"""Shallow gradient-boosted trees (XGBoost) with monotone constraints on listed clinical factors.

The served model's log-odds are the float64 sum of its leaf values (:class:`LeafTable`), so that
TreeSHAP explanations add up to them exactly; inside cross-validation and the bootstrap XGBoost's
own float32 margin is used (~1e-6 away, several times faster). The interval ensemble of a few
rows is evaluated by a :class:`ForestTable` (all members' trees as numpy arrays). A fitted model is
stored in XGBoost's own JSON model format (``<name>.xgboost.json``), which holds trees and numbers only.
"""

from __future__ import annotations

import json
import os
import weakref

import numpy as np

from rashrisk.errors import ModelError
from rashrisk.models.family import ModelFamily, constrained_features
from rashrisk.models.xgb_logit import ForestTable, LeafTable

SMALL_BATCH_ROWS = 2000  # below this, XGBoost data is built with one thread: starting a pool costs more than the work
FOREST_ROWS = 64  # up to this many rows, an ensemble is evaluated by a ForestTable (no call per member)
_FORESTS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # first member -> ForestTable or False


def monotone_constraints(feature_names, factors: dict, increasing) -> tuple[int, ...]:
    """+1 for each constrained feature of a listed clinical factor (:func:`constrained_features`), else 0."""
    return tuple(int(c) for c in constrained_features(feature_names, factors, increasing))


class XGBoostFamily(ModelFamily):
    name = "xgboost"
    linear = False
    packages = ("xgboost",)

    def short_label(self, params):
        return f"xgboost depth={params.get('max_depth')} trees={params.get('n_estimators')} eta={params.get('learning_rate')}"

    def fit(self, params, config, matrix, y, feature_names, factors, *, seed, exact=False):
        import xgboost as xgb

        estimator = xgb.XGBClassifier(
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
        estimator.fit(matrix, np.asarray(y, dtype=int))
        return estimator, (LeafTable(estimator.get_booster()) if exact else None)

    def prepared(self, matrix):
        import xgboost as xgb

        threads = 1 if len(matrix) < SMALL_BATCH_ROWS else (os.cpu_count() or 1)
        return xgb.DMatrix(np.asarray(matrix, dtype=np.float32), nthread=threads)

    def raw_logit(self, estimator, exact, matrix, data=None):
        booster = estimator.get_booster()
        if exact is not None:  # the served model: float64 leaf sum
            return exact.raw_logit(booster, matrix, data)
        if data is not None:
            margin = booster.predict(data, output_margin=True)
        else:
            margin = booster.inplace_predict(np.asarray(matrix, dtype=np.float32), predict_type="margin")
        return np.asarray(margin, dtype=np.float64).reshape(len(matrix))

    def ensemble_logits(self, members, matrix, data=None):
        if len(matrix) <= FOREST_ROWS and members and all(exact is None for _, exact in members):
            key = members[0][0]
            forest = _FORESTS.get(key)
            if forest is None:
                try:
                    forest = ForestTable([est.get_booster() for est, _ in members])
                except ValueError:  # a tree kind the table does not read: XGBoost evaluates every member
                    forest = False
                _FORESTS[key] = forest
            if forest:
                return forest.margins(matrix)
        if data is None and len(matrix):
            data = self.prepared(matrix)
        return super().ensemble_logits(members, matrix, data)

    def to_state(self, estimator, name):
        file = f"{name}.xgboost.json"
        return {"file": file}, {file: bytes(estimator.get_booster().save_raw("json"))}

    def from_state(self, state, files, *, exact):
        import xgboost as xgb

        try:
            raw = files[state["file"]]
            estimator = xgb.XGBClassifier()
            estimator.load_model(bytearray(raw))
        except (KeyError, TypeError, ValueError, xgb.core.XGBoostError) as exc:
            raise ModelError(f"XGBoost estimator: not a valid XGBoost JSON model ({str(exc).splitlines()[0][:200]})") from None
        objective = json.loads(raw)["learner"]["objective"]["name"]
        if objective != "binary:logistic":
            raise ModelError(f"XGBoost estimator: objective {objective!r}; expected 'binary:logistic'")
        return estimator, (LeafTable(estimator.get_booster()) if exact else None)

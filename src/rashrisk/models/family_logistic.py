"""Penalised (L2) logistic regression on standardised features."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from rashrisk.errors import ModelError
from rashrisk.models.family import ModelFamily
from rashrisk.models.state import decode, encode


class LogisticFamily(ModelFamily):
    name = "logistic"
    linear = True

    def short_label(self, params):
        return f"logistic L2 C={params.get('C')}" + (" + splines" if params.get("splines") else "")

    def preprocess(self, columns_step):
        return Pipeline([("columns", columns_step), ("standardise", StandardScaler())])

    def fit(self, params, config, matrix, y, feature_names, factors, *, seed, exact=False):
        estimator = LogisticRegression(C=params["C"], max_iter=5000, tol=1e-6)
        return estimator.fit(matrix, np.asarray(y, dtype=int)), None

    def raw_logit(self, estimator, exact, matrix, data=None):
        return np.asarray(estimator.decision_function(matrix), dtype=np.float64)

    def ensemble_logits(self, members, matrix, data=None):
        coef = np.vstack([np.asarray(est.coef_, dtype=np.float64).ravel() for est, _ in members])
        intercept = np.array([float(np.ravel(est.intercept_)[0]) for est, _ in members])
        return np.asarray(matrix, dtype=np.float64) @ coef.T + intercept

    def to_state(self, estimator, name):
        return encode(estimator), {}

    def from_state(self, state, files, *, exact):
        estimator = decode(state, "logistic estimator")
        if not isinstance(estimator, LogisticRegression):
            raise ModelError(f"logistic estimator: expected a LogisticRegression, got {type(estimator).__name__}")
        return estimator, None

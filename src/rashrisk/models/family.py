"""What differs between model families, behind one interface (:class:`ModelFamily`).

A family knows its hyperparameter grid in the training configuration, the preprocessing it
needs on top of the clinical encoders, how to fit an estimator, its float64 raw log-odds (one
model and a bootstrap ensemble at once), and how its fitted estimator is stored as data in a
bundle. The families are :class:`~rashrisk.models.family_logistic.LogisticFamily` and
:class:`~rashrisk.models.family_xgboost.XGBoostFamily`; :data:`rashrisk.models.candidates.FAMILIES`
maps a name to one.
"""

from __future__ import annotations

import itertools
from dataclasses import fields

import numpy as np


def constrained_features(feature_names, factors: dict, listed) -> np.ndarray:
    """True for each feature of a clinical factor in ``listed`` (a sign or monotone constraint), except
    missing indicators and spline bases: constraining those does not constrain the factor's effect."""
    return np.array([factors.get(name, name) in listed and not name.endswith("_missing") and "_spline" not in name
                     for name in feature_names], dtype=bool)


class ModelFamily:
    """Interface of a model family (see the module docstring). Subclasses set ``name`` and
    ``linear`` and implement the methods that raise ``NotImplementedError``."""

    name: str = ""
    linear: bool = False  # explained by linear SHAP (coefficients) rather than TreeSHAP
    packages: tuple[str, ...] = ()  # the package (beyond numpy and scikit-learn) its fitted state is read with

    def short_label(self, params: dict) -> str:
        """A few words for summary tables, e.g. 'logistic L2 C=0.3'."""
        raise NotImplementedError

    def grid_points(self, config) -> list[dict]:
        """Every point of this family's grid (``config.<name>``), as parameter dicts."""
        grid = getattr(config, self.name)
        names = [f.name for f in fields(grid) if not f.metadata.get("setting")]
        return [dict(zip(names, values)) for values in itertools.product(*(getattr(grid, n) for n in names))]

    def preprocess(self, columns_step):
        """The unfitted preprocessing: the clinical encoders, plus what the family needs."""
        return columns_step

    def fit(self, params: dict, config, matrix: np.ndarray, y, feature_names, factors, *, seed: int,
            exact: bool = False):
        """(fitted estimator, exact-sum helper or None) on an already preprocessed matrix."""
        raise NotImplementedError

    def prepared(self, matrix: np.ndarray):
        """Data shared by every call on the same matrix (XGBoost: one DMatrix), or None."""
        return None

    def raw_logit(self, estimator, exact, matrix: np.ndarray, data=None) -> np.ndarray:
        """float64 log-odds of ``estimator`` on ``matrix``."""
        raise NotImplementedError

    def ensemble_logits(self, members: list, matrix: np.ndarray, data=None) -> np.ndarray:
        """(n, members) raw log-odds of a bootstrap ensemble of (estimator, exact) pairs."""
        return np.column_stack([self.raw_logit(est, exact, matrix, data) for est, exact in members])

    def to_state(self, estimator, name: str) -> tuple[object, dict[str, bytes]]:
        """(JSON-able state, {file name: bytes} of extra files, named after ``name``) of a fitted estimator."""
        raise NotImplementedError

    def from_state(self, state, files: dict[str, bytes], *, exact: bool):
        """(estimator, exact-sum helper or None) rebuilt from :meth:`to_state`'s output; ``exact``:
        build the float64 helper of the served model (not of ensemble members)."""
        raise NotImplementedError

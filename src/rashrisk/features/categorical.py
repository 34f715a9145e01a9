"""Categorical clinical covariates (sex, setting, ancestry) as indicator columns named
``<column>_<level>``. Levels are learned in ``fit``; a missing value is its own level
(``<column>_missing``) when it occurs in training; a level never seen in training encodes as all
zeros (the reference). A two-level column keeps one indicator (``sex_M``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from rashrisk.features._base import check_input, input_names

MISSING_LEVEL = "missing"


def _level_name(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _as_levels(column: np.ndarray) -> np.ndarray:
    """Level names as str, None/NaN as the missing level (whole numbers stored as floats print as
    ints). Hash-based (``pd.factorize``): one ``str()`` per distinct value, not per row."""
    codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
    names = np.array([_level_name(u) for u in uniques] + [MISSING_LEVEL], dtype=object)
    return names[codes]  # code -1 (missing) picks the last name


def _level_codes(column: np.ndarray, levels: list[str]) -> np.ndarray:
    """Index of each row's level in ``levels`` (-1 when not among them)."""
    codes, uniques = pd.factorize(_as_levels(column))
    lookup = {level: i for i, level in enumerate(levels)}
    return np.array([lookup.get(u, -1) for u in uniques] + [-1], dtype=np.int64)[codes]


class CategoricalEncoder(TransformerMixin, BaseEstimator):
    """One indicator per level learned in ``fit`` (binary columns keep the second level only)."""

    _parameter_constraints: dict = {}

    def __init__(self):
        pass

    def fit(self, X, y=None):
        X = check_input(self, X, reset=True, numeric=False)
        self.levels_ = []
        for j in range(X.shape[1]):
            levels = sorted(pd.unique(_as_levels(X[:, j])))
            self.levels_.append(levels[1:] if len(levels) == 2 else levels)
        return self

    def transform(self, X):
        check_is_fitted(self, "levels_")
        X = check_input(self, X, reset=False, numeric=False)
        blocks = []
        for j, levels in enumerate(self.levels_):
            codes = _level_codes(X[:, j], levels)
            blocks.append((codes[:, None] == np.arange(len(levels))[None, :]).astype(np.float64))
        return np.hstack(blocks) if blocks else np.empty((X.shape[0], 0))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "levels_")
        names = input_names(self, self.n_features_in_)
        return np.asarray([f"{name}_{level}" for name, levels in zip(names, self.levels_) for level in levels], dtype=object)

    def factor_of(self) -> dict[str, str]:
        names = input_names(self, self.n_features_in_)
        return {f"{name}_{level}": name for name, levels in zip(names, self.levels_) for level in levels}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags

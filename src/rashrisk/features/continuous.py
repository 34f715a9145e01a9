"""Continuous clinical covariates: imputation learned in ``fit`` (median), explicit missing
indicators, optional log transform (e.g. troughs) and optional natural-cubic-like B-splines.

Output names keep the clinical name: ``age_years``, ``apriori_trough_ng_ml_log``,
``age_years_spline0``..., ``albumin_g_l_missing``.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import SplineTransformer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from rashrisk.features._base import check_input, input_names


def _two_figures_down(value: float) -> float:
    """``value`` (> 0) rounded down to two significant figures: 2,750.33 -> 2,700; 0.2837 -> 0.28."""
    step = 10.0 ** (np.floor(np.log10(value)) - 1)
    return float(np.floor(value / step) * step)


class ContinuousEncoder(TransformerMixin, BaseEstimator):
    """Impute, indicate, log-transform and optionally spline continuous columns.

    Parameters
    ----------
    log_columns : tuple of column names to log-transform (natural log). Values below the column's
        floor (learned in ``fit``: the smallest positive training value rounded down to two
        significant figures, so that no single patient's exact value is stored), including 0 (e.g. a
        trough reported as 0 ng/mL), are raised to it first: the transform stays monotone and no
        positive training value changes (a ratio below 1 keeps its negative log).
    spline_columns : tuple of column names expanded into a B-spline basis.
    n_knots, degree : spline basis size (``n_knots + degree - 2`` columns, no intercept).
    add_indicator : 'auto' adds ``<column>_missing`` for columns with missing values in ``fit``;
        'always' for every column; 'never' for none.
    """

    _parameter_constraints = {
        "log_columns": [tuple, list],
        "spline_columns": [tuple, list],
        "n_knots": [Interval(numbers.Integral, 2, None, closed="left")],
        "degree": [Interval(numbers.Integral, 1, None, closed="left")],
        "add_indicator": [StrOptions({"auto", "always", "never"})],
    }

    def __init__(self, *, log_columns=(), spline_columns=(), n_knots=4, degree=3, add_indicator="auto"):
        self.log_columns = log_columns
        self.spline_columns = spline_columns
        self.n_knots = n_knots
        self.degree = degree
        self.add_indicator = add_indicator

    def _logged(self, X: np.ndarray, names: list[str]) -> np.ndarray:
        X = X.copy()
        for j, name in enumerate(names):
            if name in self.log_columns:
                X[:, j] = np.log(np.maximum(X[:, j], self.log_floor_[j]))  # NaN stays NaN; monotone
        return X

    def fit(self, X, y=None):
        self._validate_params()
        X = check_input(self, X, reset=True, numeric=True)
        names = input_names(self, X.shape[1])
        unknown = set(self.log_columns) | set(self.spline_columns)
        unknown -= set(names)
        if unknown:
            raise ValueError(f"log/spline columns {sorted(unknown)} are not among the inputs {names}")
        # log columns: the smallest positive training value (others: unused, 1)
        positive = np.where(X > 0, X, np.nan)
        with np.errstate(all="ignore"):
            self.log_floor_ = np.array([_two_figures_down(np.nanmin(c)) if name in self.log_columns
                                        and (~np.isnan(c)).any() else 1.0 for name, c in zip(names, positive.T)])
        Xl = self._logged(X, names)
        missing = np.isnan(Xl)
        with np.errstate(all="ignore"):
            medians = np.array([np.nanmedian(c) if (~np.isnan(c)).any() else 0.0 for c in Xl.T])
        self.fill_value_ = medians
        if self.add_indicator == "always":
            self.indicator_mask_ = np.ones(X.shape[1], dtype=bool)
        elif self.add_indicator == "never":
            self.indicator_mask_ = np.zeros(X.shape[1], dtype=bool)
        else:
            self.indicator_mask_ = missing.any(axis=0)
        filled = np.where(missing, medians, Xl)
        self.splines_ = {}
        for j, name in enumerate(names):
            if name in self.spline_columns:
                spline = SplineTransformer(
                    n_knots=self.n_knots, degree=self.degree, include_bias=False, extrapolation="linear"
                )
                self.splines_[name] = spline.fit(filled[:, [j]])
        return self

    def transform(self, X):
        check_is_fitted(self, "fill_value_")
        X = check_input(self, X, reset=False, numeric=True)
        names = input_names(self, X.shape[1])
        Xl = self._logged(X, names)
        missing = np.isnan(Xl)
        filled = np.where(missing, self.fill_value_, Xl)
        blocks = []
        for j, name in enumerate(names):
            if name in self.splines_:
                blocks.append(self.splines_[name].transform(filled[:, [j]]))
            else:
                blocks.append(filled[:, [j]])
            if self.indicator_mask_[j]:
                blocks.append(missing[:, [j]].astype(np.float64))
        return np.hstack(blocks) if blocks else np.empty((X.shape[0], 0))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "fill_value_")
        out = []
        for j, name in enumerate(input_names(self, self.n_features_in_)):
            base = f"{name}_log" if name in self.log_columns else name
            if name in self.splines_:
                n_basis = self.n_knots + self.degree - 2
                out += [f"{base}_spline{k}" for k in range(n_basis)]
            else:
                out.append(base)
            if self.indicator_mask_[j]:
                out.append(f"{name}_missing")
        return np.asarray(out, dtype=object)

    def factor_of(self) -> dict[str, str]:
        """Output feature name -> clinical factor (the input column)."""
        out = {}
        names = input_names(self, self.n_features_in_)
        for feature in self.get_feature_names_out():
            out[feature] = next(n for n in sorted(names, key=len, reverse=True) if feature.startswith(n))
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

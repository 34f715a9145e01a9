"""The clinical model frame -> numeric feature matrix: the three clinical encoders side by side.

:class:`ClinicalColumns` plays the part of a ``ColumnTransformer`` with clinical output names
(``age_years``, ``sex_M``, ``rs4129267_alt_count``, ``albumin_g_l_missing``,
``map_trough_ng_ml_log``), but its fitted state is only its encoders' own state, so that a served
bundle can store it as data (:mod:`rashrisk.models.state`) and rebuild it without pickle.

Columns are named by kind (``categorical``, ``continuous``, ``genotype``). When none is named, every
column of ``X`` is a continuous input: a plain numeric matrix, as scikit-learn's estimator checks
pass, is read as unnamed continuous covariates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from rashrisk.features._base import frame_of
from rashrisk.features.categorical import CategoricalEncoder
from rashrisk.features.continuous import ContinuousEncoder
from rashrisk.features.genotype import GenotypeEncoder

KINDS = ("categorical", "continuous", "genotype")


class ClinicalColumns(TransformerMixin, BaseEstimator):
    """Encode the categorical, continuous and genotype columns of a model frame, in that order.

    Parameters
    ----------
    categorical, continuous, genotype : tuples of column names of each kind.
    log_columns, spline_columns, n_knots : passed to :class:`ContinuousEncoder`.
    genotype_model, risk_allele : passed to :class:`GenotypeEncoder` (``risk_allele``: 'alt', 'ref'
        or {column: 'alt'|'ref'}).
    """

    _parameter_constraints: dict = {
        "categorical": [tuple, list], "continuous": [tuple, list], "genotype": [tuple, list],
        "log_columns": [tuple, list], "spline_columns": [tuple, list], "n_knots": [int],
        "genotype_model": [str], "risk_allele": [str, dict],
    }

    def __init__(self, *, categorical=(), continuous=(), genotype=(), log_columns=(), spline_columns=(), n_knots=4,
                 genotype_model="additive", risk_allele="alt"):
        self.categorical = categorical
        self.continuous = continuous
        self.genotype = genotype
        self.log_columns = log_columns
        self.spline_columns = spline_columns
        self.n_knots = n_knots
        self.genotype_model = genotype_model
        self.risk_allele = risk_allele

    def _encoder(self, kind: str):
        if kind == "categorical":
            return CategoricalEncoder()
        if kind == "continuous":
            return ContinuousEncoder(log_columns=tuple(self.log_columns), spline_columns=tuple(self.spline_columns),
                                     n_knots=self.n_knots)
        return GenotypeEncoder(model=self.genotype_model, risk_allele=self.risk_allele)

    def fit(self, X, y=None):
        self._validate_params()
        frame = frame_of(self, X, reset=True)
        if frame.shape[0] == 0:
            raise ValueError(f"Found array with 0 sample(s) (shape={frame.shape}) while a minimum of 1 is required.")
        named = {kind: [str(c) for c in getattr(self, kind)] for kind in KINDS}
        if not any(named.values()):
            named["continuous"] = [str(c) for c in frame.columns]
        absent = sorted(c for cols in named.values() for c in cols if c not in frame.columns)
        if absent:
            raise ValueError(f"ClinicalColumns: columns {absent} are not in the input; it has {list(frame.columns)}")
        self.transformers_ = [(kind, clone(self._encoder(kind)).fit(frame[cols]), cols)
                              for kind, cols in named.items() if cols]
        return self

    def transform(self, X):
        check_is_fitted(self, "transformers_")
        frame = frame_of(self, X, reset=False)
        blocks = [encoder.transform(frame[cols]) for _, encoder, cols in self.transformers_]
        return np.hstack(blocks) if blocks else np.empty((len(frame), 0))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "transformers_")
        names = [str(n) for _, encoder, _ in self.transformers_ for n in encoder.get_feature_names_out()]
        return np.asarray(names, dtype=object)

    def input_columns(self) -> list[str]:
        """The frame columns read, in output order."""
        check_is_fitted(self, "transformers_")
        return [c for _, _, cols in self.transformers_ for c in cols]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


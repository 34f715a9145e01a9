"""Risk-allele encoding of ``<rsid>_alt_count`` columns (0/1/2 alternate alleles, NaN = no-call).

The source study (IL6R rs4129267, OR 1.97) does not say which allele carries the risk nor the
genetic model, so both are options, never facts: ``risk_allele`` ('alt' or 'ref', per column or
for all) and ``model`` ('additive', 'dominant', 'recessive').

A no-call is never silently a reference genotype: every genotype column gets an explicit
``<column>_missing`` indicator (1 = no-call) and the encoded value of a no-call is the mean
encoded value learned in ``fit`` (the indicator's coefficient carries any difference).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from rashrisk.features._base import check_input, input_names
from rashrisk.genotype.coding import GENETIC_MODELS, RISK_ALLELES, code_genotype, risk_allele_count


def encoded_name(column: str, risk_allele: str, model: str) -> str:
    """Clinical name of the encoded column, e.g. 'rs4129267_alt_count', 'rs4129267_ref_carrier'."""
    rsid = column[: -len("_alt_count")] if column.endswith("_alt_count") else column
    suffix = {"additive": "count", "dominant": "carrier", "recessive": "homozygous"}[model]
    return f"{rsid}_{risk_allele}_{suffix}"


class GenotypeEncoder(TransformerMixin, BaseEstimator):
    """Encode alternate-allele counts as risk-allele features with a no-call indicator.

    Parameters
    ----------
    model : {'additive', 'dominant', 'recessive'}
    risk_allele : 'alt', 'ref' or dict mapping a column name to 'alt'/'ref' (others: 'alt').
    """

    _parameter_constraints = {
        "model": [StrOptions(set(GENETIC_MODELS))],
        "risk_allele": [StrOptions(set(RISK_ALLELES)), dict],
    }

    def __init__(self, *, model="additive", risk_allele="alt"):
        self.model = model
        self.risk_allele = risk_allele

    def _risk_allele_for(self, column: str) -> str:
        if isinstance(self.risk_allele, dict):
            choice = self.risk_allele.get(column, "alt")
            if choice not in RISK_ALLELES:
                raise ValueError(f"risk_allele for {column!r} is {choice!r}; expected one of {RISK_ALLELES}")
            return choice
        return self.risk_allele

    def _encode(self, X: np.ndarray, alleles: list[str]) -> np.ndarray:
        cols = [code_genotype(risk_allele_count(X[:, j], allele), self.model) for j, allele in enumerate(alleles)]
        return np.column_stack(cols) if cols else np.empty((X.shape[0], 0))

    def fit(self, X, y=None):
        self._validate_params()
        X = check_input(self, X, reset=True, numeric=True)
        self.risk_alleles_ = [self._risk_allele_for(c) for c in input_names(self, X.shape[1])]
        encoded = self._encode(X, self.risk_alleles_)
        with np.errstate(invalid="ignore"):
            means = np.nanmean(encoded, axis=0) if encoded.shape[0] else np.zeros(encoded.shape[1])
        self.fill_value_ = np.where(np.isnan(means), 0.0, means)
        return self

    def transform(self, X):
        check_is_fitted(self, "fill_value_")
        X = check_input(self, X, reset=False, numeric=True)
        encoded = self._encode(X, self.risk_alleles_)
        missing = np.isnan(encoded)
        encoded = np.where(missing, self.fill_value_, encoded)
        out = np.empty((X.shape[0], 2 * X.shape[1]))
        out[:, 0::2] = encoded
        out[:, 1::2] = missing
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "fill_value_")
        names = []
        for column, allele in zip(input_names(self, self.n_features_in_), self.risk_alleles_):
            names += [encoded_name(column, allele, self.model), f"{column}_missing"]
        return np.asarray(names, dtype=object)

    def factor_of(self) -> dict[str, str]:
        """Output feature name -> clinical factor (the rsID)."""
        out = {}
        for name in self.get_feature_names_out():
            rsid = name.split("_")[0]
            out[name] = rsid
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

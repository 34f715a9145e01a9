"""Risk-allele encoding of ``<rsid>_alt_count`` columns (0/1/2 alternate alleles, NaN = no-call).

The source study (IL6R rs4129267, OR 1.97) does not say which allele carries the risk nor the
genetic model, so both are options, never facts: ``risk_allele`` ('alt' or 'ref', per column or
for all) and ``model`` ('additive', 'dominant', 'recessive').

A no-call is missing information, not a category: there is no no-call indicator (its coefficient
would make "not called" a risk factor of its own). For training, a no-call takes the expected
encoded value under Hardy-Weinberg at the training cohort's allele frequency (``alt_allele_frequency_``,
from the called patients): 2r additive, 1-(1-r)^2 dominant, r^2 recessive, r the risk-allele frequency.
Scoring does not serve that value: it averages the risks of the three genotypes
(:mod:`rashrisk.explanations.no_call`).

An encoder read from a bundle of format 1 (fitted attribute ``fill_value_`` only, no
``alt_allele_frequency_``) keeps its two-column layout (``<column>_missing``), so that those
bundles score as they were trained; its training allele frequency is recovered from ``fill_value_``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from rashrisk.features._base import check_input, input_names
from rashrisk.genotype.coding import GENETIC_MODELS, RISK_ALLELES, code_genotype, risk_allele_count


def hardy_weinberg(alt_allele_frequency: float) -> tuple[float, float, float]:
    """Probabilities of 0, 1 and 2 ALT alleles under Hardy-Weinberg equilibrium."""
    q = float(alt_allele_frequency)
    return ((1.0 - q) ** 2, 2.0 * q * (1.0 - q), q ** 2)


def expected_encoding(alt_allele_frequency: float, risk_allele: str, model: str) -> float:
    """Expected encoded value of a genotype under Hardy-Weinberg (the training value of a no-call)."""
    probabilities = hardy_weinberg(alt_allele_frequency)
    coded = code_genotype(risk_allele_count(np.array([0.0, 1.0, 2.0]), risk_allele), model)
    return float(np.dot(probabilities, coded))


def _frequency_from_fill(fill: float, risk_allele: str, model: str) -> float:
    """ALT-allele frequency behind a format-1 encoder's fill value (the mean encoded value)."""
    if model == "additive":
        r = fill / 2.0
    elif model == "dominant":
        r = 1.0 - np.sqrt(max(0.0, 1.0 - fill))
    else:
        r = np.sqrt(max(0.0, fill))
    r = float(min(max(r, 0.0), 1.0))
    return r if risk_allele == "alt" else 1.0 - r


def encoded_name(column: str, risk_allele: str, model: str) -> str:
    """Clinical name of the encoded column, e.g. 'rs4129267_alt_count', 'rs4129267_ref_carrier'."""
    rsid = column[: -len("_alt_count")] if column.endswith("_alt_count") else column
    suffix = {"additive": "count", "dominant": "carrier", "recessive": "homozygous"}[model]
    return f"{rsid}_{risk_allele}_{suffix}"


class GenotypeEncoder(TransformerMixin, BaseEstimator):
    """Encode alternate-allele counts as risk-allele features (one column per genotype; a no-call
    takes the Hardy-Weinberg expected value at the training allele frequency).

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
        with np.errstate(invalid="ignore"):
            called = np.sum(~np.isnan(X), axis=0)
            alt = np.where(called > 0, np.nansum(X, axis=0) / np.maximum(2.0 * called, 1.0), 0.0)
        self.alt_allele_frequency_ = np.clip(np.asarray(alt, dtype=np.float64), 0.0, 1.0)
        self.fill_value_ = np.array([expected_encoding(q, a, self.model)
                                     for q, a in zip(self.alt_allele_frequency_, self.risk_alleles_)], dtype=np.float64)
        return self

    @property
    def has_no_call_indicator(self) -> bool:
        """True for an encoder read from a format-1 bundle (two columns per genotype, see the module docstring)."""
        return hasattr(self, "fill_value_") and not hasattr(self, "alt_allele_frequency_")

    def training_alt_allele_frequency(self) -> np.ndarray:
        """Per genotype column, the training cohort's ALT-allele frequency (called patients)."""
        check_is_fitted(self, "fill_value_")
        if not self.has_no_call_indicator:
            return np.asarray(self.alt_allele_frequency_, dtype=np.float64)
        return np.array([_frequency_from_fill(float(f), a, self.model)
                         for f, a in zip(self.fill_value_, self.risk_alleles_)], dtype=np.float64)

    def transform(self, X):
        check_is_fitted(self, "fill_value_")
        X = check_input(self, X, reset=False, numeric=True)
        encoded = self._encode(X, self.risk_alleles_)
        missing = np.isnan(encoded)
        encoded = np.where(missing, self.fill_value_, encoded)
        if not self.has_no_call_indicator:
            return encoded
        out = np.empty((X.shape[0], 2 * X.shape[1]))
        out[:, 0::2] = encoded
        out[:, 1::2] = missing
        return out

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "fill_value_")
        names = []
        for column, allele in zip(input_names(self, self.n_features_in_), self.risk_alleles_):
            names.append(encoded_name(column, allele, self.model))
            if self.has_no_call_indicator:
                names.append(f"{column}_missing")
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

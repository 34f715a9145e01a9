"""Shared helpers for the clinical transformers (input names, fitted checks)."""

from __future__ import annotations

import numpy as np


def input_names(estimator, n_features: int) -> list[str]:
    """The clinical column names seen in ``fit`` (or ``x0..`` for a plain array)."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    return [f"x{i}" for i in range(n_features)]


def as_float_matrix(X) -> np.ndarray:
    """A float64 2-D copy of ``X`` (NaN kept)."""
    return np.asarray(X, dtype=np.float64)

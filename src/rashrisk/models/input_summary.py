"""Aggregate statistics of a model's training inputs (no patient rows): what the card and the
training-range warnings know of the training data."""

from __future__ import annotations

import numpy as np
import pandas as pd

RANGE_QUANTILES = (0.01, 0.99)


def _number(value) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def summarize_inputs(X: pd.DataFrame, columns) -> dict:
    """Aggregate statistics of the training inputs, per column (no patient rows).

    Numeric: ``{"kind": "numeric", "n", "missing_share", "mean", "median", "p01", "p99", "min", "max"}``;
    categorical: ``{"kind": "categorical", "n", "missing_share", "frequencies": {level: share}}``
    (levels ordered by share, largest first).
    """
    out = {}
    for column in columns:
        values = X[column]
        n = int(len(values))
        missing = float(values.isna().mean()) if n else 0.0
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            numeric = pd.to_numeric(values, errors="coerce").astype(float).dropna().to_numpy()
            stats = {"kind": "numeric", "n": n, "missing_share": round(missing, 6)}
            if len(numeric):
                low, high = np.quantile(numeric, RANGE_QUANTILES)
                stats.update(mean=_number(numeric.mean()), median=_number(np.median(numeric)), p01=_number(low),
                             p99=_number(high), min=_number(numeric.min()), max=_number(numeric.max()))
            else:
                stats.update(mean=None, median=None, p01=None, p99=None, min=None, max=None)
            out[str(column)] = stats
        else:
            shares = values.dropna().astype(str).value_counts(normalize=True, sort=True)
            out[str(column)] = {"kind": "categorical", "n": n, "missing_share": round(missing, 6),
                                "frequencies": {str(k): round(float(v), 6) for k, v in shares.items()}}
    return out


def input_ranges(summary: dict) -> dict:
    """{column: {"min", "max", "p01", "p99"}} of the numeric inputs (training-range warnings)."""
    return {column: {k: stats[k] for k in ("min", "max", "p01", "p99")} for column, stats in summary.items()
            if stats.get("kind") == "numeric" and stats.get("min") is not None}

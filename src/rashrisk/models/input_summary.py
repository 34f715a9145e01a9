"""Aggregate statistics of a model's training inputs (no patient rows): what the card and the
training-range warnings know of the training data.

Privacy by construction: no statistic here is one patient's exact value. There is no minimum or
maximum (those are the lightest and the heaviest patient's weights). The range is the 1st to 99th
percentile, widened outwards to the column's clinical unit (:data:`CLINICAL_UNITS`: age 1 year,
weight 1 kg, dose 100 mg, troughs 10 ng/mL, ...). The median is rounded to the unit too
(the median of an odd number of patients is one patient's value), the mean to a tenth of it. A column without a listed unit
gets a power of ten that splits its 1st-99th percentile spread into 10 to 100 steps.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

RANGE_QUANTILES = (0.01, 0.99)
RANGE_PERCENTILES = (1, 99)

# the clinical unit each input's aggregates are rounded to (the resolution a clinician reads it at)
CLINICAL_UNITS = {
    "age_years": 1.0,
    "weight_kg": 1.0,
    "height_cm": 1.0,
    "bsa_m2": 0.1,
    "albumin_g_l": 1.0,
    "start_dose_mg": 100.0,
    "dose_mg": 100.0,
    "apriori_trough_ng_ml": 10.0,
    "map_trough_ng_ml": 10.0,
    "trough_ratio_to_apriori": 0.05,
    "tdm_day": 1.0,
}
GENOTYPE_UNIT = 1.0  # <rsid>_alt_count: whole allele counts (0, 1, 2)


def clinical_unit(column: str, values: np.ndarray | None = None) -> float:
    """The unit ``column``'s aggregates are rounded to (see the module docstring)."""
    if column in CLINICAL_UNITS:
        return CLINICAL_UNITS[column]
    if column.endswith("_alt_count"):
        return GENOTYPE_UNIT
    if values is None or not len(values):
        return 1.0
    low, high = np.quantile(values, RANGE_QUANTILES)
    spread = float(high - low)
    if not np.isfinite(spread) or spread <= 0:
        scale = abs(float(np.median(values)))
        return 10.0 ** math.floor(math.log10(scale)) if np.isfinite(scale) and scale > 0 else 1.0
    return 10.0 ** (math.floor(math.log10(spread)) - 1)


def _on_grid(value: float, unit: float, how) -> float | None:
    if value is None or not np.isfinite(value):
        return None
    steps = how(round(value / unit, 9))  # 1.1 / 0.1 is 11.000000000000002: not 12 steps
    decimals = max(0, -math.floor(math.log10(unit))) + 2  # enough digits to print the grid value exactly
    return round(steps * unit, decimals) + 0.0  # + 0.0: no -0.0


def round_to_unit(value, unit: float) -> float | None:
    """``value`` rounded to the nearest multiple of ``unit`` (None for a missing or non-finite value)."""
    return _on_grid(value, unit, round)


def summarize_inputs(X: pd.DataFrame, columns) -> dict:
    """Aggregate statistics of the training inputs, per column (no patient rows, no patient's value).

    Numeric: ``{"kind": "numeric", "n", "missing_share", "unit", "mean", "median", "p01", "p99"}``
    (``p01`` rounded down and ``p99`` rounded up to ``unit``, the median rounded to it, the mean to a tenth of it);
    categorical: ``{"kind": "categorical", "n", "missing_share", "frequencies": {level: share}}``
    (levels ordered by share, largest first).
    """
    out = {}
    for column in columns:
        values = X[column]
        n = int(len(values))
        missing = float(values.isna().mean()) if n else 0.0
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            numeric = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
            numeric = numeric[np.isfinite(numeric)]
            unit = clinical_unit(str(column), numeric)
            stats = {"kind": "numeric", "n": n, "missing_share": round(missing, 4), "unit": unit}
            if len(numeric):
                low, high = np.quantile(numeric, RANGE_QUANTILES)
                stats.update(mean=round_to_unit(numeric.mean(), unit / 10), median=round_to_unit(np.median(numeric), unit),
                             p01=_on_grid(low, unit, math.floor), p99=_on_grid(high, unit, math.ceil))
            else:
                stats.update(mean=None, median=None, p01=None, p99=None)
            out[str(column)] = stats
        else:
            shares = values.dropna().astype(str).value_counts(normalize=True, sort=True)
            out[str(column)] = {"kind": "categorical", "n": n, "missing_share": round(missing, 4),
                                "frequencies": {str(k): round(float(v), 4) for k, v in shares.items()}}
    return out


def input_ranges(summary: dict) -> dict:
    """``{column: {"low", "high", "percentiles": [1, 99], "unit"}}`` of the numeric inputs: the
    1st-99th percentile widened to the clinical unit (what the training-range warnings use)."""
    return {column: {"low": stats["p01"], "high": stats["p99"], "percentiles": list(RANGE_PERCENTILES),
                     "unit": stats.get("unit")}
            for column, stats in summary.items()
            if stats.get("kind") == "numeric" and stats.get("p01") is not None}

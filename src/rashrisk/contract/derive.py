"""Derived columns (computed before the rules run, so rules can check them) and canonical output.

patients  ``bsa_m2``: Mosteller, sqrt(height_cm * weight_kg / 3600); NaN without height. ``bmi`` and
          ``bmi_if_pounds`` (the weight read as pounds) feed the plausibility rules and are not kept.
tdm       ``concentration_ng_ml`` (via :mod:`rashrisk.units`), ``hours_after_dose``
          (sample_time - last_dose_time), ``day_on_treatment`` (sample_time - start_date, days).
outcomes  ``severe_rash``: grade >= 3, or grade 2 with recurrent_grade2 true (missing = not recurrent).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from rashrisk.contract.rules import RawTable
from rashrisk.contract.schema import POUNDS_PER_KG, FileSchema
from rashrisk.units import CONCENTRATION_UNITS, to_ng_per_ml

DERIVED = {
    "patients": ("bsa_m2",),
    "genotypes": (),
    "tdm": ("concentration_ng_ml", "hours_after_dose", "day_on_treatment"),
    "outcomes": ("severe_rash",),
}

_NG_ML_PER_UNIT = {unit: to_ng_per_ml(1.0, unit) for unit in CONCENTRATION_UNITS}
_HOUR = np.timedelta64(1, "h")
_DAY = np.timedelta64(1, "D")


def patients(values: pd.DataFrame) -> pd.DataFrame:
    # a huge value (1e200 cm) overflows to inf here, a tiny one (1e-200 cm) underflows to 0 and divides by
    # it; either is rejected by its range rule: no RuntimeWarning
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        return _patients(values)


def _patients(values: pd.DataFrame) -> pd.DataFrame:
    product = (values["height_cm"] * values["weight_kg"]).to_numpy(float)
    positive = np.where(product > 0, product, np.nan)  # out-of-range rows are rejected by the rules
    values["bsa_m2"] = np.sqrt(positive / 3600.0)
    height_m2 = np.where(values["height_cm"].to_numpy(float) > 0, (values["height_cm"].to_numpy(float) / 100) ** 2,
                         np.nan)
    values["bmi"] = values["weight_kg"].to_numpy(float) / height_m2  # for the plausibility rules only
    values["bmi_if_pounds"] = values["bmi"] / POUNDS_PER_KG
    return values


def tdm(values: pd.DataFrame, start_dates: pd.Series) -> pd.DataFrame:
    """``start_dates``: accepted patients' start_date indexed by patient_id (joined for the rules)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _tdm(values, start_dates)


def _tdm(values: pd.DataFrame, start_dates: pd.Series) -> pd.DataFrame:
    factor = values["unit"].map(_NG_ML_PER_UNIT).astype(float)
    values["concentration_ng_ml"] = values["concentration"] * factor
    values["hours_after_dose"] = elapsed(values["sample_time"], values["last_dose_time"], _HOUR)
    values["start_date"] = values["patient_id"].map(start_dates).astype("datetime64[ns]")
    values["day_on_treatment"] = elapsed(values["sample_time"], values["start_date"], _DAY)
    return values


def elapsed(later: pd.Series, earlier: pd.Series, unit: np.timedelta64) -> np.ndarray:
    """``later - earlier`` in ``unit`` (float; NaN where either is missing), as pandas' timedelta division
    computes it, except that a difference beyond the nanosecond range (about 292 years: a year typed
    wrong) is +/-inf, which the range rules then reject, instead of an overflow error."""
    a = later.to_numpy("datetime64[ns]").astype("int64")
    b = earlier.to_numpy("datetime64[ns]").astype("int64")
    missing = np.isnat(later.to_numpy("datetime64[ns]")) | np.isnat(earlier.to_numpy("datetime64[ns]"))
    with np.errstate(over="ignore"):
        diff = a - b  # wraps on overflow: detected by the signs below
    overflow = ((a >= 0) != (b >= 0)) & ((diff >= 0) != (a >= 0))
    out = diff.astype(float) / float(unit.astype("timedelta64[ns]").astype("int64"))
    out[overflow] = np.where(a[overflow] > b[overflow], np.inf, -np.inf)
    out[missing] = np.nan
    return out


def outcomes(values: pd.DataFrame) -> pd.DataFrame:
    grade = values["rash_max_grade"]
    recurrent = values["recurrent_grade2"] == 1.0
    values["severe_rash"] = ((grade >= 3) | ((grade == 2) & recurrent)).to_numpy(bool)
    return values


def canonical(schema: FileSchema, values: pd.DataFrame, table: RawTable, keep: np.ndarray) -> pd.DataFrame:
    """Accepted rows: contract columns in canonical dtypes, derived columns, then extra columns as text."""
    every = bool(np.all(keep))  # the usual case: no row rejected, no row to drop
    out = {}
    for column in schema.columns:
        out[column.name] = _cast(values[column.name] if every else values[column.name][keep], column.type)
    for name in DERIVED[schema.key]:
        out[name] = values[name] if every else values[name][keep]
    for name in table.extra_columns:
        out[name] = table.frame[name] if every else table.frame[name][keep]
    return pd.DataFrame(out).reset_index(drop=True)


def _cast(series: pd.Series, type_: str) -> pd.Series:
    if type_ == "integer":
        return series.astype("Int64")
    if type_ == "boolean":
        return series.astype("boolean")
    if type_ == "number":
        return series.astype(float)
    return series


def empty_table(schema: FileSchema) -> pd.DataFrame:
    """A table with no rows and the canonical and derived columns (when a file is absent or unusable):
    a fresh copy of the schema's empty table (built once per schema; callers may modify it)."""
    return _empty_table(schema).copy()


@functools.lru_cache(maxsize=16)
def _empty_table(schema: FileSchema) -> pd.DataFrame:
    dtypes = {"number": float, "integer": "Int64", "boolean": "boolean", "date": "datetime64[ns]",
              "datetime": "datetime64[ns]"}
    out = {c.name: pd.Series([], dtype=dtypes.get(c.type, object)) for c in schema.columns}
    for name in DERIVED[schema.key]:
        out[name] = pd.Series([], dtype=bool if name == "severe_rash" else float)
    return pd.DataFrame(out)

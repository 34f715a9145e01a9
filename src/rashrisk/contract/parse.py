"""Vectorised parsing of raw text columns into the contract's types.

Each parser takes the raw column (str, '' = missing) and returns ``(values, failed)``: the typed
values (NaN / NaT / None where missing or unparseable) and a boolean array marking non-empty
values that could not be parsed. Numbers, integers and booleans come back as float64 (so every
comparison in the rule engine is a plain boolean); the loader casts them to nullable dtypes last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.contract.schema import BOOLEAN_SPELLINGS, Column


def parse_column(raw: pd.Series, column: Column) -> tuple[pd.Series, np.ndarray]:
    if column.allowed:
        return _parse_allowed(raw, column)
    parser = _PARSERS[column.type]
    return parser(raw)


def _present(raw: pd.Series) -> np.ndarray:
    return (raw != "").to_numpy()


def _parse_string(raw: pd.Series):
    return raw.where(raw != "", None).astype(object), np.zeros(len(raw), dtype=bool)


def _parse_allowed(raw: pd.Series, column: Column):
    spelling = {v.lower(): v for v in column.allowed}
    spelling.update({k.lower(): v for k, v in column.aliases})
    values = raw.str.lower().map(spelling)
    values = values.where(values.notna(), None).astype(object)
    # an unknown value is reported by the `.allowed` rule, not as a type error
    return values, np.zeros(len(raw), dtype=bool)


def _parse_number(raw: pd.Series):
    present = _present(raw)
    values = pd.to_numeric(raw.str.strip().where(present, None), errors="coerce").astype(float)
    finite = np.isfinite(values.to_numpy())
    failed = present & ~finite
    values = values.where(finite, np.nan)
    return values, failed


def _parse_integer(raw: pd.Series):
    values, failed = _parse_number(raw)
    arr = values.to_numpy()
    fractional = np.isfinite(arr) & (np.floor(arr) != arr)
    failed = failed | fractional
    return values.where(~fractional, np.nan), failed


def _parse_boolean(raw: pd.Series):
    present = _present(raw)
    values = raw.str.strip().str.lower().map(BOOLEAN_SPELLINGS).astype(float)
    failed = present & values.isna().to_numpy()
    return values, failed


def _to_naive(value):
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return pd.NaT
    if stamp is pd.NaT:
        return pd.NaT
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def _parse_datetime(raw: pd.Series):
    present = _present(raw)
    text = raw.str.strip().where(present, None)
    try:
        values = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    except (ValueError, TypeError, OverflowError):  # mixed time zones or other oddities: one by one
        values = pd.to_datetime(pd.Series([_to_naive(v) if v is not None else pd.NaT for v in text],
                                          index=raw.index, dtype=object), errors="coerce")
    if values.dtype == object:  # pragma: no cover - defensive
        values = pd.to_datetime(values, errors="coerce")
    values = values.astype("datetime64[ns]")
    failed = present & values.isna().to_numpy()
    return values, failed


def _parse_genotype(raw: pd.Series):
    from rashrisk.genotype.alleles import parse_genotype

    parsed: dict[str, object] = {}
    bad: set[str] = set()
    for text in pd.unique(raw):
        try:
            parsed[text] = parse_genotype(text)
        except ValueError:
            parsed[text] = None
            bad.add(text)
    values = pd.Series([parsed[t] for t in raw], index=raw.index, dtype=object)
    failed = raw.isin(bad).to_numpy()
    return values, failed


_PARSERS = {
    "string": _parse_string,
    "number": _parse_number,
    "integer": _parse_integer,
    "boolean": _parse_boolean,
    "date": _parse_datetime,
    "datetime": _parse_datetime,
    "genotype": _parse_genotype,
}

"""Vectorised parsing of raw text columns into the contract's types.

Each parser takes the raw column (str, '' = missing) and returns ``(values, failed)``: the typed
values (NaN / NaT / None where missing or unparseable) and a boolean array marking non-empty
values that could not be parsed. Numbers, integers and booleans come back as float64 (so every
comparison in the rule engine is a plain boolean); the loader casts them to nullable dtypes last.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from rashrisk.contract.schema import BOOLEAN_SPELLINGS, Column
from rashrisk.genotype.alleles import parse_genotype


def parse_column(raw: pd.Series, column: Column) -> tuple[pd.Series, np.ndarray]:
    if column.allowed:
        return _parse_allowed(raw, column)
    parser = _PARSERS[column.type]
    return parser(raw)


_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def is_present(raw: pd.Series) -> np.ndarray:
    """True where the raw text is not empty."""
    return np.asarray(raw.to_numpy() != "", dtype=bool)  # numpy is ~10x faster than pandas here


def _parse_string(raw: pd.Series):
    return raw.where(raw != "", None).astype(object), np.zeros(len(raw), dtype=bool)


def _parse_allowed(raw: pd.Series, column: Column):
    values = raw.str.lower().map(column.spellings())
    values = values.where(values.notna(), None).astype(object)
    # an unknown value is reported by the `.allowed` rule, not as a type error
    return values, np.zeros(len(raw), dtype=bool)


def _parse_number(raw: pd.Series):
    present = is_present(raw)
    values = pd.Series(_to_float(raw.to_numpy()), index=raw.index)
    finite = np.isfinite(values.to_numpy())
    failed = present & ~finite
    values = values.where(finite, np.nan)
    return values, failed


def _to_float(text: np.ndarray) -> np.ndarray:
    """Decimal numbers (surrounding spaces allowed) to float; anything else NaN. Vectorised in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        strings = pc.utf8_trim_whitespace(pa.array(text, type=pa.string()))
        ok = pc.match_substring_regex(strings, _NUMBER)
        return pc.cast(pc.if_else(ok, strings, None), pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowException, TypeError, ValueError):  # pragma: no cover - odd input: the slow path
        return pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(dtype=float)


def _parse_integer(raw: pd.Series):
    values, failed = _parse_number(raw)
    arr = values.to_numpy()
    fractional = np.isfinite(arr) & (np.floor(arr) != arr)
    failed = failed | fractional
    return values.where(~fractional, np.nan), failed


def _parse_boolean(raw: pd.Series):
    present = is_present(raw)
    values = raw.str.lower().map(BOOLEAN_SPELLINGS).astype(float)
    retry = present & values.isna().to_numpy()
    if retry.any():  # only the few values that failed pay for stripping spaces
        values[retry] = raw[retry].str.strip().str.lower().map(BOOLEAN_SPELLINGS).astype(float).to_numpy()
    failed = present & values.isna().to_numpy()
    return values, failed


def _to_naive(value):
    try:
        stamp = pd.to_datetime(value, format="ISO8601", utc=True)
    except (ValueError, TypeError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return pd.NaT
    return pd.NaT if stamp is pd.NaT else stamp.tz_localize(None)


def _parse_datetime(raw: pd.Series):
    present = is_present(raw)
    values = _parse_iso(raw.where(present, None))
    retry = present & values.isna().to_numpy()
    if retry.any():  # only the values that failed pay for stripping spaces
        values[retry] = _parse_iso(raw[retry].str.strip()).to_numpy()
    failed = present & values.isna().to_numpy()
    return values, failed


# an ISO 8601 time that ends in a UTC offset ('Z', '+02:00', '-0500', '+08')
UTC_OFFSET = r"\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)\s*"


def has_utc_offset(text: pd.Series) -> np.ndarray:
    """True where the text is an ISO 8601 date and time with a UTC offset."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cells = pa.array(text.to_numpy(object), type=pa.string())
    matched = pc.match_substring_regex(cells, f"^(?:{UTC_OFFSET})$")
    return np.asarray(matched.to_numpy(zero_copy_only=False), dtype=bool) & ~np.asarray(text.isna(), dtype=bool)


def _parse_iso(text: pd.Series) -> pd.Series:
    """ISO 8601; a value with a UTC offset is converted to UTC, a value without one is kept as written.

    The two kinds are parsed apart: pandas' ISO parser, given one offset, applies it to the naive
    values that follow (2023-02-11T09:00 read as 07:00 after a +02:00). A column mixing the two kinds
    is rejected by the ``.utc_offset`` rules; a column whose every value has an offset is converted."""
    offset = has_utc_offset(text)
    if len(text) and (offset.all() or not offset.any()):  # one kind (the usual case): no masked assignment
        return pd.Series(_parse_kind(text, utc=bool(offset[0])).to_numpy(), index=text.index, dtype="datetime64[ns]")
    values = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for part, utc in ((~offset, False), (offset, True)):
        if part.any():
            values[part] = _parse_kind(text[part], utc=utc).to_numpy()
    return values


def _parse_kind(text: pd.Series, *, utc: bool) -> pd.Series:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # mixed time zones: read one by one below
            values = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=utc)
        if not pd.api.types.is_datetime64_any_dtype(values):
            # offsets pandas reads where has_utc_offset sees none (e.g. 2023/02/10T08:00Z beside naive
            # times) give an object column of mixed time zones: that is an oddity too
            raise TypeError("mixed time zones")
    except (ValueError, TypeError, OverflowError):  # any oddity: one by one
        values = pd.to_datetime(pd.Series([_to_naive(v) if v is not None else pd.NaT for v in text],
                                          index=text.index, dtype=object), errors="coerce", utc=True)
        utc = True
    if utc or getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None) if values.dt.tz is None else values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values.astype("datetime64[ns]")


def _parse_genotype(raw: pd.Series):
    codes, texts = pd.factorize(raw.to_numpy(object))
    parsed = np.empty(len(texts), dtype=object)
    bad = np.zeros(len(texts), dtype=bool)
    for k, text in enumerate(texts):  # once per distinct genotype text
        try:
            parsed[k] = parse_genotype(text)
        except ValueError:
            bad[k] = True
    values = pd.Series(parsed[codes] if len(codes) else np.empty(0, dtype=object), index=raw.index, dtype=object)
    return values, bad[codes] if len(codes) else np.zeros(0, dtype=bool)


_PARSERS = {
    "string": _parse_string,
    "number": _parse_number,
    "integer": _parse_integer,
    "boolean": _parse_boolean,
    "date": _parse_datetime,
    "datetime": _parse_datetime,
    "genotype": _parse_genotype,
}

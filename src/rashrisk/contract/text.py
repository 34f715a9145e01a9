"""Typed table values as the text a CSV file would hold, so that every source meets the same rules.

A Parquet file and a DataFrame may hold numbers, booleans, datetimes or strings; the rule engine
sees every cell as a str ('' = missing), exactly as it sees a CSV cell. A value is written the way
Python prints it (``61``, ``54.5``, ``True``; a datetime in ISO 8601), so a rejected value is shown
in the message as the user gave it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def frame_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column of ``frame`` as text, with a fresh 0..n-1 index (column names as str)."""
    names = [str(c) for c in frame.columns]
    if len(set(names)) == len(names) and all(dtype == object for dtype in frame.dtypes):
        # object columns only (JSON documents, CSV text): the cells of every column as one block
        cells = frame.to_numpy(dtype=object)
        text = np.empty(cells.shape, dtype=object)
        for j in range(cells.shape[1]):
            text[:, j] = _objects_as_text(cells[:, j], np.asarray(pd.isna(cells[:, j]), dtype=bool))
        return pd.DataFrame(text, columns=names, index=range(len(frame)))
    return pd.DataFrame({str(c): column_as_text(frame.iloc[:, j]) for j, c in enumerate(frame.columns)},
                        index=range(len(frame)))


def column_as_text(column: pd.Series) -> pd.Series:
    """One typed column as text ('' = missing: None, NaN, NA, NaT)."""
    missing = column.isna().to_numpy()
    if column.dtype == object:  # JSON documents, CSV text: cell by cell in Python, no pandas round trips
        return pd.Series(_objects_as_text(column.to_numpy(), missing), dtype=object)
    column = column.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(column):
        text = column.map(lambda v: "" if pd.isna(v) else v.isoformat())
    elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        text = column.astype(object).astype(str)  # vectorised; bool -> 'True'/'False'
    elif pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        text = column.astype(object)  # already text (e.g. read with dtype=str)
    else:
        text = column.map(cell_text)
    return text.where(~missing, "").astype(object)


def _objects_as_text(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """An object column's cells as text, exactly as the pandas path below would give them: when every
    present cell is a str (``infer_dtype`` 'string' or 'empty') the cells are kept as they are,
    otherwise each present cell goes through :func:`cell_text`; missing cells are ''."""
    present = [v for v, m in zip(values.tolist(), missing.tolist()) if not m]
    keep = all(isinstance(v, str) for v in present)
    out = np.empty(len(values), dtype=object)
    out[:] = [("" if m else (v if keep else cell_text(v))) for v, m in zip(values, missing.tolist())]
    return out


def cell_text(value) -> str:
    """One value as text ('' = missing)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (dt.datetime, dt.date)):  # incl. pandas Timestamp: ISO 8601 with a 'T'
        return value.isoformat()
    return str(value)

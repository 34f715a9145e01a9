"""Typed cells as text: the object-column path gives exactly what the pandas path gave before it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rashrisk.contract.text import cell_text, column_as_text, frame_as_text


def pandas_column_as_text(column: pd.Series) -> pd.Series:
    """The previous implementation (pandas only), the reference for the object-column path."""
    column = column.reset_index(drop=True)
    missing = column.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(column):
        text = column.map(lambda v: "" if pd.isna(v) else v.isoformat())
    elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        text = column.astype(object).astype(str)
    elif pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty"):
        text = column.astype(object)
    else:
        text = column.map(cell_text)
    return text.where(~missing, "").astype(object)


CELLS = st.one_of(
    st.text(max_size=6), st.none(), st.just(float("nan")), st.just(pd.NA), st.just(pd.NaT),
    st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.builds(pd.Timestamp, st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1))),
)


def same(a: pd.Series, b: pd.Series) -> None:
    assert a.dtype == b.dtype == object
    assert a.index.equals(b.index)
    assert [type(v) for v in a] == [type(v) for v in b]
    assert a.tolist() == b.tolist()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(CELLS, max_size=6), strings_only=st.booleans(), offset=st.integers(0, 5))
def test_object_column_text_equals_the_pandas_path(cells, strings_only, offset):
    if strings_only:  # the usual case: every present cell a str (JSON text, CSV cells)
        cells = [c if isinstance(c, str) or c is None or c is pd.NA else str(c) for c in cells]
    column = pd.Series(cells, dtype=object, index=range(offset, offset + len(cells)))
    same(column_as_text(column), pandas_column_as_text(column))


def test_typed_columns_and_frames_keep_their_text():
    frame = pd.DataFrame({"a": [1.5, np.nan], "b": pd.array([1, None], dtype="Int64"), "c": [True, False],
                          "d": pd.to_datetime(["2023-01-02T03:04", None]), "e": ["x", None],
                          "f": [1, "y"]}, index=[7, 3])
    text = frame_as_text(frame)
    assert text.index.equals(pd.RangeIndex(2))
    for name in frame.columns:
        same(text[name], pandas_column_as_text(frame[name]))
    assert text.to_dict("list") == {"a": ["1.5", ""], "b": ["1", ""], "c": ["True", "False"],
                                    "d": ["2023-01-02T03:04:00", ""], "e": ["x", ""], "f": ["1", "y"]}


def test_empty_table_is_a_fresh_copy_with_the_canonical_dtypes():
    from rashrisk.contract.derive import empty_table
    from rashrisk.contract.schema import FILES

    for schema in FILES.values():
        first = empty_table(schema)
        first["added"] = pd.Series([], dtype=float)  # a caller modifying its table
        second = empty_table(schema)
        assert "added" not in second and second is not first and len(second) == 0
        assert list(second.columns) == list(first.columns[:-1])
        assert list(second.dtypes) == list(first.dtypes[:-1])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(columns=st.lists(st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=4),
       strings_only=st.booleans(), offset=st.integers(0, 5))
def test_object_frame_as_one_block_equals_column_by_column(columns, strings_only, offset):
    """A frame of object columns (a JSON document's tables) is written as one block: the same text
    as column by column through the pandas path."""
    if strings_only:
        columns = [[c if isinstance(c, str) or c is None else str(c) for c in cells] for cells in columns]
    frame = pd.DataFrame({f"c{j}": pd.Series(cells, dtype=object) for j, cells in enumerate(columns)})
    frame.index = range(offset, offset + 3)
    text = frame_as_text(frame)
    assert list(text.columns) == list(frame.columns) and text.index.equals(pd.RangeIndex(3))
    for name in frame.columns:
        same(text[name], pandas_column_as_text(frame[name]))

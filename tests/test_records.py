import math
import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from rashrisk._records import frame_records

OBJECT_CELLS = st.one_of(
    st.none(), st.text(max_size=3), st.floats(allow_nan=True), st.integers(-10**12, 10**12), st.booleans(),
    st.just(pd.NA), st.just(np.nan), st.floats(allow_nan=True).map(np.float64), st.integers(-99, 99).map(np.int64),
    st.booleans().map(np.bool_), st.just(np.datetime64("2025-03-17T08:00")), st.just(np.datetime64("NaT")),
    st.just(np.timedelta64(3, "h")), st.just(np.str_("x")), st.just(pd.Timestamp("2025-03-17")))


def _column(kind, n):
    if kind == "float":
        return st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n).map(
            lambda v: np.array(v, dtype=float))
    if kind == "float32":
        return st.lists(st.floats(width=32, allow_nan=True), min_size=n, max_size=n).map(
            lambda v: np.array(v, dtype=np.float32))
    if kind == "int":
        return st.lists(st.integers(-2**62, 2**62), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.int64))
    if kind == "uint8":
        return st.lists(st.integers(0, 255), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=np.uint8))
    if kind == "bool":
        return st.lists(st.booleans(), min_size=n, max_size=n).map(lambda v: np.array(v, dtype=bool))
    if kind == "Int64":
        return st.lists(st.one_of(st.none(), st.integers(-99, 99)), min_size=n, max_size=n).map(
            lambda v: pd.array(v, dtype="Int64"))
    if kind == "datetime":
        return st.just(pd.to_datetime(["2025-03-17"] * n))
    return st.lists(OBJECT_CELLS, min_size=n, max_size=n).map(lambda v: pd.Series(v, dtype=object).to_numpy())


@st.composite
def frames(draw):
    n = draw(st.integers(0, 4))
    kinds = draw(st.lists(st.sampled_from(["float", "float32", "int", "uint8", "bool", "object", "object", "Int64",
                                           "datetime"]), max_size=6))
    names = [f"c{i}" for i in range(len(kinds))]
    if kinds and draw(st.booleans()):
        names[-1] = names[0]  # a repeated column name
    return pd.DataFrame(dict(enumerate(draw(_column(k, n)) for k in kinds))).set_axis(names, axis=1) if kinds \
        else pd.DataFrame(index=range(n))


def _same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if a is pd.NaT or a is pd.NA:
        return a is b
    return bool(a == b)


@settings(max_examples=300, deadline=None)
@given(frames())
def test_frame_records_is_to_dict_records(frame):
    with warnings.catch_warnings(record=True) as warned_expected:  # repeated column names: pandas warns
        warnings.simplefilter("always")
        expected = frame.to_dict(orient="records")
    with warnings.catch_warnings(record=True) as warned_got:
        warnings.simplefilter("always")
        got = frame_records(frame)
    assert [str(w.message) for w in warned_got] == [str(w.message) for w in warned_expected]
    assert len(got) == len(expected)
    for row_got, row_expected in zip(got, expected):
        assert list(row_got) == list(row_expected)
        assert all(_same(row_got[k], row_expected[k]) for k in row_expected), (row_got, row_expected)

import datetime as dt
import json

import numpy as np
import pandas as pd

from rashrisk._json import json_safe


def test_numpy_scalars_become_python_values_of_the_same_kind():
    out = json_safe([np.int64(-7), np.uint8(3), np.float32(0.25), np.bool_(True), np.str_("T/T")])
    assert out == [-7, 3, 0.25, True, "T/T"]
    assert [type(v) for v in out] == [int, int, float, bool, str]


def test_every_missing_or_non_finite_value_becomes_null():
    values = [None, pd.NA, pd.NaT, float("nan"), np.float64("nan"), float("inf"), -np.float64("inf")]
    assert json_safe(values) == [None] * len(values)


def test_dates_and_timestamps_become_iso_text():
    assert json_safe([dt.date(2024, 5, 1), pd.Timestamp("2024-05-01 08:30")]) == ["2024-05-01", "2024-05-01T08:30:00"]


def test_containers_are_converted_element_by_element_with_text_keys_and_lists_for_tuples():
    value = {"risk": (np.float64(0.09), np.nan), 3: {"n": np.int64(2)}}
    assert json_safe(value) == {"risk": [0.09, None], "3": {"n": 2}}


def test_the_result_is_strict_json():
    frame = pd.DataFrame({"p": [0.1, np.nan], "n": pd.array([1, None], dtype="Int8"), "ok": [True, False]})
    records = json_safe(frame.to_dict(orient="records"))
    assert json.loads(json.dumps(records, allow_nan=False)) == [{"p": 0.1, "n": 1, "ok": True},
                                                                   {"p": None, "n": None, "ok": False}]

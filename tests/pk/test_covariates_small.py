"""Covariate resolution of a few patients (value by value) equals the vectorised resolution: the same
values, the same imputed flags, the same error naming the column, row and value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rashrisk.errors import ModelError
from rashrisk.pk import covariates as cov
from rashrisk.pk.model import available_models, load_pk_model

MODELS = {name: load_pk_model(name) for name in available_models()}
CELLS = {"object": st.sampled_from(["F", "M", "f", "x", None, np.nan, 1, 1.0, 0, True, "1", "EAS", "GG"]),
         "float": st.sampled_from([np.nan, 0.0, 1.0, 2.0, 61.0, 52.5, -0.0]),
         "Int8": st.sampled_from([None, 0, 1, 2])}


def _resolve(specs, frame, small: bool, monkeypatch):
    monkeypatch.setattr(cov, "SMALL_TABLE_ROWS", 32 if small else -1)
    try:
        values, imputed = cov.resolve_covariates(specs, frame, "m")
    except ModelError as exc:
        return str(exc)
    return values, imputed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), name=st.sampled_from(sorted(MODELS)), n=st.integers(0, 4))
def test_small_resolution_equals_vectorised(data, name, n, monkeypatch):
    specs = MODELS[name].covariates
    frame = {}
    for column in specs:
        if data.draw(st.booleans(), label=f"{column} present"):
            dtype = data.draw(st.sampled_from(sorted(CELLS)), label=f"{column} dtype")
            cells = [data.draw(CELLS[dtype]) for _ in range(n)]
            frame[column] = pd.Series(cells, dtype={"object": object, "float": float, "Int8": "Int8"}[dtype])
    frame = pd.DataFrame(frame, index=pd.RangeIndex(n)) if frame else pd.DataFrame(index=pd.RangeIndex(n))
    vectorised = _resolve(specs, frame, False, monkeypatch)
    small = _resolve(specs, frame, True, monkeypatch)
    if isinstance(vectorised, str):
        assert small == vectorised
        return
    assert not isinstance(small, str), small
    assert list(small[0]) == list(vectorised[0])
    for column, array in vectorised[0].items():
        assert small[0][column].dtype == array.dtype, column
        assert [type(v) for v in small[0][column]] == [type(v) for v in array], column
        np.testing.assert_array_equal(small[0][column], array)
    pd.testing.assert_frame_equal(small[1], vectorised[1], check_exact=True)


def test_comparison_sees_a_different_key(monkeypatch):
    specs = MODELS["widmer2006"].covariates if "widmer2006" in MODELS else next(iter(MODELS.values())).covariates
    frame = pd.DataFrame({c: pd.Series(["F"], dtype=object) for c, s in specs.items() if s.kind == "categorical"})
    if frame.empty:
        pytest.skip("no categorical covariate")
    values, _ = _resolve(specs, frame, True, monkeypatch)
    column = next(iter(frame.columns))
    assert values[column].tolist() == ["F"]

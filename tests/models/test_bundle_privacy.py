"""A model bundle (its files, and the RiskModel in memory) carries aggregates only: no training patient's
identifier and no row of training values, neither for a freshly trained bundle nor the embedded ones."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from rashrisk.models.bundle import load_default_model
from rashrisk.models.train import train_stage

MAX_TABLE_ROWS = 5  # a DataFrame / Series with more rows than this anywhere in a bundle is a patient table


def _walk(obj, path="model", seen=None):
    """(path, value) for every object reachable through attributes, dicts, lists and tuples."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    yield path, obj
    if isinstance(obj, (pd.DataFrame, pd.Series, np.ndarray, str, bytes, int, float, bool, type(None))):
        return
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk(value, f"{path}[{key!r}]", seen)
    elif isinstance(obj, (list, tuple, set)):
        for i, value in enumerate(obj):
            yield from _walk(value, f"{path}[{i}]", seen)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        for key, value in vars(obj).items():
            yield from _walk(value, f"{path}.{key}", seen)


def patient_tables(model) -> list[str]:
    return [f"{path}: {type(v).__name__} of {len(v)} rows" for path, v in _walk(model)
            if isinstance(v, (pd.DataFrame, pd.Series)) and len(v) > MAX_TABLE_ROWS]


def arrays_holding_rows(model, rows: np.ndarray) -> list[str]:
    """Paths of 2-D arrays (same width as ``rows``) that contain one of ``rows``."""
    wanted = {tuple(np.round(r, 9)) for r in rows}
    found = []
    for path, value in _walk(model):
        if isinstance(value, np.ndarray) and value.ndim == 2 and value.shape[1] == rows.shape[1] \
                and np.issubdtype(value.dtype, np.number):
            if any(tuple(np.round(r, 9)) in wanted for r in value.astype(np.float64)):
                found.append(path)
    return found


class Leaky:
    """A bundle as it used to be: a background sample of training rows."""


@pytest.fixture(scope="module", params=["start", "tdm"])
def trained(request, simulated_cohort, fast):
    return train_stage(simulated_cohort, request.param, fast(interval_bootstrap=2, validation_bootstrap=3))


def test_a_trained_bundle_holds_no_patient_rows_or_ids(trained, tmp_path):
    model = trained.model
    X = trained.frame.X
    assert len(X) > 100 and X.index.astype(str).str.startswith("SIM").all()
    assert patient_tables(model) == []
    matrix = np.asarray(model.preprocess_.transform(X[model.input_columns_]), dtype=np.float64)
    assert arrays_holding_rows(model, matrix) == []
    numeric = X[model.input_columns_].select_dtypes("number").dropna()
    assert arrays_holding_rows(model, numeric.to_numpy(dtype=np.float64)) == []
    folder = model.save(tmp_path / "bundle")
    serialized = pickle.dumps(model) + b"".join(f.read_bytes() for f in sorted(folder.iterdir()))
    leaked = [pid for pid in X.index.astype(str) if pid.encode() in serialized]
    assert leaked == []
    # no stored array has one entry per training patient (e.g. out-of-fold log-odds)
    def lengths(value):
        if isinstance(value, dict):
            if "__ndarray__" in value:
                yield from value["__ndarray__"]["shape"]
            for v in value.values():
                yield from lengths(v)
        elif isinstance(value, list):
            yield len(value)
            for v in value:
                yield from lengths(v)
    assert len(X) not in set(lengths(json.loads((folder / "model.json").read_text())))
    # what the bundle has instead: aggregates over every training patient
    summary = model.input_summary_
    assert set(summary) == set(model.input_columns_)
    # rounded to the clinical unit: never a patient's exact value, no minimum or maximum at all
    from rashrisk.models.input_summary import clinical_unit

    card_ranges = json.loads((folder / "card.json").read_text())["input_ranges"]
    for column in numeric.columns:
        values = X[column].dropna().to_numpy(dtype=float)
        unit = clinical_unit(column, values)
        stats = summary[column]
        assert "min" not in stats and "max" not in stats and stats["unit"] == unit
        assert abs(stats["median"] - np.median(values)) <= unit / 2 + 1e-9
        assert stats["median"] / unit == pytest.approx(round(stats["median"] / unit), abs=1e-9)
        low, high = np.quantile(values, [0.01, 0.99])
        assert low - unit < stats["p01"] <= low + 1e-9 and high - 1e-9 <= stats["p99"] < high + unit
        assert card_ranges[column] == {"low": stats["p01"], "high": stats["p99"], "percentiles": [1, 99], "unit": unit}


def test_the_checks_would_catch_a_bundle_with_a_background_sample(trained):
    model = trained.model
    X = trained.frame.X
    leaky = Leaky()
    leaky.background_ = X.iloc[:100][model.input_columns_].reset_index(drop=True)
    leaky.matrix_ = np.asarray(model.preprocess_.transform(X.iloc[:3][model.input_columns_]), dtype=np.float64)
    leaky.ids = list(X.index[:2])
    assert patient_tables(leaky) == ["model.background_: DataFrame of 100 rows"]
    full = np.asarray(model.preprocess_.transform(X[model.input_columns_]), dtype=np.float64)
    assert arrays_holding_rows(leaky, full) == ["model.matrix_"]
    assert str(X.index[0]).encode() in pickle.dumps(leaky)


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_the_embedded_bundles_hold_aggregates_only(stage):
    model = load_default_model(stage)
    assert patient_tables(model) == []
    assert not hasattr(model, "background_")
    from rashrisk.models.bundle import default_bundle_dir

    assert not any(b"SIM0" in f.read_bytes() for f in default_bundle_dir(stage).iterdir())
    assert b"SIM0" not in pickle.dumps(model) and "SIM0" not in json.dumps(model.card.to_dict())
    assert len(model.feature_means_) == len(model.feature_names_)
    assert set(model.card.input_ranges) <= set(model.input_columns_)

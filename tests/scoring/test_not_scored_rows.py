"""Not-scored rows keep the output columns' dtypes, with no row as with several (the score table
concatenates them with the scored rows, so an empty table must not turn a risk column into object)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rashrisk.models.bundle import load_default_model
from rashrisk.scoring.score import OUTPUT_COLUMNS, not_scored_rows

NUMBERS = ("risk", "risk_low", "risk_high", "baseline_risk")


@pytest.mark.parametrize("reasons", [{}, {"P1": "excluded: no sample"}, {"a": "x", "b": "y", "c": "z"}])
def test_not_scored_rows_dtypes_and_values(reasons):
    model = load_default_model("start")
    rows = not_scored_rows(model, reasons)
    assert list(rows.columns) == OUTPUT_COLUMNS
    assert rows.index.equals(pd.RangeIndex(len(reasons)))
    for column in OUTPUT_COLUMNS:
        expected = np.float64 if column in NUMBERS else (np.bool_ if column == "simulated_data" else object)
        if column in ("patient_id", "reason"):  # as pandas makes a column of the given list (float when empty)
            expected = pd.DataFrame({column: list(reasons) if column == "patient_id" else list(reasons.values())})[column].dtype
        assert rows[column].dtype == expected, column
    assert rows["patient_id"].tolist() == list(reasons)
    assert rows["reason"].tolist() == list(reasons.values())
    assert (rows["status"] == "not_scored").all() and (rows["model"] == model.label).all()
    assert rows[list(NUMBERS)].isna().all().all()
    assert (rows[["band", "factor_1", "factor_2", "factor_3", "warnings"]] == "").all().all()
    assert (rows["simulated_data"] == bool(model.card.simulated)).all()

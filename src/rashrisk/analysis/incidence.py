"""Incidence of severe rash overall and by grade (n and %), as the source study reports it."""

from __future__ import annotations

import pandas as pd

from rashrisk.errors import RashriskError


def _require_outcomes(outcomes: pd.DataFrame | None) -> pd.DataFrame:
    if outcomes is None or len(outcomes) == 0:
        raise RashriskError("the cohort has no outcomes (outcomes.csv missing or empty); the analysis needs them")
    return outcomes


def incidence_table(outcomes: pd.DataFrame | None) -> dict:
    """Counts and percentages: severe rash, grade >= 3, recurrent grade 2, any rash (grade >= 1)."""
    o = _require_outcomes(outcomes)
    n = len(o)
    grade = o["rash_max_grade"].astype(int)
    recurrent = o["recurrent_grade2"].fillna(False).astype(bool) if "recurrent_grade2" in o else pd.Series(False, index=o.index)
    rows = {
        "severe_rash": int(o["severe_rash"].sum()),
        "grade_3_or_more": int((grade >= 3).sum()),
        "recurrent_grade_2": int(((grade == 2) & recurrent).sum()),
        "any_rash": int((grade >= 1).sum()),
    }
    return {
        "n_patients": n,
        "rows": [{"outcome": k, "n": v, "percent": 100.0 * v / n} for k, v in rows.items()],
    }

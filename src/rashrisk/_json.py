"""The one converter of rashrisk's result data to JSON-ready Python values.

Scoring output, report data, the validation report and the study analysis all pass through
:func:`json_safe`, so that the same value is written the same way everywhere.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd


def json_safe(value):
    """``value`` ready for ``json.dumps`` as strict JSON.

    Dicts, lists and tuples are converted element by element (keys become text, tuples lists);
    numpy scalars become Python numbers, booleans and text; NaN, infinities, ``None``, ``pd.NA``
    and ``pd.NaT`` become ``None``; dates and timestamps ISO text. Anything else is returned as is.
    """
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

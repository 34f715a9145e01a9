"""Model features summed back to the clinical factors a clinician reads.

A RiskModel maps every model feature to a clinical factor (``feature_factor_``: one-hot levels,
spline bases, log transforms and missing indicators of one input all map to that input). The MAP
trough and the trough relative to the a priori prediction describe one measured exposure and are
shown as one factor, ``early_trough``. The day of the sample stays its own factor (``tdm_day``): in a
landmark model it carries how much of the early risk window is still ahead, which is not exposure,
and folding it into the trough would credit the trough with it. Sums of exact attributions stay
exact: the factor contributions of a patient add up to the same calibrated log-odds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.models.effects import EARLY_TROUGH, EARLY_TROUGH_INPUTS  # one grouping for effects and explanations


def display_factor(factor: str) -> str:
    """The factor a model factor is shown under (the TDM sample's inputs become ``early_trough``)."""
    return EARLY_TROUGH if factor in EARLY_TROUGH_INPUTS else factor


def feature_to_display_factor(feature_factor: dict, features) -> dict[str, str]:
    """{model feature: display factor} for every feature; a feature missing from the map is its own factor."""
    return {f: display_factor(feature_factor.get(f, f)) for f in features}


def factor_contributions(values: pd.DataFrame, feature_factor: dict) -> pd.DataFrame:
    """Per-patient contributions summed by display factor (columns in first-appearance order)."""
    mapping = feature_to_display_factor(feature_factor, values.columns)
    factors = list(dict.fromkeys(mapping[c] for c in values.columns))
    codes = np.array([factors.index(mapping[c]) for c in values.columns])
    summed = np.zeros((len(values), len(factors)))
    matrix = values.to_numpy(dtype=np.float64)
    for j in range(len(factors)):
        summed[:, j] = matrix[:, codes == j].sum(axis=1)
    return pd.DataFrame(summed, index=values.index, columns=factors)


def factor_inputs(factor: str, columns) -> list[str]:
    """The clinical input columns behind a display factor (a genotype factor is its ``<rsid>_alt_count``)."""
    columns = list(columns)
    if factor == EARLY_TROUGH:  # the phrase also names the sample's day
        return [c for c in EARLY_TROUGH_INPUTS + ("tdm_day",) if c in columns]
    if f"{factor}_alt_count" in columns:
        return [f"{factor}_alt_count"]
    return [factor] if factor in columns else []

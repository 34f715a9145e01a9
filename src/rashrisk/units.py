"""Concentration units. Canonical unit: ng/mL of imatinib (free base, 493.6 g/mol)."""

from __future__ import annotations

import numpy as np

IMATINIB_MOLAR_MASS_G_PER_MOL = 493.6

# factor that multiplies a value in the unit to give ng/mL
_TO_NG_PER_ML = {
    "ng/ml": 1.0,
    "ug/ml": 1000.0,
    "µg/ml": 1000.0,
    "mg/l": 1000.0,
    "nmol/l": IMATINIB_MOLAR_MASS_G_PER_MOL / 1000.0,
    "umol/l": IMATINIB_MOLAR_MASS_G_PER_MOL,
    "µmol/l": IMATINIB_MOLAR_MASS_G_PER_MOL,
}

# the spellings shown to users, in the contract's order
CONCENTRATION_UNITS = ("ng/mL", "ug/mL", "µg/mL", "mg/L", "nmol/L", "umol/L", "µmol/L")


def normalise_unit(unit: str) -> str | None:
    """Return the lower-case key for ``unit`` (case-insensitive, 'μ' or 'µ'), or None if unknown."""
    key = str(unit).lower().replace("\u03bc", "\u00b5")  # Greek mu -> micro sign
    return key if key in _TO_NG_PER_ML else None


def _ng_per_ml_factor(unit: str) -> float:
    key = normalise_unit(unit)
    if key is None:
        raise ValueError(f"unknown concentration unit {unit!r}; expected one of {', '.join(CONCENTRATION_UNITS)}")
    return _TO_NG_PER_ML[key]


def to_ng_per_ml(value, unit: str):
    """Convert ``value`` (scalar or array) in ``unit`` to ng/mL. Raises ValueError on an unknown unit."""
    factor = _ng_per_ml_factor(unit)
    return np.asarray(value, dtype=float) * factor if np.ndim(value) else float(value) * factor


def from_ng_per_ml(value, unit: str):
    """Convert ``value`` in ng/mL to ``unit`` (inverse of :func:`to_ng_per_ml`)."""
    factor = _ng_per_ml_factor(unit)
    return np.asarray(value, dtype=float) / factor if np.ndim(value) else float(value) / factor

"""Concentration unit conversion (rashrisk.units): round trips and the molar-mass factors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rashrisk.units import CONCENTRATION_UNITS, IMATINIB_MOLAR_MASS_G_PER_MOL, from_ng_per_ml, normalise_unit, \
    to_ng_per_ml

values = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
units = st.sampled_from(CONCENTRATION_UNITS)


def _recase(unit: str, flags: list[bool]) -> str:
    return "".join(c.upper() if f else c.lower() for c, f in zip(unit, flags + [False] * len(unit)))


@given(values, units, st.lists(st.booleans(), max_size=8))
def test_round_trip_scalar_any_case(value, unit, flags):
    spelled = _recase(unit, flags)
    assert from_ng_per_ml(to_ng_per_ml(value, spelled), unit) == pytest.approx(value, rel=1e-12, abs=1e-12)


@given(st.lists(values, min_size=1, max_size=20), units)
def test_round_trip_array(vals, unit):
    back = from_ng_per_ml(to_ng_per_ml(np.array(vals), unit), unit)
    np.testing.assert_allclose(back, vals, rtol=1e-12, atol=1e-12)


@given(values)
def test_molar_units_use_imatinib_molar_mass(value):
    assert to_ng_per_ml(value, "nmol/L") == pytest.approx(value * IMATINIB_MOLAR_MASS_G_PER_MOL / 1000)
    assert to_ng_per_ml(value, "\u03bcmol/L") == pytest.approx(value * IMATINIB_MOLAR_MASS_G_PER_MOL)
    assert to_ng_per_ml(value, "ug/mL") == to_ng_per_ml(value, "mg/L") == pytest.approx(value * 1000)


@given(st.text(max_size=8).filter(lambda t: normalise_unit(t) is None))
def test_unknown_unit_raises_value_error(unit):
    with pytest.raises(ValueError, match="unknown concentration unit"):
        to_ng_per_ml(1.0, unit)

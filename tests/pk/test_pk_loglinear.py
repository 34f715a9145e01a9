import numpy as np
import pytest

from rashrisk.pk.loglinear import loglinear_trough_ng_ml


def test_wang_formula():
    assert loglinear_trough_ng_ml(1000.0, 20.0) == pytest.approx(1000.0 * np.exp(-0.041 * 4))
    assert loglinear_trough_ng_ml(1000.0, 24.0) == pytest.approx(1000.0)
    # a late sample is projected back up
    assert loglinear_trough_ng_ml(1000.0, 27.0, ke_per_h=0.05) == pytest.approx(1000.0 * np.exp(0.15))


def test_vectorised():
    out = loglinear_trough_ng_ml(np.array([1000.0, 500.0]), np.array([18.0, 30.0]))
    assert out.shape == (2,)
    assert out[0] < 1000.0 < out[1] * 2

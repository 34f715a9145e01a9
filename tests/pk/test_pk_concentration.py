import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from rashrisk.pk import concentration as c


def _ode_first_order(dose_mg, t_end, cl, v, ka, n_doses=1, tau=24.0):
    """Reference: numerical integration of gut -> central with n bolus doses into the gut."""
    ke = cl / v
    state = np.zeros(2)
    for k in range(n_doses):
        state[0] += dose_mg
        span = tau if k < n_doses - 1 else t_end
        sol = solve_ivp(lambda t, y: [-ka * y[0], ka * y[0] - ke * y[1]], (0, span), state, rtol=1e-10, atol=1e-12)
        state = sol.y[:, -1]
    return state[1] / v * 1000.0


def test_single_dose_matches_ode():
    got = c.single_dose_ng_ml(400.0, 5.0, 14.3, 347.0, 0.609)
    assert got == pytest.approx(_ode_first_order(400.0, 5.0, 14.3, 347.0, 0.609), rel=1e-6)


def test_single_dose_is_zero_before_dose_and_broadcasts():
    out = c.single_dose_ng_ml(np.array([[400.0], [600.0]]), np.array([-1.0, 0.0, 3.0]), 10.0, 200.0, 1.0)
    assert out.shape == (2, 3)
    assert out[:, 0].tolist() == [0.0, 0.0] and out[:, 1].tolist() == [0.0, 0.0]
    assert out[1, 2] / out[0, 2] == pytest.approx(1.5)


def test_multiple_dose_matches_ode():
    got = c.multiple_dose_ng_ml(400.0, 24.0, 3, 6.0, 9.72, 229.0, 1.22)
    assert got == pytest.approx(_ode_first_order(400.0, 6.0, 9.72, 229.0, 1.22, n_doses=3), rel=1e-6)


def test_steady_state_is_limit_of_many_doses():
    ss = c.steady_state_ng_ml(400.0, 24.0, 10.0, 9.72, 229.0, 1.22)
    assert ss == pytest.approx(c.multiple_dose_ng_ml(400.0, 24.0, 200, 10.0, 9.72, 229.0, 1.22), rel=1e-9)
    assert c.trough_ss_ng_ml(400.0, 9.72, 229.0, 1.22) == pytest.approx(c.steady_state_ng_ml(400.0, 24.0, 24.0, 9.72, 229.0, 1.22))


def test_widmer_typical_trough_matches_published_figure():
    # man 70 kg 50 y with GIST: CL 14.984, V 393.2 -> about 730 ng/mL (domain notes)
    assert c.trough_ss_ng_ml(400.0, 14.984, 393.2, 0.609) == pytest.approx(726, abs=3)


@pytest.mark.parametrize("n_doses", [1.0, 4.0, np.inf])
def test_ka_equal_ke_is_continuous(n_doses):
    cl, v = 10.0, 250.0
    ke = cl / v
    at = c.multiple_dose_ng_ml(400.0, 24.0, n_doses, 7.0, cl, v, ke)
    near = c.multiple_dose_ng_ml(400.0, 24.0, n_doses, 7.0, cl, v, ke * (1 + 1e-4))
    assert np.isfinite(at)
    assert at == pytest.approx(near, rel=1e-3)
    assert c.single_dose_ng_ml(400.0, 7.0, cl, v, ke) == pytest.approx(c.single_dose_ng_ml(400.0, 7.0, cl, v, ke * (1 + 1e-7)), rel=1e-6)


def test_dose_history_superposition_equals_multiple_dose_formula():
    times = np.arange(5) * 24.0
    doses = np.full(5, 400.0)
    t = np.array([100.0, 120.0])  # 4 h and 24 h after the 5th dose
    got = c.dose_history_ng_ml(times, doses, t, 9.72, 229.0, 1.22)
    want = c.multiple_dose_ng_ml(400.0, 24.0, 5, t - 96.0, 9.72, 229.0, 1.22)
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_dose_history_batched_over_patients_ignores_zero_padding():
    times = np.array([[0.0, 24.0, 48.0], [0.0, 24.0, 0.0]])
    doses = np.array([[400.0, 400.0, 400.0], [600.0, 600.0, 0.0]])
    t = np.array([[50.0], [30.0]])
    out = c.dose_history_ng_ml(times, doses, t, np.array([10.0, 12.0]), np.array([250.0, 300.0]), 1.0)
    assert out.shape == (2, 1)
    assert out[1, 0] == pytest.approx(c.multiple_dose_ng_ml(600.0, 24.0, 2, 6.0, 12.0, 300.0, 1.0))


def test_zero_order_single_dose_and_steady_state():
    cl, v, d1 = 8.18, 168.0, 1.69
    ke = cl / v
    # during input: R/CL (1 - e^{-ke t})
    assert c.single_dose_zero_order_ng_ml(400.0, 1.0, cl, v, d1) == pytest.approx(400 / d1 / cl * (1 - np.exp(-ke)) * 1000)
    ss = c.steady_state_zero_order_ng_ml(400.0, 24.0, 5.0, cl, v, d1)
    many = c.dose_history_zero_order_ng_ml(np.arange(300) * 24.0, np.full(300, 400.0), np.array([299 * 24.0 + 5.0]), cl, v, d1)[0]
    assert ss == pytest.approx(many, rel=1e-9)
    assert c.trough_ss_zero_order_ng_ml(400.0, cl, v, d1) == pytest.approx(c.steady_state_zero_order_ng_ml(400.0, 24.0, 24.0, cl, v, d1))


@settings(max_examples=60, deadline=None)
@given(
    cl=st.floats(2.0, 40.0),
    v=st.floats(50.0, 1500.0),
    ka=st.floats(0.05, 5.0),
    t=st.floats(0.0, 24.0),
)
def test_steady_state_exceeds_single_dose_and_scales_with_dose(cl, v, ka, t):
    ss = c.steady_state_ng_ml(400.0, 24.0, t, cl, v, ka)
    assert ss >= c.single_dose_ng_ml(400.0, t, cl, v, ka) - 1e-9
    assert c.steady_state_ng_ml(600.0, 24.0, t, cl, v, ka) == pytest.approx(1.5 * ss, rel=1e-9)
    # average steady-state concentration: AUC over tau = dose / CL
    grid = np.linspace(0, 24.0, 2001)
    auc = np.trapezoid(c.steady_state_ng_ml(400.0, 24.0, grid, cl, v, ka), grid)
    assert auc == pytest.approx(400.0 / cl * 1000.0, rel=2e-3)


def test_very_fast_absorption_has_no_overflow_and_tends_to_iv_bolus():
    cl, v = 10.0, 250.0
    ke = cl / v
    trough = c.trough_ss_ng_ml(400.0, cl, v, 50.0)  # ka * tau = 1200 would overflow exp
    bolus = 400.0 / v * np.exp(-ke * 24.0) / (1 - np.exp(-ke * 24.0)) * 1000.0
    assert trough == pytest.approx(bolus * 50.0 / (50.0 - ke), rel=1e-9)


def test_single_dose_flip_flop_far_after_dose_is_finite():
    # ke >> ka long after the dose: the naive form multiplies 0 by inf
    ka, cl, v = 0.01, 50.0, 10.0
    got = c.single_dose_ng_ml(400.0, 500.0, cl, v, ka)
    want = 400.0 * ka / (v * (ka - cl / v)) * (np.exp(-cl / v * 500.0) - np.exp(-ka * 500.0)) * 1000.0
    assert np.isfinite(got) and got == pytest.approx(want, rel=1e-9)

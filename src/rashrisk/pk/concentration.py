"""Analytic concentrations of a one-compartment model with oral dosing (vectorised NumPy).

All functions broadcast their array arguments (NumPy rules) and return ng/mL. Doses are in mg and
volumes in L, so ``dose_mg / v_l`` is mg/L and is multiplied by 1000 to give ng/mL. ``cl_l_h``
and ``v_l`` are apparent values (CL/F, V/F): bioavailability is folded into them, as in every
imatinib population model.

First-order absorption (rate constant ``ka_per_h``), single dose at time 0::

    C(t) = D ka / (V (ka - ke)) (exp(-ke t) - exp(-ka t)),     ke = CL / V

written as ``D ka / V * exp(-min(ka, ke) t) * t * phi(|ka - ke| t)`` with ``phi(x) = (1 - exp(-x)) / x``
(``phi(0) = 1``), which is exact, stable when ka is close to ke and equal to the limit
``D ke / V * t * exp(-ke t)`` when ka == ke.

Zero-order absorption (constant input over ``d1_h`` hours, D1 <= tau)::

    C(t) = D / (D1 CL) (1 - exp(-ke min(t, D1))) exp(-ke max(t - D1, 0))

Multiple doses every ``tau_h`` hours are sums of geometric series (``n_doses`` doses, the last one
``time_after_dose_h`` ago; ``n_doses = inf`` is steady state). An arbitrary dosing history is
handled by superposition in :func:`dose_history_ng_ml`.
"""

from __future__ import annotations

import numpy as np

from rashrisk.units import to_ng_per_ml

_NG_ML_PER_MG_L = to_ng_per_ml(1.0, "mg/L")  # dose_mg / v_l is mg/L
# below this relative difference |ka - ke| / ke the ka == ke limit formula is used (series only)
_EQUAL_RATE_RTOL = 1e-6


def _phi(x):
    """(1 - exp(-x)) / x with phi(0) = 1, elementwise and stable for small |x|."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-8
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 - x / 2.0, -np.expm1(-safe) / safe)


def single_dose_ng_ml(dose_mg, t_h, cl_l_h, v_l, ka_per_h):
    """Concentration ``t_h`` hours after one oral dose (first-order absorption); 0 for t < 0."""
    t = np.asarray(t_h, dtype=float)
    v = np.asarray(v_l, dtype=float)
    ke = np.asarray(cl_l_h, dtype=float) / v
    ka = np.asarray(ka_per_h, dtype=float)
    tp = np.maximum(t, 0.0)
    # (e^{-ke t} - e^{-ka t}) / (ka - ke) = e^{-min(ka, ke) t} t phi(|ka - ke| t): no overflow
    conc = np.asarray(dose_mg, dtype=float) * ka / v * np.exp(-np.minimum(ka, ke) * tp) * tp * _phi(np.abs(ka - ke) * tp)
    return _NG_ML_PER_MG_L * np.where(t > 0, conc, 0.0)


def _geometric(rate_tau, n_doses):
    """sum_{k=0}^{n-1} r^k with r = exp(-rate_tau) (n may be inf), via expm1 (no pow)."""
    return np.expm1(-np.asarray(n_doses, dtype=float) * rate_tau) / np.expm1(-rate_tau)


def _geometric_k(r, n_doses):
    """sum_{k=0}^{n-1} k r^k (n may be inf), r in [0, 1)."""
    n = np.asarray(n_doses, dtype=float)
    inf = np.isinf(n)
    nf = np.where(inf, 1.0, n)
    tail = np.where(inf, 0.0, nf * r ** (nf - 1.0) - (nf - 1.0) * r**nf)
    return r * (1.0 - tail) / (1.0 - r) ** 2


def _first_order_rates(dose_mg, cl_l_h, v_l, ka_per_h):
    """(dose, V, ke, ka, close, safe ka - ke) as float arrays; ``close`` marks ka == ke (relative)."""
    v = np.asarray(v_l, dtype=float)
    ke = np.asarray(cl_l_h, dtype=float) / v
    ka = np.asarray(ka_per_h, dtype=float)
    diff = ka - ke
    close = np.abs(diff) <= _EQUAL_RATE_RTOL * ke
    safe_diff = np.where(close, 1.0, diff) if close.any() else diff
    return np.asarray(dose_mg, dtype=float), v, ke, ka, close, safe_diff


def multiple_dose_ng_ml(dose_mg, tau_h, n_doses, time_after_dose_h, cl_l_h, v_l, ka_per_h):
    """Concentration ``time_after_dose_h`` after the last of ``n_doses`` equal doses every ``tau_h``.

    ``n_doses = np.inf`` gives steady state. First-order absorption. ``time_after_dose_h`` may
    exceed ``tau_h`` (a missed next dose).
    """
    t = np.asarray(time_after_dose_h, dtype=float)
    tau = np.asarray(tau_h, dtype=float)
    d, v, ke, ka, close, safe_diff = _first_order_rates(dose_mg, cl_l_h, v_l, ka_per_h)
    conc = d * ka / (v * safe_diff) * (np.exp(-ke * t) * _geometric(ke * tau, n_doses) - np.exp(-ka * t) * _geometric(ka * tau, n_doses))
    if close.any():
        # ka == ke: sum_k D k/V (t + k tau) exp(-k (t + k tau))
        re = np.exp(-ke * tau)
        limit = d * ke / v * np.exp(-ke * t) * (t * _geometric(ke * tau, n_doses) + tau * _geometric_k(re, n_doses))
        conc = np.where(close, limit, conc)
    return _NG_ML_PER_MG_L * np.where(t >= 0, conc, 0.0)


def steady_state_ng_ml(dose_mg, tau_h, time_after_dose_h, cl_l_h, v_l, ka_per_h):
    """Steady-state concentration ``time_after_dose_h`` after a dose given every ``tau_h`` hours."""
    return multiple_dose_ng_ml(dose_mg, tau_h, np.inf, time_after_dose_h, cl_l_h, v_l, ka_per_h)


def trough_ss_ng_ml(dose_mg, cl_l_h, v_l, ka_per_h, tau_h=24.0):
    """Steady-state trough (just before the next dose, ``tau_h`` after the last one).

    At t = tau the steady-state solution reduces to
    ``D ka / (V (ka - ke)) * (1 / expm1(ke tau) - 1 / expm1(ka tau))`` (two exponentials).
    """
    tau = np.asarray(tau_h, dtype=float)
    d, v, ke, ka, close, safe_diff = _first_order_rates(dose_mg, cl_l_h, v_l, ka_per_h)
    with np.errstate(over="ignore"):  # expm1 of a very fast rate overflows to inf: 1/inf = 0 is right
        conc = _NG_ML_PER_MG_L * d * ka / (v * safe_diff) * (1.0 / np.expm1(ke * tau) - 1.0 / np.expm1(ka * tau))
    if close.any():
        conc = np.where(close, steady_state_ng_ml(d, tau, tau, ke * v, v, ka), conc)
    return conc


# ---- zero-order absorption ---------------------------------------------------------------------


def single_dose_zero_order_ng_ml(dose_mg, t_h, cl_l_h, v_l, d1_h):
    """Concentration ``t_h`` after one dose absorbed at a constant rate over ``d1_h`` hours."""
    t = np.asarray(t_h, dtype=float)
    cl = np.asarray(cl_l_h, dtype=float)
    ke = cl / np.asarray(v_l, dtype=float)
    d1 = np.asarray(d1_h, dtype=float)
    tp = np.maximum(t, 0.0)
    rate_over_cl = np.asarray(dose_mg, dtype=float) / (d1 * cl)
    conc = rate_over_cl * -np.expm1(-ke * np.minimum(tp, d1)) * np.exp(-ke * np.maximum(tp - d1, 0.0))
    return _NG_ML_PER_MG_L * np.where(t > 0, conc, 0.0)


def multiple_dose_zero_order_ng_ml(dose_mg, tau_h, n_doses, time_after_dose_h, cl_l_h, v_l, d1_h):
    """Like :func:`multiple_dose_ng_ml` with zero-order absorption (requires ``d1_h <= tau_h``)."""
    t = np.asarray(time_after_dose_h, dtype=float)
    tau = np.asarray(tau_h, dtype=float)
    cl = np.asarray(cl_l_h, dtype=float)
    ke = cl / np.asarray(v_l, dtype=float)
    d1 = np.asarray(d1_h, dtype=float)
    last = single_dose_zero_order_ng_ml(dose_mg, t, cl_l_h, v_l, d1_h)
    n = np.asarray(n_doses, dtype=float)
    # earlier doses k = 1..n-1 are fully absorbed: C = R/CL (1 - e^{-ke D1}) e^{-ke (t + k tau - D1)}
    earlier = np.exp(-ke * tau) * _geometric(ke * tau, np.maximum(n - 1.0, 0.0))
    amount = np.asarray(dose_mg, dtype=float) / (d1 * cl) * -np.expm1(-ke * d1) * np.exp(-ke * (t - d1))
    return last + _NG_ML_PER_MG_L * np.where(t >= 0, amount * earlier, 0.0)


def steady_state_zero_order_ng_ml(dose_mg, tau_h, time_after_dose_h, cl_l_h, v_l, d1_h):
    """Steady-state concentration with zero-order absorption."""
    return multiple_dose_zero_order_ng_ml(dose_mg, tau_h, np.inf, time_after_dose_h, cl_l_h, v_l, d1_h)


def trough_ss_zero_order_ng_ml(dose_mg, cl_l_h, v_l, d1_h, tau_h=24.0):
    """Steady-state trough with zero-order absorption."""
    return steady_state_zero_order_ng_ml(dose_mg, tau_h, tau_h, cl_l_h, v_l, d1_h)


# ---- arbitrary dosing history -------------------------------------------------------------------


def _history(single, dose_times_h, doses_mg, t_h, *params):
    times = np.asarray(dose_times_h, dtype=float)
    doses = np.asarray(doses_mg, dtype=float)
    t = np.asarray(t_h, dtype=float)
    dt = t[..., :, None] - times[..., None, :]
    expanded = [np.asarray(p, dtype=float)[..., None, None] for p in params]
    conc = single(np.nan_to_num(doses)[..., None, :], dt, *expanded)
    return conc.sum(axis=-1)


def dose_history_ng_ml(dose_times_h, doses_mg, t_h, cl_l_h, v_l, ka_per_h):
    """Concentrations at ``t_h`` after doses ``doses_mg`` given at ``dose_times_h`` (superposition).

    Shapes: ``dose_times_h``/``doses_mg`` ``(n_doses,)`` or ``(n_patients, n_doses)``; ``t_h``
    ``(n_times,)`` or ``(n_patients, n_times)``; parameters scalar or ``(n_patients,)``. Returns
    ``(n_times,)`` or ``(n_patients, n_times)``. Doses after a time do not contribute; pad
    ragged histories with dose 0 (or NaN).
    """
    return _history(single_dose_ng_ml, dose_times_h, doses_mg, t_h, cl_l_h, v_l, ka_per_h)


def dose_history_zero_order_ng_ml(dose_times_h, doses_mg, t_h, cl_l_h, v_l, d1_h):
    """:func:`dose_history_ng_ml` with zero-order absorption over ``d1_h`` hours."""
    return _history(single_dose_zero_order_ng_ml, dose_times_h, doses_mg, t_h, cl_l_h, v_l, d1_h)

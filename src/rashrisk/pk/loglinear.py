"""Log-linear trough correction (Wang et al., Ther Drug Monit 2009).

A concentration measured ``hours_after_dose`` after a once-daily dose is projected to the trough
(``tau_h`` after the dose) assuming mono-exponential decline with a population elimination rate
constant: ``C_trough = C(t) * exp(-ke * (tau - t))``. Wang et al. used ke = 0.041 /h (range
0.023-0.070 /h). It is only meant for samples in the elimination phase (roughly t >= 10 h); earlier
samples are still corrected but the projection is poor.
"""

from __future__ import annotations

import numpy as np

WANG2009_KE_PER_H = 0.041


def loglinear_trough_ng_ml(concentration_ng_ml, hours_after_dose, *, ke_per_h=WANG2009_KE_PER_H, tau_h=24.0):
    """Project concentrations to the trough ``tau_h`` after the dose (arrays broadcast)."""
    c = np.asarray(concentration_ng_ml, dtype=float)
    t = np.asarray(hours_after_dose, dtype=float)
    return c * np.exp(-np.asarray(ke_per_h, dtype=float) * (np.asarray(tau_h, dtype=float) - t))

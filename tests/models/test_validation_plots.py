"""Validation plots: PNG bytes, deterministic, drawn from report records."""

import numpy as np

from rashrisk.models import metrics, plots

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _data(seed=0, n=400):
    rng = np.random.default_rng(seed)
    p = metrics.expit(rng.normal(-2.2, 1.0, n))
    return (rng.random(n) < p).astype(int), p


def test_calibration_plot_is_deterministic_png_and_depends_on_data():
    y, p = _data()
    curve = metrics.calibration_curve(y, p, n_boot=20, seed=1)
    first = plots.calibration_plot_png(curve, predicted_risks=p)
    assert first.startswith(PNG_MAGIC)
    assert first == plots.calibration_plot_png(curve.to_dict(orient="records"), predicted_risks=p)
    other = metrics.calibration_curve(y, np.clip(p * 1.8, 0, 1), n_boot=20, seed=1)
    assert plots.calibration_plot_png(other, predicted_risks=p) != first


def test_decision_curve_plot_from_records():
    y, p = _data(1)
    records = metrics.decision_curve(y, p).to_dict(orient="records")
    png = plots.decision_curve_png(records, title="tdm")
    assert png.startswith(PNG_MAGIC) and len(png) > 5_000


def test_calibration_plot_draws_a_curve_with_gaps_from_the_report_json():
    # the smoother leaves None where it cannot estimate the observed risk (small cohorts)
    curve = [{"predicted": p, "observed": o, "observed_low": lo, "observed_high": hi}
             for p, o, lo, hi in [(0.02, 0.03, 0.01, 0.05), (0.05, None, None, None), (0.10, 0.09, 0.05, 0.15)]]
    png = plots.calibration_plot_png(curve)
    assert png.startswith(b"\x89PNG") and png != plots.calibration_plot_png(curve[:1])

"""Validation plots as PNG bytes (matplotlib's Agg canvas; nothing is displayed, no global pyplot state).

Inputs are the tables of :mod:`rashrisk.models.metrics` (DataFrames or the lists of records
stored in a validation report), so a report can be re-plotted without the patient data.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

_PNG_METADATA = {"Software": None}  # no version string: identical bytes for identical input


def _figure(width_in: float = 5.5, height_in: float = 4.5):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=100)
    fig.subplots_adjust(left=0.14, right=0.97, bottom=0.12, top=0.92)  # fixed margins: "tight" bbox renders twice
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata=_PNG_METADATA)
    return buf.getvalue()


def calibration_plot_png(curve, *, predicted_risks=None, title: str = "Calibration") -> bytes:
    """Smoothed observed vs predicted risk with its confidence band and the ideal diagonal.

    ``curve``: columns predicted, observed, observed_low, observed_high (see
    :func:`rashrisk.models.metrics.calibration_curve`). ``predicted_risks``: optional array of the
    patients' predicted risks, drawn as a histogram along the bottom. A point where the smoother
    could not estimate the observed risk (None in the report's JSON) is a gap in the line.
    """
    table = pd.DataFrame(curve).astype(float)
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    upper = float(np.nanmax(table[["predicted", "observed", "observed_high"]].to_numpy())) if len(table) else 1.0
    upper = min(1.0, max(0.05, upper * 1.05))
    ax.plot([0, upper], [0, upper], linestyle="--", color="grey", linewidth=1, label="ideal")
    ax.fill_between(table["predicted"], table["observed_low"], table["observed_high"], color="tab:blue", alpha=0.2,
                    label="95% band")
    ax.plot(table["predicted"], table["observed"], color="tab:blue", linewidth=2, label="smoothed observed")
    if predicted_risks is not None and len(predicted_risks):
        risks = np.clip(np.asarray(predicted_risks, dtype=float), 0, upper)
        counts, edges = np.histogram(risks, bins=40, range=(0, upper))
        heights = counts / max(counts.max(), 1) * upper * 0.08
        ax.bar(edges[:-1], heights, width=np.diff(edges), align="edge", color="grey", alpha=0.5)
    ax.set_xlim(0, upper)
    ax.set_ylim(0, upper)
    ax.set_xlabel("Predicted risk")
    ax.set_ylabel("Observed risk")
    ax.set_title(title)
    ax.legend(loc="upper left", frameon=False)
    return _png(fig)


def decision_curve_png(curve, *, title: str = "Decision curve") -> bytes:
    """Net benefit of the model, treat-all and treat-none against the threshold probability.

    ``curve``: columns threshold, net_benefit_model, net_benefit_treat_all (see
    :func:`rashrisk.models.metrics.decision_curve`).
    """
    table = pd.DataFrame(curve)
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    pct = table["threshold"] * 100
    ax.plot(pct, table["net_benefit_model"], color="tab:blue", linewidth=2, label="model")
    ax.plot(pct, table["net_benefit_treat_all"], color="tab:orange", linewidth=1, label="treat all")
    ax.axhline(0, color="black", linewidth=1, label="treat none")
    top = float(np.nanmax(table[["net_benefit_model", "net_benefit_treat_all"]].to_numpy())) if len(table) else 0.1
    top = max(top, 0.01)
    ax.set_ylim(-0.25 * top, top * 1.1)
    ax.set_xlabel("Threshold probability (%)")
    ax.set_ylabel("Net benefit")
    ax.set_title(title)
    ax.legend(loc="upper right", frameon=False)
    return _png(fig)

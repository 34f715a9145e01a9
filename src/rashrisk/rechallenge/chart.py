"""The concentration-time chart of the plan: data (``chart_data``) and inline SVG (``chart_svg``).

The curve is the MAP individual's predicted concentration over the planned ladder (each step's dose
once daily, plan day 1 = the first re-introduced dose), with each step's predicted trough and its 90%
interval at the step's TDM day, the measured troughs at doses already given, the onset trough, the
ceiling and the efficacy threshold. Axes as in :mod:`rashrisk.reports.svg` (bounded ticks; a value
that is not finite is not drawn).
"""

from __future__ import annotations

from html import escape

import numpy as np

from rashrisk.rechallenge.config import RechallengeConfig
from rashrisk.rechallenge.estimate import concentration_curve
from rashrisk.reports.svg import RISK_COLOUR, _finite, nice_ticks

THRESHOLD_COLOUR = "#2b6cb0"
MEASURED_COLOUR = "#805ad5"
TROUGH_HOURS = (20.0, 28.0)  # a measured sample is drawn as a trough only this long after the dose


def chart_data(model, params: dict, steps: list[dict], onset_trough_ng_ml: float, ceiling_ng_ml: float,
               config: RechallengeConfig) -> dict:
    days = config.days_between_steps
    dose_times = np.arange(len(steps) * days) * 24.0
    doses = np.repeat([s["dose_mg"] for s in steps], days)
    end_h = len(steps) * days * 24.0
    times = np.arange(0.0, end_h + 1e-9, 24.0 / config.points_per_day)
    conc = concentration_curve(model, params, dose_times, doses, times)
    return {"curve": [[round(t / 24.0 + 1.0, 4), round(float(c), 1)] for t, c in zip(times, conc)],
            "onset_trough_ng_ml": onset_trough_ng_ml, "ceiling_ng_ml": ceiling_ng_ml,
            "threshold_ng_ml": config.threshold.value_ng_ml,
            "end_day": len(steps) * days + 1}


def chart_svg(data: dict, steps: list[dict]) -> str:
    width, height, left, right, top_pad, bottom = 660, 300, 60, 130, 14, 40
    curve = [(float(x), _finite(y)) for x, y in data["curve"]]
    levels = {"onset trough": _finite(data["onset_trough_ng_ml"]), "ceiling": _finite(data["ceiling_ng_ml"]),
              "efficacy threshold": _finite(data["threshold_ng_ml"])}
    values = [y for _, y in curve if y is not None] + [v for v in levels.values() if v is not None]
    values += [_finite(s["trough_high_ng_ml"]) or 0.0 for s in steps]
    top = max(values + [500.0]) * 1.1
    ticks = nice_ticks(top)
    top = max(top, ticks[-1])
    x_end = float(data["end_day"])

    def xp(day: float) -> float:
        return left + (width - left - right) * (min(max(day, 1.0), x_end) - 1.0) / max(x_end - 1.0, 1e-9)

    def yp(v: float) -> float:
        return top_pad + (height - bottom - top_pad) * (1.0 - min(max(v, 0.0), top) / top)

    parts = []
    for t in ticks:
        parts.append(f'<line x1="{left}" y1="{yp(t):.1f}" x2="{width - right}" y2="{yp(t):.1f}" stroke="#e2e8f0"/>'
                     f'<text x="{left - 6}" y="{yp(t) + 4:.1f}" font-size="10" text-anchor="end">{t:,.0f}</text>')
    for s in steps:
        x0 = xp(float(s["day"]))
        parts.append(f'<line x1="{x0:.1f}" y1="{top_pad}" x2="{x0:.1f}" y2="{height - bottom}" stroke="#edf2f7"/>'
                     f'<text x="{x0 + 3:.1f}" y="{height - bottom + 26}" font-size="10">{s["dose_mg"]:g} mg</text>')
    for day in range(1, int(x_end) + 1, 7):
        parts.append(f'<text x="{xp(day):.1f}" y="{height - bottom + 13}" font-size="10" text-anchor="middle">{day}</text>')
    parts.append(f'<text x="{(left + width - right) / 2:.0f}" y="{height - 2}" font-size="11" text-anchor="middle">'
                 'plan day (day 1 = first re-introduced dose)</text>'
                 f'<text x="12" y="{(height - bottom) / 2:.0f}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 12 {(height - bottom) / 2:.0f})">imatinib (ng/mL)</text>')
    styles = {"onset trough": (RISK_COLOUR, "6 3"), "ceiling": (RISK_COLOUR, ""), "efficacy threshold": (THRESHOLD_COLOUR, "5 3")}
    label_y, previous = {}, None
    for label, value in sorted(((k, v) for k, v in levels.items() if v is not None), key=lambda kv: -kv[1]):
        y = yp(value) + 4
        if previous is not None and y < previous + 11:
            y = previous + 11  # labels of close levels are stacked, not overlaid
        label_y[label], previous = y, y
    for label, value in levels.items():
        if value is None:
            continue
        colour, dash = styles[label]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{left}" y1="{yp(value):.1f}" x2="{width - right}" y2="{yp(value):.1f}" stroke="{colour}" '
                     f'stroke-width="1.5"{dash_attr}/><text x="{width - right + 4}" y="{label_y[label]:.1f}" font-size="10" '
                     f'fill="{colour}">{escape(label)} {value:,.0f}</text>')
    points = " ".join(f"{xp(x):.1f},{yp(y):.1f}" for x, y in curve if y is not None)
    if points:
        parts.append(f'<polyline class="curve" points="{points}" fill="none" stroke="#2d3748" stroke-width="1.2"/>')
    for s in steps:
        trough, low, high = (_finite(s[k]) for k in ("predicted_trough_ng_ml", "trough_low_ng_ml", "trough_high_ng_ml"))
        x = xp(float(s["tdm_day"]) + 1.0)  # the trough 24 h after the dose of the TDM day
        if trough is None:
            continue
        if low is not None and high is not None:
            parts.append(f'<line x1="{x:.1f}" y1="{yp(low):.1f}" x2="{x:.1f}" y2="{yp(high):.1f}" stroke="#2d3748" stroke-width="3" opacity="0.4"/>')
        parts.append(f'<circle class="step-trough" cx="{x:.1f}" cy="{yp(trough):.1f}" r="4" fill="#2d3748"/>')
        for sample in s.get("measured_samples") or []:
            m, hours = _finite(sample.get("concentration_ng_ml")), _finite(sample.get("hours_after_dose"))
            if m is not None and hours is not None and TROUGH_HOURS[0] <= hours <= TROUGH_HOURS[1]:
                parts.append(f'<circle class="measured" cx="{x + 6:.1f}" cy="{yp(m):.1f}" r="4" fill="{MEASURED_COLOUR}"/>')
    return (f'<svg class="concentration-chart" role="img" aria-label="predicted imatinib concentration over the planned '
            f'ladder, with the onset trough, the ceiling and the efficacy threshold" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">' + "".join(parts) + "</svg>")

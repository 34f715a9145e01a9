"""Inline SVG figures for the clinician report, built from the report data (no external assets).

All text placed in the SVG is escaped; the functions return markup strings for the template.

Every axis scales to its data with a bounded number of ticks (:func:`nice_ticks`: at most
:data:`MAX_TICKS` + 1, whatever the value), and a value that is not a finite number (NaN, inf) is
drawn as "not available" rather than placed, so that no input can make a chart large or slow:
a TDM concentration of 1e308 ng/mL draws the same number of elements as one of 1,000 ng/mL.
"""

from __future__ import annotations

import math
from html import escape

RISK_COLOUR = "#c53030"
UNCERTAIN_COLOUR = "#f6ad55"
NEUTRAL_COLOUR = "#cbd5e0"
MAX_TICKS = 8  # tick intervals per axis at most (so at most MAX_TICKS + 1 tick marks)


def _finite(value) -> float | None:
    """``value`` as a float, or None when it is missing or not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def nice_ticks(top: float, *, max_ticks: int = MAX_TICKS) -> list[float]:
    """Ticks 0, step, 2 step, ... up to ``top`` with step 1, 2, 2.5 or 5 times a power of ten, chosen
    so that there are at most ``max_ticks`` intervals; ``top`` must be finite and positive (a
    non-finite or non-positive top gives [0, 1])."""
    top = _finite(top)
    if top is None or top <= 0:
        return [0.0, 1.0]
    raw = top / max_ticks
    power = 10.0 ** math.floor(math.log10(raw))
    step = next((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), 10 * power)
    count = min(max_ticks, math.floor(top / step + 1e-9))
    return [i * step for i in range(count + 1)]


def _tick_label(value: float, step: float) -> str:
    if abs(value) >= 1e6:
        return f"{value:.3g}"
    return f"{value:,.0f}" if step >= 1 else f"{value:,.2g}"


def _axis_top(values, floor: float) -> float:
    """The axis end: ``floor`` or 15% above the largest finite value, kept finite (1e308 * 1.15 is inf)."""
    largest = max([v for v in values if v is not None] + [floor])
    top = largest * 1.15
    return top if math.isfinite(top) else largest


def _person(x: float, y: float, colour: str) -> str:
    return (f'<g fill="{colour}"><circle cx="{x + 9:.1f}" cy="{y + 5:.1f}" r="4.2"/>'
            f'<path d="M{x + 2:.1f} {y + 21:.1f} q0 -10 7 -10 q7 0 7 10 z"/></g>')


def icon_array(n_risk: int, n_low: int, n_high: int, *, total: int = 100) -> str:
    """10 x 10 people: ``n_risk`` filled red, up to ``n_high`` shaded (interval), the rest grey."""
    n_risk = max(0, min(total, n_risk))
    n_high = max(n_risk, min(total, n_high))
    cells = []
    for i in range(total):
        row, col = divmod(i, 10)
        colour = RISK_COLOUR if i < n_risk else UNCERTAIN_COLOUR if i < n_high else NEUTRAL_COLOUR
        cells.append(_person(col * 22, row * 24, colour))
    label = escape(f"{n_risk} of {total} people highlighted; interval up to {n_high}")
    return (f'<svg class="icon-array" role="img" aria-label="{label}" viewBox="0 0 220 240" width="220" height="240" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(cells)}</svg>')


def contribution_bar(value: float, scale: float, *, width: int = 220, height: int = 16,
                     established: bool = True) -> str:
    """A diverging bar from the centre: right and red raises risk, left and green lowers it; grey when
    the factor's direction is not established (the bar is then the model's arithmetic, not an effect)."""
    half = width / 2
    value, scale = _finite(value) or 0.0, _finite(scale) or 0.0
    length = 0.0 if scale <= 0 else min(half - 2, abs(value) / scale * (half - 2))
    x = half if value >= 0 else half - length
    colour = "#a0aec0" if not established else RISK_COLOUR if value >= 0 else "#2f855a"
    return (f'<svg class="bar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg" aria-hidden="true">'
            f'<rect x="{x:.1f}" y="3" width="{max(length, 0.8):.1f}" height="{height - 6}" fill="{colour}"/>'
            f'<line x1="{half}" y1="0" x2="{half}" y2="{height}" stroke="#4a5568" stroke-width="1"/></svg>')


def trough_chart(*, apriori_ng_ml: float | None, apriori_low: float | None, apriori_high: float | None,
                 measured_ng_ml: float | None, map_ng_ml: float | None, threshold_ng_ml: float = 1100.0) -> str:
    """A concentration axis with the a priori prediction (and its 5-95% interval), the measured and
    MAP troughs and the efficacy threshold."""
    apriori_ng_ml, apriori_low, apriori_high = _finite(apriori_ng_ml), _finite(apriori_low), _finite(apriori_high)
    measured_ng_ml, map_ng_ml, threshold = _finite(measured_ng_ml), _finite(map_ng_ml), _finite(threshold_ng_ml)
    top = _axis_top([apriori_ng_ml, apriori_high, measured_ng_ml, map_ng_ml, threshold], 3000.0)
    ticks = nice_ticks(top)
    width, left, right = 640, 150, 20
    span = width - left - right

    def xpos(v: float) -> float:
        return left + span * (min(max(v, 0.0), top) / top)  # divide first: span * 1e308 overflows

    parts = []
    for t in ticks:
        parts.append(f'<line x1="{xpos(t):.1f}" y1="22" x2="{xpos(t):.1f}" y2="118" stroke="#e2e8f0"/>'
                     f'<text x="{xpos(t):.1f}" y="134" font-size="10" text-anchor="middle">'
                     f'{_tick_label(t, ticks[1])}</text>')
    parts.append(f'<text x="{left + span / 2:.1f}" y="150" font-size="11" text-anchor="middle">trough (ng/mL)</text>')
    if threshold is not None:
        thr = xpos(threshold)
        parts.append(f'<line x1="{thr:.1f}" y1="16" x2="{thr:.1f}" y2="118" stroke="#2b6cb0" stroke-width="2" '
                     f'stroke-dasharray="5 3"/><text x="{thr + 4:.1f}" y="14" font-size="10" fill="#2b6cb0">'
                     f'efficacy threshold {_value_label(threshold)}</text>')
    rows = [("a priori (start dose)", apriori_ng_ml, apriori_low, apriori_high, "#4a5568", 45),
            ("measured sample", measured_ng_ml, None, None, "#805ad5", 75),
            ("MAP 24-h trough", map_ng_ml, None, None, RISK_COLOUR, 105)]
    for label, value, low, high, colour, y in rows:
        parts.append(f'<text x="4" y="{y + 4}" font-size="11">{escape(label)}</text>')
        if value is None:
            parts.append(f'<text x="{left}" y="{y + 4}" font-size="11" fill="#718096">not available</text>')
            continue
        if low is not None and high is not None:
            parts.append(f'<line x1="{xpos(low):.1f}" y1="{y}" x2="{xpos(high):.1f}" y2="{y}" stroke="{colour}" '
                         f'stroke-width="3" opacity="0.45"/>')
        parts.append(f'<circle cx="{xpos(value):.1f}" cy="{y}" r="6" fill="{colour}"/>'
                     f'<text x="{xpos(value) + 9:.1f}" y="{y - 8}" font-size="10">{_value_label(value)}</text>')
    return (f'<svg class="trough-chart" role="img" aria-label="troughs against the efficacy threshold" '
            f'viewBox="0 0 {width} 156" width="{width}" height="156" xmlns="http://www.w3.org/2000/svg">'
            + "".join(parts) + "</svg>")


def _value_label(value: float) -> str:
    return f"{value:.3g}" if abs(value) >= 1e7 else f"{value:,.0f}"


def _risk_label(risk: float) -> str:
    return f"{100 * risk:.1f}%" if abs(risk) <= 1e6 else f"{risk:.3g} (not a probability)"


def risk_scale(points: list[tuple[str, float, float, float]], *, high_from: float, low_below: float) -> str:
    """Risk axis (0 to max, at most 100%) with one row per (label, risk, low, high) and the band
    thresholds; a risk that is not a finite number is shown as "not available"."""
    points = [(label, _finite(risk), _finite(low), _finite(high)) for label, risk, low, high in points]
    highs = [min(max(v, 0.0), 1.0) for _, risk, _, high in points for v in (risk, high) if v is not None]
    top = min(1.0, max([0.3] + [1.2 * v for v in highs]))
    width, left, right = 640, 150, 20
    span = width - left - right

    def xpos(v: float) -> float:
        return left + span * (min(max(v, 0.0), top) / top)  # divide first: span * 1e308 overflows

    parts = [f'<rect x="{left}" y="8" width="{xpos(low_below) - left:.1f}" height="{24 * len(points) + 8}" fill="#f0fff4"/>',
             f'<rect x="{xpos(high_from):.1f}" y="8" width="{left + span - xpos(high_from):.1f}" '
             f'height="{24 * len(points) + 8}" fill="#fff5f5"/>']
    bottom = 24 * len(points) + 16
    step = 5 if top <= 0.4 else 10 if top <= 0.8 else 20  # percent: at most 8 intervals
    for t in range(0, int(round(top * 100)) + 1, step):
        parts.append(f'<text x="{xpos(t / 100):.1f}" y="{bottom + 12}" font-size="10" text-anchor="middle">{t}%</text>')
    for i, (label, risk, low, high) in enumerate(points):
        y = 24 + 24 * i
        if risk is None:
            parts.append(f'<text x="4" y="{y + 4}" font-size="11">{escape(label)}</text>'
                         f'<text x="{left}" y="{y + 4}" font-size="11" fill="#718096">not available</text>')
            continue
        low = risk if low is None else low
        high = risk if high is None else high
        parts.append(f'<text x="4" y="{y + 4}" font-size="11">{escape(label)}</text>'
                     f'<line x1="{xpos(low):.1f}" y1="{y}" x2="{xpos(high):.1f}" y2="{y}" stroke="#2d3748" stroke-width="2"/>'
                     f'<circle cx="{xpos(risk):.1f}" cy="{y}" r="5" fill="{RISK_COLOUR}"/>'
                     f'<text x="{xpos(high) + 6:.1f}" y="{y + 4}" font-size="10">{_risk_label(risk)}</text>')
    return (f'<svg class="risk-scale" role="img" aria-label="risk estimates with intervals" viewBox="0 0 {width} '
            f'{bottom + 18}" width="{width}" height="{bottom + 18}" xmlns="http://www.w3.org/2000/svg">'
            + "".join(parts) + "</svg>")


def decision_curve(rows: list[dict]) -> str:
    """Net benefit of the model, treat-all and treat-none against the threshold probability."""
    if not rows:
        return ""
    width, height, left, bottom, top_pad = 600, 260, 50, 36, 10
    rows = [r for r in rows if _finite(r.get("threshold")) is not None]
    if not rows:
        return ""
    xs = [float(r["threshold"]) for r in rows]
    series = {"model": ([_finite(r.get("net_benefit_model")) for r in rows], RISK_COLOUR),
              "treat all": ([_finite(r.get("net_benefit_treat_all")) for r in rows], "#4a5568"),
              "treat none": ([_finite(r.get("net_benefit_treat_none")) for r in rows], "#a0aec0")}
    finite = [v for values, _ in series.values() for v in values if v is not None]
    y_top = min(1.0, max([0.01] + [v * 1.1 for v in finite]))  # net benefit is at most the prevalence (< 1)
    y_low = -y_top / 3

    def xp(x):
        return left + (width - left - 10) * (x - min(xs)) / max(max(xs) - min(xs), 1e-9)

    def yp(y):
        y = min(max(y, y_low), y_top)
        return top_pad + (height - bottom - top_pad) * (y_top - y) / (y_top - y_low)

    parts = [f'<line x1="{left}" y1="{yp(0):.1f}" x2="{width - 10}" y2="{yp(0):.1f}" stroke="#cbd5e0"/>']
    for name, (values, colour) in series.items():
        points = " ".join(f"{xp(x):.1f},{yp(v):.1f}" for x, v in zip(xs, values) if v is not None)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
    for i, (name, (_, colour)) in enumerate(series.items()):
        parts.append(f'<rect x="{width - 150}" y="{14 + 16 * i}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{width - 135}" y="{23 + 16 * i}" font-size="11">{escape(name)}</text>')
    for t in (0.05, 0.10, 0.15, 0.20, 0.25, 0.30):
        if min(xs) <= t <= max(xs):
            parts.append(f'<text x="{xp(t):.1f}" y="{height - bottom + 14}" font-size="10" text-anchor="middle">{t:.0%}</text>')
    parts.append(f'<text x="{(width + left) / 2:.0f}" y="{height - 6}" font-size="11" text-anchor="middle">'
                 f'threshold risk</text><text x="12" y="{yp(y_top / 2):.0f}" font-size="11" '
                 f'transform="rotate(-90 12 {yp(y_top / 2):.0f})" text-anchor="middle">net benefit</text>')
    return (f'<svg class="decision-curve" role="img" aria-label="decision curve" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">' + "".join(parts) + "</svg>")

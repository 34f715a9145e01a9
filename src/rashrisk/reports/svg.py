"""Inline SVG figures for the clinician report, built from the report data (no external assets).

All text placed in the SVG is escaped; the functions return markup strings for the template.
"""

from __future__ import annotations

from html import escape

RISK_COLOUR = "#c53030"
UNCERTAIN_COLOUR = "#f6ad55"
NEUTRAL_COLOUR = "#cbd5e0"


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


def contribution_bar(value: float, scale: float, *, width: int = 220, height: int = 16) -> str:
    """A diverging bar from the centre: right and red raises risk, left and green lowers it."""
    half = width / 2
    length = 0.0 if scale <= 0 else min(half - 2, abs(value) / scale * (half - 2))
    x = half if value >= 0 else half - length
    colour = RISK_COLOUR if value >= 0 else "#2f855a"
    return (f'<svg class="bar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg" aria-hidden="true">'
            f'<rect x="{x:.1f}" y="3" width="{max(length, 0.8):.1f}" height="{height - 6}" fill="{colour}"/>'
            f'<line x1="{half}" y1="0" x2="{half}" y2="{height}" stroke="#4a5568" stroke-width="1"/></svg>')


def trough_chart(*, apriori_ng_ml: float | None, apriori_low: float | None, apriori_high: float | None,
                 measured_ng_ml: float | None, map_ng_ml: float | None, threshold_ng_ml: float = 1100.0) -> str:
    """A concentration axis with the a priori prediction (and its 5-95% interval), the measured and
    MAP troughs and the efficacy threshold."""
    values = [v for v in (apriori_ng_ml, apriori_high, measured_ng_ml, map_ng_ml, threshold_ng_ml) if v is not None]
    top = max(3000.0, 1.15 * max(values))
    step = 500 if top <= 4000 else 1000
    width, left, right = 640, 150, 20
    span = width - left - right

    def xpos(v: float) -> float:
        return left + span * min(max(v, 0.0), top) / top

    parts = []
    ticks = range(0, int(top) + 1, step)
    for t in ticks:
        parts.append(f'<line x1="{xpos(t):.1f}" y1="22" x2="{xpos(t):.1f}" y2="118" stroke="#e2e8f0"/>'
                     f'<text x="{xpos(t):.1f}" y="134" font-size="10" text-anchor="middle">{t:,}</text>')
    parts.append(f'<text x="{left + span / 2:.1f}" y="150" font-size="11" text-anchor="middle">trough (ng/mL)</text>')
    thr = xpos(threshold_ng_ml)
    parts.append(f'<line x1="{thr:.1f}" y1="16" x2="{thr:.1f}" y2="118" stroke="#2b6cb0" stroke-width="2" '
                 f'stroke-dasharray="5 3"/><text x="{thr + 4:.1f}" y="14" font-size="10" fill="#2b6cb0">'
                 f'efficacy threshold {threshold_ng_ml:,.0f}</text>')
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
                     f'<text x="{xpos(value) + 9:.1f}" y="{y - 8}" font-size="10">{value:,.0f}</text>')
    return (f'<svg class="trough-chart" role="img" aria-label="troughs against the efficacy threshold" '
            f'viewBox="0 0 {width} 156" width="{width}" height="156" xmlns="http://www.w3.org/2000/svg">'
            + "".join(parts) + "</svg>")


def risk_scale(points: list[tuple[str, float, float, float]], *, high_from: float, low_below: float) -> str:
    """Risk axis (0 to max) with one row per (label, risk, low, high) and the band thresholds."""
    top = max(0.3, 1.2 * max(p[3] for p in points)) if points else 0.3
    width, left, right = 640, 150, 20
    span = width - left - right

    def xpos(v: float) -> float:
        return left + span * min(max(v, 0.0), top) / top

    parts = [f'<rect x="{left}" y="8" width="{xpos(low_below) - left:.1f}" height="{24 * len(points) + 8}" fill="#f0fff4"/>',
             f'<rect x="{xpos(high_from):.1f}" y="8" width="{left + span - xpos(high_from):.1f}" '
             f'height="{24 * len(points) + 8}" fill="#fff5f5"/>']
    bottom = 24 * len(points) + 16
    for t in range(0, int(round(top * 100)) + 1, 5):
        parts.append(f'<text x="{xpos(t / 100):.1f}" y="{bottom + 12}" font-size="10" text-anchor="middle">{t}%</text>')
    for i, (label, risk, low, high) in enumerate(points):
        y = 24 + 24 * i
        parts.append(f'<text x="4" y="{y + 4}" font-size="11">{escape(label)}</text>'
                     f'<line x1="{xpos(low):.1f}" y1="{y}" x2="{xpos(high):.1f}" y2="{y}" stroke="#2d3748" stroke-width="2"/>'
                     f'<circle cx="{xpos(risk):.1f}" cy="{y}" r="5" fill="{RISK_COLOUR}"/>'
                     f'<text x="{xpos(high) + 6:.1f}" y="{y + 4}" font-size="10">{100 * risk:.1f}%</text>')
    return (f'<svg class="risk-scale" role="img" aria-label="risk estimates with intervals" viewBox="0 0 {width} '
            f'{bottom + 18}" width="{width}" height="{bottom + 18}" xmlns="http://www.w3.org/2000/svg">'
            + "".join(parts) + "</svg>")


def decision_curve(rows: list[dict]) -> str:
    """Net benefit of the model, treat-all and treat-none against the threshold probability."""
    if not rows:
        return ""
    width, height, left, bottom, top_pad = 600, 260, 50, 36, 10
    xs = [float(r["threshold"]) for r in rows]
    series = {"model": ([r.get("net_benefit_model") for r in rows], RISK_COLOUR),
              "treat all": ([r.get("net_benefit_treat_all") for r in rows], "#4a5568"),
              "treat none": ([r.get("net_benefit_treat_none") for r in rows], "#a0aec0")}
    finite = [v for values, _ in series.values() for v in values if v is not None]
    y_top = max(0.01, max(finite) * 1.1)
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

"""No input can hang a report: every chart axis has a bounded number of ticks, whatever the value
(1e15, 1e308, 0, negative, NaN, inf). Tick counts are asserted exactly; the time bound (5 s per
render, against the 16 minutes that 1e308 used to take) only catches a hang: timings are in bench/."""

from __future__ import annotations

import copy
import json
import re
import time
import warnings

import pytest

from rashrisk.reports import svg
from rashrisk.reports.render import render_report_html

EXTREMES = [1e15, 1e308, 0.0, -5.0, float("nan"), float("inf"), float("-inf"), None]
HANG = 5.0  # seconds: a generous bound for "did not hang", not a performance target


def _trough_ticks(markup: str) -> list[str]:
    return re.findall(r'<text [^>]*y="134"[^>]*>([^<]*)</text>', markup)


@pytest.mark.parametrize("top, expected", [
    (3450.0, [0, 500, 1000, 1500, 2000, 2500, 3000]),
    (1.15e15, [0, 2e14, 4e14, 6e14, 8e14, 1e15]),
    (1.15e308, [0, 2e307, 4e307, 6e307, 8e307, 1e308]),
    (0.37, [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35]),
    (float("inf"), [0, 1]), (float("nan"), [0, 1]), (0.0, [0, 1]), (-3.0, [0, 1]),
])
def test_nice_ticks_are_at_most_nine_round_values(top, expected):
    ticks = svg.nice_ticks(top)
    assert ticks == pytest.approx(expected, rel=1e-9)
    assert len(ticks) <= svg.MAX_TICKS + 1


@pytest.mark.parametrize("value, ticks", [
    (1e15, ["0", "2e+14", "4e+14", "6e+14", "8e+14", "1e+15"]),
    (1e308, ["0", "2e+307", "4e+307", "6e+307", "8e+307", "1e+308"]),
    *[(v, ["0", "500", "1,000", "1,500", "2,000", "2,500", "3,000"]) for v in (0.0, -5.0, float("nan"), float("inf"),
                                                                             float("-inf"), None)],
])
def test_trough_chart_ticks_are_bounded_whatever_the_concentration(value, ticks):
    started = time.perf_counter()
    markup = svg.trough_chart(apriori_ng_ml=value, apriori_low=value, apriori_high=value, measured_ng_ml=value,
                              map_ng_ml=value, threshold_ng_ml=1100.0)
    assert time.perf_counter() - started < HANG
    assert _trough_ticks(markup) == ticks
    assert "nan" not in markup and "inf" not in markup
    placed = [] if value is None or value != value or abs(value) == float("inf") else ["placed"]
    assert markup.count("not available") == (0 if placed else 3)


@pytest.mark.parametrize("value", EXTREMES)
def test_risk_scale_decision_curve_and_bars_stay_bounded(value):
    markup = svg.risk_scale([("a", value, value, value), ("b", 0.1, 0.05, 0.2)], high_from=0.15, low_below=0.05)
    labels = re.findall(r'font-size="10" text-anchor="middle">(\d+)%</text>', markup)
    finite = value is not None and value == value and abs(value) != float("inf")
    expected = {True: None, False: [str(t) for t in range(0, 31, 5)]}[finite]
    if finite:
        top = min(1.0, max(0.3, 1.2 * min(max(value, 0.0), 1.0), 1.2 * 0.2))
        step = 5 if top <= 0.4 else 10 if top <= 0.8 else 20
        expected = [str(t) for t in range(0, int(round(top * 100)) + 1, step)]
    assert labels == expected and len(labels) <= svg.MAX_TICKS + 1
    assert "nan" not in markup and "inf" not in markup
    curve = svg.decision_curve([{"threshold": t / 100, "net_benefit_model": value, "net_benefit_treat_all": 0.02,
                                 "net_benefit_treat_none": 0.0} for t in range(1, 31)])
    assert curve.count("<polyline") == 3 and "nan" not in curve and "inf" not in curve
    assert len(re.findall(r"\d+%</text>", curve)) == 6
    bar = svg.contribution_bar(value, value)
    assert bar.count("<rect") == 1 and "nan" not in bar and "inf" not in bar


@pytest.mark.parametrize("value", EXTREMES)
def test_a_full_report_with_an_extreme_trough_renders_with_bounded_ticks(report_pair, value):
    """The report data of a real patient with the measured, MAP and a priori troughs replaced."""
    _, tdm = report_pair
    data = copy.deepcopy(tdm)
    data["trough"]["measured"]["concentration_ng_ml"] = value
    data["trough"]["map_ng_ml"] = value
    data["trough"]["apriori_p95_ng_ml"] = value
    started = time.perf_counter()
    html = render_report_html(data)
    assert time.perf_counter() - started < HANG
    chart = html[html.index('<svg class="trough-chart"'):]
    chart = chart[:chart.index("</svg>")]
    assert 2 <= len(_trough_ticks(chart)) <= svg.MAX_TICKS + 1


@pytest.mark.parametrize("concentration", [1e15, 1e308])
def test_report_from_a_document_with_an_absurd_concentration_finishes(models, tmp_path, concentration):
    """The end-to-end case of the issue: rashrisk report on a TDM sample of 1e15 (or 1e308) ng/mL. The
    loader rejects the sample as implausible (a unit slip or a typing error), so the report refuses
    quickly with that reason; it never hangs (the charts themselves are bounded, tests above)."""
    from rashrisk.errors import RashriskError
    from rashrisk.reports.patient import build_report_data
    from rashrisk.scoring.inputs import load_scoring_input

    document = {"patient_id": "HUGE-1", "sex": "F", "age_years": 61, "weight_kg": 52, "start_dose_mg": 400,
                "start_date": "2025-03-03", "genotypes": {"rs4129267": "T/T"},
                "tdm": [{"sample_time": "2025-03-17T08:00", "last_dose_time": "2025-03-16T08:10", "dose_mg": 400,
                         "concentration": concentration, "unit": "ng/mL"}]}
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(document))
    started = time.perf_counter()
    with pytest.raises(RashriskError, match=r"rejected.*concentration.*typing error"):
        build_report_data("HUGE-1", load_scoring_input(path), "tdm", models["tdm"], start_model=models["start"])
    assert time.perf_counter() - started < HANG

"""The plan's HTML: self-contained, escaped, every section, the chart; and in headless Chromium (the
reports' browser checks, reused: no console messages, not blank, sections in the DOM)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from rashrisk.rechallenge import build_rechallenge_plan
from rashrisk.rechallenge.chart import chart_svg
from rashrisk.rechallenge.render import render_plan_html

SECTIONS = ("header", "disclaimer", "summary", "maintenance", "plan", "chart", "taper", "screen", "samples", "basis")


@pytest.fixture(scope="module")
def plan(sim_cohort, severe_id):
    from rashrisk.reports.skin import RED_FLAGS

    clear = {"rash_grade": 1, "recurrent": False, **dict.fromkeys(RED_FLAGS, False)}
    return build_rechallenge_plan(severe_id, sim_cohort, skin=clear, prior="published",
                                  taper=[{"day": 1, "steroid": "prednisone", "dose": "30 mg/day", "note": "<b>as entered</b>"}])


def test_html_is_self_contained_and_escaped(plan):
    html = render_plan_html({**plan, "patient_id": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;as entered&lt;/b&gt;" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "") and "<link" not in html
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    assert 'class="concentration-chart"' in html and html.count('class="step-trough"') == 4


def test_chart_skips_values_that_are_not_finite(plan):
    data = {**plan["chart"], "onset_trough_ng_ml": float("nan")}
    steps = [dict(s, predicted_trough_ng_ml=float("inf")) for s in plan["steps"]]
    svg = chart_svg(data, steps)
    assert ">onset trough" not in svg and 'class="step-trough"' not in svg and "nan" not in svg.lower()


def _browser_checks():
    path = Path(__file__).resolve().parents[1] / "reports" / "test_report_browser.py"
    spec = importlib.util.spec_from_file_location("_report_browser_checks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.browser
def test_plan_renders_in_chromium(plan, tmp_path):
    checks = _browser_checks()
    page = tmp_path / "plan.html"
    page.write_text(render_plan_html(plan), encoding="utf-8")
    dom, console, share = checks.check_page(page, tmp_path)
    assert console == []
    assert share < 0.95, f"page looks blank ({share:.1%} one colour)"
    for section in SECTIONS:
        assert f'id="{section}"' in dom, section
    assert dom.count("<svg") >= 1 and plan["patient_id"] in dom and 'class="curve"' in dom

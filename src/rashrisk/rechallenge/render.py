"""The plan (dict) rendered through a Jinja2 template (autoescape) into one self-contained HTML file,
with the reports' CSS and filters and an inline SVG chart; PDF by the reports' WeasyPrint path."""

from __future__ import annotations

from importlib import resources

from markupsafe import Markup

from rashrisk.rechallenge.chart import chart_svg
from rashrisk.reports import render as report_render
from rashrisk.reports.render import write_html, write_pdf  # noqa: F401  (the one HTML/PDF writing path)


def environment():
    """The re-challenge templates, with the clinician report's filters (pct, num, signed)."""
    return report_render.template_environment("rashrisk.rechallenge")


def render_plan_html(data: dict) -> str:
    """The re-challenge plan as one self-contained HTML document."""
    css = report_render._css() + resources.files("rashrisk.rechallenge").joinpath("templates").joinpath(
        "rechallenge.css").read_text(encoding="utf-8")
    return environment().get_template("rechallenge_plan.html.j2").render(
        d=data, css=Markup(css), chart=Markup(chart_svg(data["chart"], data["steps"])))

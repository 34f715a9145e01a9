"""Render report data (dicts) to self-contained HTML (Jinja2, autoescape) and to PDF (WeasyPrint).

Templates and CSS are package data (``rashrisk/reports/templates``); the CSS is inlined and every
figure is inline SVG, so a report is one file that opens offline and prints on A4.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from markupsafe import Markup

from rashrisk.atomic import write_text, write_with
from rashrisk.reports import svg


@lru_cache(maxsize=None)
def template_environment(package: str = "rashrisk.reports"):
    """The Jinja2 environment of the templates under ``<package>/templates`` (autoescaped), with the
    clinician report's number filters (pct, num, signed); the re-challenge plan uses it too."""
    from jinja2 import Environment, FunctionLoader, select_autoescape

    def load(name: str):
        text = resources.files(package).joinpath("templates").joinpath(name).read_text(encoding="utf-8")
        return text, None, lambda: True

    env = Environment(loader=FunctionLoader(load), autoescape=select_autoescape(["html", "j2"], default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda v, d=1: "—" if v is None else f"{100 * float(v):.{d}f}%"
    env.filters["num"] = lambda v, d=0: "—" if v is None else f"{float(v):,.{d}f}"
    env.filters["signed"] = lambda v, d=2: "—" if v is None else f"{float(v):+.{d}f}"
    return env


def environment():
    return template_environment("rashrisk.reports")


def _css() -> str:
    return resources.files("rashrisk.reports").joinpath("templates").joinpath("report.css").read_text(encoding="utf-8")


def _figures(data: dict) -> dict:
    risk = data["risk"]
    icons = risk["icons"]
    scale = max([abs(f["contribution"]) for f in data["factors"]] + [0.05])
    trough = data["trough"]
    measured = (trough.get("measured") or {}).get("concentration_ng_ml")
    thresholds = risk["band_thresholds"]  # the model card's (RiskModel.band needs them)
    points = []
    if data.get("change"):
        s = data["change"]["start"]
        points.append(("at imatinib start", s["risk"], s["risk_low"], s["risk_high"]))
    points.append((data["stage_label"].replace("(TDM)", "").strip() if data["stage"] == "tdm" else "at imatinib start",
                   risk["risk"], risk["risk_low"], risk["risk_high"]))
    if risk.get("baseline_risk") is not None:
        points.append(("cohort baseline", risk["baseline_risk"], risk["baseline_risk"], risk["baseline_risk"]))
    return {
        "icon_array": Markup(svg.icon_array(icons["risk"], icons["low"], icons["high"])),
        "bars": [Markup(svg.contribution_bar(f["contribution"], scale, established=f.get("established", False)))
                 for f in data["factors"]],
        "trough_chart": Markup(svg.trough_chart(apriori_ng_ml=trough.get("apriori_ng_ml"),
                                                apriori_low=trough.get("apriori_p05_ng_ml"),
                                                apriori_high=trough.get("apriori_p95_ng_ml"),
                                                measured_ng_ml=measured, map_ng_ml=trough.get("map_ng_ml"),
                                                threshold_ng_ml=trough["threshold_ng_ml"])),
        "risk_scale": Markup(svg.risk_scale(points, high_from=thresholds["high_from"], low_below=thresholds["low_below"])),
    }


def render_report_html(data: dict) -> str:
    """The patient report as one self-contained HTML document."""
    return environment().get_template("patient_report.html.j2").render(d=data, fig=_figures(data), css=Markup(_css()))


def render_model_report_html(data: dict) -> str:
    """The model report (model card with TRIPOD+AI items) as one self-contained HTML document."""
    curve = next((i.get("rows") for i in data["items"] if i["id"] == "decision_curve"), None) or []
    return environment().get_template("model_report.html.j2").render(
        d=data, css=Markup(_css()), decision_svg=Markup(svg.decision_curve(curve)))


def _pdf_document(html: str):
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html).render()


def render_pdf(html: str) -> bytes:
    """``html`` as PDF bytes (WeasyPrint, A4 from the CSS @page rule), e.g. for an HTTP response."""
    return _pdf_document(html).write_pdf()


def write_pdf(html: str, path) -> Path:
    """Render ``html`` to a PDF file with WeasyPrint (A4 from the CSS @page rule), atomically."""
    document = _pdf_document(html)  # layout before the file is opened: a failure leaves no file
    return write_with(path, document.write_pdf)


def write_html(html: str, path) -> Path:
    """Write the HTML document to ``path`` atomically (UTF-8)."""
    return write_text(path, html)

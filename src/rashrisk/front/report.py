"""The Python API of the clinician report (re-exported as ``rashrisk.reports``): the report of one
patient as data, and optionally as HTML and PDF files, by the same code as ``rashrisk report``."""

from __future__ import annotations

from rashrisk.reports.patient import build_report_data
from rashrisk.reports.render import render_report_html, write_html, write_pdf
from rashrisk.front.scoring import risk_model_for, scoring_input
from rashrisk.tracking.model_source import resolve_model


def report(patient_id: str, cohort, stage: str, *, model=None, start_model=None, html=None, pdf=None) -> dict:
    """The clinician report of ``patient_id`` as data (the dict the templates render and the API
    serves). ``cohort``: any input :func:`rashrisk.score` accepts; ``model``, ``start_model``: a
    RiskModel, bundle folder or registry URI (default: champion, else the embedded default; at the
    TDM stage the start model shows how the estimate moved). ``html`` / ``pdf``: files to write (atomically: a failure leaves any previous file whole)."""
    if model is None:
        risk_model, source = resolve_model(stage)
    else:
        risk_model, source = risk_model_for(stage, model), ""
    first = risk_model_for("start", start_model) if stage == "tdm" else None
    data = build_report_data(patient_id, scoring_input(cohort), stage, risk_model, start_model=first,
                             model_source=source)
    if html is not None or pdf is not None:
        text = render_report_html(data)
        if html is not None:
            write_html(text, html)
        if pdf is not None:
            write_pdf(text, pdf)
    return data

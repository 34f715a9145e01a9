"""The Python API of the clinician report (re-exported as ``rashrisk.reports``): the report of one
patient as data, and optionally as HTML and PDF files, by the same code as ``rashrisk report``."""

from __future__ import annotations

from rashrisk.reports.patient import build_report_data
from rashrisk.reports.render import render_report_html, write_html, write_pdf
from rashrisk.front.scoring import risk_model_for, scoring_input
from rashrisk.tracking.model_source import resolve_model


def report(patient_id: str, cohort, stage: str, *, model=None, start_model=None, html=None, pdf=None, skin=None,
           trough_threshold=None) -> dict:
    """The clinician report of ``patient_id`` as data (the dict the templates render and the API
    serves). ``cohort``: any input :func:`rashrisk.score` accepts; ``model``, ``start_model``: a
    RiskModel, bundle folder or registry URI (default: champion, else the embedded default; at the
    TDM stage the start model shows how the estimate moved). ``html`` / ``pdf``: files to write (atomically: a failure leaves any previous file whole).
    ``skin``: the patient's current skin state, a dict or a .json file (``{"rash_grade": 0-4 | None,
    "recurrent": bool, <six red flags>: bool | None}``; a one-patient document may carry it as ``skin``
    instead); without it the report shows the red-flag screen as a checklist and no desensitisation.
    ``trough_threshold``: 1100 (default, Demetri 2009) or 760 (Bouchet) ng/mL."""
    from rashrisk.reports.thresholds import trough_threshold as threshold_record
    from rashrisk.scoring.patient_json import combined_skin, document_skin

    threshold = threshold_record(trough_threshold)
    skin_record = combined_skin(document_skin(cohort), skin, "skin")
    if model is None:
        risk_model, source = resolve_model(stage)
    else:
        risk_model, source = risk_model_for(stage, model), ""
    first = risk_model_for("start", start_model) if stage == "tdm" else None
    data = build_report_data(patient_id, scoring_input(cohort), stage, risk_model, start_model=first,
                             model_source=source, skin=skin_record, trough_threshold=threshold)
    if html is not None or pdf is not None:
        text = render_report_html(data)
        if html is not None:
            write_html(text, html)
        if pdf is not None:
            write_pdf(text, pdf)
    return data

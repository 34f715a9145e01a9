"""What the clinician page needs from the application that serves it, in one object.

The page's routes read it through ONE dependency, :func:`clinic_services`, which returns
``request.app.state.clinic``. An application wires the page with::

    from rashrisk.clinic import ClinicServices, router
    app.include_router(router)
    app.state.clinic = ClinicServices(models={"start": start_model, "tdm": tdm_model},
                                      model_sources={"start": "...", "tdm": "..."},
                                      check_token=check_token)   # token -> bool, or None: no sign-in

Every other field has a default: the report functions of :mod:`rashrisk.reports` (the report is built
as data by ``build_report_data`` and rendered by the reports package's own templates).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rashrisk.clinic.form import MAX_UPLOAD_BYTES


def pdf_bytes(html: str) -> bytes:
    """The report HTML as a PDF (WeasyPrint, A4), by :func:`rashrisk.reports.render.render_pdf`."""
    from rashrisk.reports.render import render_pdf

    return render_pdf(html)


def _build_report_data(*args, **kwargs):
    from rashrisk.reports.patient import build_report_data

    return build_report_data(*args, **kwargs)


def _render_report_html(data: dict) -> str:
    from rashrisk.reports.render import render_report_html

    return render_report_html(data)


@dataclass
class ClinicServices:
    """The loaded models and the functions the page calls.

    - ``models``: ``{"start": RiskModel, "tdm": RiskModel}``, loaded once (the TDM report also scores the
      start model to show how the estimate moved).
    - ``model_sources``: per stage, why that model was chosen (the report prints it), e.g. the second
      value of :func:`rashrisk.tracking.model_source.resolve_model`.
    - ``check_token``: ``token -> bool`` (constant-time compare is the caller's). None: the page asks for
      no token (local use, tests). Otherwise every page route but ``/session`` needs the session cookie
      that ``POST /session`` sets after ``check_token`` accepted the token typed into the sign-in form.
    - ``build_report_data(patient_id, scoring_input, stage, model, *, start_model, model_source, skin,
      trough_threshold) -> dict``, ``render_report_html(data) -> str``, ``render_pdf(html) -> bytes``:
      the reports package's functions unless replaced.
    - ``max_upload_bytes``: the largest uploaded JSON document accepted.
    """

    models: Mapping[str, object]
    model_sources: Mapping[str, str] = field(default_factory=dict)
    check_token: Callable[[str], bool] | None = None
    build_report_data: Callable[..., dict] = _build_report_data
    render_report_html: Callable[[dict], str] = _render_report_html
    render_pdf: Callable[[str], bytes] = pdf_bytes
    max_upload_bytes: int = MAX_UPLOAD_BYTES

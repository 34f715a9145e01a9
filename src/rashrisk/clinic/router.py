"""The clinician web page as a FastAPI router: a form for one patient (or the upload of a one-patient
JSON document), and the report shown in the page with its HTML and PDF downloads.

Routes (relative to where the router is included):

- ``GET /``: the form.
- ``POST /``: the form (``application/x-www-form-urlencoded``) or an upload (``multipart/form-data``,
  field ``document``); shows the form again with the contract's messages by each field (422), or the
  report in the page (200).
- ``POST /download``: the report of the document the page shows, as an HTML or PDF attachment
  (``format=html|pdf``; the page sends the checked document back, so any worker can answer).
- ``GET /session``, ``POST /session``: the sign-in form and its submission; ``POST /session/end`` signs out.

Wiring (see :mod:`rashrisk.clinic.services`): ``app.include_router(router)`` and
``app.state.clinic = ClinicServices(...)``. Every route reads the models and functions through the one
dependency :func:`clinic_services`.

Authentication is the serving application's: it provides ``check_token(token) -> bool`` in
``ClinicServices``. The page asks for the token once (``GET /session``), and ``POST /session`` keeps
it, once ``check_token`` accepts it, in an HttpOnly, SameSite=Strict cookie (:data:`SESSION_COOKIE`;
``Secure`` when the request came over https). The page routes check that cookie with ``check_token``
on every request and answer the sign-in form (401) without it, so the serving application must let
the page's paths (``/``, ``/download``, ``/session``) reach the router without its bearer header, or
accept the cookie in its own check (:data:`PAGE_PATHS` lists them). ``check_token`` None: no sign-in (local development, tests).

Nothing is logged: no patient identifier or clinical value leaves the request.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from rashrisk.clinic import form as clinic_form
from rashrisk.clinic.form import FieldMessage, FormCheck
from rashrisk.clinic.services import ClinicServices
from rashrisk.errors import RashriskError

SESSION_COOKIE = "rashrisk_session"
# (method, path) of every route of the router, relative to where it is included: a bearer-token check in
# front of the router lets these through (the router checks the session cookie itself, with check_token)
PAGE_PATHS = frozenset({("GET", "/"), ("POST", "/"), ("POST", "/download"), ("GET", "/session"),
                        ("POST", "/session"), ("POST", "/session/end")})

router = APIRouter(tags=["clinician page"])


def clinic_services(request: Request) -> ClinicServices:
    """The page's one dependency: ``request.app.state.clinic``, a :class:`ClinicServices`."""
    services = getattr(request.app.state, "clinic", None)
    if not isinstance(services, ClinicServices):
        raise HTTPException(503, "the clinician page is not set up: app.state.clinic must be a "
                                 "rashrisk.clinic.ClinicServices (models, check_token)")
    return services


@lru_cache(maxsize=1)
def environment():
    from jinja2 import Environment, FunctionLoader, select_autoescape

    def load(name: str):
        text = resources.files("rashrisk.clinic").joinpath("templates").joinpath(name).read_text(encoding="utf-8")
        return text, None, lambda: True

    return Environment(loader=FunctionLoader(load), autoescape=select_autoescape(["html", "j2"], default=True),
                       trim_blocks=True, lstrip_blocks=True)


def _page(name: str, status: int = 200, **context) -> HTMLResponse:
    css = resources.files("rashrisk.clinic").joinpath("templates").joinpath("clinic.css").read_text(encoding="utf-8")
    html = environment().get_template(name).render(css=Markup(css), **context)
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _signed_in(request: Request, services: ClinicServices) -> bool:
    if services.check_token is None:
        return True
    token = request.cookies.get(SESSION_COOKIE)
    return bool(token) and bool(services.check_token(token))


def sign_in_page(request: Request, message: str | None = None, status: int = 401) -> HTMLResponse:
    """The token form (401 by default): what a page route answers without a valid session cookie."""
    return _page("session.html.j2", status, message=message)


def _form_context(services: ClinicServices, values=None, check: FormCheck | None = None, **extra) -> dict:
    errors = list(check.errors) if check else []
    warnings = list(check.warnings) if check else []
    return {
        "values": dict(values or {}),
        "messages": check.by_field() if check else {},
        "errors": errors,
        "general_warnings": [w for w in warnings if not w.field],
        "variants": clinic_form.catalogue_variants(),
        "f": clinic_form,
        "slots": range(1, clinic_form.TDM_SLOTS + 1),
        "simulated": any(getattr(getattr(m, "card", None), "simulated", False) for m in services.models.values()),
        "mode": extra.pop("mode", "form"),
        "signed_in_with_token": services.check_token is not None,
        **extra,
    }


@router.get("/", response_class=HTMLResponse, name="clinic_form")
def form_page(request: Request, services: ClinicServices = Depends(clinic_services)):
    """The form for one patient."""
    if not _signed_in(request, services):
        return sign_in_page(request)
    return _page("form.html.j2", **_form_context(services))


def _report_html_body(html: str) -> tuple[Markup, Markup]:
    """(the report's own CSS, the report's body) of a report rendered by the reports package."""
    style = re.search(r"<style>(.*?)</style>", html, flags=re.DOTALL)
    body = re.search(r"<body[^>]*>(.*)</body>", html, flags=re.DOTALL)
    if style is None or body is None:
        raise RuntimeError("the report template no longer has one <style> and one <body>")
    return Markup(style.group(1)), Markup(body.group(1))


def _report(services: ClinicServices, check: FormCheck) -> tuple[dict | None, str | None, FieldMessage | None, str | None]:
    """(report data, report HTML, None, notice) or (None, None, the message saying why there is no report, None).

    With the automatic estimate, a patient whose samples cannot give the TDM estimate (e.g. no sample
    in the model's landmark window) gets the estimate at imatinib start and a notice saying why."""
    from rashrisk.reports.thresholds import trough_threshold

    stage = clinic_form.resolved_stage(check)
    try:
        threshold = trough_threshold(check.trough_threshold)
    except RashriskError as exc:
        return None, None, FieldMessage("trough_threshold", clinic_form.field_label("trough_threshold"), str(exc)), None
    data, problem = _report_data(services, check, stage, threshold)
    notice = None
    if problem is not None and stage == "tdm" and check.stage == "auto":
        notice = f"No estimate after the first trough: {problem.message}. Shown: the estimate at imatinib start."
        data, problem = _report_data(services, check, "start", threshold)
    if problem is not None:
        return None, None, problem, None
    return data, services.render_report_html(data), None, notice


def _report_data(services: ClinicServices, check: FormCheck, stage: str, threshold):
    model = services.models.get(stage)
    if model is None:
        return None, FieldMessage("stage", clinic_form.field_label("stage"),
                                  f"no {stage}-stage model is loaded; expected one of {', '.join(services.models)}")
    start_model = services.models.get("start") if stage == "tdm" else None
    pid = str(check.document["patient_id"]).strip()
    try:
        return services.build_report_data(pid, check.scoring_input, stage, model, start_model=start_model,
                                          model_source=services.model_sources.get(stage, ""), skin=check.skin,
                                          trough_threshold=threshold), None
    except RashriskError as exc:
        return None, FieldMessage("stage", clinic_form.field_label("stage"), str(exc))


async def _submitted(request: Request, services: ClinicServices) -> tuple[dict, FormCheck]:
    """(the form's values to show again, the check) for a form or an upload."""
    async with request.form(max_files=1, max_fields=200) as form:
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("document")
        if values.get("mode") != "upload":
            return values, await run_in_threadpool(clinic_form.check_form, values)
        if upload is None or isinstance(upload, str) or not getattr(upload, "filename", ""):
            return values, FormCheck(None, [FieldMessage("document", clinic_form.field_label("document"),
                                                         "no file chosen; expected a one-patient JSON document (.json)")])
        filename, data = upload.filename, await upload.read(services.max_upload_bytes + 1)
    check = await run_in_threadpool(clinic_form.check_upload, filename, data, stage=values.get("stage", "auto"),
                                    threshold=values.get("trough_threshold", "1100"),
                                    max_bytes=services.max_upload_bytes)
    return values, check


@router.post("/", response_class=HTMLResponse)
async def submit(request: Request, services: ClinicServices = Depends(clinic_services)):
    """Score the patient of the form or the uploaded document: the report in the page, or the form with
    the contract's messages by their fields (422)."""
    if not _signed_in(request, services):
        return sign_in_page(request)
    values, check = await _submitted(request, services)
    mode = "upload" if values.get("mode") == "upload" else "form"
    if not check.ok:
        return _page("form.html.j2", 422, **_form_context(services, values, check, mode=mode))
    data, html, problem, notice = await run_in_threadpool(_report, services, check)
    if problem is not None:
        check.errors.append(problem)
        return _page("form.html.j2", 422, **_form_context(services, values, check, mode=mode))
    report_css, report_body = _report_html_body(html)
    return _page("form.html.j2", **_form_context(
        services, values, check, mode=mode, report=data, report_css=report_css, report_body=report_body, notice=notice,
        download_document=json.dumps(check.document, ensure_ascii=False), download_stage=data["stage"],
        download_threshold=check.trough_threshold))


def _file_name(patient_id: str, stage: str, suffix: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", patient_id).strip("._") or "patient"
    return f"rashrisk-report-{safe}-{stage}.{suffix}"


@router.post("/download")
async def download(request: Request, services: ClinicServices = Depends(clinic_services)):
    """The report of the document the page shows, as an HTML or PDF attachment."""
    if not _signed_in(request, services):
        return sign_in_page(request)
    async with request.form(max_files=0, max_fields=20) as form:
        form = dict(form)
    kind = str(form.get("format", ""))
    if kind not in ("html", "pdf"):
        return Response(f"format {kind!r}: expected html or pdf", status_code=422, media_type="text/plain")
    try:
        document = json.loads(str(form.get("document", "")))
    except json.JSONDecodeError as exc:
        return Response(f"document: not valid JSON ({exc.msg}); expected the page's patient document",
                        status_code=422, media_type="text/plain")
    if not isinstance(document, dict):
        return Response("document: expected one JSON object (one patient)", status_code=422, media_type="text/plain")
    check = await run_in_threadpool(clinic_form.check_document, document, stage=str(form.get("stage", "auto")),
                                    threshold=str(form.get("trough_threshold", "1100")))
    problem = check.errors[0] if check.errors else None
    data = html = None
    if problem is None:
        data, html, problem, _ = await run_in_threadpool(_report, services, check)
    if problem is not None:
        return Response(problem.message, status_code=422, media_type="text/plain")
    name = _file_name(data["patient_id"], data["stage"], kind)
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    if kind == "html":
        return Response(html, media_type="text/html; charset=utf-8", headers=headers)
    return Response(await run_in_threadpool(services.render_pdf, html), media_type="application/pdf", headers=headers)


@router.get("/session", response_class=HTMLResponse)
def session_form(request: Request, services: ClinicServices = Depends(clinic_services)):
    """The sign-in form: the access token, asked once."""
    if services.check_token is None:
        return RedirectResponse("./", status_code=303)
    return sign_in_page(request, status=200)


@router.post("/session", response_class=HTMLResponse)
async def start_session(request: Request, services: ClinicServices = Depends(clinic_services)):
    """Check the token typed into the sign-in form with ``check_token``; keep it in an HttpOnly,
    SameSite=Strict cookie and go to the form, or show the sign-in form again (401)."""
    if services.check_token is None:
        return RedirectResponse("./", status_code=303)
    async with request.form(max_files=0, max_fields=5) as form:
        token = str(form.get("token", "")).strip()
    if not token or not services.check_token(token):
        # the token itself is never shown or logged
        return sign_in_page(request, "The token was not accepted. Enter the access token you were given.")
    response = RedirectResponse("./", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/session/end")
def end_session(request: Request):
    """Sign out: the session cookie is removed."""
    response = RedirectResponse("../session", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response

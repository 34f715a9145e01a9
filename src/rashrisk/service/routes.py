"""The endpoints of the core service: health, models, score, explain, report (docs/service.md).

Handlers are plain functions (FastAPI runs them in its thread pool): scoring is CPU-bound and the
models are read-only once loaded."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from rashrisk.explanations.local import explanation_table
from rashrisk.reports.patient import build_report_data
from rashrisk.reports.render import render_pdf, render_report_html
from rashrisk.reports.thresholds import trough_threshold
from rashrisk.scoring.output import table_records
from rashrisk.scoring.patient_json import check_skin_record
from rashrisk.scoring.score import build_frame, not_scored_reasons, score_input
from rashrisk.service.inputs import RequestProblems, batch_input, problem, single_input
from rashrisk.service.schemas import (ExplainResponse, Health, Message, ModelsResponse, ReportFormat, ReportRequest,
                                      ReportResponse, ScoreRequest, ScoreResponse, ValidationProblems)
from rashrisk.service.state import STATE_KEY, model_info, served_models

router = APIRouter()
ERRORS = {401: {"model": Message, "description": "no or a wrong bearer token"},
          413: {"model": Message, "description": "request body over --max-body-bytes"},
          422: {"model": ValidationProblems, "description": "input that breaks the request schema or the cohort "
                "contract: each problem names its place (loc), the value (input) and what was expected (msg)"},
          503: {"model": Message, "description": "models not loaded yet"}}


def _model_headers(response: Response, model) -> None:
    response.headers["X-Rashrisk-Model"] = model.label
    response.headers["X-Rashrisk-Model-Version"] = model.version
    response.headers["X-Rashrisk-Model-Sha256"] = model.bundle_sha256 or ""


def _input(request: Request, body: ScoreRequest):
    if (body.patient is None) == (body.patients is None):
        raise RequestProblems([problem(["body"], "give either 'patient' (one patient document) or 'patients' (a "
                                       "list of them), not both and not neither", "request.patient_or_patients")])
    if body.patient is not None:
        return single_input(body.patient.document())
    limit = request.app.state.settings.max_batch
    if not body.patients:
        raise RequestProblems([problem(["body", "patients"], "empty list; expected at least one patient document",
                                       "request.empty_batch", [])])
    if len(body.patients) > limit:
        raise RequestProblems([problem(["body", "patients"], f"{len(body.patients)} patients; expected at most "
                                       f"{limit} per request (--max-batch): split the batch",
                                       "limit.max_batch", len(body.patients))])
    return batch_input([p.document() for p in body.patients])


@router.get("/health", response_model=Health, tags=["service"],
            responses={503: {"model": Health, "description": "alive, models not loaded yet"}})
def health(request: Request):
    """Liveness, and readiness once the models are loaded (no token needed)."""
    models = getattr(request.app.state, STATE_KEY, None)
    if models is None:
        return JSONResponse(Health(status="starting", ready=False).model_dump(), status_code=503)
    return Health(status="ok", ready=True, models={"start": models.start.label, "tdm": models.tdm.label})


@router.get("/v1/models", response_model=ModelsResponse, tags=["models"], responses=ERRORS)
def models(request: Request):
    """The model of each stage: name, version, bundle hash, why it serves, simulated data or not."""
    served = served_models(request)
    return {"models": {stage: model_info(served.for_stage(stage), served.sources[stage]) for stage in ("start", "tdm")}}


@router.post("/v1/score", response_model=ScoreResponse, tags=["scoring"], responses=ERRORS)
def score(body: ScoreRequest, request: Request, response: Response):
    """The `rashrisk score` row of every patient: scored (risk, 95% interval, band, top factors,
    warnings) or not_scored with the reason; in request order."""
    served = served_models(request)
    stage = body.stage.value
    model = served.for_stage(stage)
    table = score_input(_input(request, body), stage, model)
    _model_headers(response, model)
    return {"results": table_records(table), "model": model_info(model, served.sources[stage])}


@router.post("/v1/explain", response_model=ExplainResponse, tags=["scoring"], responses=ERRORS)
def explain(body: ScoreRequest, request: Request, response: Response):
    """Exact contributions per patient and clinical factor, in calibrated log-odds (base_value + the
    contributions = model_logit); a patient who cannot be scored is not_explained with the reason."""
    served = served_models(request)
    stage = body.stage.value
    model = served.for_stage(stage)
    found = _input(request, body)
    frame, _ = build_frame(found.cohort, stage, model)
    reasons = not_scored_reasons(found, frame)
    by_patient = {}
    if len(frame.X):
        table = explanation_table(model, frame.X)
        by_patient = {pid: rows for pid, rows in table.groupby("patient_id", sort=False)}
    results = []
    for pid in found.patient_ids:
        rows = by_patient.get(pid)
        if rows is None:
            results.append({"patient_id": pid, "status": "not_explained", "reason": reasons.get(pid, "not in the "
                            "model frame"), "base_value": None, "model_logit": None, "contributions": []})
            continue
        contributions = table_records(rows[["factor", "description", "contribution", "direction", "effect_status",
                                            "statement"]])
        results.append({"patient_id": pid, "status": "explained", "reason": "",
                        "base_value": float(rows["base_value"].iloc[0]), "model_logit": float(rows["model_logit"].iloc[0]),
                        "contributions": contributions})
    _model_headers(response, model)
    return {"results": results, "model": model_info(model, served.sources[stage])}


@router.post("/v1/report", tags=["reports"], response_model=ReportResponse,
             responses={**ERRORS, 200: {"description": "the report as JSON data (format=json), a self-contained "
                                        "HTML page (format=html) or an A4 PDF (format=pdf)",
                                        "content": {"text/html": {"schema": {"type": "string"}},
                                                    "application/pdf": {"schema": {"type": "string",
                                                                                   "format": "binary"}}}}})
def report(body: ReportRequest, request: Request, response: Response,
           format: ReportFormat = Query(ReportFormat.json, description="json (the report data), html or pdf")):
    """The clinician report of one patient (at the TDM stage it also scores the start stage to show how
    the estimate moved). The skin record, if any, is the document's ``skin`` field."""
    served = served_models(request)
    stage = body.stage.value
    model = served.for_stage(stage)
    document = body.patient.document()
    data = report_data(served, document, single_input(document), stage, trough_threshold(body.trough_threshold))
    info = model_info(model, served.sources[stage])
    if format is ReportFormat.json:
        _model_headers(response, model)
        return {"report": data, "model": info}
    html = render_report_html(data)
    if format is ReportFormat.html:
        out = HTMLResponse(html)
    else:
        out = Response(render_pdf(html), media_type="application/pdf",
                       headers={"Content-Disposition": f'attachment; filename="rashrisk-report-{stage}.pdf"'})
    _model_headers(out, model)
    return out


def report_data(served, document: dict, found, stage: str, threshold=None) -> dict:
    """The clinician report of one checked document as data (at TDM it also scores the start stage to
    show how the estimate moved); ``/v1/report`` and a CDS card's report link."""
    return build_report_data(str(document["patient_id"]).strip(), found, stage, served.for_stage(stage),
                             start_model=served.start if stage == "tdm" else None, model_source=served.sources[stage],
                             skin=found_skin(document), trough_threshold=threshold)


def found_skin(document: dict):
    skin = document.get("skin")
    return None if skin is None else check_skin_record(skin, "request body: field 'skin'")

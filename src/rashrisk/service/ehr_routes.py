"""The EHR endpoints: FHIR R4 scoring and the CDS Hooks 2.0 services (docs/ehr.md, docs/service.md).

- ``POST /v1/fhir/score``: a FHIR R4 Bundle of one patient, mapped by :mod:`rashrisk.ehr.fhir` to the
  one-patient document and scored exactly as ``POST /v1/score`` scores that document; the response adds
  the mapping (every resource mapped, ignored or invalid, every problem by its reference).
- ``GET /cds-services`` (no token: CDS Hooks discovery) and ``POST /cds-services/{id}``: the card of
  :func:`rashrisk.ehr.cds_hooks.cds_response`, with a link to the full report
  (:mod:`rashrisk.service.report_links`, ``GET /v1/reports/{key}``).

The mapping's problems name FHIR references (which hold patient ids): they go back in the response,
never to a log.
"""

from __future__ import annotations

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import Field

from rashrisk.ehr.cds_hooks import CdsRequestError, cds_response, discovery
from rashrisk.ehr.fhir import bundle_to_document
from rashrisk.reports.render import render_report_html
from rashrisk.scoring.output import table_records
from rashrisk.scoring.score import score_input
from rashrisk.service.inputs import RequestProblems, problem, single_input
from rashrisk.service.routes import ERRORS, report_data
from rashrisk.service.schemas import ScoreResponse, Stage
from rashrisk.service.state import model_info, served_models

router = APIRouter()
REPORT_PATH = "/v1/reports/{key}"


class FhirScoreResponse(ScoreResponse):
    mapping: dict = Field(..., description="the mapped one-patient document, every problem (reference, field, value, "
                          "expected, level) and every resource of the Bundle (mapped, ignored with the reason, or invalid)")


def _score_row(served, document: dict, stage: str, prefix) -> dict:
    """The score-table row of one document (as ``/v1/score``); RequestProblems when the contract rejects it."""
    model = served.for_stage(stage)
    return table_records(score_input(single_input(document, prefix=prefix), stage, model))[0]


@router.post("/v1/fhir/score", response_model=FhirScoreResponse, tags=["fhir"], responses=ERRORS)
def fhir_score(request: Request, bundle: dict = Body(..., description="a FHIR R4 Bundle (type collection, searchset "
                                                     "or transaction) of one patient"),
               stage: Stage | None = Query(None, description="start or tdm; default tdm when the Bundle holds a "
                                           "usable imatinib concentration, else start")):
    """Score one patient given as a FHIR R4 Bundle: the same row as `POST /v1/score` for the mapped document,
    with the mapping (every resource mapped, ignored or invalid) and its problems by reference."""
    served = served_models(request)
    mapping = bundle_to_document(bundle)
    if mapping.document is None:
        raise RequestProblems([problem(["body", p.reference, p.field], p.message, "fhir.unmapped", p.value)
                               for p in mapping.errors] or
                              [problem(["body"], "no usable Patient in the Bundle; expected exactly one", "fhir.no_patient")])
    chosen = stage.value if stage is not None else ("tdm" if mapping.has_samples else "start")
    row = _score_row(served, mapping.document, chosen, ("body", "mapped document"))
    return {"results": [row], "model": model_info(served.for_stage(chosen), served.sources[chosen]),
            "mapping": mapping.to_dict()}


@router.get("/cds-services", tags=["cds-hooks"])
def cds_services():
    """CDS Hooks discovery: the order-select and order-sign services with their prefetch templates (no token)."""
    return discovery()


def _report_link(request: Request, served):
    links = request.app.state.report_links
    if not links.enabled:
        return None

    def url(document: dict, stage: str) -> str | None:
        try:
            found = single_input(document, prefix=("prefetch", "mapped document"))
        except RequestProblems:  # the card already says why the patient could not be scored
            return None
        key = links.put(render_report_html(report_data(served, document, found, stage)))
        return str(request.url_for("report_link", key=key))

    return url


@router.post("/cds-services/{service_id}", tags=["cds-hooks"], responses=ERRORS)
def cds_service(service_id: str, request: Request, body: dict = Body(..., description="a CDS Hooks 2.0 request")):
    """One card for an imatinib order (none for other drugs): risk and band, top factors, the basis, the
    simulated-data label where it applies, and a link to the full report. Decision support, not an order."""
    services = {s["id"]: s["hook"] for s in discovery()["services"]}
    if service_id not in services:
        return JSONResponse({"detail": f"unknown CDS service {service_id!r}; expected one of "
                                       f"{', '.join(sorted(services))} (GET /cds-services)"}, status_code=404)
    if body.get("hook") != services[service_id]:
        return JSONResponse({"detail": f"hook {body.get('hook')!r} sent to the {service_id!r} service; expected "
                                       f"{services[service_id]!r}"}, status_code=400)
    served = served_models(request)

    def score_document(document: dict, stage: str) -> dict:
        try:
            return _score_row(served, document, stage, ("prefetch", "mapped document"))
        except RequestProblems as exc:
            return {"status": "not_scored", "reason": "; ".join(p["msg"] for p in exc.problems)}

    info = {stage: {**model_info(served.for_stage(stage), served.sources[stage]),
                    "simulated": bool(served.for_stage(stage).card.simulated)} for stage in ("start", "tdm")}
    try:
        return cds_response(body, score_document, model_info=info, report_url=_report_link(request, served))
    except CdsRequestError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=400)


@router.get(REPORT_PATH, name="report_link", tags=["cds-hooks"], response_class=HTMLResponse,
            responses={404: {"description": "unknown or expired link"}})
def report_link(key: str, request: Request):
    """The full report a CDS card links to (a capability URL, valid for --report-link-ttl seconds; no token)."""
    html = request.app.state.report_links.get(key)
    if html is None:
        return JSONResponse({"detail": "unknown or expired report link; the card's report is kept for "
                                       f"{request.app.state.report_links.ttl_s} s"}, status_code=404)
    return HTMLResponse(html, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

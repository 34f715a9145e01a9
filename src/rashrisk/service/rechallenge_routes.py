"""``POST /v1/rechallenge``: the TDM-guided re-challenge plan after a severe rash (docs/rechallenge.md).

The body carries one patient document (with its TDM history and its skin record) and the onset day;
the plan is :func:`rashrisk.rechallenge.build_rechallenge_plan` on that one-patient cohort, exactly as
``rashrisk rechallenge`` makes it. A refusal (a red flag present or not recorded, no usable sample,
no onset trough) is a 422 with the planner's message. The steroid taper is shown as entered.
"""

from __future__ import annotations

from typing import Literal, Optional

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from rashrisk.rechallenge import build_rechallenge_plan
from rashrisk.rechallenge.render import render_plan_html
from rashrisk.rechallenge.taper import check_taper
from rashrisk.service.inputs import single_input
from rashrisk.service.routes import ERRORS, found_skin
from rashrisk.service.schemas import PatientDocument

router = APIRouter()


class RechallengeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    patient: PatientDocument = Field(..., description="the one-patient document with the whole TDM history and the "
                                     "skin record ('skin': the red-flag screen must be recorded and clear)")
    onset_day: StrictInt = Field(..., ge=0, le=3650, description="the day on treatment of the rash onset (day 0 = start)")
    onset_trough_ng_ml: Optional[float] = Field(None, gt=0, lt=100_000, description="the onset trough, when not taken "
                                                "from the sample nearest the onset")
    taper: Optional[list[dict]] = Field(None, max_length=100, description="the clinician's steroid taper rows "
                                        "(day, steroid, dose), shown as entered; never chosen by rashrisk")
    trough_threshold: Literal[1100, 760] = Field(1100, description="efficacy threshold, ng/mL")


@router.post("/v1/rechallenge", tags=["rechallenge"], responses={**ERRORS, 200: {
    "description": "the plan as JSON data (format=json) or a self-contained HTML page (format=html)",
    "content": {"text/html": {"schema": {"type": "string"}}}}})
def rechallenge(body: RechallengeRequest, request: Request,
                format: Literal["json", "html"] = Query("json", description="json (the plan data) or html")):
    """The re-challenge plan of one patient: each ladder step's predicted trough with its 90% interval,
    P(below the onset trough minus the margin), P(reaching the efficacy threshold), the proposed
    maintenance dose or why none. Decision support, not an order."""
    document = body.patient.document()
    found = single_input(document)
    taper = check_taper(body.taper, "request body: field 'taper'", first_line=0, row_word="row") if body.taper else None
    plan = build_rechallenge_plan(str(document["patient_id"]).strip(), found.cohort, skin=found_skin(document),
                                  onset_day=body.onset_day, onset_trough_ng_ml=body.onset_trough_ng_ml, taper=taper,
                                  trough_threshold=body.trough_threshold)
    return HTMLResponse(render_plan_html(plan)) if format == "html" else plan

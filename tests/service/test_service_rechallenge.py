"""POST /v1/rechallenge: the plan of `rashrisk rechallenge` for a one-patient document."""

from __future__ import annotations

import pytest
from service_data import AUTH, make_client

from rashrisk.reports.skin import RED_FLAGS

CLEAR = {"rash_grade": 3, "recurrent": False, **dict.fromkeys(RED_FLAGS, False)}


def _sample(day, hours, dose, conc):
    import pandas as pd

    last = pd.Timestamp("2025-03-03") + pd.Timedelta(days=day - 1, hours=8)
    return {"sample_time": (last + pd.Timedelta(hours=hours)).isoformat(timespec="minutes"),
            "last_dose_time": last.isoformat(timespec="minutes"), "dose_mg": dose, "concentration": conc, "unit": "ng/mL"}


def _body(**changes):
    patient = {"patient_id": "PT-1", "sex": "F", "age_years": 55, "weight_kg": 60, "ancestry": "EUR", "setting": "advanced",
               "start_dose_mg": 400, "start_date": "2025-03-03", "genotypes": {"rs4129267": "C/T"},
               "tdm": [_sample(9, 24, 400, 1500), _sample(14, 24, 400, 1700), _sample(40, 24, 100, 420)],
               "skin": dict(CLEAR)}
    body = {"patient": patient, "onset_day": 14,
            "taper": [{"day": 1, "steroid": "prednisone", "dose": "0.5 mg/kg/day"}]}
    body.update(changes)
    return body


@pytest.fixture(scope="module")
def client():
    from rashrisk.service.state import load_served_models

    return make_client(load_served_models())


def test_the_plan_is_the_planners_for_the_same_patient(client):
    from rashrisk.rechallenge import build_rechallenge_plan
    from rashrisk.service.inputs import single_input

    response = client.post("/v1/rechallenge", json=_body(), headers=AUTH)
    assert response.status_code == 200, response.text
    plan = response.json()
    body = _body()
    expected = build_rechallenge_plan("PT-1", single_input(body["patient"]).cohort, skin=dict(CLEAR), onset_day=14,
                                      taper=body["taper"])
    assert plan["steps"] == expected["steps"] and plan["maintenance_dose_mg"] == expected["maintenance_dose_mg"]
    assert plan["onset_trough_ng_ml"] == pytest.approx(1700, rel=0.2)
    html = client.post("/v1/rechallenge?format=html", json=_body(), headers=AUTH)
    assert html.status_code == 200 and "prednisone" in html.text
    assert client.post("/v1/rechallenge", json=_body()).status_code == 401


def test_a_red_flag_or_an_unrecorded_one_refuses_the_plan_with_the_reason(client):
    flagged = _body()
    flagged["patient"]["skin"]["mucosal_involvement"] = True
    response = client.post("/v1/rechallenge", json=flagged, headers=AUTH)
    assert response.status_code == 422 and "mucosal" in response.text.lower()
    unrecorded = _body()
    del unrecorded["patient"]["skin"]
    assert client.post("/v1/rechallenge", json=unrecorded, headers=AUTH).status_code == 422
    bad_taper = _body(taper=[{"day": 0, "steroid": "prednisone", "dose": "40 mg"}])
    response = client.post("/v1/rechallenge", json=bad_taper, headers=AUTH)
    assert response.status_code == 422 and "taper" in response.text

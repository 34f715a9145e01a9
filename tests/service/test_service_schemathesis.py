"""Schemathesis against the OpenAPI document: no request the document allows (and no near-miss it
generates) gets a 5xx. Bounded: a few examples per operation, no shrinking past a deadline."""

from __future__ import annotations

import copy

import hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error

from rashrisk.service.schemas import EXAMPLE_PATIENT
from service_data import AUTH, TOKEN


def _app():
    from rashrisk.models.bundle import load_default_model
    from rashrisk.service.app import create_app
    from rashrisk.service.settings import ServiceSettings
    from rashrisk.service.state import ServedModels

    served = ServedModels(start=load_default_model("start"), tdm=load_default_model("tdm"),
                          sources={"start": "embedded default bundle (test)", "tdm": "embedded default bundle (test)"})
    return create_app(ServiceSettings(token=TOKEN, max_batch=20), served)


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, headers=AUTH).exclude(path="/v1/report")
# the report renders HTML or PDF (0.1-1.5 s a call): its examples and generated cases, without the coverage phase
report_schema = schemathesis.openapi.from_asgi("/openapi.json", APP, headers=AUTH).include(path="/v1/report")
report_schema.config.phases.coverage.enabled = False
CLIENT = TestClient(APP)


BOUNDED = hypothesis.settings(max_examples=12, deadline=None, derandomize=True, database=None,
                              suppress_health_check=list(hypothesis.HealthCheck),
                              phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])


@schema.parametrize()
@BOUNDED
@pytest.mark.filterwarnings("ignore::rashrisk.genotype.qc.LowCallRateWarning")
def test_no_request_gets_a_server_error(case):
    case.call_and_validate(headers=AUTH, checks=[not_a_server_error])


@report_schema.parametrize()
@BOUNDED
def test_no_report_request_gets_a_server_error(case):
    case.call_and_validate(headers=AUTH, checks=[not_a_server_error])


# Schemathesis mostly generates bodies the request schema refuses; this reaches the cohort contract's
# own checks: the documented patient with one field (or one TDM field) replaced by any JSON scalar.
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=30),
                    st.sampled_from(["", " ", "61", "1e3", "F", "m", "2025-02-30", "2025-03-03T25:00", "./.", "NC",
                                     "ug/mL", "µmol/L", "yes", "nan", "inf", "-0", "１２"]))
PATIENT_FIELDS = ["sex", "age_years", "weight_kg", "height_cm", "albumin_g_l", "rbc_10e12_l", "ancestry", "setting",
                  "start_dose_mg", "start_date"]
TDM_FIELDS = ["sample_time", "last_dose_time", "dose_mg", "concentration", "unit", "below_loq"]


@hypothesis.settings(max_examples=60, deadline=None, database=None, derandomize=True,
                     suppress_health_check=[hypothesis.HealthCheck.too_slow])
@hypothesis.given(where=st.sampled_from(["patient", "tdm", "genotype"]), field=st.integers(0, 20), value=SCALARS,
                  stage=st.sampled_from(["start", "tdm"]))
@pytest.mark.filterwarnings("ignore::rashrisk.genotype.qc.LowCallRateWarning")
def test_any_value_in_any_field_is_scored_or_a_422(where, field, value, stage):
    document = copy.deepcopy(EXAMPLE_PATIENT)
    if where == "patient":
        document[PATIENT_FIELDS[field % len(PATIENT_FIELDS)]] = value
    elif where == "tdm":
        document["tdm"][0][TDM_FIELDS[field % len(TDM_FIELDS)]] = value
    else:
        document["genotypes"]["rs4129267"] = value if isinstance(value, str) or value is None else str(value)
    response = CLIENT.post("/v1/score", json={"stage": stage, "patient": document}, headers=AUTH)
    assert response.status_code in (200, 422), (where, field, value, response.text[:300])
    if response.status_code == 422:
        assert all(p["msg"] and p["loc"][:2] == ["body", "patient"] for p in response.json()["detail"])
    else:
        assert response.json()["results"][0]["patient_id"] == "GIST-042"

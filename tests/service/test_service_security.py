"""Bearer token, limits and user errors: 401 without the token (before the body is read), 413 over
the size limit, 422 with field-level messages, never a 500 or a traceback for something the client
can fix."""

from __future__ import annotations

import json

import pytest

from service_data import AUTH, PATIENT, TOKEN, make_client, patient


def _operations(client):
    for path, operations in client.app.openapi()["paths"].items():
        for method in operations:
            yield method.upper(), path


def test_every_operation_but_health_needs_the_token(client):
    from rashrisk.service.auth import is_public

    operations = list(_operations(client))
    assert ("POST", "/v1/score") in operations and ("GET", "/health") in operations
    for method, path in operations:
        for headers in ({}, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": f"Basic {TOKEN}"},
                        {"Authorization": TOKEN}):
            response = client.request(method, path, headers=headers, json={"stage": "start", "patient": PATIENT})
            if is_public(method, path):  # not refused by the token check (the route answers for itself)
                assert "WWW-Authenticate" not in response.headers and response.status_code < 500, (method, path)
            else:
                assert response.status_code == 401, (method, path, headers)
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
                assert TOKEN not in response.text
    # the OpenAPI document (itself protected) says so
    assert client.get("/openapi.json").status_code == 401
    document = client.get("/openapi.json", headers=AUTH).json()
    assert document["paths"]["/v1/score"]["post"]["security"] == [{"bearer": []}]
    assert "security" not in document["paths"]["/health"]["get"]


def test_the_token_is_checked_before_the_body_and_in_constant_time(client, monkeypatch):
    import rashrisk.service.auth as auth

    calls = []
    real = auth.hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    response = client.post("/v1/score", content=b"{not json" * 300_000, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401  # not 413 or 422: nothing is read for an unauthenticated client
    assert calls == [(b"nope", TOKEN.encode())]
    assert client.post("/v1/score", json={"stage": "start", "patient": PATIENT},
                       headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200  # scheme case-insensitive


def test_body_over_the_limit_is_413_with_content_length_or_chunked(served):
    with make_client(served, max_body_bytes=4096) as small:
        big = {"stage": "start", "patients": [patient(patient_id=f"P{i}") for i in range(40)]}
        response = small.post("/v1/score", json=big, headers=AUTH)
        assert response.status_code == 413 and "over the limit of 4,096 bytes" in response.json()["detail"]

        def chunks():
            data = json.dumps(big).encode()
            for i in range(0, len(data), 1000):
                yield data[i:i + 1000]

        streamed = small.post("/v1/score", content=chunks(), headers={**AUTH, "content-type": "application/json"})
        assert streamed.status_code == 413 and "streamed" in streamed.json()["detail"]
        assert small.post("/v1/score", json={"stage": "start", "patient": PATIENT}, headers=AUTH).status_code == 200


def test_batch_over_the_limit_is_422_naming_the_limit(served):
    with make_client(served, max_batch=3) as small:
        response = small.post("/v1/score", json={"stage": "start", "patients": [patient(patient_id=f"P{i}")
                                                                                 for i in range(4)]}, headers=AUTH)
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "patients"] and problem["input"] == 4
    assert "expected at most 3 per request (--max-batch)" in problem["msg"]


def _problems(client, body):
    response = client.post("/v1/score", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert "Traceback" not in response.text
    return {tuple(p["loc"]): p for p in response.json()["detail"]}


def test_every_answer_names_the_served_models(client, models):
    for response in (client.post("/v1/score", json={"stage": "start", "patient": patient(age_years=-5)}, headers=AUTH),
                     client.get("/v1/models", headers=AUTH), client.get("/health"),
                     client.post("/v1/score", content=b"{", headers=AUTH)):
        assert response.headers["X-Rashrisk-Models"] == f"start={models['start'].label}; tdm={models['tdm'].label}"
        assert models["tdm"].bundle_sha256[:12] in response.headers["X-Rashrisk-Models"]


def test_out_of_range_values_name_the_field_the_value_and_what_was_expected(client):
    bad = patient(sex="X", age_years=-5, genotypes={"rs4129267": "T/Q"})
    bad["tdm"][0]["concentration"] = -3
    found = _problems(client, {"stage": "tdm", "patient": bad})
    sex = found[("body", "patient", "sex")]
    assert sex["input"] == "X" and sex["msg"] == ("patients (request body), column sex, row 0: 'X' ... expected one "
                                                   "of F, M (case-insensitive)")
    assert found[("body", "patient", "age_years")]["msg"].endswith("'-5' ... expected >= 0 and <= 120")
    assert found[("body", "patient", "tdm", 0, "concentration")]["input"] == -3
    assert found[("body", "patient", "genotypes", "rs4129267")]["input"] == "T/Q"
    # in a batch, the patient's index is in the place and in the message
    batch = _problems(client, {"stage": "start", "patients": [PATIENT, patient(patient_id="B", weight_kg=1000)]})
    assert list(batch) == [("body", "patients", 1, "weight_kg")]
    assert batch[("body", "patients", 1, "weight_kg")]["msg"].startswith("patients (request body, patients[1]), "
                                                                        "column weight_kg, row 0: '1000' ... expected >= 20")


@pytest.mark.parametrize(("body", "loc", "text"), [
    ({"stage": "later", "patient": PATIENT}, ("body", "stage"), "'start' or 'tdm'"),
    ({"stage": "start"}, ("body",), "either 'patient'"),
    ({"stage": "start", "patient": PATIENT, "patients": [PATIENT]}, ("body",), "not both"),
    ({"stage": "start", "patients": []}, ("body", "patients"), "at least one"),
    ({"stage": "start", "patient": patient(weight_lb=120)}, ("body", "patient", "weight_lb"), "Extra inputs"),
    ({"stage": "start", "patient": patient(age_years=True)}, ("body", "patient", "age_years"), "valid integer"),
    ({"stage": "start", "patient": patient(skin={"rash_grade": 7})}, ("body", "patient", "skin", "rash_grade"),
     "'rash_grade' is 7"),
    ({"stage": "start", "patients": [PATIENT, PATIENT]}, ("body", "patients", 1, "patient_id"), "also patients[0]"),
    ({"stage": "start", "patient": patient(patient_id="  ")}, ("body", "patient"), "patient_id' is missing"),
])
def test_malformed_requests_are_422_with_the_field(client, body, loc, text):
    found = _problems(client, body)
    assert loc in found, found
    assert text in found[loc]["msg"]


def test_non_finite_numbers_are_refused_not_read_as_missing(client):
    text = json.dumps({"stage": "start", "patient": patient(height_cm=0)}).replace('"height_cm": 0', '"height_cm": NaN')
    response = client.post("/v1/score", content=text, headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "patient", "height_cm"]
    assert "finite number" in response.json()["detail"][0]["msg"]


def test_not_json_is_422(client):
    response = client.post("/v1/score", content=b"{oops", headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"][0]["type"] == "json_invalid"


def test_before_the_models_are_loaded_health_and_scoring_answer_503():
    from fastapi.testclient import TestClient

    from rashrisk.service.app import create_app
    from rashrisk.service.settings import ServiceSettings

    with TestClient(create_app(ServiceSettings(token=TOKEN), load_models=False)) as starting:
        assert starting.get("/health").status_code == 503 and starting.get("/health").json()["ready"] is False
        response = starting.post("/v1/score", json={"stage": "start", "patient": PATIENT}, headers=AUTH)
        assert response.status_code == 503 and response.headers["Retry-After"]


def test_a_bug_is_a_500_naming_a_reference_only(client, monkeypatch, caplog):
    import rashrisk.service.routes as routes

    def broken(*args, **kwargs):
        raise ValueError("GIST-042 weighs 52 kg")  # a message with patient data

    monkeypatch.setattr(routes, "score_input", broken)
    with caplog.at_level("DEBUG"):
        response = client.post("/v1/score", json={"stage": "start", "patient": PATIENT}, headers=AUTH)
    assert response.status_code == 500 and "reference" in response.json()["detail"]
    assert "GIST-042" not in response.text and "GIST-042" not in caplog.text
    assert "ValueError at test_service_security.py" in caplog.text


# --- start-up: a token is required, --no-auth only on loopback ---------------------------------


def test_settings_refuse_a_missing_or_short_token():
    from rashrisk.errors import RashriskError
    from rashrisk.service.settings import ServiceSettings

    with pytest.raises(RashriskError, match="no API token: set RASHRISK_API_TOKEN or pass --token-file"):
        ServiceSettings(token=None)
    with pytest.raises(RashriskError, match="at least 16 characters"):
        ServiceSettings(token="short")
    assert ServiceSettings(token=None, no_auth=True).token is None


def test_serve_refuses_to_start_without_a_token_or_with_no_auth_off_loopback(tmp_path):
    """Real processes: one message, exit 2, no traceback, nothing listening."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "RASHRISK_API_TOKEN"}
    short = tmp_path / "short"
    short.write_text("abc\n", encoding="utf-8")
    for args, text in ((["serve"], "no API token: set RASHRISK_API_TOKEN or pass --token-file"),
                       (["serve", "--no-auth", "--host", "0.0.0.0"], "--no-auth with --host 0.0.0.0: refused"),
                       (["serve", "--token-file", str(tmp_path / "missing")], "cannot read"),
                       (["serve", "--token-file", str(short)], "expected at least 16 characters")):
        proc = subprocess.run([sys.executable, "-m", "rashrisk.cli.main", *args], capture_output=True, text=True,
                              env=env, timeout=120)
        assert proc.returncode == 2, (args, proc.stderr)
        assert text in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)


def test_token_file_and_environment(monkeypatch, tmp_path):
    from rashrisk.service.settings import SETTINGS_ENV, ServiceSettings, read_token, settings_from_environment

    monkeypatch.setenv("RASHRISK_API_TOKEN", "from-the-environment-0123")
    assert read_token(None) == "from-the-environment-0123"
    path = tmp_path / "token"
    path.write_text("from-the-file-0123456789\n", encoding="utf-8")
    assert read_token(path) == "from-the-file-0123456789"
    settings = ServiceSettings(token=read_token(path), token_file=str(path), max_batch=7)
    assert "from-the-file" not in settings.to_environment()  # worker processes re-read the file
    monkeypatch.setenv(SETTINGS_ENV, settings.to_environment())
    assert settings_from_environment() == settings

"""The clinician page's router through FastAPI's TestClient: the form, a patient scored into the page
(the same risk as the report API), field errors, the upload, the downloads, the sign-in cookie and the
wiring (one dependency, app.state.clinic)."""

from __future__ import annotations

import hmac
import html as html_lib
import io
import json
import logging
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rashrisk.clinic import PAGE_PATHS, SESSION_COOKIE, ClinicServices, create_clinic_app, router

FORM = {"mode": "form", "patient_id": "GIST-042", "sex": "F", "age_years": "61", "weight_kg": "52",
        "height_cm": "158", "ancestry": "EAS", "setting": "adjuvant", "start_dose_mg": "400",
        "start_date": "2025-03-03", "genotype_rs4129267": "T/T", "stage": "auto", "trough_threshold": "1100"}
SAMPLE = {"tdm1_sample_time": "2025-03-17T08:00", "tdm1_last_dose_time": "2025-03-16T08:10",
          "tdm1_concentration": "2150", "tdm1_unit": "ng/mL"}
DOCUMENT = {"patient_id": "GIST-042", "sex": "F", "age_years": "61", "weight_kg": "52", "height_cm": "158",
            "ancestry": "EAS", "setting": "adjuvant", "start_dose_mg": "400", "start_date": "2025-03-03",
            "genotypes": {"rs4129267": "T/T"}}


@pytest.fixture(scope="module")
def client(models):
    return TestClient(create_clinic_app(models=models, model_sources={"start": "test", "tdm": "test"}))


def risk_shown(page: str) -> str:
    return re.search(r'id="clinic-risk">([^<]*)<', page).group(1)


def expected_risk(models, document, stage):
    import rashrisk

    return rashrisk.report(document["patient_id"], document, stage, model=models[stage], start_model=models["start"])


def test_the_form(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    text = page.text
    for name in ("patient_id", "sex", "age_years", "weight_kg", "height_cm", "ancestry", "setting", "start_dose_mg",
                 "start_date", "genotype_rs4129267", "genotype_rs776746", "tdm1_sample_time", "tdm1_last_dose_time",
                 "tdm1_hours_after_dose", "tdm3_concentration", "skin_rash_grade", "skin_fever", "stage", "document"):
        assert f'name="{name}"' in text, name
    for control in re.findall(r'<(?:input|select)[^>]*id="(f-[^"]+)"', text):
        assert f'for="{control}"' in text or control.startswith("f-skin_") or control.startswith("f-stage"), control
    assert "trained on simulated data" in text and 'lang="en"' in text and "@media print" in text
    assert '<option value="" selected>not tested</option>' in text


@pytest.mark.parametrize("extra, stage", [({}, "start"), (SAMPLE, "tdm")], ids=["start", "tdm"])
def test_a_patient_is_scored_into_the_page(client, models, extra, stage):
    page = client.post("/", data={**FORM, **extra})
    assert page.status_code == 200, page.text[:2000]
    document = {**DOCUMENT, **({"tdm": [{"sample_time": "2025-03-17T08:00", "last_dose_time": "2025-03-16T08:10",
                                        "dose_mg": "400", "concentration": "2150", "unit": "ng/mL"}]} if extra else {})}
    data = expected_risk(models, document, stage)
    assert risk_shown(page.text) == f"{100 * data['risk']['risk']:.1f}%"
    assert f'<span class="risk-number">{100 * data["risk"]["risk"]:.1f}%</span>' in page.text  # the report itself
    assert "This model was trained on simulated data" in page.text
    assert 'id="report"' in page.text and 'id="options"' in page.text and 'id="inputs"' in page.text
    assert ('id="change"' in page.text) == (stage == "tdm")
    assert "There is a problem" not in page.text
    ids = re.findall(r'\sid="([^"]+)"', page.text)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})  # the page's and the report's ids
    sent = json.loads(html_lib.unescape(re.search(r'name="document" value="([^"]*)"', page.text).group(1)))
    assert sent == document


def test_field_errors_come_back_by_their_field_with_the_values_kept(client):
    page = client.post("/", data={**FORM, "age_years": "-5", "sex": "X"})
    assert page.status_code == 422
    text = html_lib.unescape(page.text)
    assert 'id="error-summary"' in text and "There are 2 problems" in text
    assert '<a href="#f-age_years">Age (years): \'-5\' ... expected >= 0 and <= 120</a>' in text
    assert '<a href="#f-sex">Sex: \'X\' ... expected one of F, M (case-insensitive)</a>' in text
    field = re.search(r'<input id="f-age_years"[^>]*>', text).group(0)
    assert 'aria-invalid="true"' in field and 'value="-5"' in field and "age_years-error-1" in field
    assert 'id="age_years-error-1"' in text
    assert 'value="52"' in text, "the other values are kept"
    assert 'id="report"' not in text


def test_a_patient_that_cannot_be_scored_at_the_chosen_stage(client):
    page = client.post("/", data={**FORM, "stage": "tdm"})
    assert page.status_code == 422
    assert re.search(r'<a href="#f-stage">Estimate: patient &#39;GIST-042&#39; cannot be scored at the tdm stage: ',
                     page.text)


def test_automatic_estimate_falls_back_to_the_start_with_the_reason(client, models):
    late = {**SAMPLE, "tdm1_sample_time": "2025-06-17T08:00", "tdm1_last_dose_time": "2025-06-16T08:10"}
    page = client.post("/", data={**FORM, **late})
    assert page.status_code == 200
    notice = html_lib.unescape(re.search(r'id="stage-notice"><p>([^<]*)<', page.text).group(1))
    assert notice.startswith("No estimate after the first trough: patient 'GIST-042' cannot be scored at the tdm stage: ")
    assert notice.endswith("Shown: the estimate at imatinib start.")
    assert 'name="stage" value="start"' in page.text  # the downloads give the report shown
    assert 'id="change"' not in page.text
    chosen = client.post("/", data={**FORM, **late, "stage": "tdm"})  # chosen on purpose: an error, no fallback
    assert chosen.status_code == 422 and 'href="#f-stage"' in chosen.text


def test_the_upload(client, models):
    document = {**DOCUMENT, "skin": {"rash_grade": 3, "fever": True}}
    page = client.post("/", data={"mode": "upload", "stage": "auto", "trough_threshold": "760"},
                       files={"document": ("patient.json", json.dumps(document).encode(), "application/json")})
    assert page.status_code == 200
    data = expected_risk(models, document, "start")
    assert risk_shown(page.text) == f"{100 * data['risk']['risk']:.1f}%"
    assert 'id="red-flag-alert"' in page.text and "760" in page.text
    assert "Score another patient" in page.text and 'value="GIST-042"' not in page.text  # the form stays empty
    bad = client.post("/", data={"mode": "upload"},
                      files={"document": ("patient.json", b'{"patient_id": "A", "sex": "Q"}', "application/json")})
    assert bad.status_code == 422
    assert "patients (patient.json), column sex, row 0: &#39;Q&#39; ... expected one of F, M" in bad.text
    assert "no file chosen" in client.post("/", data={"mode": "upload"}).text


def test_the_downloads(client):
    page = client.post("/", data={**FORM, **SAMPLE})
    document = html_lib.unescape(re.search(r'name="document" value="([^"]*)"', page.text).group(1))
    html = client.post("/download", data={"document": document, "stage": "tdm", "trough_threshold": "1100",
                                          "format": "html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert html.headers["content-disposition"] == 'attachment; filename="rashrisk-report-GIST-042-tdm.html"'
    assert risk_shown(page.text) in html.text and html.text.startswith("<!DOCTYPE html>")
    assert client.post("/download", data={"document": document, "format": "doc"}).status_code == 422
    assert client.post("/download", data={"document": "{", "format": "html"}).status_code == 422
    bad = client.post("/download", data={"document": json.dumps({**DOCUMENT, "age_years": "-5"}), "format": "html"})
    assert bad.status_code == 422 and "expected >= 0 and <= 120" in bad.text


def test_the_pdf_download(models):
    """The PDF comes from the reports package's WeasyPrint renderer (here a stand-in records the HTML)."""
    rendered = []
    app = create_clinic_app(models=models)
    app.state.clinic.render_pdf = lambda html: rendered.append(html) or b"%PDF-1.7 stand-in"
    client = TestClient(app)
    pdf = client.post("/download", data={"document": json.dumps(DOCUMENT), "stage": "start", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == b"%PDF-1.7 stand-in" and 'id="risk"' in rendered[0]


def test_the_pdf_is_the_reports_pdf(client):
    """The default renderer: WeasyPrint through rashrisk.reports.render.write_pdf; the PDF's text has the risk."""
    from pypdf import PdfReader

    page = client.post("/", data=FORM)
    pdf = client.post("/download", data={"document": json.dumps(DOCUMENT), "stage": "start", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert risk_shown(page.text) in text and "simulated data" in text


def test_sign_in_keeps_the_token_in_an_httponly_samesite_strict_cookie(models):
    token = "s3cret-token"
    checked = []

    def check_token(given: str) -> bool:
        checked.append(given)
        return hmac.compare_digest(given.encode(), token.encode())

    client = TestClient(create_clinic_app(models=models, check_token=check_token), follow_redirects=False)
    for method, path in (("get", "/"), ("post", "/"), ("post", "/download")):
        refused = getattr(client, method)(path)
        assert refused.status_code == 401 and 'id="f-token"' in refused.text, path
    wrong = client.post("/session", data={"token": "guess"})
    assert wrong.status_code == 401 and "The token was not accepted" in wrong.text and "guess" not in wrong.text
    signed = client.post("/session", data={"token": token})
    assert signed.status_code == 303 and signed.headers["location"] == "./"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={token};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie and "Secure" not in cookie
    assert client.get("/").status_code == 200  # the client keeps the cookie it was given
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)
    assert client.get("/").status_code == 200
    assert client.post("/", data={**FORM}).status_code == 200
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, "stale")
    assert client.get("/").status_code == 401
    out = client.post("/session/end")
    assert out.status_code == 303 and f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]
    assert token in checked


def test_over_https_the_cookie_is_secure(models):
    client = TestClient(create_clinic_app(models=models, check_token=lambda t: t == "x"), base_url="https://clinic.test",
                        follow_redirects=False)
    assert "Secure" in client.post("/session", data={"token": "x"}).headers["set-cookie"]


def test_the_wiring_a_serving_application_does(models):
    """The core service's own app: include the router, set app.state.clinic; without it, 503."""
    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    unwired = client.get("/")
    assert unwired.status_code == 503 and "app.state.clinic" in unwired.json()["detail"]
    calls = []

    def build_report_data(*args, **kwargs):
        from rashrisk.reports.patient import build_report_data as build

        calls.append(args[2])
        return build(*args, **kwargs)

    app.state.clinic = ClinicServices(models=models, model_sources={"start": "wired"},
                                      build_report_data=build_report_data)
    page = client.post("/", data=FORM)
    assert page.status_code == 200 and calls == ["start"] and "(wired)" in page.text


def test_no_patient_data_in_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/", data={**FORM, "patient_id": "PSEUDO-7781", "age_years": "67.5"})
    client.post("/", data={**FORM, "patient_id": "PSEUDO-7781", "age_years": "-67.5"})
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "PSEUDO-7781" not in logged and "67.5" not in logged


def test_an_oversized_upload_is_refused_with_its_size(models):
    app = create_clinic_app(models=models)
    app.state.clinic.max_upload_bytes = 100
    page = TestClient(app).post("/", data={"mode": "upload"},
                                files={"document": ("big.json", io.BytesIO(b" " * 500), "application/json")})
    assert page.status_code == 422
    assert "big.json: 101 bytes; expected a one-patient JSON document of at most 100 bytes" in page.text


def test_page_paths_list_every_route_of_the_router():
    """PAGE_PATHS is what a bearer-token check in front of the router must let through."""
    routes = {(method, route.path) for route in router.routes for method in route.methods}
    assert routes == PAGE_PATHS

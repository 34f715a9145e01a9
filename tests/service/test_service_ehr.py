"""The EHR endpoints wired into the service: FHIR scoring, CDS Hooks with the report link, and the
clinician page behind the service's token."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ehr"))
import ehr_examples as E  # noqa: E402
import test_ehr_cds_hooks as C  # noqa: E402
from service_data import AUTH, TOKEN, make_client  # noqa: E402

from rashrisk.ehr.fhir import bundle_to_document  # noqa: E402

SERVICE = "rashrisk-imatinib-order-select"


def order():
    """A draft imatinib order starting on 2025-03-03, before the example's imatinib level."""
    return E.imatinib_order("imatinib-draft", status="draft")


@pytest.fixture(scope="module")
def served():
    from rashrisk.service.state import load_served_models

    return load_served_models()


@pytest.fixture()
def client(served, tmp_path):
    return make_client(served, report_dir=str(tmp_path / "reports"))


def test_a_fhir_bundle_gets_the_row_of_its_mapped_document(client):
    bundle = E.bundle()
    response = client.post("/v1/fhir/score", json=bundle, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    document = bundle_to_document(bundle).document
    assert body["mapping"]["document"] == document
    direct = client.post("/v1/score", json={"stage": "tdm", "patient": document}, headers=AUTH).json()
    assert body["results"] == direct["results"] and body["results"][0]["status"] == "scored"
    assert body["model"]["stage"] == "tdm"  # the Bundle has a usable concentration
    start = client.post("/v1/fhir/score?stage=start", json=bundle, headers=AUTH).json()
    assert start["model"]["stage"] == "start" and start["results"][0]["risk"] != body["results"][0]["risk"]
    uses = {r["reference"]: r["status"] for r in body["mapping"]["resources"]}
    assert uses["Practitioner/dr-1"] == "ignored" and uses["Patient/gist-042"] == "mapped"


def test_a_bundle_without_a_patient_is_a_422_naming_the_resource(client):
    bundle = E.bundle([r for r in E.patient_resources() if r["resourceType"] != "Patient"])
    response = client.post("/v1/fhir/score", json=bundle, headers=AUTH)
    assert response.status_code == 422, response.text
    assert "Patient" in response.text
    assert client.post("/v1/fhir/score", json=bundle).status_code == 401


def test_cds_discovery_is_public_and_an_imatinib_order_gets_a_card_with_a_working_report_link(client):
    discovery = client.get("/cds-services")
    assert discovery.status_code == 200 and SERVICE in {s["id"] for s in discovery.json()["services"]}
    body = C.request(order())
    assert client.post(f"/cds-services/{SERVICE}", json=body).status_code == 401
    response = client.post(f"/cds-services/{SERVICE}", json=body, headers=AUTH)
    assert response.status_code == 200, response.text
    (card,) = response.json()["cards"]
    assert card["summary"].startswith("Severe rash risk on imatinib") and len(card["summary"]) <= 140
    assert "simulated data" in card["detail"] and "suggestions" not in card
    (link,) = card["links"]
    path = urlparse(link["url"]).path
    assert path.startswith("/v1/reports/")
    page = client.get(path)  # a capability URL: the clinician's browser has no bearer token
    assert page.status_code == 200 and "gist-042" in page.text and page.headers["cache-control"] == "no-store"
    assert client.get("/v1/reports/" + "x" * 32).status_code == 404
    assert client.get(path + "x").status_code == 404


def test_other_drugs_get_no_card_and_bad_calls_are_refused(client, served, tmp_path):
    assert client.post(f"/cds-services/{SERVICE}", json=C.request(C.warfarin_order()), headers=AUTH).json() == {"cards": []}
    unknown = client.post("/cds-services/nope", json=C.request(C.imatinib_draft()), headers=AUTH)
    assert unknown.status_code == 404 and SERVICE in unknown.json()["detail"]
    wrong_hook = client.post(f"/cds-services/{SERVICE}", json=C.request(C.imatinib_draft(), hook="order-sign"),
                             headers=AUTH)
    assert wrong_hook.status_code == 400 and "order-sign" in wrong_hook.json()["detail"]
    no_links = make_client(served, report_dir=str(tmp_path / "none"), report_link_ttl_s=0)
    (card,) = no_links.post(f"/cds-services/{SERVICE}", json=C.request(order()), headers=AUTH).json()["cards"]
    assert card["summary"].startswith("Severe rash risk") and "links" not in card


def test_a_patient_the_contract_rejects_gets_a_card_saying_why_not_an_error(client):
    # a draft order without a start date starts today, after the example's 2025 level: the mapped
    # document's sample is before the start, which the contract rejects
    response = client.post(f"/cds-services/{SERVICE}", json=C.request(C.imatinib_draft()), headers=AUTH)
    assert response.status_code == 200, response.text
    (card,) = response.json()["cards"]
    assert "could not be scored" in card["detail"] and "start_date" in card["detail"]


def test_the_clinician_page_signs_in_with_the_service_token(client):
    page = client.get("/")
    assert page.status_code == 401 and "<form" in page.text  # the sign-in form
    assert client.post("/session", data={"token": "wrong-" + TOKEN}).status_code == 401
    signed = client.post("/session", data={"token": TOKEN}, follow_redirects=False)
    assert signed.status_code in (200, 303), signed.text
    form = client.get("/")
    assert form.status_code == 200 and "rs4129267" in form.text


def test_the_report_folder_is_made_only_when_a_card_links_a_report(served):
    client = make_client(served)  # no --report-dir: a private temporary folder, made on first use
    links = client.app.state.report_links
    assert links.folder is None and links.get("x" * 32) is None
    (card,) = client.post(f"/cds-services/{SERVICE}", json=C.request(order()), headers=AUTH).json()["cards"]
    assert links.folder is not None and links.folder.is_dir() and (links.folder.stat().st_mode & 0o777) == 0o700
    assert client.get(urlparse(card["links"][0]["url"]).path).status_code == 200

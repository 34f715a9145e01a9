"""CDS Hooks 2.0: discovery, imatinib orders in draftOrders, prefetch and fetch, the card. Requests are
shaped like the specification's order-select / order-sign examples."""

from __future__ import annotations

import copy
import json
import socket
from datetime import date

import pytest

import ehr_examples as E
import rashrisk
from rashrisk.ehr import cds_hooks as H
from rashrisk.ehr.fhir import bundle_to_document

TOKEN = "some-opaque-fhir-access-token"


def searchset(resources):
    return {"resourceType": "Bundle", "type": "searchset", "total": len(resources),
            "entry": [{"fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r['id']}", "resource": r,
                       "search": {"mode": "match"}} for r in resources]}


def prefetch_for(resources):
    def of(rtype, codes=None):
        out = []
        for r in resources:
            if r["resourceType"] != rtype:
                continue
            concept = r.get("code") or r.get("medicationCodeableConcept") or {}
            if codes is None or any(c.get("code") in codes for c in concept.get("coding", [])):
                out.append(copy.deepcopy(r))
        return searchset(out)

    measured = {"29463-7", "3141-9", "8302-2", "1751-7", "61151-7", "61152-5", "2862-1", "789-8"}
    return {"patient": copy.deepcopy(next(r for r in resources if r["resourceType"] == "Patient")),
            "measurements": of("Observation", measured), "imatinibLevels": of("Observation", {"57844-3", "103609-4"}),
            "variants": of("Observation", {"69548-6"}), "imatinibOrders": of("MedicationRequest"),
            "imatinibDoses": of("MedicationAdministration")}


def draft(resource):
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}


def warfarin_order():
    return {"resourceType": "MedicationRequest", "id": "warfarin-draft", "status": "draft", "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": E.RXNORM, "code": "11289", "display": "warfarin"}]},
            "subject": {"reference": E.PATIENT},
            "dosageInstruction": [{"doseAndRate": [{"doseQuantity": {"value": 5, "unit": "mg", "system": E.UCUM,
                                                                      "code": "mg"}}]}]}


def imatinib_draft():
    order = E.imatinib_order("imatinib-draft", status="draft", start=None)
    del order["authoredOn"]
    return order


def request(order, *, hook="order-select", resources=None, prefetch=True, server=None):
    resources = [r for r in (resources or E.patient_resources()) if r["resourceType"] != "MedicationRequest"]
    body = {"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "hook": hook,
            "context": {"userId": "Practitioner/123", "patientId": "gist-042", "encounterId": "enc-89284",
                        "draftOrders": draft(order)}}
    if hook == "order-select":
        body["context"]["selections"] = [f"MedicationRequest/{order['id']}"]
    if server:
        body["fhirServer"] = server
        body["fhirAuthorization"] = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
                                     "scope": "user/Patient.read user/Observation.read", "subject": "rashrisk"}
    if prefetch:
        body["prefetch"] = prefetch_for(resources)
    return body


def score_document(document, stage):
    return rashrisk.score(document, stage, model="default").iloc[0].to_dict()


MODEL_INFO = {"name": "rashrisk-start", "version": "0.1.0", "bundle_sha256": "e356293402e9ffff", "simulated": True,
              "disclaimer": "Not for clinical use."}
TODAY = date(2025, 3, 3)


def respond(body, **kwargs):
    kwargs.setdefault("model_info", MODEL_INFO)
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("report_url", lambda document, stage: f"https://rashrisk.example.org/report/{stage}")
    return H.cds_response(body, score_document, **kwargs)


def assert_valid_card(card):
    assert set(card) <= {"uuid", "summary", "detail", "indicator", "source", "suggestions", "selectionBehavior",
                         "overrideReasons", "links"}
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) <= 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert card["source"]["label"]
    assert "suggestions" not in card  # decision support, never an order
    for link in card.get("links", []):
        assert link["type"] in ("absolute", "smart") and link["label"] and link["url"].startswith("https://")
    json.dumps(card)


def test_discovery_lists_both_hooks_with_prefetch_templates():
    services = H.discovery()["services"]
    assert sorted(s["hook"] for s in services) == ["order-select", "order-sign"]
    for service in services:
        assert service["id"] and service["description"]
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert all("{{context.patientId}}" in t for t in service["prefetch"].values())
        assert "http://loinc.org|29463-7" in service["prefetch"]["measurements"]
        assert "http://loinc.org|69548-6" in service["prefetch"]["variants"]
        assert "http://www.nlm.nih.gov/research/umls/rxnorm|282388" in service["prefetch"]["imatinibOrders"]
    json.dumps(H.discovery())


def test_imatinib_orders_are_recognised_by_rxnorm_and_other_drugs_are_not():
    contained = copy.deepcopy(imatinib_draft())
    del contained["medicationCodeableConcept"]
    contained["contained"] = [{"resourceType": "Medication", "id": "m",
                               "code": {"coding": [{"system": E.RXNORM, "code": "404589"}]}}]
    contained["medicationReference"] = {"reference": "#m"}
    bundle = {"resourceType": "Bundle", "entry": [{"resource": warfarin_order()}, {"resource": imatinib_draft()},
                                                  {"resource": contained}]}
    assert [o["id"] for o in H.imatinib_orders(bundle)] == ["imatinib-draft", "imatinib-draft"]
    assert H.imatinib_orders(draft(warfarin_order())) == []
    referenced = copy.deepcopy(contained)
    del referenced["contained"]
    referenced["medicationReference"] = {"reference": "Medication/gleevec-400"}
    medication = {"resourceType": "Medication", "id": "gleevec-400",
                  "code": {"coding": [{"system": E.RXNORM, "code": "404589"}]}}
    both = {"resourceType": "Bundle", "entry": [{"resource": referenced}, {"resource": medication}]}
    assert H.imatinib_orders(both) == [referenced]
    for junk in (None, 1e308, True, "x", {"resourceType": "Bundle", "entry": True}):
        assert H.imatinib_orders(junk) == []
    local = imatinib_draft()
    local["medicationCodeableConcept"]["coding"][0]["system"] = "urn:oid:1.2.3"  # the code in another system
    assert H.imatinib_orders(draft(local)) == []


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_an_imatinib_order_gets_one_valid_card_with_the_csv_risk(hook):
    # a first order, placed today (the CSV row's start date): no imatinib dose or level yet
    fresh = [r for r in E.patient_resources() if "imatinib-level" not in r["id"]
             and r["resourceType"] != "MedicationAdministration"]
    response = respond(request(imatinib_draft(), hook=hook, resources=fresh))
    [card] = response["cards"]
    assert_valid_card(card)
    document = bundle_to_document(E.bundle()).document
    document.pop("tdm")
    expected = score_document(document, "start")
    assert f"{100 * expected['risk']:.0f}%" in card["summary"] and expected["band"] in card["summary"]
    assert card["indicator"] == ("warning" if expected["band"] == "high" else "info")
    assert "trained on simulated data" in card["detail"]
    assert "IL6R rs4129267 T/T" in card["detail"] and "not an order" in card["detail"]
    assert card["detail"].count("e356293402e9") == 1 and expected["model"] in card["detail"]
    assert card["links"] == [{"label": "Full rashrisk report", "url": "https://rashrisk.example.org/report/start",
                              "type": "absolute"}]


def test_a_warfarin_order_gets_no_card():
    assert respond(request(warfarin_order())) == {"cards": []}


def test_missing_prefetch_without_a_fhir_server_gives_an_error_card():
    [card] = respond(request(imatinib_draft(), prefetch=False))["cards"]
    assert_valid_card(card)
    assert card["indicator"] == "info" and "could not read" in card["summary"]
    assert "no prefetch for patient" in card["detail"] and "fhirServer" in card["detail"]


def test_missing_prefetch_is_fetched_with_the_servers_token():
    resources = [r for r in E.patient_resources() if r["resourceType"] != "MedicationRequest"]
    served = prefetch_for(resources)
    calls = []

    def fetch(url, headers):
        calls.append((url, headers))
        path = url.removeprefix("https://ehr.example.org/fhir/")
        key = next(k for k, t in H.PREFETCH.items() if t.replace("{{context.patientId}}", "gist-042") == path)
        return served[key]

    body = request(imatinib_draft(), prefetch=False, server="https://ehr.example.org/fhir")
    body["prefetch"] = {"patient": served["patient"]}  # the client prefetched only the patient
    [card] = respond(body, fetch=fetch)["cards"]
    assert len(calls) == len(H.PREFETCH) - 1
    assert all(h["Authorization"] == f"Bearer {TOKEN}" for _, h in calls)
    [with_prefetch] = respond(request(imatinib_draft()))["cards"]
    assert card["summary"] == with_prefetch["summary"]


def test_a_failed_fetch_gives_an_error_card_naming_the_server_not_the_token():
    def fetch(url, headers):
        raise H.PrefetchError("FHIR server ehr.example.org answered HTTP 401 for /fhir/Observation")

    [card] = respond(request(imatinib_draft(), prefetch=False, server="https://ehr.example.org/fhir"),
                     fetch=fetch)["cards"]
    assert_valid_card(card)
    assert "HTTP 401" in card["detail"] and TOKEN not in json.dumps(card)


def test_the_default_fetcher_refuses_other_schemes_and_reports_an_unreachable_server():
    with pytest.raises(H.PrefetchError, match="scheme 'file'"):
        H.urllib_fetch("file:///etc/passwd", {})
    with socket.socket() as s:  # a loopback port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(H.PrefetchError, match=f"127.0.0.1:{port} could not be reached"):
        H.urllib_fetch(f"http://127.0.0.1:{port}/fhir/Patient/x", {}, timeout=2)


def test_a_patient_who_cannot_be_scored_gets_an_info_card_with_the_reason():
    resources = [r for r in E.patient_resources() if r.get("code", {}).get("coding", [{}])[0].get("code") != "29463-7"]
    [card] = respond(request(imatinib_draft(), resources=resources))["cards"]
    assert_valid_card(card)
    assert card["indicator"] == "info" and "no rash-risk estimate" in card["summary"]
    assert "weight_kg" in card["detail"]


def test_with_an_imatinib_level_after_the_start_the_tdm_stage_is_scored():
    resources = E.patient_resources()
    order = E.imatinib_order("imatinib-draft", status="draft")  # a re-order; the therapy started 2025-03-03
    body = request(order)
    body["prefetch"]["imatinibOrders"] = searchset([E.imatinib_order()])
    [card] = respond(body)["cards"]
    expected = score_document(bundle_to_document(E.bundle(resources)).document, "tdm")
    assert f"{100 * expected['risk']:.0f}%" in card["summary"] and "after the first trough" in card["detail"]


def test_the_card_summary_stays_within_140_characters_and_escapes_markdown():
    row = {"status": "scored", "risk": 0.1234, "risk_low": 0.0567, "risk_high": 0.2345, "band": "high",
           "baseline_risk": 0.076, "factor_1": "IL6R rs4129267 T/T *raises* risk", "warnings": "",
           "simulated_data": True}
    card = H.card(row, None, "https://r.example.org/x", {"simulated": True})
    assert len(card["summary"]) <= 140 and card["indicator"] == "warning"
    assert r"\*raises\*" in card["detail"]
    card = H.card({**row, "band": "low", "risk": 0.02}, [{"statement": "female sex: raises risk"}], None, None)
    assert card["indicator"] == "info" and "female sex" in card["detail"] and "links" not in card


def test_malformed_requests_are_refused_with_the_field():
    with pytest.raises(H.CdsRequestError, match="'hook'"):
        H.cds_response({"hook": "patient-view"}, score_document)
    body = request(imatinib_draft())
    del body["context"]["draftOrders"]
    with pytest.raises(H.CdsRequestError, match="draftOrders"):
        H.cds_response(body, score_document)


def test_a_prefetched_patient_other_than_context_patient_gives_an_error_card():
    body = request(imatinib_draft())
    body["prefetch"]["patient"]["id"] = "someone-else"
    [card] = respond(body)["cards"]
    assert "not the patient of context.patientId" in card["detail"] and "could not read" in card["summary"]


def test_no_mutation_of_a_request_raises_anything_but_a_request_error():
    import random

    from test_ehr_fhir import _mutations

    from rashrisk.errors import RashriskError

    row = {"status": "scored", "risk": 0.1, "risk_low": 0.05, "risk_high": 0.2, "band": "intermediate",
           "factor_1": "x", "warnings": "", "model": "m"}

    def fetch(url, headers):
        raise H.PrefetchError("FHIR server unreachable")

    rng = random.Random(20261203)
    base = request(imatinib_draft(), server="https://ehr.example.org/fhir")
    for _ in range(300):
        body = base
        for _ in range(rng.randint(1, 4)):
            body = _mutations(body, rng)
        try:
            response = H.cds_response(body, lambda document, stage: row, fetch=fetch)
        except RashriskError:
            continue
        for card in response["cards"]:
            assert_valid_card(card)


def test_the_default_fetcher_reads_a_loopback_fhir_server_with_the_token():
    import http.server
    import threading

    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append((self.path, self.headers.get("Authorization")))
            if self.path.startswith("/fhir/Patient/"):
                body, status = json.dumps({"resourceType": "Patient", "id": "gist-042"}).encode(), 200
            else:
                body, status = b'{"resourceType": "OperationOutcome"}', 403
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/fhir"
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/fhir+json"}
        assert H.urllib_fetch(f"{base}/Patient/gist-042", headers, timeout=5)["id"] == "gist-042"
        with pytest.raises(H.PrefetchError) as caught:
            H.urllib_fetch(f"{base}/Observation?subject=Patient/gist-042", headers, timeout=5)
        assert "HTTP 403 for a Observation request" in str(caught.value) and "gist-042" not in str(caught.value)
        assert seen[0] == ("/fhir/Patient/gist-042", f"Bearer {TOKEN}")
    finally:
        server.shutdown()
        server.server_close()


def test_a_draft_order_referring_to_a_medication_in_draft_orders_is_scored():
    order = imatinib_draft()
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": "Medication/gleevec-400"}
    body = request(order)
    body["context"]["draftOrders"]["entry"].append({"resource": {
        "resourceType": "Medication", "id": "gleevec-400", "code": {"coding": [{"system": E.RXNORM, "code": "404589"}]}}})
    [card] = respond(body)["cards"]
    [reference] = respond(request(imatinib_draft()))["cards"]
    assert card["summary"] == reference["summary"] and "Severe rash risk" in card["summary"]


def test_a_level_outside_the_landmark_window_falls_back_to_the_start_estimate_and_says_why():
    resources = E.patient_resources()
    for r in resources:
        if r["id"] == "imatinib-level-1":
            r["effectiveDateTime"] = "2025-06-20T08:00:00+02:00"   # day 109
        if r["id"] == "dose-2025-03-16":
            r["effectiveDateTime"] = "2025-06-19T08:10:00+02:00"
    body = request(E.imatinib_order("imatinib-draft", status="draft"), resources=resources)
    body["prefetch"]["imatinibOrders"] = searchset([E.imatinib_order()])
    [card] = respond(body)["cards"]
    document = bundle_to_document(E.bundle(resources)).document
    expected = score_document(document, "start")
    assert score_document(document, "tdm")["status"] == "not_scored"
    assert f"{100 * expected['risk']:.0f}%" in card["summary"] and "at imatinib start" in card["detail"]
    assert "the TDM stage could not be used (excluded: no TDM sample in the landmark window" in card["detail"]
    assert card["links"][0]["url"].endswith("/start")

"""docs/openapi.json is the document the service serves at /openapi.json. After changing an endpoint
or a schema, regenerate it with

    .venv/bin/python -m rashrisk.service.openapi docs/openapi.json
"""

import json
from pathlib import Path

from service_data import AUTH

from rashrisk.service.openapi import openapi_text

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
REGENERATE = "regenerate it: .venv/bin/python -m rashrisk.service.openapi docs/openapi.json"


def test_the_committed_openapi_document_is_the_served_one(client):
    committed = COMMITTED.read_text(encoding="utf-8")
    assert openapi_text() == committed, f"docs/openapi.json differs from the service's document; {REGENERATE}"
    served = client.get("/openapi.json", headers=AUTH)
    assert served.status_code == 200
    assert served.json() == json.loads(committed), f"/openapi.json differs from docs/openapi.json; {REGENERATE}"


def test_the_document_names_every_endpoint_and_the_bearer_scheme():
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert set(document["paths"]) == {"/health", "/v1/models", "/v1/score", "/v1/explain", "/v1/report", "/v1/fhir/score",
                                      "/cds-services", "/cds-services/{service_id}", "/v1/reports/{key}", "/v1/rechallenge"}
    assert "security" not in document["paths"]["/cds-services"]["get"]  # CDS Hooks discovery
    assert "security" not in document["paths"]["/v1/reports/{key}"]["get"]  # a capability URL
    assert document["paths"]["/cds-services/{service_id}"]["post"]["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    score = document["paths"]["/v1/score"]["post"]
    assert {"401", "413", "422"} <= set(score["responses"])

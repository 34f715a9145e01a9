"""POST /v1/score, /v1/explain, /v1/report and GET /v1/models: the values of the CLI and Python API,
every patient accounted for, the model in every response."""

from __future__ import annotations

import io

import numpy as np
import pytest

import rashrisk
from rashrisk.scoring.output import table_records

from service_data import AUTH, PATIENT, patient


def _expected(document, stage, models):
    """What `rashrisk score` writes to a .json table for this document (the same records)."""
    return table_records(rashrisk.score(document, stage, model=models[stage]))


def _without_sources(record):
    # messages name their source: 'patients (patient document)' in the API call, '(request body)' here
    return {k: v for k, v in record.items() if k not in ("warnings", "reason")}


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_one_patient_gets_the_values_of_the_score_table(client, models, stage):
    response = client.post("/v1/score", json={"stage": stage, "patient": PATIENT}, headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    expected = _expected(PATIENT, stage, models)
    assert [_without_sources(r) for r in body["results"]] == [_without_sources(r) for r in expected]
    assert body["results"][0]["warnings"] == expected[0]["warnings"].replace("(patient document)", "(request body)")
    assert body["results"][0]["status"] == "scored" and 0 < body["results"][0]["risk"] < 1
    model = models[stage]
    assert body["model"]["version"] == model.version and body["model"]["bundle_sha256"] == model.bundle_sha256
    assert body["model"]["simulated_data"] is True and body["model"]["label"] == body["results"][0]["model"]
    assert response.headers["X-Rashrisk-Model-Sha256"] == model.bundle_sha256


def test_a_batch_is_scored_as_a_cohort_and_every_patient_is_accounted_for(client, models, tmp_path):
    batch = [patient(patient_id=f"P{i:03d}", age_years=30 + i % 50, weight_kg=45 + i % 40) for i in range(12)]
    batch[3]["tdm"] = []  # no sample: excluded at the TDM landmark
    batch[5]["tdm"][0]["sample_time"] = "2025-06-17T08:00"  # outside the landmark window
    batch[5]["tdm"][0]["last_dose_time"] = "2025-06-16T08:10"
    response = client.post("/v1/score", json={"stage": "tdm", "patients": batch}, headers=AUTH)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["patient_id"] for r in results] == [p["patient_id"] for p in batch]
    status = {r["patient_id"]: (r["status"], r["reason"]) for r in results}
    assert status["P003"][0] == status["P005"][0] == "not_scored"
    assert status["P003"][1].startswith("excluded: no TDM sample") and "outside the window" in status["P005"][1]
    assert all(s == "scored" for pid, (s, _) in status.items() if pid not in ("P003", "P005"))
    # the same rows as `rashrisk score` on a cohort folder holding the same patients
    folder = _write_folder(batch, tmp_path)
    expected = table_records(rashrisk.score(folder, "tdm", model=models["tdm"]))
    assert [_without_sources(r) for r in results] == [_without_sources(r) for r in expected]
    one = [r for r in results if r["patient_id"] == "P000"][0]
    alone = client.post("/v1/score", json={"stage": "tdm", "patient": batch[0]}, headers=AUTH).json()["results"][0]
    assert one["risk"] == alone["risk"] and one["risk_low"] == alone["risk_low"]


def _write_folder(documents, folder):
    import csv

    from rashrisk.scoring.patient_json import PATIENT_FIELDS, TDM_FIELDS

    def write(name, header, rows):
        with open(folder / name, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(header)
            out.writerows(rows)

    write("patients.csv", PATIENT_FIELDS, [[d.get(f, "") for f in PATIENT_FIELDS] for d in documents])
    write("genotypes.csv", ["patient_id", "rsid", "genotype"],
          [[d["patient_id"], rsid, g] for d in documents for rsid, g in d["genotypes"].items()])
    write("tdm.csv", ["patient_id", *TDM_FIELDS],
          [[d["patient_id"], *[s.get(f, "") for f in TDM_FIELDS]] for d in documents for s in d["tdm"]])
    return folder


def test_a_batch_of_100_fits_the_default_limits(client):
    batch = [patient(patient_id=f"B{i:03d}") for i in range(100)]
    response = client.post("/v1/score", json={"stage": "start", "patients": batch}, headers=AUTH)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 100


def test_explain_is_exact_and_accounts_for_every_patient(client, models):
    batch = [PATIENT, patient(patient_id="NO-SAMPLE", tdm=[])]
    response = client.post("/v1/explain", json={"stage": "tdm", "patients": batch}, headers=AUTH)
    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["status"] == "explained" and second["status"] == "not_explained"
    assert second["reason"].startswith("excluded: no TDM sample") and second["contributions"] == []
    total = first["base_value"] + sum(c["contribution"] for c in first["contributions"])
    assert abs(total - first["model_logit"]) < 1e-9
    table = rashrisk.explain(PATIENT, "tdm", model=models["tdm"])
    assert np.allclose(sorted(c["contribution"] for c in first["contributions"]), sorted(table["contribution"]),
                       rtol=0, atol=0)
    assert response.json()["model"]["bundle_sha256"] == models["tdm"].bundle_sha256


def test_nobody_scorable_is_still_a_200_with_every_patient_and_its_reason(client):
    batch = [patient(patient_id="A", tdm=[]), patient(patient_id="B", tdm=[])]
    for path, status in (("/v1/score", "not_scored"), ("/v1/explain", "not_explained")):
        response = client.post(path, json={"stage": "tdm", "patients": batch}, headers=AUTH)
        assert response.status_code == 200, (path, response.text)
        results = response.json()["results"]
        assert [(r["patient_id"], r["status"]) for r in results] == [("A", status), ("B", status)]
        assert all(r["reason"].startswith("excluded: no TDM sample") for r in results)


def test_report_json_html_and_pdf(client, models):
    body = {"stage": "tdm", "patient": patient(skin={"rash_grade": 3, "fever": True})}
    data = client.post("/v1/report?format=json", json=body, headers=AUTH)
    assert data.status_code == 200, data.text
    report = data.json()["report"]
    expected = rashrisk.report("GIST-042", patient(), "tdm", model=models["tdm"], start_model=models["start"],
                               skin={"rash_grade": 3, "fever": True})
    assert report["risk"] == expected["risk"] and report["skin"]["pathway"] == "stop"
    assert data.json()["model"]["version"] == models["tdm"].version
    html = client.post("/v1/report?format=html", json=body, headers=AUTH)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Research use only" in html.text and html.headers["X-Rashrisk-Model"] == models["tdm"].label
    pdf = client.post("/v1/report?format=pdf", json=body, headers=AUTH)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "GIST-042" in text and pdf.headers["X-Rashrisk-Model-Sha256"] == models["tdm"].bundle_sha256


def test_report_of_a_patient_who_cannot_be_scored_is_a_422_with_the_reason(client):
    response = client.post("/v1/report", json={"stage": "tdm", "patient": patient(tdm=[])}, headers=AUTH)
    assert response.status_code == 422
    assert "cannot be scored at the tdm stage: no TDM sample in the landmark window" in response.json()["detail"][0]["msg"]


def test_models_names_both_stages(client, models):
    body = client.get("/v1/models", headers=AUTH).json()["models"]
    assert {s: m["bundle_sha256"] for s, m in body.items()} == {s: models[s].bundle_sha256 for s in ("start", "tdm")}
    assert body["tdm"]["source"] == "embedded default bundle (test)"


def test_concurrent_requests_get_the_answers_of_sequential_ones(client):
    """The handlers run in a thread pool over the shared models: answers do not depend on what runs beside."""
    from concurrent.futures import ThreadPoolExecutor

    bodies = [("/v1/score", {"stage": stage, "patient": patient(patient_id=f"C{i}", age_years=40 + i,
                                                               weight_kg=50 + 3 * i)})
              for i in range(6) for stage in ("start", "tdm")]
    bodies += [("/v1/explain", {"stage": "tdm", "patient": patient(patient_id="E1", weight_kg=81)})]
    sequential = [client.post(path, json=body, headers=AUTH).json() for path, body in bodies]
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(lambda item: client.post(item[0], json=item[1], headers=AUTH).json(), bodies * 2))
    assert concurrent == sequential * 2

"""Shared data of the service tests: the token and the one-patient document of docs/reports.md."""

from __future__ import annotations

import copy

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# the one-patient document of docs/reports.md
PATIENT = {
    "patient_id": "GIST-042", "sex": "F", "age_years": 61, "weight_kg": 52, "height_cm": 158,
    "albumin_g_l": 39, "ancestry": "EAS", "setting": "adjuvant", "start_dose_mg": 400,
    "start_date": "2025-03-03",
    "genotypes": {"rs4129267": "T/T", "rs2231142": "G/T", "rs1045642": "./."},
    "tdm": [{"sample_time": "2025-03-17T08:00", "last_dose_time": "2025-03-16T08:10",
             "dose_mg": 400, "concentration": 2150, "unit": "ng/mL"}],
}


def patient(**changes) -> dict:
    document = copy.deepcopy(PATIENT)
    document.update(changes)
    return document


def make_client(served, **settings):
    from fastapi.testclient import TestClient

    from rashrisk.service.app import create_app
    from rashrisk.service.settings import ServiceSettings

    settings.setdefault("token", TOKEN)
    return TestClient(create_app(ServiceSettings(**settings), served))

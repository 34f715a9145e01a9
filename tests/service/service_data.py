"""Shared data of the service tests: the token and the one-patient document of docs/reports.md."""

from __future__ import annotations

import copy

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

# the one-patient document of docs/reports.md (the OpenAPI example too)
from rashrisk.service.schemas import EXAMPLE_PATIENT as PATIENT  # noqa: E402


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

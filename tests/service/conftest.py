"""The service in process (FastAPI's TestClient, no socket) with the embedded default models."""

from __future__ import annotations

import pytest

from service_data import TOKEN


@pytest.fixture(scope="session")
def served(models):
    from rashrisk.service.state import ServedModels

    return ServedModels(start=models["start"], tdm=models["tdm"],
                        sources={"start": "embedded default bundle (test)", "tdm": "embedded default bundle (test)"})


def make_client(served, **settings):
    from fastapi.testclient import TestClient

    from rashrisk.service.app import create_app
    from rashrisk.service.settings import ServiceSettings

    settings.setdefault("token", TOKEN)
    return TestClient(create_app(ServiceSettings(**settings), served))


@pytest.fixture(scope="module")
def client(served):
    with make_client(served) as c:
        yield c

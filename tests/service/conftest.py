"""The service in process (FastAPI's TestClient, no socket) with the embedded default models."""

from __future__ import annotations

import pytest

from service_data import make_client


@pytest.fixture(scope="session")
def served(models):
    from rashrisk.service.state import ServedModels

    return ServedModels(start=models["start"], tdm=models["tdm"],
                        sources={"start": "embedded default bundle (test)", "tdm": "embedded default bundle (test)"})


@pytest.fixture(scope="module")
def client(served):
    with make_client(served) as c:
        yield c

"""A stand-alone application around the clinician page, for tests and local development:

    uvicorn --factory rashrisk.clinic.app:create_clinic_app --host 127.0.0.1 --port 8000

The service (`rashrisk serve`) wires the same router into its own application instead.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from rashrisk.clinic.router import router
from rashrisk.clinic.services import ClinicServices


def load_default_models(model_start=None, model_tdm=None) -> tuple[dict, dict]:
    """({stage: RiskModel}, {stage: why it was chosen}) by the resolution rules of ``rashrisk score``
    (``--model`` if given, else the registry champion, else the embedded default bundle)."""
    from rashrisk.tracking.model_source import resolve_stage_models

    return resolve_stage_models(model_start, model_tdm)


def create_clinic_app(*, models: dict | None = None, model_sources: dict | None = None,
                      check_token: Callable[[str], bool] | None = None) -> FastAPI:
    """The clinician page alone. ``models``: ``{"start": RiskModel, "tdm": RiskModel}`` (default: loaded
    as ``rashrisk score`` would); ``check_token``: None (no sign-in) or ``token -> bool``."""
    if models is None:
        models, found = load_default_models()
        model_sources = model_sources or found
    app = FastAPI(title="rashrisk clinician page", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(router)
    app.state.clinic = ClinicServices(models=models, model_sources=model_sources or {}, check_token=check_token)
    return app

"""The application factory: :func:`create_app` (tests, ``rashrisk serve`` with one worker) and
:func:`create_app_from_environment` (each uvicorn worker process of ``rashrisk serve --workers N``)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI

from rashrisk._version import __version__
from rashrisk.clinic import router as clinic_router
from rashrisk.service import errors
from rashrisk.service.auth import BearerTokenMiddleware, is_public
from rashrisk.service.limits import BodySizeLimitMiddleware
from rashrisk.service.logs import RequestLogMiddleware
from rashrisk.service.ehr_routes import router as ehr_router
from rashrisk.service.rechallenge_routes import router as rechallenge_router
from rashrisk.service.report_links import ReportLinks
from rashrisk.service.routes import router
from rashrisk.service.settings import ServiceSettings, settings_from_environment
from rashrisk.service.state import (STATE_KEY, ModelHeadersMiddleware, ServedModels, load_served_models,
                                    set_served_models)

DESCRIPTION = """Severe imatinib skin rash risk for GIST patients: scores, exact explanations and
clinician reports over HTTP (docs/service.md). Decision support for research use, not a medical
device; the embedded default models were trained on simulated data and every response says so
(`simulated_data`).

Every path except `GET /health`, CDS Hooks discovery (`GET /cds-services`), a CDS card's report link
(`GET /v1/reports/{key}`, a capability URL) and the clinician page (its own sign-in and session
cookie) needs `Authorization: Bearer <token>`."""


def create_app(settings: ServiceSettings, models: ServedModels | None = None, *, load_models: bool = True) -> FastAPI:
    """The service. ``models``: already loaded (``rashrisk serve`` resolves them before it starts, so that
    a store that cannot be read stops it with one message); else they are loaded by the rules of
    ``rashrisk score`` when the application starts (its lifespan), unless ``load_models`` is False (the
    service then answers 503 until :func:`rashrisk.service.state.set_served_models` is called)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if getattr(app.state, STATE_KEY, None) is None and load_models:
            set_served_models(app, load_served_models(settings.start_model, settings.tdm_model))
        yield

    app = FastAPI(title="rashrisk", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None)  # the interactive pages load scripts from the internet
    app.state.settings = settings
    app.state.report_links = ReportLinks(settings.report_dir, settings.report_link_ttl_s)
    set_served_models(app, models)
    app.include_router(router)
    app.include_router(ehr_router)
    app.include_router(rechallenge_router)
    app.include_router(clinic_router, include_in_schema=False)  # browser pages, not an API
    errors.install(app)
    # outermost first on the way in: the request log, then the token, then the body limit, then the
    # model headers (on every answer of an authenticated request, errors included)
    app.add_middleware(ModelHeadersMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(BearerTokenMiddleware, token=None if settings.no_auth else settings.token)
    app.add_middleware(RequestLogMiddleware)
    app.openapi = lambda: openapi_document(app)
    return app


def openapi_document(app: FastAPI) -> dict:
    """The OpenAPI document, with the bearer scheme on every operation that needs it (auth.is_public)."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "RASHRISK_API_TOKEN or --token-file"}}
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                if not is_public(method, path):
                    operation["security"] = [{"bearer": []}]
        app.openapi_schema = schema
    return app.openapi_schema


def create_app_from_environment() -> FastAPI:
    """The application of one worker process: settings from ``RASHRISK_SERVE_SETTINGS``, models loaded
    at start-up."""
    return create_app(settings_from_environment())

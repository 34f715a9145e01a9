"""The models a service loaded at start-up, kept on ``app.state``, and the one accessor routers use.

A later router (FHIR, CDS Hooks) gets them with::

    from rashrisk.service.state import served_models
    models = served_models(request)     # ServedModels; 503 while the models are not loaded
    models.for_stage("tdm")             # the RiskModel that scores that stage
"""

from __future__ import annotations

from dataclasses import dataclass

from rashrisk.errors import RashriskError
from rashrisk.stages import STAGES
from rashrisk.tracking.model_source import resolve_stage_models

STATE_KEY = "rashrisk_models"


class NotReady(RashriskError):
    """The service has not loaded its models (yet): 503."""


@dataclass(frozen=True)
class ServedModels:
    start: object  # rashrisk.models.bundle.RiskModel
    tdm: object
    sources: dict  # stage -> why that model was chosen (resolve_model's source)

    def for_stage(self, stage: str):
        if stage not in STAGES:
            raise RashriskError(f"stage {stage!r}; expected one of {', '.join(STAGES)}")
        return self.start if stage == "start" else self.tdm


def load_served_models(start_model: str | None = None, tdm_model: str | None = None) -> ServedModels:
    """Both stages' models by the rules of ``rashrisk score --model`` (rashrisk.tracking.model_source)."""
    models, sources = resolve_stage_models(start_model, tdm_model)
    return ServedModels(start=models["start"], tdm=models["tdm"], sources=sources)


def model_info(model, source: str = "") -> dict:
    """What every response says about the model that answered."""
    return {"name": model.name, "stage": model.stage, "version": model.version,
            "bundle_sha256": model.bundle_sha256, "label": model.label,
            "simulated_data": bool(model.card.simulated), "source": source}


def set_served_models(app, models: ServedModels | None) -> None:
    """Serve ``models``, on the API and on the clinician page (``app.state.clinic``, whose sign-in
    checks the service's own token; no sign-in with ``--no-auth``)."""
    from rashrisk.clinic import ClinicServices
    from rashrisk.service.auth import token_matches

    setattr(app.state, STATE_KEY, models)
    settings = app.state.settings
    token = None if settings.no_auth else settings.token
    check = None if token is None else (lambda given: token_matches(f"Bearer {given}", token))
    app.state.clinic = None if models is None else ClinicServices(
        models={"start": models.start, "tdm": models.tdm}, model_sources=dict(models.sources), check_token=check)


def served_models(request) -> ServedModels:
    """The models loaded at start-up (``request.app.state``); :class:`NotReady` (503) before."""
    models = getattr(request.app.state, STATE_KEY, None)
    if models is None:
        raise NotReady("the service is starting: its models are not loaded yet; retry shortly")
    return models


class ModelHeadersMiddleware:
    """Every answer of the application (errors included) names the served models in headers:
    ``X-Rashrisk-Models: start=<label>; tdm=<label>`` (name, version and bundle hash); a scoring answer
    also has ``X-Rashrisk-Model`` and ``X-Rashrisk-Model-Sha256`` for the model that answered."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_models(message):
            if message["type"] == "http.response.start":
                models = getattr(scope["app"].state, STATE_KEY, None) if "app" in scope else None
                if models is not None:
                    value = f"start={models.start.label}; tdm={models.tdm.label}".encode("latin-1", "replace")
                    message = {**message, "headers": [*message.get("headers", []), (b"x-rashrisk-models", value)]}
            await send(message)

        return await self.app(scope, receive, send_with_models)

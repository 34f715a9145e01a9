"""Which model scores: ``--model`` (a bundle folder or a registry URI), else the registry champion,
else the embedded default bundle of the stage."""

from __future__ import annotations

from pathlib import Path

from rashrisk.errors import ModelError
from rashrisk.models.bundle import RiskModel, default_bundle_dir
from rashrisk.tracking.registry import champion_model, load_registered_model

REGISTRY_SCHEMES = ("models:/", "runs:/")


def resolve_model(stage: str | None, model: str | None = None):
    """(RiskModel, description of where it came from). ``stage`` None accepts a bundle of either stage."""
    risk_model, source, _ = resolve_model_with_uri(stage, model)
    return risk_model, source


def resolve_model_with_uri(stage: str | None, model: str | None = None):
    """:func:`resolve_model` plus the registry URI the model was loaded from (``--model`` itself, or
    ``models:/<name>@champion``), None for a bundle folder or the embedded default."""
    if model:
        if str(model).startswith(REGISTRY_SCHEMES):
            return _checked(load_registered_model(str(model)), stage, str(model)), f"registry {model}", str(model)
        if Path(model).is_dir():
            return _checked(RiskModel.load(model), stage, str(model)), f"bundle {model}", None
        raise ModelError(f"--model {model!r}: not a model bundle folder and not a registry URI "
                         f"(expected a folder written by RiskModel.save or e.g. models:/rashrisk-{stage}@champion)")
    champion, problem = _champion(stage)
    if champion is not None:
        return (_checked(champion, stage, "registry champion"), f"registry champion {champion.name} {champion.version}",
                f"models:/{champion.name}@champion")
    directory = default_bundle_dir(stage)
    source = "embedded default bundle"
    if problem:  # say so: the clinician must not be served another model than intended without knowing it
        source += f" (the model registry could not be read: {problem})"
    return _checked(RiskModel.load(directory), stage, str(directory)), source, None


def _champion(stage: str):
    """(registry champion or None, problem or ''). No registry or no champion is not a problem; an
    unreadable registry is reported (never an error: the default bundle serves)."""
    try:
        return champion_model(stage), ""
    except Exception as exc:  # noqa: BLE001 - any registry failure falls back, and is named in the source
        return None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


def _checked(model, stage: str | None, where: str):
    if stage is not None and getattr(model, "stage", stage) != stage:
        raise ModelError(f"{where} is a {model.stage}-stage model ({model.name}); --stage {stage} needs "
                         f"a rashrisk-{stage} model")
    return model

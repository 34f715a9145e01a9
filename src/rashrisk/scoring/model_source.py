"""Which model scores: ``--model`` (a bundle folder or a registry URI), else the registry champion,
else the embedded default bundle of the stage."""

from __future__ import annotations

from pathlib import Path

from rashrisk.errors import ModelError

REGISTRY_SCHEMES = ("models:/", "runs:/")


def resolve_model(stage: str | None, model: str | None = None):
    """(RiskModel, description of where it came from). ``stage`` None accepts a bundle of either stage."""
    from rashrisk.models.bundle import RiskModel, default_bundle_dir

    if model:
        if str(model).startswith(REGISTRY_SCHEMES):
            from rashrisk.tracking import load_registered_model

            return _checked(load_registered_model(str(model)), stage, str(model)), f"registry {model}"
        if Path(model).is_dir():
            return _checked(RiskModel.load(model), stage, str(model)), f"bundle {model}"
        raise ModelError(f"--model {model!r}: not a model bundle folder and not a registry URI "
                         f"(expected a folder written by RiskModel.save or e.g. models:/rashrisk-{stage}@champion)")
    champion = _champion(stage)
    if champion is not None:
        return _checked(champion, stage, "registry champion"), f"registry champion {champion.name} {champion.version}"
    directory = default_bundle_dir(stage)
    return _checked(RiskModel.load(directory), stage, str(directory)), "embedded default bundle"


def _champion(stage: str):
    """The registry champion, or None when there is no usable registry (never an error)."""
    try:
        from rashrisk.tracking import champion_model

        return champion_model(stage)
    except Exception:  # noqa: BLE001 - an unusable registry must not stop scoring: the default bundle serves
        return None


def _checked(model, stage: str | None, where: str):
    if stage is not None and getattr(model, "stage", stage) != stage:
        raise ModelError(f"{where} is a {model.stage}-stage model ({model.name}); --stage {stage} needs "
                         f"a rashrisk-{stage} model")
    return model

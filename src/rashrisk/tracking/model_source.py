"""Which model scores, and why: ``--model`` (a bundle folder, a registry URI, or ``default`` for the
embedded bundle on purpose), else the registry champion, else the embedded default bundle.

The embedded default is chosen without ``--model default`` only when no tracking store is
configured (``MLFLOW_TRACKING_URI`` unset and no database at the per-user default location), or when
the store is readable and has no champion for the stage. Any other failure (a store that is
unreadable, locked past the bounded wait or damaged; a champion that cannot be loaded or fails its
integrity check) raises a :class:`~rashrisk.errors.RashriskError` naming the store and the problem:
the CLI exits 2 and scores nobody. The *source* string returned with the model says why it was
chosen; :func:`resolution_line` adds the store for the stderr line of every scoring command.
"""

from __future__ import annotations

from pathlib import Path

from rashrisk.errors import ModelError, RashriskError
from rashrisk.models.bundle import RiskModel, STAGE_NAMES, default_bundle_dir
from rashrisk.tracking import store
from rashrisk.tracking.registry import CHAMPION, champion_version, load_registered_model

REGISTRY_SCHEMES = ("models:/", "runs:/")
DEFAULT = "default"  # --model default: the embedded bundle, on purpose


def resolve_model(stage: str | None, model: str | None = None):
    """(RiskModel, why it was chosen). ``stage`` None accepts a bundle of either stage."""
    risk_model, source, _ = resolve_model_with_uri(stage, model)
    return risk_model, source


def resolve_stage_models(start_model: str | None = None, tdm_model: str | None = None) -> tuple[dict, dict]:
    """Both stages' models by :func:`resolve_model`: ``({stage: RiskModel}, {stage: why it was chosen})``
    (what ``rashrisk serve`` and the stand-alone clinician page load at start-up)."""
    models, sources = {}, {}
    for stage, given in (("start", start_model), ("tdm", tdm_model)):
        models[stage], sources[stage] = resolve_model(stage, None if given is None else str(given))
    return models, sources


def resolve_model_with_uri(stage: str | None, model: str | None = None):
    """:func:`resolve_model` plus the registry URI the model was loaded from (``--model`` itself, or
    ``models:/<name>@champion``), None for a bundle folder or the embedded default."""
    if model:
        if str(model) == DEFAULT:
            if stage is None:
                raise ModelError("--model default needs --stage start or tdm (the embedded bundle of that stage)")
            return _embedded(stage), "embedded default bundle (--model default)", None
        if str(model).startswith(REGISTRY_SCHEMES):
            return _checked(load_registered_model(str(model)), stage, str(model)), f"registry {model}", str(model)
        if Path(model).is_dir():
            return _checked(RiskModel.load(model), stage, str(model)), f"bundle {model}", None
        raise ModelError(f"--model {model!r}: not a model bundle folder, not a registry URI and not 'default' "
                         f"(expected a folder written by RiskModel.save, e.g. models:/rashrisk-{stage or 'tdm'}@champion, "
                         "or default for the embedded bundle)")
    if stage is None:
        raise ModelError("no --model and no stage: say which model (a bundle folder or a registry URI)")
    champion, note = _champion(stage)
    if champion is not None:
        return (_checked(champion, stage, "registry champion"), note or f"registry champion {champion.name} {champion.version}",
                f"models:/{champion.name}@{CHAMPION}")
    source = "embedded default bundle" + (f" ({note})" if note else "")
    return _embedded(stage), source, None


def _champion(stage: str):
    """(champion RiskModel or None, why). None only for no configured store or a readable store
    without a champion for the stage; every other problem raises, naming the store."""
    uri = store.tracking_uri()
    path = store.sqlite_path(uri)
    if path is not None and not path.is_file():
        if store.uri_is_explicit():
            raise store.StoreError(f"the MLflow store {uri} (set by {store.ENV_URI}) does not exist: fix "
                                   f"{store.ENV_URI}, train a model into it, or score with --model default")
        return None, f"no MLflow store configured: {store.ENV_URI} is not set and {path} does not exist"
    name = STAGE_NAMES[stage]
    version = champion_version(stage)
    if version is None:
        return None, f"the MLflow store {uri} is readable and has no champion for {name}"
    registry_uri = f"models:/{name}@{CHAMPION}"
    try:
        model = load_registered_model(registry_uri)
    except RashriskError as exc:
        raise ModelError(f"the champion {registry_uri} (version {version.version}) in the MLflow store {uri} cannot be "
                         f"used: {exc}. Nobody was scored; fix or replace the champion, or score with --model default "
                         "to use the embedded bundle on purpose") from None
    return model, f"registry champion {name} version {version.version} of {uri}"


def _embedded(stage: str):
    directory = default_bundle_dir(stage)
    return _checked(RiskModel.load(directory), stage, str(directory))


def resolution_line(risk_model, source: str) -> str:
    """The stderr line of every scoring command: which model (name, version, bundle hash), why, and
    the store in use (no patient data)."""
    line = f"model: {risk_model.label}; chosen: {source}; MLflow store: {store.tracking_uri()}"
    note = store.legacy_store_note()
    return line + (f"\n{note}" if note else "")


def _checked(model, stage: str | None, where: str):
    if stage is not None and getattr(model, "stage", stage) != stage:
        raise ModelError(f"{where} is a {model.stage}-stage model ({model.name}); --stage {stage} needs "
                         f"a rashrisk-{stage} model")
    return model

"""Registered models ``rashrisk-start`` / ``rashrisk-tdm`` and the ``champion`` alias.

Champion rule: a newly registered version takes the alias ``champion`` when there is no champion
yet, when ``promote`` is set, or when it beats the current champion on the validation metric:

- trained on the same data (same cohort-file fingerprint): lower optimism-corrected log-loss (a
  proper scoring rule that rewards both discrimination and calibration);
- trained on different data (log-loss depends on the outcome prevalence, so it is not comparable
  across cohorts): higher optimism-corrected AUROC.

The figures are stored as model-version tags so that the rule and ``rashrisk models`` need only
registry calls (works the same against a remote tracking server).
"""

from __future__ import annotations

import math

import numpy as np

from rashrisk.errors import ModelError
from rashrisk.models.bundle import RiskModel, STAGE_NAMES
from rashrisk.tracking.store import client, store_exists, tracking_uri

CHAMPION = "champion"
PREFIX = "rashrisk-"
METRIC_TAGS = ("auroc", "auprc", "brier", "scaled_brier", "calibration_slope", "calibration_intercept", "ici", "log_loss")


def version_tags(result, report: dict, fingerprint: str) -> dict:
    """Model-version tags: corrected metrics (and CIs), data fingerprint, n/events, cohort, stage."""
    trained_on = result.model.card.trained_on
    y = np.asarray(result.y, dtype=float)
    tags = {"stage": str(result.stage), "rashrisk_model_version": str(result.model.version),
            "bundle_sha256": str(result.model.bundle_sha256 or ""),
            "pk_model_sha256": result.model.card.pk_model.sha256,
            "data_fingerprint": fingerprint, "cohort": str(trained_on.cohort),
            "simulated": str(bool(trained_on.simulated)).lower(),
            "n": str(int(len(y))), "events": str(int(y.sum()))}
    for name in METRIC_TAGS:
        m = (report or {}).get("metrics", {}).get(name) or {}
        for key, suffix in (("corrected", "corrected"), ("ci_low", "corrected_ci_low"), ("ci_high", "corrected_ci_high")):
            value = m.get(key)
            if isinstance(value, (int, float)) and math.isfinite(value):
                tags[f"{name}_{suffix}"] = repr(float(value))
    return tags


def _float(tags: dict, key: str) -> float | None:
    try:
        value = float(tags[key])
    except (KeyError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def compare(new: dict, old: dict) -> tuple[bool, str]:
    """Does the version with tags ``new`` beat the champion with tags ``old``? (decision, reason)."""
    same_data = bool(new.get("data_fingerprint")) and new.get("data_fingerprint") == old.get("data_fingerprint")
    if same_data:
        a, b = _float(new, "log_loss_corrected"), _float(old, "log_loss_corrected")
        if a is not None and b is not None:
            return a < b, f"same data: optimism-corrected log-loss {a:.4f} vs champion {b:.4f} (lower is better)"
    a, b = _float(new, "auroc_corrected"), _float(old, "auroc_corrected")
    if a is not None and b is not None:
        return a > b, (f"{'same' if same_data else 'different'} data: optimism-corrected AUROC {a:.4f} "
                       f"vs champion {b:.4f} (higher is better)")
    return False, "no comparable validation metric between this version and the champion"


def current_champion(mlflow_client, name: str):
    """The model version holding the champion alias, or None."""
    from mlflow.exceptions import MlflowException

    try:
        return mlflow_client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def update_champion(mlflow_client, name: str, version: str, tags: dict, *, promote: bool = False) -> dict:
    """Apply the champion rule to the new ``version``; returns {moved, champion_version, reason}."""
    champion = current_champion(mlflow_client, name)
    if promote:
        moved, reason = True, "promoted explicitly"
    elif champion is None:
        moved, reason = True, "no champion yet"
    else:
        moved, reason = compare(tags, dict(champion.tags or {}))
    if moved:
        mlflow_client.set_registered_model_alias(name, CHAMPION, version)
    return {"moved": moved, "reason": reason,
            "champion_version": str(version) if moved else (str(champion.version) if champion is not None else None)}


def load_registered_model(uri: str):
    """The RiskModel behind a registered-model URI such as ``models:/rashrisk-tdm@champion``.

    Downloads the logged model and loads its ``bundle`` artifact with :meth:`RiskModel.load` (every
    file checked against the bundle's manifest), then checks the manifest's hash against the one
    recorded when the model was logged. Nothing named in the files is imported.
    """
    import tempfile
    from pathlib import Path

    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.models import Model

    from rashrisk.tracking.pyfunc import BUNDLE_ARTIFACT, BUNDLE_METADATA

    client()
    with tempfile.TemporaryDirectory(prefix="rashrisk-model-") as tmp:
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp))
        except MlflowException as exc:
            raise ModelError(f"cannot load {uri} from the MLflow store {tracking_uri()}: {exc.message}") from None
        metadata = Model.load(str(local)).metadata or {}
        bundle = local / "artifacts" / BUNDLE_ARTIFACT
        if BUNDLE_METADATA not in metadata or not bundle.is_dir():
            raise ModelError(f"{uri} is not a rashrisk model (no rashrisk bundle inside)")
        model = RiskModel.load(bundle)
        if model.bundle_sha256 != metadata[BUNDLE_METADATA]:
            raise ModelError(f"{uri}: bundle sha256 {model.bundle_sha256[:12]} differs from the "
                             f"{str(metadata[BUNDLE_METADATA])[:12]} recorded when it was logged; refused")
        return model


def champion_model(stage: str):
    """The champion RiskModel of ``stage`` ('start' | 'tdm'), or None when there is no store or no champion."""

    if stage not in STAGE_NAMES:
        raise ModelError(f"stage {stage!r}; expected one of {', '.join(STAGE_NAMES)}")
    if not store_exists():
        return None
    name = STAGE_NAMES[stage]
    if current_champion(client(), name) is None:
        return None
    return load_registered_model(f"models:/{name}@{CHAMPION}")


def list_registered() -> list[dict]:
    """Every version of the rashrisk registered models with aliases and key metrics (newest first per model)."""

    if not store_exists():
        return []
    mlflow_client = client()
    rows = []
    for registered in mlflow_client.search_registered_models(filter_string=f"name LIKE '{PREFIX}%'"):
        aliases_by_version: dict[str, list[str]] = {}
        for alias, version in (registered.aliases or {}).items():
            aliases_by_version.setdefault(str(version), []).append(alias)
        for mv in mlflow_client.search_model_versions(f"name='{registered.name}'"):
            tags = dict(mv.tags or {})
            rows.append({
                "name": mv.name,
                "version": int(mv.version),
                "aliases": sorted(set(getattr(mv, "aliases", None) or []) | set(aliases_by_version.get(str(mv.version), []))),
                "created_ms": int(mv.creation_timestamp or 0),
                "run_id": mv.run_id,
                "status": str(mv.status),
                "stage": tags.get("stage"),
                "cohort": tags.get("cohort"),
                "simulated": tags.get("simulated") == "true",
                "n": int(tags["n"]) if tags.get("n", "").isdigit() else None,
                "events": int(tags["events"]) if tags.get("events", "").isdigit() else None,
                "model_version": tags.get("rashrisk_model_version"),
                "metrics": {key: _float(tags, key) for key in sorted(tags) if key.endswith(("_corrected", "_ci_low", "_ci_high"))},
            })
    rows.sort(key=lambda r: (r["name"], -r["version"]))
    return rows


VALIDATION_ARTIFACT = "validation/report.json"


def run_id_of(uri: str) -> str:
    """The training run behind ``models:/NAME/VERSION``, ``models:/NAME@ALIAS`` or ``runs:/RUN_ID/...``."""
    from mlflow.exceptions import MlflowException


    text = str(uri)
    if text.startswith("runs:/"):
        run_id = text[len("runs:/"):].strip("/").split("/")[0]
        if not run_id:
            raise ModelError(f"{uri}: no run id; expected runs:/RUN_ID/model")
        return run_id
    if not text.startswith("models:/"):
        raise ModelError(f"{uri}: expected a registry URI such as models:/rashrisk-tdm@champion, "
                         "models:/rashrisk-tdm/3 or runs:/RUN_ID/model")
    reference = text[len("models:/"):].strip("/")
    mlflow_client = client()
    try:
        if "@" in reference:
            name, alias = reference.split("@", 1)
            version = mlflow_client.get_model_version_by_alias(name, alias)
        else:
            name, _, number = reference.partition("/")
            if not name or not number:
                raise ModelError(f"{uri}: expected models:/NAME/VERSION or models:/NAME@ALIAS")
            version = mlflow_client.get_model_version(name, number)
    except MlflowException as exc:
        raise ModelError(f"cannot find {uri} in the MLflow store {tracking_uri()}: {exc.message}") from None
    if not version.run_id:
        raise ModelError(f"{uri} was not logged from a training run: no validation report to read")
    return str(version.run_id)


def run_validation_report(uri: str) -> dict | None:
    """The full validation report (``validation/report.json``: metrics, calibration, decision curve,
    threshold table, subgroups, sample size) of the training run behind a registry URI; None when
    that run logged none (a training with validation switched off)."""
    import json
    import tempfile
    from pathlib import Path

    from mlflow.exceptions import MlflowException


    mlflow_client = client()
    run_id = run_id_of(uri)
    with tempfile.TemporaryDirectory(prefix="rashrisk-validation-") as tmp:
        try:
            names = {a.path for a in mlflow_client.list_artifacts(run_id, "validation")}
            if VALIDATION_ARTIFACT not in names:
                return None
            local = mlflow_client.download_artifacts(run_id, VALIDATION_ARTIFACT, tmp)
        except MlflowException as exc:
            raise ModelError(f"cannot read {VALIDATION_ARTIFACT} of run {run_id} ({uri}) from {tracking_uri()}: "
                             f"{exc.message}") from None
        text = Path(local).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{VALIDATION_ARTIFACT} of run {run_id} ({uri}): not valid JSON "
                         f"(line {exc.lineno}: {exc.msg})") from None

"""One MLflow run per training: params, data fingerprint, metrics with CIs, nested candidate runs,
plots, the validation report and model card as artifacts, global explanations of the model on the
training patients (``explanations/global.json`` and PNGs: mean |contribution| per factor,
beeswarm, risk by trough and IL6R genotype), the model registered with the champion rule (see
:mod:`rashrisk.tracking.registry`).

Never logged: patient identifiers or clinical values. Params are configuration; the data is
described by file sha256 hashes and row counts only; the input example is synthetic (medians).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import time
from pathlib import Path

import numpy as np

from rashrisk.errors import RashriskError
from rashrisk.explanations import global_explanation
from rashrisk.models.plots import calibration_plot_png, decision_curve_png
from rashrisk.models.validation import validation_report_markdown
from rashrisk.tracking import hygiene
from rashrisk.tracking.registry import clip_metric
from rashrisk.tracking.store import client, experiment_id

MAX_PARAM_CHARS = 500


def flatten(data, prefix: str = "") -> dict:
    """Nested dicts/lists -> {"a.b.0": value}."""
    out = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in data):
        for i, value in enumerate(data):
            out.update(flatten(value, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = data
    return out


def mlflow_key(name: str) -> str:
    """A valid MLflow param / metric / tag key: letters, digits, ``_ - . /`` and spaces; at most 250 characters."""
    return re.sub(r"[^A-Za-z0-9_\-. /]", "_", str(name))[:250]


def _param_value(value) -> str:
    text = json.dumps(value, default=str) if isinstance(value, (list, tuple)) else str(value)
    return text if len(text) <= MAX_PARAM_CHARS else text[: MAX_PARAM_CHARS - 3] + "..."


def _finite(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) and np.isfinite(value)


def data_fingerprint(fingerprint: dict) -> str:
    """One sha256 over the cohort files' hashes (names included); empty when no file hashes."""
    files = (fingerprint or {}).get("files") or {}
    if not files:
        return ""
    return hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()


def validation_metrics(report: dict) -> dict:
    """Flat MLflow metrics from a validation report: <metric>_{apparent,optimism,corrected,ci_low,ci_high,cv}."""
    out = {}
    for name, m in (report or {}).get("metrics", {}).items():
        for key, suffix in (("apparent", "apparent"), ("optimism", "optimism"), ("corrected", "corrected"),
                            ("ci_low", "corrected_ci_low"), ("ci_high", "corrected_ci_high"), ("cross_validated", "cv")):
            if _finite(m.get(key)):
                value = float(m[key])
                if key in ("apparent", "corrected", "ci_low", "ci_high", "cross_validated"):
                    value = clip_metric(name, value)  # an interval bound never leaves the metric's range
                out[f"{name}_{suffix}"] = value
    for key in ("n", "events", "events_per_parameter"):
        if _finite((report or {}).get(key)):
            out[key] = float(report[key])
    instability = (report or {}).get("instability") or {}
    for key in ("mape_mean", "mape_p90", "band_change_share"):
        if _finite(instability.get(key)):
            out[f"instability_{key}"] = float(instability[key])
    sample = (report or {}).get("sample_size") or {}
    if _finite(sample.get("minimum_n")):
        out["riley_minimum_n"] = float(sample["minimum_n"])
    return out


def _nested_cv_metrics(nested: dict | None) -> dict:
    """Finite nested-CV figures as MLflow metrics ``nested_cv_<path>``."""
    return {mlflow_key(f"nested_cv_{key.replace('.', '_')}"): float(value)
            for key, value in flatten(nested or {}).items() if _finite(value)}


def rejected_params(trained_on: dict) -> dict:
    """MLflow params of the input rows dropped before training (the card's ``trained_on.rejected``):
    ``data.rejected.rows`` (0 when none) and ``data.rejected.<file>.<rule>`` row counts; counts only."""
    rejected = (trained_on or {}).get("rejected") or {}
    params = {"data.rejected.rows": int(rejected.get("rows", 0))}
    for file, rules in (rejected.get("rules") or {}).items():
        params.update({f"data.rejected.{file}.{rule}": int(n) for rule, n in rules.items()})
    return params


def _write_artifacts(folder: Path, result) -> None:

    report = result.validation or {}
    (folder / "validation").mkdir()
    (folder / "plots").mkdir()
    (folder / "model_card").mkdir()
    if report:
        (folder / "validation" / "report.json").write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        (folder / "validation" / "report.md").write_text(validation_report_markdown(report), encoding="utf-8")
        if report.get("calibration_curve"):
            risks = None if result.oof_proba is None else np.asarray(result.oof_proba, dtype=float)
            (folder / "plots" / "calibration.png").write_bytes(
                calibration_plot_png(report["calibration_curve"], predicted_risks=risks,
                                     title=f"{result.model.name}: calibration ({report.get('display_predictions', '')})"))
        if report.get("decision_curve"):
            (folder / "plots" / "decision_curve.png").write_bytes(
                decision_curve_png(report["decision_curve"], title=f"{result.model.name}: decision curve"))
    if getattr(result, "nested_cv", None):
        (folder / "validation" / "nested_cv.json").write_text(json.dumps(result.nested_cv, indent=2, default=str),
                                                               encoding="utf-8")


def _write_global_explanations(folder: Path, model, X, *, patient_plots: bool = False) -> float:
    """``explanations/global.json`` (aggregates: mean |contribution| per factor, ranking, base value,
    additivity error) and the aggregate PNG of :func:`rashrisk.explanations.global_explanation`
    (mean |contribution| per factor); the PNGs with one point per training patient (beeswarm, risk
    by trough and genotype) only with ``patient_plots`` (not even drawn otherwise). Returns seconds."""
    t0 = time.perf_counter()
    summary, images = global_explanation(model, X, patient_plots=patient_plots)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "global.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    for name, png in images.items():
        (folder / name).write_bytes(png)
    return time.perf_counter() - t0


def _log_candidates(mlflow, result, experiment_id: str) -> None:
    selected_label = getattr(result, "selected_label", None)
    for row in result.candidates or []:
        name = str(row.get("label") or row.get("name") or "candidate")
        with mlflow.start_run(experiment_id=experiment_id, run_name=name[:200], nested=True):
            params = {"candidate": name}
            params.update({f"param.{k}": v for k, v in flatten(row.get("params") or {}).items()})
            mlflow.log_params({mlflow_key(k): _param_value(v) for k, v in params.items()})
            metrics = {k: float(row[k]) for k in ("cv_logloss_mean", "cv_logloss_sd") if _finite(row.get(k))}
            metrics.update(_nested_cv_metrics(row.get("nested_cv")))
            if metrics:
                mlflow.log_metrics(metrics)
            mlflow.set_tag("selected", str(selected_label is not None and name == selected_label).lower())


def log_training(result, *, experiment: str | None = None, promote: bool = False, override_gate: str | None = None,
                 gate=None, patient_plots: bool = False) -> dict:
    """Log one training to MLflow and register the model; returns ids and the champion decision.

    ``patient_plots``: also log the explanation plots with one point per training patient
    (beeswarm, risk by trough and genotype); off by default, so that a run holds aggregates only.

    Returns ``{"run_id", "experiment", "experiment_id", "model_name", "version", "model_uri",
    "champion_moved", "champion_version", "reason", "gate", "cleaned"}``.

    ``gate`` (a :class:`~rashrisk.tracking.registry.ChampionGate`; default from the environment)
    applies to ``promote`` too; ``override_gate="reason"`` makes the version champion anyway, with
    the reason recorded. On a SQLite store the logging holds the store's writer lock, so concurrent
    trainings log one after the other; runs and versions of killed trainings are marked first
    (``cleaned``), and their temporary folders removed.
    """
    from rashrisk.tracking import registry
    from rashrisk.tracking.store import store_error, store_lock

    gate = gate or registry.ChampionGate.from_env()
    if override_gate is not None and not str(override_gate).strip():
        raise RashriskError("--override-gate needs a reason (recorded in the registry), e.g. "
                            "--override-gate \"external validation report 2026-11\"")
    model = result.model
    experiment = experiment or model.card.trained_on.cohort or "rashrisk"
    if not str(experiment).strip():
        raise RashriskError("MLflow experiment name is empty; pass --experiment NAME")
    hygiene.remove_orphan_temp_folders()
    mlflow_client = client(create=True)
    try:
        with store_lock(what="log a training"):
            cleaned = registry.mark_interrupted(mlflow_client)
            info = _log_training(mlflow_client, result, str(experiment), promote=promote, override_gate=override_gate,
                                 gate=gate, patient_plots=patient_plots)
    except RashriskError:
        raise
    except Exception as exc:  # noqa: BLE001 - a store failure while logging is one message naming the store
        from mlflow.exceptions import MlflowException

        if isinstance(exc, MlflowException) or type(exc).__module__.startswith(("sqlalchemy", "sqlite3")):
            raise store_error(exc, doing=f"logging {model.name} {model.version}") from None
        raise
    info["cleaned"] = cleaned
    return info


def _log_training(mlflow_client, result, experiment: str, *, promote: bool, override_gate, gate,
                  patient_plots: bool = False) -> dict:
    import mlflow

    from rashrisk.tracking import registry
    from rashrisk.tracking.pyfunc import log_risk_model

    model = result.model
    trained_on = dataclasses.asdict(model.card.trained_on)
    exp_id = experiment_id(mlflow_client, experiment)
    report = result.validation or {}
    y = np.asarray(result.y, dtype=float)
    fingerprint = result.fingerprint or {}
    combined = data_fingerprint(fingerprint)
    nested = mlflow.active_run() is not None
    with hygiene.temp_folder("mlflow") as tmp:
        bundle_dir = model.save(tmp / "bundle")
        with mlflow.start_run(experiment_id=exp_id, run_name=f"{model.name} {model.version}", nested=nested) as run:
            mlflow.set_tags({hygiene.OWNER_TAG: hygiene.owner()})
            hygiene.checkpoint("run-started")
            params = {"stage": result.stage, "model_name": model.name, "model_version": model.version,
                      "selected": getattr(result, "selected_label", result.selected), "simulated_data": trained_on.get("simulated"),
                      "n": int(len(y)), "events": int(y.sum()), "n_parameters": report.get("n_parameters"),
                      "data.fingerprint": combined}
            params.update({f"data.rows.{k}": v for k, v in (fingerprint.get("rows") or {}).items()})
            params.update(rejected_params(trained_on))
            params.update({f"config.{k}": v for k, v in flatten(result.config or {}).items()})
            mlflow.log_params({mlflow_key(k): _param_value(v) for k, v in params.items() if v is not None})
            mlflow.set_tags({mlflow_key(f"data.sha256.{name}"): digest for name, digest in (fingerprint.get("files") or {}).items()})
            mlflow.set_tags({"rashrisk.stage": result.stage, "rashrisk.cohort": str(trained_on.get("cohort", ""))})
            metrics = validation_metrics(report)
            metrics.update(_nested_cv_metrics(getattr(result, "nested_cv", None)))
            metrics.update({mlflow_key(f"seconds_{k}"): float(v) for k, v in (result.seconds or {}).items() if _finite(v)})
            artifacts = tmp / "artifacts"
            artifacts.mkdir()
            _write_artifacts(artifacts, result)
            X = getattr(getattr(result, "frame", None), "X", None)
            if X is not None and len(X):
                metrics["seconds_global_explanation"] = _write_global_explanations(
                    artifacts / "explanations", model, X, patient_plots=patient_plots)
            if metrics:
                mlflow.log_metrics(metrics)
            for name in ("card.json", "card.md"):
                if (bundle_dir / name).is_file():
                    (artifacts / "model_card" / name).write_bytes((bundle_dir / name).read_bytes())
            mlflow.log_artifacts(str(artifacts))
            _log_candidates(mlflow, result, exp_id)
            info = log_risk_model(model, bundle_dir,
                                  metadata_={"rashrisk_stage": result.stage, "rashrisk_model_version": model.version})
            hygiene.checkpoint("model-logged")
            tags = registry.version_tags(result, report, combined)
            registered = mlflow.register_model(info.model_uri, model.name, tags=tags)  # one call, tags included
            version = str(registered.version)
            hygiene.checkpoint("registered")
            decision = registry.update_champion(mlflow_client, model.name, version, tags, promote=promote,
                                                override_gate=override_gate, gate=gate)
            mlflow.set_tags({"rashrisk.registered_version": version,
                             "rashrisk.champion_moved": str(decision["moved"]).lower(),
                             "rashrisk.champion_reason": decision["reason"][:5000],
                             "rashrisk.gate": decision["gate"][:5000]})
    return {"run_id": run.info.run_id, "experiment": experiment, "experiment_id": exp_id, "model_name": model.name,
            "version": version, "model_uri": f"models:/{model.name}/{version}", "champion_moved": decision["moved"],
            "champion_version": decision["champion_version"], "reason": decision["reason"], "gate": decision["gate"]}

"""Registered models ``rashrisk-start`` / ``rashrisk-tdm``, the champion gate and the ``champion`` alias.

Champion rule, applied to a newly registered version:

1. **The gate** (:class:`ChampionGate`): the version must be better than chance with a margin its
   own uncertainty supports: the lower bound of its optimism-corrected AUROC interval above 0.5 and
   its optimism-corrected scaled Brier score above 0 (thresholds configurable). A version without
   these figures (trained without validation) fails the gate. The gate applies to ``promote`` too;
   only ``override_gate="reason"`` (``rashrisk train --override-gate REASON``) passes a failing
   version, and the reason is recorded.
2. **The comparison** with the current champion (skipped when there is none, or with ``promote``):
   trained on the same data (same cohort-file fingerprint): lower optimism-corrected log-loss (a
   proper scoring rule that rewards both discrimination and calibration); trained on different data
   (log-loss depends on the outcome prevalence, so it is not comparable across cohorts): higher
   optimism-corrected AUROC. A tie keeps the champion.

The alias moves by compare-and-set (:func:`update_champion`): on a SQLite store under the store's
writer lock, on a tracking server by re-reading the champion before and after setting it. The
decision, the gate's verdict and the reason are model-version tags (``rashrisk.champion_decision``,
``rashrisk.champion_reason``, ``rashrisk.gate``), and ``rashrisk.state`` says whether the training
that registered the version finished (``pending`` until its decision is recorded, ``complete``
after, ``interrupted`` when its process died before). The figures are model-version tags too, so
the rule and ``rashrisk models`` need only registry calls (the same against a remote server).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from rashrisk.errors import ModelError
from rashrisk.models.bundle import RiskModel, STAGE_NAMES
from rashrisk.tracking import hygiene
from rashrisk.tracking.store import StoreError, client, probe, store_error, store_lock, tracking_uri

CHAMPION = "champion"
PREFIX = "rashrisk-"
METRIC_TAGS = ("auroc", "auprc", "brier", "scaled_brier", "calibration_slope", "calibration_intercept", "ici", "log_loss")
# the range of each metric; estimates and interval bounds are clipped to it (a bootstrap interval
# of the AUPRC can otherwise reach below 0)
METRIC_RANGE = {"auroc": (0.0, 1.0), "auprc": (0.0, 1.0), "brier": (0.0, 1.0), "scaled_brier": (-math.inf, 1.0),
                "ici": (0.0, 1.0), "log_loss": (0.0, math.inf)}
STATE_TAG = "rashrisk.state"
DECISION_TAG = "rashrisk.champion_decision"
REASON_TAG = "rashrisk.champion_reason"
GATE_TAG = "rashrisk.gate"
ENV_GATE_AUROC = "RASHRISK_GATE_MIN_AUROC_CI_LOW"
ENV_GATE_BRIER = "RASHRISK_GATE_MIN_SCALED_BRIER"


def clip_metric(name: str, value: float) -> float:
    low, high = METRIC_RANGE.get(name, (-math.inf, math.inf))
    return float(min(max(value, low), high))


def version_tags(result, report: dict, fingerprint: str) -> dict:
    """Model-version tags: corrected metrics (and CIs, clipped to the metric's range), data
    fingerprint, n/events, cohort, stage, and ``rashrisk.state = pending`` until the decision."""
    trained_on = result.model.card.trained_on
    y = np.asarray(result.y, dtype=float)
    tags = {"stage": str(result.stage), "rashrisk_model_version": str(result.model.version),
            "bundle_sha256": str(result.model.bundle_sha256 or ""),
            "pk_model_sha256": result.model.card.pk_model.sha256,
            "data_fingerprint": fingerprint, "cohort": str(trained_on.cohort),
            "simulated": str(bool(trained_on.simulated)).lower(),
            "n": str(int(len(y))), "events": str(int(y.sum())), STATE_TAG: "pending"}
    for name in METRIC_TAGS:
        m = (report or {}).get("metrics", {}).get(name) or {}
        for key, suffix in (("corrected", "corrected"), ("ci_low", "corrected_ci_low"), ("ci_high", "corrected_ci_high")):
            value = m.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                tags[f"{name}_{suffix}"] = repr(clip_metric(name, float(value)))
    return tags


def _float(tags: dict, key: str) -> float | None:
    try:
        value = float(tags[key])
    except (KeyError, TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class ChampionGate:
    """A version may become champion only when ``auroc_corrected_ci_low > min_auroc_ci_low`` and
    ``scaled_brier_corrected > min_scaled_brier``."""

    min_auroc_ci_low: float = 0.5
    min_scaled_brier: float = 0.0

    @classmethod
    def from_env(cls) -> "ChampionGate":
        """Thresholds from ``RASHRISK_GATE_MIN_AUROC_CI_LOW`` / ``RASHRISK_GATE_MIN_SCALED_BRIER`` (else 0.5 / 0)."""
        values = {}
        for field_name, env, low, high in (("min_auroc_ci_low", ENV_GATE_AUROC, 0.0, 1.0),
                                           ("min_scaled_brier", ENV_GATE_BRIER, -1.0, 1.0)):
            text = os.environ.get(env, "").strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not (low <= value < high):
                raise ModelError(f"{env}={text!r}: expected a number from {low:g} to below {high:g}")
            values[field_name] = value
        return cls(**values)

    def check(self, tags: dict) -> tuple[bool, str]:
        """(passed, the verdict in words with the figures and thresholds)."""
        parts, passed = [], True
        for tag, label, missing, threshold in (
                ("auroc_corrected_ci_low", "AUROC 95% CI lower bound",
                 "no optimism-corrected AUROC interval (trained without validation?)", self.min_auroc_ci_low),
                ("scaled_brier_corrected", "scaled Brier", "no optimism-corrected scaled Brier score",
                 self.min_scaled_brier)):
            value = _float(tags, tag)
            ok = value is not None and value > threshold
            passed &= ok
            parts.append(missing if value is None else f"{label} {value:.3f} {'>' if ok else '<='} {threshold:g}")
        return passed, f"gate {'passed' if passed else 'failed'}: " + "; ".join(parts)


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


def decide(tags: dict, champion_tags: dict | None, *, promote: bool = False, override_gate: str | None = None,
           gate: ChampionGate | None = None) -> tuple[bool, str, str]:
    """(moves, reason, gate verdict) for a new version with ``tags`` against the champion's tags (None: no champion)."""
    passed, verdict = (gate or ChampionGate()).check(tags)
    if override_gate:
        return True, f"gate overridden explicitly ({override_gate.strip()[:500]}); {verdict}", verdict
    if not passed:
        return False, f"not champion: {verdict}", verdict
    if promote:
        return True, f"promoted explicitly; {verdict}", verdict
    if champion_tags is None:
        return True, f"no champion yet; {verdict}", verdict
    moved, reason = compare(tags, champion_tags)
    return moved, f"{reason}; {verdict}", verdict


def current_champion(mlflow_client, name: str):
    """The model version holding the champion alias, or None when the model or the alias does not
    exist. Any other failure (store locked, damaged, unreachable) is raised."""
    from mlflow.exceptions import MlflowException

    try:
        return mlflow_client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as exc:
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE") and "not found" in exc.message:
            return None
        raise


def _version_of(model_version) -> str | None:
    return None if model_version is None else str(model_version.version)


def _set_alias(mlflow_client, name: str, version: str) -> bool:
    """Set the champion alias; False when a concurrent writer's insert of the same alias won the race.

    A tracking server on PostgreSQL answers two simultaneous first settings of an alias with one
    unique-key violation (``registered_model_alias_pk``; seen with MLflow 3.17): the caller re-reads
    the champion and decides again instead of failing the training."""
    import random
    import time

    from mlflow.exceptions import MlflowException

    try:
        mlflow_client.set_registered_model_alias(name, CHAMPION, version)
        return True
    except MlflowException as exc:
        if "registered_model_alias" in str(exc) and ("UniqueViolation" in str(exc) or "duplicate key" in str(exc)):
            time.sleep(0.2 + random.random() * 0.3)
            return False
        raise


def update_champion(mlflow_client, name: str, version: str, tags: dict, *, promote: bool = False,
                    override_gate: str | None = None, gate: ChampionGate | None = None) -> dict:
    """Apply the champion rule to the new ``version`` by compare-and-set; record the decision on the
    version; returns {moved, champion_version, reason, gate}.

    SQLite: the whole read-decide-set runs under the store's writer lock. Tracking server: the
    champion is re-read just before setting (a changed champion is compared again) and after (a
    concurrent writer that set its version meanwhile is compared with ours, and the better one is
    set again), at most five rounds.
    """
    with store_lock(what="move the champion alias"):
        for _ in range(5):
            champion = current_champion(mlflow_client, name)
            hygiene.checkpoint("champion-read")
            moved, reason, verdict = decide(tags, None if champion is None else dict(champion.tags or {}),
                                            promote=promote, override_gate=override_gate, gate=gate)
            if not moved:
                break
            if _version_of(current_champion(mlflow_client, name)) != _version_of(champion):
                continue  # the champion changed while we decided: decide again against the new one
            mlflow_client.set_model_version_tag(name, version, DECISION_TAG, "champion")
            mlflow_client.set_model_version_tag(name, version, REASON_TAG, reason[:5000])
            mlflow_client.set_model_version_tag(name, version, GATE_TAG, verdict[:5000])
            if not _set_alias(mlflow_client, name, version):
                continue  # another writer created the alias at the same moment: re-read and decide again
            hygiene.checkpoint("alias-moved")
            if _version_of(current_champion(mlflow_client, name)) == str(version):
                break
            promote = False  # another writer set its version meanwhile: compare ours with it
        else:
            moved, reason = False, "the champion kept changing during five attempts; not moved"
        if not moved:
            mlflow_client.set_model_version_tag(name, version, DECISION_TAG, "not champion")
            mlflow_client.set_model_version_tag(name, version, REASON_TAG, reason[:5000])
            mlflow_client.set_model_version_tag(name, version, GATE_TAG, verdict[:5000])
        mlflow_client.set_model_version_tag(name, version, STATE_TAG, "complete")
        final = current_champion(mlflow_client, name)
    return {"moved": moved, "reason": reason, "gate": verdict, "champion_version": _version_of(final)}


def load_registered_model(uri: str):
    """The RiskModel behind a registered-model URI such as ``models:/rashrisk-tdm@champion``.

    Downloads the logged model and loads its ``bundle`` artifact with :meth:`RiskModel.load` (every
    file checked against the bundle's manifest), then checks the manifest's hash against the one
    recorded when the model was logged. Nothing named in the files is imported.
    """
    from pathlib import Path

    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.models import Model

    from rashrisk.tracking.pyfunc import BUNDLE_ARTIFACT, BUNDLE_METADATA

    client()
    with hygiene.temp_folder("model") as tmp:
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(tmp)))
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise ModelError(f"cannot load {uri} from the MLflow store {tracking_uri()}: {exc.message}") from None
            raise store_error(exc, doing=f"loading {uri}") from None
        except OSError as exc:
            raise ModelError(f"cannot load {uri} from the MLflow store {tracking_uri()}: its artifacts cannot be "
                             f"read ({exc.strerror or exc})") from None
        try:
            metadata = Model.load(str(local)).metadata or {}
        except Exception as exc:  # noqa: BLE001 - a damaged MLmodel file is one message
            raise ModelError(f"{uri}: its MLmodel file cannot be read ({type(exc).__name__}); refused") from None
        bundle = local / "artifacts" / BUNDLE_ARTIFACT
        if BUNDLE_METADATA not in metadata or not bundle.is_dir():
            raise ModelError(f"{uri} is not a rashrisk model (no rashrisk bundle inside)")
        try:
            model = RiskModel.load(bundle)
        except ModelError as exc:  # name the registry entry, not the temporary copy
            raise ModelError(f"{uri}: {str(exc).replace(str(bundle) + '/', 'bundle/').replace(str(bundle), 'bundle')}") from None
        if model.bundle_sha256 != metadata[BUNDLE_METADATA]:
            raise ModelError(f"{uri}: bundle sha256 {model.bundle_sha256[:12]} differs from the "
                             f"{str(metadata[BUNDLE_METADATA])[:12]} recorded when it was logged; refused")
        return model


def champion_version(stage: str):
    """The registry's champion model version of ``stage``, or None when there is no store, an empty
    store, or no champion. A store that cannot be read raises :class:`StoreError` naming it."""
    if stage not in STAGE_NAMES:
        raise ModelError(f"stage {stage!r}; expected one of {', '.join(STAGE_NAMES)}")
    if probe() in ("absent", "empty"):
        return None
    try:
        return current_champion(client(), STAGE_NAMES[stage])
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - any registry failure is one message naming the store
        raise store_error(exc, doing="looking up the champion") from None


def champion_model(stage: str):
    """The champion RiskModel of ``stage`` ('start' | 'tdm'), or None when there is no store or no
    champion. A store that cannot be read, or a champion that cannot be loaded or fails its
    integrity check, raises (a RashriskError naming the store or the model)."""
    version = champion_version(stage)
    if version is None:
        return None
    return load_registered_model(f"models:/{STAGE_NAMES[stage]}@{CHAMPION}")


def version_state(tags: dict, run_status: str | None, run_owner: str | None, *, is_champion: bool = False) -> str:
    """complete | in progress | interrupted, for a version's tags and its training run."""
    state = tags.get(STATE_TAG)
    if state in (None, "", "complete"):
        return "complete"  # versions registered before the state tag existed count as complete
    if is_champion and tags.get(DECISION_TAG) == "champion":
        return "complete"  # killed after the alias moved: the decision was made and recorded
    if state == "interrupted" or run_status in ("FAILED", "KILLED"):
        return "interrupted"
    return "interrupted" if hygiene.owner_alive(run_owner) is False else "in progress"


def list_registered() -> list[dict]:
    """Every version of the rashrisk registered models with aliases, key metrics and ``state``
    (complete, in progress, interrupted: see :func:`version_state`), newest first per model."""
    if probe() in ("absent", "empty"):
        return []
    try:
        return _list_registered(client())
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - any registry failure is one message naming the store
        raise store_error(exc, doing="listing the registered models") from None


def _list_registered(mlflow_client) -> list[dict]:
    rows = []
    for registered in mlflow_client.search_registered_models(filter_string=f"name LIKE '{PREFIX}%'"):
        aliases_by_version: dict[str, list[str]] = {}
        for alias, version in (registered.aliases or {}).items():
            aliases_by_version.setdefault(str(version), []).append(alias)
        for mv in mlflow_client.search_model_versions(f"name='{registered.name}'"):
            tags = dict(mv.tags or {})
            run_status = run_owner = None
            if tags.get(STATE_TAG) not in (None, "", "complete", "interrupted") and mv.run_id:
                run = mlflow_client.get_run(mv.run_id)
                run_status, run_owner = run.info.status, run.data.tags.get(hygiene.OWNER_TAG)
            aliases = sorted(set(getattr(mv, "aliases", None) or []) | set(aliases_by_version.get(str(mv.version), [])))
            rows.append({
                "name": mv.name,
                "version": int(mv.version),
                "aliases": aliases,
                "created_ms": int(mv.creation_timestamp or 0),
                "run_id": mv.run_id,
                "status": str(mv.status),
                "state": version_state(tags, run_status, run_owner, is_champion=CHAMPION in aliases),
                "champion_decision": tags.get(DECISION_TAG),
                "champion_reason": tags.get(REASON_TAG),
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


def interrupted_runs(mlflow_client) -> list:
    """Runs still RUNNING whose process on this machine is gone (a killed training)."""
    from mlflow.entities import ViewType

    experiments = [e.experiment_id for e in mlflow_client.search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    if not experiments:
        return []
    runs = mlflow_client.search_runs(experiments, filter_string="attributes.status = 'RUNNING'", max_results=1000)
    return [r for r in runs if hygiene.owner_alive(r.data.tags.get(hygiene.OWNER_TAG)) is False]


def mark_interrupted(mlflow_client) -> dict:
    """Mark killed trainings (call under the store's writer lock): their runs FAILED (tag
    ``rashrisk.interrupted``), their registered versions ``rashrisk.state = interrupted`` (or
    ``complete`` when the alias had already moved to them: their decision was made). Returns counts."""
    runs = interrupted_runs(mlflow_client)
    run_ids = {r.info.run_id for r in runs}
    for run in runs:
        mlflow_client.set_tag(run.info.run_id, "rashrisk.interrupted", "true: its process died before it finished")
        mlflow_client.set_terminated(run.info.run_id, status="FAILED")
    versions = 0
    for registered in mlflow_client.search_registered_models(filter_string=f"name LIKE '{PREFIX}%'"):
        champion = _version_of(current_champion(mlflow_client, registered.name))
        for mv in mlflow_client.search_model_versions(f"name='{registered.name}'"):
            tags = dict(mv.tags or {})
            if tags.get(STATE_TAG) != "pending":
                continue
            if mv.run_id not in run_ids:
                run = mlflow_client.get_run(mv.run_id)
                if run.info.status == "RUNNING" or hygiene.owner_alive(run.data.tags.get(hygiene.OWNER_TAG)) is not False:
                    continue
            if champion == str(mv.version):
                mlflow_client.set_model_version_tag(mv.name, mv.version, STATE_TAG, "complete")
            else:
                mlflow_client.set_model_version_tag(mv.name, mv.version, STATE_TAG, "interrupted")
                mlflow_client.set_model_version_tag(mv.name, mv.version, DECISION_TAG,
                                                    "not champion (training interrupted)")
            versions += 1
    return {"runs": len(runs), "versions": versions}


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
    from pathlib import Path

    from mlflow.exceptions import MlflowException

    mlflow_client = client()
    run_id = run_id_of(uri)
    with hygiene.temp_folder("validation") as tmp:
        try:
            names = {a.path for a in mlflow_client.list_artifacts(run_id, "validation")}
            if VALIDATION_ARTIFACT not in names:
                return None
            local = mlflow_client.download_artifacts(run_id, VALIDATION_ARTIFACT, str(tmp))
        except MlflowException as exc:
            raise ModelError(f"cannot read {VALIDATION_ARTIFACT} of run {run_id} ({uri}) from {tracking_uri()}: "
                             f"{exc.message}") from None
        text = Path(local).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelError(f"{VALIDATION_ARTIFACT} of run {run_id} ({uri}): not valid JSON "
                         f"(line {exc.lineno}: {exc.msg})") from None

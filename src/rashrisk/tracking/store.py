"""Where runs and artifacts go, and the MLflow client bound to it.

Default: a SQLite database ``<cwd>/mlruns/mlflow.db`` with artifacts in ``<cwd>/mlruns/artifacts``.
``MLFLOW_TRACKING_URI`` overrides; for another ``sqlite:///`` URI the artifacts go beside the
database file, for anything else (an MLflow server, e.g. backed by PostgreSQL) the server's own
artifact store is used. Only client APIs are used, never the file layout of a store.
"""

from __future__ import annotations

import os
from pathlib import Path

from rashrisk.errors import RashriskError

ENV_URI = "MLFLOW_TRACKING_URI"
STORE_DIR = "mlruns"
DB_FILE = "mlflow.db"


def tracking_uri() -> str:
    """The tracking (and registry) URI in use."""
    uri = os.environ.get(ENV_URI, "").strip()
    return uri or f"sqlite:///{Path.cwd() / STORE_DIR / DB_FILE}"


def sqlite_path(uri: str | None = None) -> Path | None:
    """The database file of a ``sqlite:///`` URI, else None."""
    uri = uri or tracking_uri()
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri[len("sqlite:///"):])


def artifact_root(uri: str | None = None) -> str | None:
    """Artifact location for new experiments: ``artifacts/`` beside a SQLite database, else None (server default)."""
    path = sqlite_path(uri)
    return None if path is None else (path.parent / "artifacts").as_uri()


def store_exists(uri: str | None = None) -> bool:
    """False only for a SQLite store whose database file does not exist yet (nothing registered)."""
    path = sqlite_path(uri)
    return path is None or path.is_file()


def client(*, create: bool = False):
    """An ``MlflowClient`` for :func:`tracking_uri` (also set as mlflow's global URIs).

    With ``create`` the folder of a SQLite database is created; without it a missing database is
    an error rather than an empty store created as a side effect.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no progress bars in CLI output
    uri = tracking_uri()
    path = sqlite_path(uri)
    if path is not None:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.is_file():
            raise RashriskError(f"no MLflow store at {path}: train a model first (`rashrisk train`) "
                                f"or set {ENV_URI} to your tracking server")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def experiment_id(mlflow_client, name: str) -> str:
    """The id of experiment ``name``, created (with :func:`artifact_root`) when missing or restored if deleted."""
    existing = mlflow_client.get_experiment_by_name(name)
    if existing is not None:
        if existing.lifecycle_stage == "deleted":
            mlflow_client.restore_experiment(existing.experiment_id)
        return existing.experiment_id
    return mlflow_client.create_experiment(name, artifact_location=artifact_root())

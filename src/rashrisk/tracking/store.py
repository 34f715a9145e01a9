"""Where runs and artifacts go, how the store is read safely, and the MLflow client bound to it.

Default: a per-user SQLite database ``$XDG_DATA_HOME/rashrisk/mlruns/mlflow.db`` (``XDG_DATA_HOME``
defaults to ``~/.local/share``) with artifacts in ``.../mlruns/artifacts``: the same store from
every working directory. ``MLFLOW_TRACKING_URI`` overrides; for another ``sqlite:///`` URI the
artifacts go beside the database file, for anything else (an MLflow server, e.g. backed by
PostgreSQL) the server's own artifact store is used. Only client APIs are used, never the file
layout of a store.

A SQLite store is shared by processes on one machine:

- every rashrisk *writer* (a training's logging, schema creation, marking interrupted runs) holds an
  exclusive lock on ``<database>.lock`` (:func:`store_lock`), so two trainings never create the
  schema or move the champion alias at the same time; the lock goes with the process (a killed
  training never leaves it held);
- every connection waits at most :func:`store_timeout_s` for SQLite's own lock (``busy_timeout``);
- a reader first probes the file (:func:`probe`: ``PRAGMA quick_check``), so a damaged or locked
  store is named in one message instead of MLflow's retries and tracebacks.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from pathlib import Path

from rashrisk.errors import ModelError

ENV_URI = "MLFLOW_TRACKING_URI"
ENV_TIMEOUT = "RASHRISK_STORE_TIMEOUT"  # seconds a reader or writer waits for a locked SQLite store
DEFAULT_TIMEOUT_S = 10.0
WRITER_LOCK_TIMEOUT_S = 600.0  # a training waits this long for another one's logging to finish
STORE_DIR = "mlruns"
DB_FILE = "mlflow.db"
LEGACY_DIR = Path(STORE_DIR)  # earlier rashrisk versions used ./mlruns of the working directory


class StoreError(ModelError):
    """The tracking store cannot be used (unreadable, locked, damaged): one message naming it."""


def default_store_dir() -> Path:
    """``$XDG_DATA_HOME/rashrisk/mlruns`` (``~/.local/share/rashrisk/mlruns``): per user, not per folder."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / "rashrisk" / STORE_DIR


def tracking_uri() -> str:
    """The tracking (and registry) URI in use."""
    uri = os.environ.get(ENV_URI, "").strip()
    return uri or f"sqlite:///{default_store_dir() / DB_FILE}"


def uri_is_explicit() -> bool:
    """True when ``MLFLOW_TRACKING_URI`` names the store (else the per-user default is used)."""
    return bool(os.environ.get(ENV_URI, "").strip())


def sqlite_path(uri: str | None = None) -> Path | None:
    """The database file of a ``sqlite:///`` URI, else None."""
    uri = uri or tracking_uri()
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri[len("sqlite:///"):].split("?", 1)[0])


def artifact_root(uri: str | None = None) -> str | None:
    """Artifact location for new experiments: ``artifacts/`` beside a SQLite database, else None (server default)."""
    path = sqlite_path(uri)
    return None if path is None else (path.parent / "artifacts").as_uri()


def legacy_store_note() -> str:
    """A note when ``./mlruns/mlflow.db`` (the old working-directory default) exists but is not the store in use."""
    legacy = (Path.cwd() / LEGACY_DIR / DB_FILE).resolve()
    current = sqlite_path()
    if legacy.is_file() and (current is None or current.resolve() != legacy):
        return (f"note: {legacy} (the store of earlier rashrisk versions) is not used; set "
                f"{ENV_URI}=sqlite:///{legacy} to use it")
    return ""


def store_timeout_s() -> float:
    """Seconds to wait for a locked SQLite store: ``RASHRISK_STORE_TIMEOUT`` or 10."""
    text = os.environ.get(ENV_TIMEOUT, "").strip()
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        raise StoreError(f"{ENV_TIMEOUT}={text!r}: expected a number of seconds, e.g. 10") from None
    if not (0 < value <= 3600):
        raise StoreError(f"{ENV_TIMEOUT}={text!r}: expected seconds between 0 and 3600")
    return value


# --- reading a SQLite store safely ------------------------------------------------------------

def describe_problem(exc: BaseException) -> str:
    """One line for a store failure: locked, damaged, unreadable, out-of-date schema, unreachable."""
    text = str(getattr(exc, "message", None) or exc)
    low = text.lower()
    if "database is locked" in low or "database table is locked" in low:
        return f"locked by another process (waited {store_timeout_s():g} s; {ENV_TIMEOUT} sets the wait)"
    if "not a database" in low or "malformed" in low or "corrupt" in low or "quick_check" in low:
        return "damaged (not a readable SQLite database: " + _first_line(text) + "); restore it from a backup"
    if "out-of-date database schema" in low or "can't locate revision" in low:
        return "written by another MLflow version (" + _first_line(text) + ")"
    if "unable to open database" in low or "permission denied" in low or "readonly" in low:
        return "cannot be opened (" + _first_line(text) + ")"
    if "connection" in low or "max retries" in low or "timed out" in low:
        return "unreachable (" + _first_line(text) + ")"
    return f"cannot be read ({type(exc).__name__}: {_first_line(text)})"


def _first_line(text: str) -> str:
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    line = re.sub(r"^\(sqlite3\.\w+\)\s*", "", line)
    return line[:200]


def store_error(exc: BaseException, uri: str | None = None, *, doing: str = "") -> StoreError:
    """A :class:`StoreError` naming the store and the problem (what was being done, when given)."""
    if isinstance(exc, StoreError):
        return exc
    where = uri or tracking_uri()
    what = f" while {doing}" if doing else ""
    return StoreError(f"the MLflow store {where} is {describe_problem(exc)}{what}")


def probe(uri: str | None = None) -> str:
    """Check a SQLite store before MLflow touches it: 'absent' (no file), 'empty' (no MLflow tables
    yet) or 'ok'; raises :class:`StoreError` when it is locked past the bounded wait or damaged.
    Anything that is not a SQLite URI answers 'remote' (the server reports its own errors)."""
    import sqlite3

    uri = uri or tracking_uri()
    path = sqlite_path(uri)
    if path is None:
        return "remote"
    if not path.is_file():
        return "absent"
    try:
        # mode=rw never creates the file; a read-write connection may roll back a hot journal left
        # by a killed writer (a read-only one would refuse the database)
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=store_timeout_s())) as db:
            check = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
            if check != ["ok"]:
                raise StoreError(f"the MLflow store {uri} is damaged (SQLite quick_check: "
                                 f"{'; '.join(map(str, check))[:200]}); restore it from a backup")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error as exc:
        raise store_error(exc, uri) from None
    return "ok" if {"experiments", "registered_models", "model_versions"} <= tables else "empty"


# --- the writer lock and the busy timeout -----------------------------------------------------

_HELD: dict[str, int] = {}  # lock files this process holds (the lock is re-entrant within a process)

@contextlib.contextmanager
def store_lock(uri: str | None = None, *, timeout_s: float = WRITER_LOCK_TIMEOUT_S, what: str = "write"):
    """Exclusive lock of a SQLite store's writers (``<database>.lock``), waited for at most
    ``timeout_s`` with backoff; a no-op for a tracking server. Released when the process dies."""
    path = sqlite_path(uri or tracking_uri())
    if path is None:
        yield
        return
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    key = str(lock_path.resolve())
    if _HELD.get(key):  # re-entered by this process (the champion update inside a training's logging)
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    with open(lock_path, "a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + timeout_s
        delay = 0.05
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip()[:100]
                    raise StoreError(f"the MLflow store {uri or tracking_uri()} is locked by another rashrisk "
                                     f"process ({holder or 'unknown'}) for more than {timeout_s:g} s; "
                                     f"cannot {what}") from None
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} ({what})\n")
            handle.flush()
            _HELD[key] = 1
            yield
        finally:
            _HELD.pop(key, None)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


_BUSY_TIMEOUT_INSTALLED = False


def _install_busy_timeout() -> None:
    """Every SQLite connection SQLAlchemy opens waits :func:`store_timeout_s` for a lock, then fails."""
    global _BUSY_TIMEOUT_INSTALLED
    if _BUSY_TIMEOUT_INSTALLED:
        return
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    def _on_connect(dbapi_connection, _record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute(f"PRAGMA busy_timeout = {int(store_timeout_s() * 1000)}")

    event.listen(Pool, "connect", _on_connect)
    _BUSY_TIMEOUT_INSTALLED = True


def _quiet_mlflow_store_logs() -> None:
    """MLflow logs a full traceback for every database error before raising it; ours is one message."""
    for name in ("mlflow.store.db.utils", "mlflow.store.db.db_types", "alembic"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def client(*, create: bool = False):
    """An ``MlflowClient`` for :func:`tracking_uri` (also set as mlflow's global URIs).

    With ``create`` the folder of a SQLite database is created and the schema, when missing, is
    created under :func:`store_lock` (two trainings on a new store never migrate it together);
    without it a missing database is an error rather than an empty store created as a side effect,
    and a locked or damaged database is a :class:`StoreError` naming it.
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # no progress bars in CLI output
    _install_busy_timeout()
    _quiet_mlflow_store_logs()
    uri = tracking_uri()
    path = sqlite_path(uri)
    if path is not None and not create and not path.is_file():
        raise StoreError(f"no MLflow store at {path}: train a model first (`rashrisk train`) "
                         f"or set {ENV_URI} to your tracking server")
    if path is not None and not create:
        probe(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    lock = store_lock(uri, what="create the store") if (path is not None and create) else contextlib.nullcontext()
    try:
        with lock:
            if path is not None and create:
                probe(uri)  # a damaged file is named, never migrated over
            mlflow_client = MlflowClient(tracking_uri=uri, registry_uri=uri)
            if path is not None:  # both stores created (schema migrated) now, inside the lock
                mlflow_client.search_experiments(max_results=1)
                mlflow_client.search_registered_models(max_results=1)
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to open the store becomes one message naming it
        raise store_error(exc, uri, doing="opening it") from None
    return mlflow_client


def experiment_id(mlflow_client, name: str) -> str:
    """The id of experiment ``name``, created (with :func:`artifact_root`) when missing or restored if deleted."""
    existing = mlflow_client.get_experiment_by_name(name)
    if existing is not None:
        if existing.lifecycle_stage == "deleted":
            mlflow_client.restore_experiment(existing.experiment_id)
        return existing.experiment_id
    from mlflow.exceptions import MlflowException

    try:
        return mlflow_client.create_experiment(name, artifact_location=artifact_root())
    except MlflowException as exc:
        # two trainings started at once against one tracking server: the other created it first
        # (RESOURCE_ALREADY_EXISTS, a unique-key violation on PostgreSQL); use that experiment
        if exc.error_code != "RESOURCE_ALREADY_EXISTS" or mlflow_client.get_experiment_by_name(name) is None:
            raise
        return mlflow_client.get_experiment_by_name(name).experiment_id

"""Which model scores, with real faults injected into a real SQLite store: a corrupted database,
a lock held by another connection, an edited or re-manifested champion artifact, a missing one.
The embedded default is used only with no store configured, a readable store without a champion,
or ``--model default``; every other case stops with exit 2 and one message naming the store."""

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from standin import training_result

pytestmark = pytest.mark.slow  # one SQLite store with two logged models, three CLI subprocesses

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def good_store(tmp_path_factory):
    """A store whose rashrisk-start has a champion (version 1) and rashrisk-tdm none."""
    root = tmp_path_factory.mktemp("resolution")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        from rashrisk import tracking

        info = tracking.log_training(training_result(stage="start", auroc=0.70, log_loss=0.25))
        assert info["champion_moved"]
    return root


@pytest.fixture
def store(good_store, tmp_path, monkeypatch):
    """A private copy of the good store (the database; artifacts are shared read-only) in use."""
    db = tmp_path / "mlflow.db"
    shutil.copy(good_store / "mlflow.db", db)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{db}")
    monkeypatch.setenv("RASHRISK_STORE_TIMEOUT", "0.5")
    return db


def cli(args, capsys):
    """The real entry point in-process: (exit code, stdout, stderr)."""
    from rashrisk.cli.main import run

    old = sys.argv
    sys.argv = ["rashrisk", *args]
    try:
        run()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.argv = old
    out = capsys.readouterr()
    return code, out.out, out.err


def score_args(cohort_dir, tmp_path, stage="start", *extra):
    return ["score", str(cohort_dir), "--stage", stage, "--out", str(tmp_path / "scores.csv"), *extra]


def champion_bundle(good_store) -> Path:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{good_store / 'mlflow.db'}")
    version = client.get_model_version_by_alias("rashrisk-start", "champion")
    return next(good_store.glob("artifacts/models/*/artifacts/artifacts/bundle")) if version else None


def test_champion_is_used_and_named_with_the_store(store):
    from rashrisk.tracking.model_source import resolution_line, resolve_model

    model, source = resolve_model("start")
    assert model.version == "0.1.0+test"
    assert source == f"registry champion rashrisk-start version 1 of sqlite:///{store}"
    line = resolution_line(model, source)
    assert model.label in line and f"MLflow store: sqlite:///{store}" in line


def test_readable_store_without_champion_falls_back_and_says_why(store, cohort_dir, tmp_path, capsys):
    code, out, err = cli(score_args(cohort_dir, tmp_path, "tdm"), capsys)
    assert code == 0, err
    reason = f"embedded default bundle (the MLflow store sqlite:///{store} is readable and has no champion for rashrisk-tdm)"
    assert reason in err and f"MLflow store: sqlite:///{store}" in err
    assert reason in out  # the summary line too


def test_model_default_picks_the_embedded_bundle_on_purpose(store, cohort_dir, tmp_path, capsys):
    code, out, err = cli(score_args(cohort_dir, tmp_path, "start", "--model", "default"), capsys)
    assert code == 0, err
    assert "chosen: embedded default bundle (--model default)" in err


def test_no_store_configured_uses_the_default(monkeypatch, tmp_path):
    from rashrisk.tracking.model_source import resolve_model

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    model, source = resolve_model("tdm")
    assert source.startswith("embedded default bundle (no MLflow store configured: MLFLOW_TRACKING_URI is not set")
    assert not (tmp_path / "xdg").exists()


def test_configured_store_that_does_not_exist_exits_2(monkeypatch, tmp_path, cohort_dir, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'typo.db'}")
    code, _, err = cli(score_args(cohort_dir, tmp_path), capsys)
    assert code == 2 and "typo.db (set by MLFLOW_TRACKING_URI) does not exist" in err
    assert not (tmp_path / "typo.db").exists() and not (tmp_path / "scores.csv").exists()


def test_corrupted_pages_exit_2_naming_the_store(store, cohort_dir, tmp_path, capsys):
    data = bytearray(store.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page:len(data) - page] = os.urandom(len(data) - 3 * page)  # keep the header: only pages are damaged
    store.write_bytes(bytes(data))
    for args in (score_args(cohort_dir, tmp_path), ["models"]):
        code, _, err = cli(args, capsys)
        assert code == 2, err
        assert f"the MLflow store sqlite:///{store} is damaged" in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1 or err.count("error:") == 1
    assert not (tmp_path / "scores.csv").exists()


def test_lock_held_by_another_connection_exits_2_after_the_bounded_wait(store, cohort_dir, tmp_path, capsys):
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        t0 = time.perf_counter()
        code, _, err = cli(score_args(cohort_dir, tmp_path), capsys)
        waited = time.perf_counter() - t0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 2 and f"the MLflow store sqlite:///{store} is locked by another process (waited 0.5 s" in err
    assert 0.4 < waited < 10
    code, _, err = cli(score_args(cohort_dir, tmp_path), capsys)  # free again: the champion scores
    assert code == 0 and "registry champion rashrisk-start version 1" in err


@pytest.mark.parametrize("damage", ["edit a bundle file", "edit and re-manifest", "delete the bundle"])
def test_damaged_champion_artifact_exits_2(good_store, store, cohort_dir, tmp_path, capsys, damage):
    import hashlib
    import json

    bundle = champion_bundle(good_store)
    backup = tmp_path / "backup"
    shutil.copytree(bundle, backup)
    try:
        if damage == "edit a bundle file":
            (bundle / "card.md").write_text((bundle / "card.md").read_text() + "\nedited\n")
            expected = "differs from the manifest"
        elif damage == "edit and re-manifest":  # a new, self-consistent bundle under the old registry entry
            (bundle / "card.md").write_text((bundle / "card.md").read_text() + "\nedited\n")
            manifest = json.loads((bundle / "manifest.json").read_text())
            manifest["files"]["card.md"] = hashlib.sha256((bundle / "card.md").read_bytes()).hexdigest()
            (bundle / "manifest.json").write_text(json.dumps(manifest))
            expected = "recorded when it was logged; refused"
        else:
            shutil.rmtree(bundle)
            expected = "not a rashrisk model"
        code, _, err = cli(score_args(cohort_dir, tmp_path), capsys)
    finally:
        shutil.rmtree(bundle, ignore_errors=True)
        shutil.copytree(backup, bundle)
    assert code == 2, err
    assert "the champion models:/rashrisk-start@champion (version 1)" in err and f"sqlite:///{store}" in err
    assert expected in err and "--model default" in err and "Traceback" not in err
    assert not (tmp_path / "scores.csv").exists()


def _subprocess_cli(args, env):
    return subprocess.run([sys.executable, "-c", "from rashrisk.cli.main import run; run()", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_real_processes_broken_store_one_message_no_traceback(store, cohort_dir, tmp_path):
    """End to end in fresh processes (MLflow's own logging included): garbage database, a lock from
    another process, and `rashrisk models` on both."""
    env = {**os.environ, "PYTHONPATH": str(SRC), "MLFLOW_TRACKING_URI": f"sqlite:///{store}",
           "RASHRISK_STORE_TIMEOUT": "0.5"}
    locker = subprocess.Popen([sys.executable, "-c",
                               "import sqlite3, sys, time\n"
                               f"db = sqlite3.connect({str(store)!r}, isolation_level=None)\n"
                               "db.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); time.sleep(60)\n"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"
        done = _subprocess_cli(["models"], env)
    finally:
        locker.kill()
        locker.wait()
        locker.stdout.close()
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("error: the MLflow store") and "locked by another process" in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2  # one message (soft-wrapped at most once)
    store.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)  # a header, then garbage
    done = _subprocess_cli(score_args(cohort_dir, tmp_path), env)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "is damaged" in done.stderr and str(store) in done.stderr
    assert not (tmp_path / "scores.csv").exists()

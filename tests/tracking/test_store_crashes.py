"""The store under crashes and concurrency, with real processes: trainings killed with SIGKILL at
several points (the test-only checkpoint hook of rashrisk.tracking.hygiene), two trainings at once
on a new store, a champion race whose interleaving is forced, and ``train --jobs 2`` killed."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from standin import training_result

pytestmark = pytest.mark.slow  # real processes: each costs an interpreter start and the mlflow import

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1] / "src"

LOG_ONE = """
import json, sys
from standin import training_result
from rashrisk import tracking
result = training_result(stage="start", log_loss=float(sys.argv[1]), version=sys.argv[2])
# no SHAP summary and no plots: they cost seconds per process (shap, matplotlib) and no crash point needs them
result.frame = None
result.validation["calibration_curve"] = result.validation["decision_curve"] = []
info = tracking.log_training(result)
print(json.dumps({k: info[k] for k in ("version", "champion_moved", "champion_version", "reason")}))
"""


def env_for(uri: str, tmpdir: Path, **extra) -> dict:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), str(HERE)]), "MLFLOW_TRACKING_URI": uri,
            "TMPDIR": str(tmpdir), **extra}


def log_in_subprocess(uri, tmpdir, log_loss, version, **extra):
    return subprocess.Popen([sys.executable, "-c", LOG_ONE, str(log_loss), version], env=env_for(uri, tmpdir, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process, timeout=180):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


@pytest.fixture
def new_store(tmp_path, monkeypatch):
    uri = f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    return uri, tmpdir


def test_sigkill_at_each_point_leaves_a_consistent_store_and_the_next_training_cleans_up(new_store, monkeypatch):
    from mlflow.tracking import MlflowClient

    from rashrisk import tracking
    from rashrisk.tracking import list_registered

    uri, tmpdir = new_store
    first = tracking.log_training(training_result(stage="start", log_loss=0.25, version="0.1.0+first"))
    assert (first["version"], first["champion_moved"]) == ("1", True)

    def killed_at(point, log_loss, version):
        code, out, err = finish(log_in_subprocess(uri, tmpdir, log_loss, version, RASHRISK_TEST_KILL_AT=point))
        assert code == -signal.SIGKILL, err[-2000:]

    # 1. killed while logging, before registering: a RUNNING run, no version
    killed_at("run-started", 0.20, "0.1.0+run-started")
    # 2. killed after registering, before the champion decision: a pending version, never champion
    killed_at("registered", 0.20, "0.1.0+registered")
    rows = {r["version"]: r for r in list_registered()}
    assert rows[2]["state"] == "interrupted" and rows[2]["aliases"] == []
    assert rows[1]["aliases"] == ["champion"] and rows[1]["state"] == "complete"
    # 3. killed just after the alias moved: the decision was made and recorded before the alias moved
    killed_at("alias-moved", 0.21, "0.1.0+alias-moved")
    rows = {r["version"]: r for r in list_registered()}
    assert rows[3]["aliases"] == ["champion"] and rows[3]["state"] == "complete"
    assert rows[3]["champion_decision"] == "champion" and "log-loss 0.2100 vs champion 0.2500" in rows[3]["champion_reason"]
    assert tracking.champion_model("start").version == "0.1.0+alias-moved"

    # each killed training's successor marked it (runs FAILED, v2 interrupted) and removed its folder,
    # so what is left is the last kill's: one RUNNING run, one bundle copy
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("unit-cohort").experiment_id
    assert len(client.search_runs([experiment], "attributes.status = 'RUNNING'")) == 1
    assert len(client.search_runs([experiment], "attributes.status = 'FAILED'")) == 2
    leftovers = [p.name for p in tmpdir.iterdir() if p.name.startswith("rashrisk-mlflow-")]
    assert len(leftovers) == 1

    # the next training: marks the run FAILED, the champion's version complete, removes the folder
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    nxt = tracking.log_training(training_result(stage="start", log_loss=0.22, version="0.1.0+next"))
    assert nxt["cleaned"] == {"runs": 1, "versions": 1}
    assert not [p for p in tmpdir.iterdir() if p.name.startswith("rashrisk-")]
    assert client.search_runs([experiment], "attributes.status = 'RUNNING'") == []
    failed = client.search_runs([experiment], "attributes.status = 'FAILED'")
    assert len(failed) == 3 and all(r.data.tags.get("rashrisk.interrupted") for r in failed)
    # 0.22 is worse than the champion 0.21 of the version whose alias had moved: it stays champion
    assert (nxt["version"], nxt["champion_moved"], nxt["champion_version"]) == ("4", False, "3")
    rows = {r["version"]: r for r in list_registered()}
    assert [rows[v]["state"] for v in (1, 2, 3, 4)] == ["complete", "interrupted", "complete", "complete"]
    assert rows[2]["champion_decision"] == "not champion (training interrupted)"


def test_two_trainings_at_once_on_a_new_store_both_finish(new_store):
    """Both processes open the new store at the same moment: the schema is created once, under the
    store's lock; then each logs and registers its model (the same log_training as `rashrisk train`)."""
    uri, tmpdir = new_store
    processes = [log_in_subprocess(uri, tmpdir, log_loss, f"0.1.0+at-once-{i}") for i, log_loss in enumerate((0.25, 0.24))]
    results = [finish(p) for p in processes]
    for code, out, err in results:
        assert code == 0, err[-3000:]
        assert "Traceback" not in err and "alembic" not in err.lower()
    from rashrisk.tracking import list_registered

    rows = list_registered()
    assert sorted(r["version"] for r in rows) == [1, 2] and all(r["state"] == "complete" for r in rows)
    assert sorted(r["champion_decision"] for r in rows) in (["champion", "champion"], ["champion", "not champion"])
    champion = next(r for r in rows if r["aliases"] == ["champion"])
    assert champion["metrics"]["log_loss_corrected"] == pytest.approx(0.24)  # the better one, whichever came first


def test_champion_race_picks_the_better_model(new_store):
    """B (log-loss 0.22, another process) reads the champion (0.25) and is held there; A (0.20,
    better, this process) then logs. A read-then-set without compare-and-set lets B, waking up
    last, overwrite A: the worse model."""
    from rashrisk import tracking

    uri, tmpdir = new_store
    tracking.log_training(training_result(stage="start", log_loss=0.25, version="0.1.0+base"))
    marks = tmpdir / "checkpoints.log"
    b = log_in_subprocess(uri, tmpdir, 0.22, "0.1.0+worse", RASHRISK_TEST_PAUSE_AT="champion-read=2",
                          RASHRISK_TEST_CHECKPOINT_LOG=str(marks))
    deadline = time.monotonic() + 120
    while not (marks.is_file() and "champion-read" in marks.read_text()):
        assert b.poll() is None and time.monotonic() < deadline, "B never reached the champion read"
        time.sleep(0.1)
    better = tracking.log_training(training_result(stage="start", log_loss=0.20, version="0.1.0+better"))  # A, here
    code_b, out_b, err_b = finish(b)
    assert code_b == 0, err_b[-2000:]
    assert tracking.champion_model("start").version == "0.1.0+better"
    worse = json.loads(out_b.strip().splitlines()[-1])
    assert better["champion_moved"] and better["champion_version"] == better["version"]
    assert worse["champion_moved"] is False or int(worse["version"]) < int(better["version"])


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[-1].split()[1]) == pid and b"spawn_main" in cmdline:
                out.append(int(entry.name))
    return out


def _gone(pid: int) -> bool:
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]) == "Z"
    except OSError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to find the workers")
def test_killed_train_jobs_2_leaves_no_workers(tmp_path, cohort_for_training):
    slow = tmp_path / "slow.toml"
    slow.write_text(cohort_for_training["config"].read_text().replace("validation_bootstrap = 3",
                                                                      "validation_bootstrap = 2000"))
    parent = subprocess.Popen([sys.executable, "-c", "from rashrisk.cli.main import run; run()", "train",
                               str(cohort_for_training["folder"]), "--stage", "both", "--jobs", "2", "--no-track",
                               "--config", str(slow)], env=env_for(f"sqlite:///{tmp_path / 'x.db'}", tmp_path),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    workers = []
    while len(workers) < 2:
        assert parent.poll() is None and time.monotonic() < deadline, "the two workers never started"
        time.sleep(0.2)
        workers = _children(parent.pid)
    time.sleep(2)  # the workers are importing or training now
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 15
    while not all(_gone(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [w for w in workers if not _gone(w)]
    for w in alive:  # do not leave them behind even when the test fails
        os.kill(w, signal.SIGKILL)
    assert alive == []


@pytest.fixture(scope="module")
def cohort_for_training(tmp_path_factory):
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    root = tmp_path_factory.mktemp("crash-cohort")
    folder = root / "small"
    write_cohort(simulate_cohort(load_config(), 400, 3), folder)
    config = root / "tiny.toml"
    config.write_text("[training]\ncandidates = [\"logistic\"]\ncv_splits = 2\ncv_repeats = 1\nnested_outer_splits = 2\n"
                      "nested_inner_splits = 2\ninterval_bootstrap = 2\nvalidation_bootstrap = 3\n"
                      "validation_calibration_folds = 0\n\n[logistic]\nC = [0.1]\n")
    return {"folder": folder, "config": config}

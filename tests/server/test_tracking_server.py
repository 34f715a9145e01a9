"""rashrisk against a real MLflow tracking server on PostgreSQL, with no code change: only
``MLFLOW_TRACKING_URI=http://...`` differs from the laptop set-up.

Run by ``make test-server`` (scripts/test_server.sh starts a throw-away PostgreSQL cluster and
``mlflow server --backend-store-uri postgresql+psycopg2://... --serve-artifacts
--artifacts-destination DIR`` on loopback, and sets the environment read here); skipped otherwise,
so ``make test`` never needs a server.

Against that server: two ``rashrisk train`` processes at once (the same registered model, two
configurations, so the champion race is real), the registry and the champion rule as ``rashrisk
models --json`` reports them, ``train --promote``, ``rashrisk score`` with the registry champion
giving the same risks as the saved bundle, a plain ``mlflow.pyfunc`` load from the server, and the
privacy scan of the PostgreSQL database (every row, via pg_dump) and the artifact folder.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(os.environ.get("RASHRISK_TEST_SERVER") != "1"
                       or not os.environ.get("MLFLOW_TRACKING_URI", "").startswith("http://"),
                       reason="needs an MLflow tracking server on PostgreSQL: run `make test-server`"),
]

CONFIG = ("[training]\ncandidates = [\"logistic\"]\ncv_splits = 2\ncv_repeats = 1\nnested_outer_splits = 2\n"
          "nested_inner_splits = 2\ninterval_bootstrap = 2\nvalidation_bootstrap = 3\n"
          "validation_calibration_folds = 0\n\n[logistic]\nC = [{C}]\n")
C_VALUES = ("0.1", "1.0")  # two configurations of the same stage: two versions of rashrisk-tdm, compared by log-loss


def rashrisk(*args, cwd: Path, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-c", "from rashrisk.cli.main import run; run()", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=timeout, env={**os.environ, "TMPDIR": str(cwd)})
    if check:
        assert done.returncode == 0, f"rashrisk {' '.join(map(str, args))}: exit {done.returncode}\n{done.stderr[-4000:]}"
    return done


def start_train(cohort: Path, config: Path, save: Path, cwd: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from rashrisk.cli.main import run; run()", "train", str(cohort),
                             "--stage", "tdm", "--config", str(config), "--experiment", "server-test",
                             "--save", str(save), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env={**os.environ, "TMPDIR": str(cwd)})


def registry(cwd: Path) -> list[dict]:
    """`rashrisk models --stage tdm --json`, with each version's gate verdict (tag rashrisk.gate) added."""
    from mlflow.tracking import MlflowClient

    rows = json.loads(rashrisk("models", "--stage", "tdm", "--json", cwd=cwd).stdout)
    client = MlflowClient()
    for row in rows:
        row["gate"] = client.get_model_version(row["name"], str(row["version"])).tags.get("rashrisk.gate", "")
    return rows


def best_passing(rows: list[dict]) -> dict:
    """The version the champion rule must have chosen: passed the gate, lowest corrected log-loss (same data)."""
    passing = [r for r in rows if r["gate"].startswith("gate passed")]
    return min(passing, key=lambda r: r["metrics"]["log_loss_corrected"])


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """The cohort, two configurations, two trainings started at the same moment against the server."""
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    root = tmp_path_factory.mktemp("server")
    cohort = root / "cohort"
    write_cohort(simulate_cohort(load_config(), 400, 3), cohort)
    configs = []
    for i, c in enumerate(C_VALUES):
        configs.append(root / f"config-{i}.toml")
        configs[-1].write_text(CONFIG.format(C=c))
    started = time.monotonic()
    processes = [start_train(cohort, configs[i], root / f"bundle-{i}", root) for i in range(2)]
    outputs = [p.communicate(timeout=900) for p in processes]
    seconds = time.monotonic() - started
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, err[-4000:]
    return {"root": root, "cohort": cohort, "configs": configs, "outputs": outputs, "seconds": seconds}


@pytest.fixture(scope="module")
def promoted(work):
    """After the race: the version that lost it (or the worse one) trained again with --promote."""
    rows = registry(work["root"])
    champion = next(r for r in rows if "champion" in r["aliases"])
    loser = 0 if champion["model_version"] == _bundle_version(work["root"] / "bundle-1") else 1
    process = start_train(work["cohort"], work["configs"][loser], work["root"] / "bundle-promoted", work["root"],
                          "--promote")
    out, err = process.communicate(timeout=900)
    assert process.returncode == 0, err[-4000:]
    return {"before": rows, "champion_before": champion, "loser": loser, "stderr": err}


def _bundle_version(folder: Path) -> str:
    return json.loads((folder / "tdm" / "manifest.json").read_text())["version"]


def test_the_server_is_the_store_and_postgresql_its_backend(work):
    from rashrisk.tracking.store import sqlite_path, tracking_uri

    assert tracking_uri().startswith("http://127.0.0.1:") and sqlite_path() is None
    dump = pg_dump()
    assert "rashrisk-tdm" in dump and "server-test" in dump  # the registered model and experiment are rows in PostgreSQL
    # artifacts went through the server to its destination folder, not to the client's working directory
    artifacts = Path(os.environ["RASHRISK_TEST_SERVER_ARTIFACTS"])
    assert len(list(artifacts.rglob("bundle/manifest.json"))) == 2
    assert not [p.name for p in work["root"].iterdir() if p.name in ("mlruns", "mlartifacts", "mlflow.db")]


def test_two_trainings_at_once_both_register_and_the_better_one_is_champion(work):
    rows = registry(work["root"])
    assert sorted(r["version"] for r in rows) == [1, 2]
    assert all(r["state"] == "complete" and r["stage"] == "tdm" for r in rows), rows
    # both models are distinct (two configurations) and both were logged
    versions = {_bundle_version(work["root"] / f"bundle-{i}") for i in range(2)}
    assert {r["model_version"] for r in rows} == versions and len(versions) == 2
    # the test is only meaningful if at least one passes the gate (the simulated cohort is chosen so that both do)
    assert all(r["gate"].startswith("gate passed") for r in rows), [(r["version"], r["gate"]) for r in rows]
    champions = [r for r in rows if "champion" in r["aliases"]]
    assert len(champions) == 1
    assert champions[0]["version"] == best_passing(rows)["version"], rows
    log_losses = [r["metrics"]["log_loss_corrected"] for r in rows]
    assert log_losses[0] != log_losses[1]  # no tie: the rule, not the arrival order, decided


def test_promote_moves_the_champion_to_the_worse_model(promoted, work):
    rows = registry(work["root"])
    assert sorted(r["version"] for r in rows) == [1, 2, 3]
    new = next(r for r in rows if r["version"] == 3)
    assert new["model_version"] == _bundle_version(work["root"] / f"bundle-{promoted['loser']}")
    assert new["aliases"] == ["champion"] and new["state"] == "complete"
    assert new["metrics"]["log_loss_corrected"] > promoted["champion_before"]["metrics"]["log_loss_corrected"]
    assert "promote" in (new["champion_reason"] or "").lower(), new


def test_score_uses_the_registry_champion_and_matches_its_saved_bundle(promoted, work):
    root = work["root"]
    done = rashrisk("score", work["cohort"], "--stage", "tdm", "--out", root / "scores.csv", cwd=root)
    line = done.stderr.strip().splitlines()[0]
    uri = os.environ["MLFLOW_TRACKING_URI"]
    assert "registry champion rashrisk-tdm version 3" in line and f"MLflow store: {uri}" in line, line
    rashrisk("score", work["cohort"], "--stage", "tdm", "--out", root / "scores-bundle.csv",
             "--model", root / "bundle-promoted" / "tdm", cwd=root)
    served = pd.read_csv(root / "scores.csv").set_index("patient_id")
    local = pd.read_csv(root / "scores-bundle.csv").set_index("patient_id")
    assert len(served) == 400 and (served["status"] == "scored").sum() > 300
    assert list(served.index) == list(local.index)
    np.testing.assert_array_equal(served["risk"].to_numpy(), local["risk"].to_numpy())
    assert served["model"].nunique() == 1 and served["model"].iloc[0] == local["model"].iloc[0]


def test_plain_mlflow_loads_the_champion_from_the_server(promoted, work):
    import mlflow

    from rashrisk.models.bundle import RiskModel
    from rashrisk.tracking import champion_model

    champion = champion_model("tdm")
    saved = RiskModel.load(work["root"] / "bundle-promoted" / "tdm")
    assert champion.version == saved.version and champion.bundle_sha256 == saved.bundle_sha256
    pyfunc = mlflow.pyfunc.load_model("models:/rashrisk-tdm@champion")
    rows = pd.read_csv(work["cohort"] / "patients.csv", dtype=str, keep_default_na=False).head(5)
    for column in ("age_years", "weight_kg", "height_cm", "albumin_g_l", "start_dose_mg"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype("float64")
    out = pyfunc.predict(rows)
    assert list(out["patient_id"]) == list(rows["patient_id"]) and "risk" in out.columns


# --- privacy: the database (every row) and the artifact store hold no patient identifier ---


def pg_dump() -> str:
    done = subprocess.run([str(Path(os.environ["RASHRISK_TEST_SERVER_PG_BIN"]) / "pg_dump"), "--data-only",
                           "--no-owner"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def needles(cohort: Path) -> dict[str, str]:
    out = {}
    with (cohort / "patients.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            out[row["patient_id"]] = "patient id"
    with (cohort / "tdm.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            for column in ("sample_time", "last_dose_time"):
                out[row[column]] = f"tdm {column}"
                out[row[column].replace("T", " ")] = f"tdm {column}"
    return out


def leaks(cohort: Path) -> list[str]:
    haystacks = {"PostgreSQL (every table)": pg_dump().encode()}
    artifacts = Path(os.environ["RASHRISK_TEST_SERVER_ARTIFACTS"])
    haystacks.update({str(p.relative_to(artifacts)): p.read_bytes() for p in sorted(artifacts.rglob("*")) if p.is_file()})
    found = []
    for name, data in haystacks.items():
        for needle, what in needles(cohort).items():
            if re.search(rb"(?<![0-9A-Za-z])" + re.escape(needle.encode()) + rb"(?![0-9])", data):
                found.append(f"{name}: {what} ({needle})")
    return found


def test_no_patient_identifier_or_sample_time_on_the_server_and_no_pickle(promoted, work):
    artifacts = Path(os.environ["RASHRISK_TEST_SERVER_ARTIFACTS"])
    files = [p for p in artifacts.rglob("*") if p.is_file()]
    assert any(p.name == "card.json" for p in files) and any(p.name == "report.json" for p in files)
    assert leaks(work["cohort"]) == []
    pickles = [p for p in files if p.suffix in (".pkl", ".joblib", ".pickle")
               or p.read_bytes()[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")]
    assert pickles == []
    # the same scan finds an identifier that a run did store (a tag row in PostgreSQL): it reaches the database
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    canary = client.create_run(client.create_experiment("server-test-canary")).info.run_id
    client.set_tag(canary, "note", "SIM000007")
    client.set_terminated(canary)
    assert any(leak.startswith("PostgreSQL (every table): patient id (SIM000007)") for leak in leaks(work["cohort"]))

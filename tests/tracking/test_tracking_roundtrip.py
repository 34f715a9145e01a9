"""MLflow round trip in a temporary SQLite store: runs, registry, champion alias, fresh-process load.

The alias rule is exercised with a stand-in model (stage start) whose validation figures we set;
the fresh-process test uses a real RiskModel trained on a small simulated cohort (stage tdm).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from standin import frame, training_result

pytestmark = pytest.mark.slow  # a SQLite store, four logged models and one fresh process


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        yield {"root": root, "uri": uri}


@pytest.fixture(scope="module")
def logged(store):
    from rashrisk import tracking

    first = tracking.log_training(training_result(stage="start", auroc=0.70, log_loss=0.25))
    worse = tracking.log_training(training_result(stage="start", auroc=0.60, log_loss=0.30))
    # worse than the champion but better than chance: --promote skips the comparison, not the gate
    promoted = tracking.log_training(training_result(stage="start", auroc=0.60, log_loss=0.35, version="0.1.0+promoted"),
                                     promote=True)
    return first, worse, promoted


@pytest.fixture(scope="module")
def real_tdm(store, tmp_path_factory):
    """A real RiskModel: small simulated cohort, minimal training configuration (about 2 s)."""
    from rashrisk import tracking
    from rashrisk.models.config import LogisticGrid, TrainingConfig
    from rashrisk.models.train import train_stage
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    folder = tmp_path_factory.mktemp("cohort") / "small"
    write_cohort(simulate_cohort(load_config(), 400, 3), folder)
    config = TrainingConfig(candidates=("logistic",), cv_splits=2, cv_repeats=1, nested_outer_splits=2,
                            nested_inner_splits=2, interval_bootstrap=2, validation_bootstrap=3,
                            validation_calibration_folds=0, logistic=LogisticGrid(C=(0.1,)))
    result = train_stage(folder, "tdm", config)
    result.cohort_folder = folder
    return result, tracking.log_training(result, experiment="unit-real")


def test_champion_moves_only_when_better_or_promoted(logged):
    first, worse, promoted = logged
    assert (first["version"], first["champion_moved"], first["champion_version"]) == ("1", True, "1")
    assert (worse["version"], worse["champion_moved"], worse["champion_version"]) == ("2", False, "1")
    assert "log-loss 0.3000 vs champion 0.2500" in worse["reason"]
    assert (promoted["version"], promoted["champion_moved"]) == ("3", True)


def test_list_registered_shows_aliases_and_metrics(logged):
    from rashrisk.tracking import list_registered

    rows = [r for r in list_registered() if r["name"] == "rashrisk-start"]
    assert [(r["name"], r["version"]) for r in rows] == [("rashrisk-start", 3), ("rashrisk-start", 2), ("rashrisk-start", 1)]
    assert rows[0]["aliases"] == ["champion"] and rows[1]["aliases"] == [] and rows[2]["aliases"] == []
    assert rows[2]["metrics"]["auroc_corrected"] == pytest.approx(0.70)
    assert rows[2]["metrics"]["log_loss_corrected_ci_high"] == pytest.approx(0.30)
    assert rows[0]["simulated"] is True and rows[0]["n"] == 120


def test_run_content_has_artifacts_nested_runs_and_no_patient_identifiers(logged, store):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=store["uri"])
    run = client.get_run(logged[0]["run_id"])
    assert run.data.metrics["auroc_corrected"] == pytest.approx(0.70)
    assert run.data.metrics["auroc_corrected_ci_low"] == pytest.approx(0.65)
    assert run.data.params["data.fingerprint"] and run.data.params["data.rows.patients"] == "120"
    assert run.data.params["config.cv_splits"] == "5"
    top = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"validation", "plots", "model_card"} <= top
    files = {a.path for folder in ("validation", "plots", "model_card") for a in client.list_artifacts(run.info.run_id, folder)}
    assert {"validation/report.json", "validation/report.md", "plots/calibration.png", "plots/decision_curve.png",
            "model_card/card.json", "model_card/card.md"} <= files
    explanations = {a.path for a in client.list_artifacts(run.info.run_id, "explanations")}
    assert {"explanations/global.json", "explanations/mean_abs_contribution.png"} <= explanations
    children = client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'")
    assert [c.data.params["candidate"] for c in children] == ["logistic(C=0.1)"]
    patient_ids = set(frame().index)
    logged_text = json.dumps([run.data.params, run.data.tags])
    assert not any(pid in logged_text for pid in patient_ids)
    example = next(store["root"].glob("artifacts/models/*/artifacts/input_example.json")).read_text()
    assert not any(pid in example for pid in patient_ids)


def contract_rows(folder: Path, n: int) -> pd.DataFrame:
    """The first ``n`` patients of a cohort folder as flat contract rows, as an MLflow client would send
    them: the patients.csv fields, the IL6R genotype as letters and the patient's first TDM sample."""
    from rashrisk.contract.loader import load_cohort
    from rashrisk.explanations.phrases import genotype_with_count

    patients = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False).head(n)
    tdm = pd.read_csv(folder / "tdm.csv", dtype=str, keep_default_na=False).groupby("patient_id").head(1)
    genotypes = load_cohort(folder).genotypes
    il6r = genotypes[genotypes["rsid"] == "rs4129267"].set_index("patient_id")["alt_count"]
    rows = patients.merge(tdm, on="patient_id", how="left")
    rows["rs4129267"] = [genotype_with_count("rs4129267", int(il6r[p])) if pd.notna(il6r.get(p)) else ""
                         for p in rows["patient_id"]]
    for column in ("age_years", "weight_kg", "height_cm", "albumin_g_l", "start_dose_mg", "dose_mg", "concentration"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").astype("float64")
    return rows


def test_fresh_process_loads_champion_and_scores_contract_rows(real_tdm, store):
    """The registered pyfunc takes rows in the contract's terms, derives the troughs with the card's PK
    model and returns the same risks as `rashrisk score`; a bad row comes back not scored, with why."""
    from rashrisk.scoring.inputs import scoring_input_from_rows
    from rashrisk.scoring.score import score_input

    result, info = real_tdm
    assert (info["model_name"], info["version"], info["champion_moved"]) == ("rashrisk-tdm", "1", True)
    rows = contract_rows(result.cohort_folder, 12)
    rows.loc[3, "sex"] = "X"  # the contract's rules, with its message
    code = (
        "import json, sys, mlflow, pandas as pd\n"
        "X = pd.read_json(sys.stdin, orient='split', dtype=False, convert_dates=False)\n"
        "X = X.astype({c: 'float64' for c in X.columns if X[c].dtype.kind in 'if'})\n"
        "out = mlflow.pyfunc.load_model('models:/rashrisk-tdm@champion').predict(X)\n"
        "print(json.dumps(out.to_dict(orient='list')))\n"
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": store["uri"]}
    done = subprocess.run([sys.executable, "-c", code], input=rows.to_json(orient="split"), capture_output=True,
                          text=True, env=env, cwd=store["root"], timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = pd.DataFrame(json.loads(done.stdout.strip().splitlines()[-1]))
    assert list(out.columns) == ["patient_id", "status", "reason", "risk", "risk_low", "risk_high", "band"]
    assert list(out["patient_id"]) == list(rows["patient_id"])
    bad = out.iloc[3]
    assert bad["status"] == "not_scored" and "column sex" in bad["reason"] and "'X'" in bad["reason"]
    scored = out[out["status"] == "scored"]
    assert len(scored) >= 6 and np.all((scored["risk"] > 0) & (scored["risk"] < 1)) and scored["risk"].nunique() > 1
    expected = score_input(scoring_input_from_rows(rows), "tdm", result.model).set_index("patient_id")
    np.testing.assert_allclose(scored["risk"], expected.loc[scored["patient_id"], "risk"], rtol=1e-12)


def test_no_registered_model_file_is_a_pickle(real_tdm, logged, store):
    """Logged from code with a data-only bundle: nothing in the registry's artifacts unpickles."""
    files = [f for f in (store["root"] / "artifacts").rglob("*") if f.is_file() and "/models/" in f.as_posix()]
    assert any(f.name == "manifest.json" for f in files) and any(f.suffix == ".py" for f in files)
    pickles = [f for f in files if f.suffix in (".pkl", ".joblib", ".pickle")
               or f.read_bytes()[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05")]
    assert pickles == []
    from mlflow.tracking import MlflowClient

    version = MlflowClient(tracking_uri=store["uri"]).get_model_version("rashrisk-tdm", "1")
    assert version.tags["bundle_sha256"] == real_tdm[0].model.bundle_sha256


def test_global_explanations_are_logged_at_training_time(real_tdm, store):
    from mlflow.tracking import MlflowClient

    result, info = real_tdm
    client = MlflowClient(tracking_uri=store["uri"])
    files = {a.path: a.file_size for a in client.list_artifacts(info["run_id"], "explanations")}
    # per-patient plots (beeswarm, risk by trough) are opt-in: log_training(..., patient_plots=True)
    assert set(files) == {"explanations/global.json", "explanations/mean_abs_contribution.png"}
    folder = Path(client.download_artifacts(info["run_id"], "explanations", dst_path=str(store["root"] / "expl")))
    summary = json.loads((folder / "global.json").read_text())
    assert summary["n_patients"] == len(result.frame.X) and summary["max_additivity_error"] < 1e-6
    assert "early_trough" in summary["ranking"] and set(summary["ranking"]) == set(summary["mean_abs_contribution"])
    assert (folder / "mean_abs_contribution.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = (folder / "global.json").read_text()
    assert not any(str(pid) in text for pid in result.frame.X.index)
    assert client.get_run(info["run_id"]).data.metrics["seconds_global_explanation"] > 0


def test_load_registered_and_champion_model(logged, real_tdm):
    from rashrisk.errors import ModelError
    from rashrisk.models.bundle import RiskModel
    from rashrisk.tracking import champion_model, load_registered_model

    assert load_registered_model("models:/rashrisk-start/1").version == "0.1.0+test"
    assert champion_model("start").version == "0.1.0+promoted"
    champion = champion_model("tdm")
    assert isinstance(champion, RiskModel) and champion.version == real_tdm[0].model.version
    X = real_tdm[0].frame.X.head(5)
    assert champion.predict_proba(X) == pytest.approx(real_tdm[0].model.predict_proba(X))
    with pytest.raises(ModelError, match="cannot load models:/rashrisk-start/99"):
        load_registered_model("models:/rashrisk-start/99")


def test_run_validation_report_reads_the_training_runs_artifact(logged, real_tdm):
    from rashrisk.errors import ModelError
    from rashrisk.tracking import run_validation_report

    result, info = real_tdm
    expected = json.loads(json.dumps(result.validation, default=str))
    for uri in ("models:/rashrisk-tdm/1", "models:/rashrisk-tdm@champion", f"runs:/{info['run_id']}/model"):
        report = run_validation_report(uri)
        assert report == expected, uri
    assert report["decision_curve"] and report["subgroups"]
    assert run_validation_report("models:/rashrisk-start/2")["metrics"]["auroc"]["corrected"] == pytest.approx(0.60)
    with pytest.raises(ModelError, match="cannot find models:/rashrisk-tdm/99"):
        run_validation_report("models:/rashrisk-tdm/99")
    with pytest.raises(ModelError, match="expected a registry URI"):
        run_validation_report("rashrisk-tdm/1")


def test_model_report_from_a_registry_uri_has_decision_curve_and_subgroups(real_tdm, store, tmp_path):
    from typer.testing import CliRunner

    from rashrisk.cli.main import app
    from rashrisk.reports.model_card import NOT_AVAILABLE

    result, _ = real_tdm
    out = tmp_path / "card.html"
    done = CliRunner().invoke(app, ["model-report", "--model", "models:/rashrisk-tdm@champion", "--out", str(out)])
    assert done.exit_code == 0, done.output
    html = out.read_text()
    assert "NOT_AVAILABLE" not in html and NOT_AVAILABLE.split(";")[0] not in html
    assert "net benefit" in html and html.count("<polyline") == 3
    subgroup = result.validation["subgroups"][0]
    assert str(subgroup["level"]) in html
    # a bundle folder without a validation report still says where to find the figures
    bundle = result.model.save(tmp_path / "bundle")
    done = CliRunner().invoke(app, ["model-report", "--model", str(bundle), "--out", str(tmp_path / "b.html")])
    assert done.exit_code == 0, done.output
    assert NOT_AVAILABLE.split(";")[0] in (tmp_path / "b.html").read_text()


def test_models_command_lists_versions_and_champion(logged, store):
    from typer.testing import CliRunner

    from rashrisk.cli.main import app

    result = CliRunner().invoke(app, ["models", "--json", "--stage", "start"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output[result.output.index("["):])
    assert [(r["version"], r["aliases"]) for r in rows] == [(3, ["champion"]), (2, []), (1, [])]
    result = CliRunner().invoke(app, ["models"], env={"COLUMNS": "160"})
    assert result.exit_code == 0 and "champion" in result.output and "0.700 (0.65-0.75)" in result.output
    empty = {"MLFLOW_TRACKING_URI": f"sqlite:///{store['root'] / 'empty' / 'mlflow.db'}"}
    assert CliRunner().invoke(app, ["models"], env=empty).output.startswith("No registered rashrisk models")
    assert not (store["root"] / "empty").exists()


def test_a_model_no_better_than_chance_is_registered_but_not_promoted(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    from rashrisk import tracking

    uri = f"sqlite:///{tmp_path / 'gate' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    chance = tracking.log_training(training_result(stage="start", auroc=0.52, scaled_brier=-0.01), promote=True)
    assert (chance["version"], chance["champion_moved"], chance["champion_version"]) == ("1", False, None)
    assert tracking.champion_model("start") is None
    tags = MlflowClient(tracking_uri=uri).get_model_version("rashrisk-start", "1").tags
    assert tags["rashrisk.champion_decision"] == "not champion" and "gate failed" in tags["rashrisk.champion_reason"]
    assert tags["rashrisk.state"] == "complete"
    forced = tracking.log_training(training_result(stage="start", auroc=0.52, scaled_brier=-0.01),
                                   override_gate="reviewed by the model board, ticket 123")
    assert forced["champion_moved"] and "ticket 123" in forced["reason"]
    rows = tracking.list_registered()
    assert [(r["version"], r["aliases"], r["champion_decision"]) for r in rows] == [
        (2, ["champion"], "champion"), (1, [], "not champion")]

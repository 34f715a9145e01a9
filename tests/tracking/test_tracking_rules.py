"""Champion rule, store location and helpers without touching MLflow's database."""

import pytest

from rashrisk.errors import ModelError, RashriskError
from rashrisk.tracking import registry, store
from rashrisk.tracking.runs import data_fingerprint, flatten, mlflow_key, validation_metrics


def tags(fp="abc", auroc=None, log_loss=None):
    out = {"data_fingerprint": fp}
    if auroc is not None:
        out["auroc_corrected"] = repr(auroc)
    if log_loss is not None:
        out["log_loss_corrected"] = repr(log_loss)
    return out


@pytest.mark.parametrize("new, old, moves", [
    (tags("a", 0.60, 0.24), tags("a", 0.70, 0.25), True),  # same data: log-loss decides, even with lower AUROC
    (tags("a", 0.80, 0.26), tags("a", 0.70, 0.25), False),
    (tags("a", 0.70, 0.25), tags("a", 0.70, 0.25), False),  # a tie does not move the alias
    (tags("b", 0.72, 0.40), tags("a", 0.70, 0.25), True),  # different data: AUROC decides
    (tags("b", 0.68, 0.10), tags("a", 0.70, 0.25), False),
    (tags("", 0.75, 0.10), tags("", 0.70, 0.25), True),  # no fingerprint: not "same data"
    (tags("a"), tags("a", 0.70, 0.25), False),  # nothing comparable
])
def test_champion_rule(new, old, moves):
    assert registry.compare(new, old)[0] is moves


def test_default_store_is_per_user_and_does_not_depend_on_the_working_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    expected = f"sqlite:///{tmp_path / 'data' / 'rashrisk' / 'mlruns' / 'mlflow.db'}"
    for folder in (tmp_path / "a", tmp_path / "b"):
        folder.mkdir()
        monkeypatch.chdir(folder)
        assert store.tracking_uri() == expected
    assert store.artifact_root() == (tmp_path / "data" / "rashrisk" / "mlruns" / "artifacts").as_uri()
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert store.tracking_uri() == f"sqlite:///{tmp_path / 'home' / '.local' / 'share' / 'rashrisk' / 'mlruns' / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")
    assert store.tracking_uri() == "http://tracking.example:5000"
    assert store.artifact_root() is None  # the server decides


def test_reading_a_missing_store_creates_nothing(monkeypatch, tmp_path):
    from rashrisk.tracking import champion_model, list_registered

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'none' / 'mlflow.db'}")
    assert champion_model("tdm") is None
    assert list_registered() == []
    assert not (tmp_path / "none").exists()
    with pytest.raises(RashriskError, match="no MLflow store at"):
        store.client()
    with pytest.raises(ModelError, match="stage 'both'"):
        champion_model("both")


def test_validation_metrics_flatten_with_cis_and_skip_missing():
    report = {"n": 100, "events": 9, "events_per_parameter": 1.5, "sample_size": {"minimum_n": 800},
              "metrics": {"auroc": {"apparent": 0.8, "optimism": 0.05, "corrected": 0.75, "ci_low": 0.7,
                                    "ci_high": 0.8, "cross_validated": None}}}
    m = validation_metrics(report)
    assert m == {"auroc_apparent": 0.8, "auroc_optimism": 0.05, "auroc_corrected": 0.75, "auroc_corrected_ci_low": 0.7,
                 "auroc_corrected_ci_high": 0.8, "n": 100.0, "events": 9.0, "events_per_parameter": 1.5,
                 "riley_minimum_n": 800.0}


def test_flatten_and_fingerprint():
    assert flatten({"a": {"b": 1, "c": [1, 2]}, "d": [{"e": 3}]}) == {"a.b": 1, "a.c": [1, 2], "d.0.e": 3}
    assert data_fingerprint({}) == ""
    one = data_fingerprint({"files": {"b.csv": "2", "a.csv": "1"}})
    assert one == data_fingerprint({"files": {"a.csv": "1", "b.csv": "2"}}) and len(one) == 64
    assert one != data_fingerprint({"files": {"a.csv": "1", "b.csv": "3"}})


def test_mlflow_keys_are_sanitised():
    assert mlflow_key("data.sha256.genotypes (batch 2).vcf.gz") == "data.sha256.genotypes _batch 2_.vcf.gz"
    assert mlflow_key("config.features.n_knots") == "config.features.n_knots"
    assert len(mlflow_key("x" * 400)) == 250


def test_artifacts_are_written_when_the_smoothed_calibration_curve_has_gaps(tmp_path):
    from standin import training_result

    from rashrisk.tracking.runs import _write_artifacts

    result = training_result()
    result.validation["calibration_curve"] = [
        {"predicted": 0.04, "observed": None, "observed_low": None, "observed_high": None},
        {"predicted": 0.05, "observed": 0.06, "observed_low": 0.03, "observed_high": 0.09}]
    _write_artifacts(tmp_path, result)
    assert (tmp_path / "plots" / "calibration.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "validation" / "report.json").is_file()


def test_champion_gate_needs_the_auroc_interval_above_chance_and_a_positive_scaled_brier():
    gate = registry.ChampionGate()
    good = {"auroc_corrected_ci_low": "0.62", "scaled_brier_corrected": "0.03"}
    assert gate.check(good) == (True, "gate passed: AUROC 95% CI lower bound 0.620 > 0.5; scaled Brier 0.030 > 0")
    # the model: AUROC 0.58 (0.527-0.643), scaled Brier below 0
    passed, verdict = gate.check({"auroc_corrected_ci_low": "0.527", "scaled_brier_corrected": "-0.002"})
    assert not passed and "scaled Brier -0.002 <= 0" in verdict
    assert not gate.check({"auroc_corrected_ci_low": "0.49", "scaled_brier_corrected": "0.03"})[0]
    assert not gate.check({})[0]  # no validation figures: not champion
    assert registry.ChampionGate(min_auroc_ci_low=0.6).check(good)[0] is True
    assert registry.ChampionGate(min_auroc_ci_low=0.65).check(good)[0] is False


def test_gate_applies_to_promote_and_only_an_explicit_reason_overrides_it():
    chance = {"auroc_corrected_ci_low": "0.45", "scaled_brier_corrected": "-0.01", "log_loss_corrected": "0.1",
              "data_fingerprint": "a"}
    champion = {"log_loss_corrected": "0.3", "data_fingerprint": "a"}
    for kwargs in ({}, {"promote": True}):
        moved, reason, _ = registry.decide(chance, champion, **kwargs)
        assert not moved and reason.startswith("not champion: gate failed")
    assert not registry.decide(chance, None)[0]  # not even as the first champion
    moved, reason, _ = registry.decide(chance, champion, override_gate="external validation 2026-11")
    assert moved and reason.startswith("gate overridden explicitly (external validation 2026-11)")


def test_gate_thresholds_from_the_environment(monkeypatch):
    monkeypatch.setenv("RASHRISK_GATE_MIN_AUROC_CI_LOW", "0.55")
    monkeypatch.setenv("RASHRISK_GATE_MIN_SCALED_BRIER", "0.01")
    assert registry.ChampionGate.from_env() == registry.ChampionGate(0.55, 0.01)
    monkeypatch.setenv("RASHRISK_GATE_MIN_AUROC_CI_LOW", "high")
    with pytest.raises(ModelError, match="RASHRISK_GATE_MIN_AUROC_CI_LOW='high'"):
        registry.ChampionGate.from_env()


def test_interval_bounds_are_clipped_to_the_metric_range():
    from standin import training_result

    result = training_result()
    result.validation["metrics"]["auprc"] = {"corrected": 0.14, "ci_low": -0.038, "ci_high": 0.32}
    result.validation["metrics"]["auroc"].update(ci_high=1.04)
    tags = registry.version_tags(result, result.validation, "fp")
    assert tags["auprc_corrected_ci_low"] == "0.0" and tags["auroc_corrected_ci_high"] == "1.0"
    assert tags["rashrisk.state"] == "pending"
    metrics = validation_metrics(result.validation)
    assert metrics["auprc_corrected_ci_low"] == 0.0 and metrics["auroc_corrected_ci_high"] == 1.0


def test_a_concurrent_first_alias_insert_is_retried_not_fatal(monkeypatch):
    """PostgreSQL-backed server: two first settings of the alias at once -> one UniqueViolation
    (seen with MLflow 3.17 in make test-server). The loser re-reads, decides again, and does not fail."""
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import BAD_REQUEST, RESOURCE_DOES_NOT_EXIST

    from rashrisk.tracking import registry

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    monkeypatch.setattr("time.sleep", lambda s: None)

    class Version:
        def __init__(self, version, tags):
            self.version, self.tags = version, tags

    tags = {"auroc_corrected_ci_low": "0.6", "scaled_brier_corrected": "0.05", "log_loss_corrected": "0.2"}

    class Client:
        def __init__(self):
            self.alias, self.calls, self.tags = None, 0, {}

        def get_model_version_by_alias(self, name, alias):
            if self.alias is None:
                raise MlflowException("alias not found", error_code=RESOURCE_DOES_NOT_EXIST)
            return Version(self.alias, tags)

        def set_model_version_tag(self, name, version, key, value):
            self.tags[key] = value

        def set_registered_model_alias(self, name, alias, version):
            self.calls += 1
            if self.calls == 1:
                raise MlflowException('(psycopg2.errors.UniqueViolation) duplicate key value violates unique '
                                      'constraint "registered_model_alias_pk"', error_code=BAD_REQUEST)
            self.alias = version

    client = Client()
    out = registry.update_champion(client, "rashrisk-tdm", "2", tags)
    assert out["moved"] and out["champion_version"] == "2" and client.calls == 2
    assert client.tags["rashrisk.state"] == "complete"
    other = Client()
    other.set_registered_model_alias = lambda *a: (_ for _ in ()).throw(MlflowException("boom", error_code=BAD_REQUEST))
    with pytest.raises(MlflowException, match="boom"):
        registry.update_champion(other, "rashrisk-tdm", "2", tags)

"""Issue 4 "Done when" on a cohort the project did not generate (tests/models/foreign_cohort.py):
validate it, train both stages through the CLI into a temporary MLflow store, and compare the
trained start model on an independently generated cohort with the analysis a clinical study would
run (an unpenalised logistic regression on the raw columns)."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from rashrisk.cli.main import app

from foreign_cohort import bgzf_compress, covariate_risk, plain_design, write_foreign_cohort

TRAIN_SEED, TEST_SEED = 1, 2
N_TEST = 4000
# Fewer resamples than the default configuration (same code paths): the test checks the pipeline,
# not the precision of the optimism correction.
FAST_TOML = """[training]
nested_outer_splits = 3
interval_bootstrap = 5
validation_bootstrap = 20
"""
# Tolerances for the held-out comparison (4,000 test patients, ~300 events). The paired SE of an AUROC
# difference between two models sharing most of their signal is ~0.01 on 300 events; the training
# draw adds more (over 5 training seeds in the bench the rashrisk-minus-plain difference has an SD of
# ~0.02). 0.03 is the "few hundredths" of the issue. The Brier score is ~0.07 with a paired SE of
# ~0.0005: margin 0.002. Calibration slope: its SE on 300 events is ~0.07, so the model's slope may be
# at most 0.1 further from 1 than the plain regression's.
AUROC_TOLERANCE = 0.03
BRIER_TOLERANCE = 0.002
SLOPE_TOLERANCE = 0.10


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory):
    root = tmp_path_factory.mktemp("foreign")
    train = write_foreign_cohort(root / "site_cohort", 712, TRAIN_SEED)
    test = write_foreign_cohort(root / "site_cohort_2", N_TEST, TEST_SEED)
    return {"train": (root / "site_cohort", train), "test": (root / "site_cohort_2", test), "root": root}


@pytest.fixture(scope="module")
def trained(cohorts):
    """`rashrisk train COHORT --stage both` into a temporary SQLite MLflow store."""
    root = cohorts["root"]
    config = root / "fast.toml"
    config.write_text(FAST_TOML)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlruns' / 'mlflow.db'}")
        (root / "mlruns").mkdir()
        result = CliRunner().invoke(app, ["train", str(cohorts["train"][0]), "--stage", "both", "--config",
                                          str(config), "--save", str(root / "bundles")])
        from rashrisk.tracking import list_registered
        from rashrisk.tracking.store import client

        registered = list_registered()
        mlflow_client = client()
        params = [run.data.params for exp in mlflow_client.search_experiments()
                  for run in mlflow_client.search_runs([exp.experiment_id])]
    return {"result": result, "registered": registered, "params": params, "bundles": root / "bundles"}


def test_vcf_is_real_bgzf():
    text = "##fileformat=VCFv4.2\n" + "x" * 200_000
    packed = bgzf_compress(text.encode())
    assert gzip.decompress(packed).decode() == text
    assert packed[12:14] == b"BC" and packed.endswith(bytes.fromhex("1f8b08040000000000ff0600424302001b00"
                                                                    "03000000000000000000"))


def test_validate_accounts_for_every_row(cohorts):
    folder, written = cohorts["train"]
    result = CliRunner().invoke(app, ["validate", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["valid"] and data["errors"] == [] and data["n_patients"] == 712
    expected_rows = {"patients.csv": 712, "tdm.csv": len(written.tdm), "outcomes.csv": 712,
                     "genotypes.vcf.gz": written.vcf_text.count("\nchr")}
    for name, rows in expected_rows.items():
        f = data["files"][name]
        assert (f["rows_read"], f["rows_accepted"], f["rows_rejected"]) == (rows, rows, 0), name
    assert data["files"]["patients.csv"]["extra_columns"] == ["site", "ecog"]
    qc = {row["rsid"]: row for row in data["genotype_qc"]}
    # rs2231142 has no rsID in this VCF (matched by GRCh37 position); rs776746's GRCh37 line is REF=C ALT=T
    assert qc["rs2231142"]["n_called"] > 650
    assert 0.85 < qc["rs776746"]["alt_freq_observed"] <= 1.0
    assert abs(qc["rs4129267"]["alt_freq_observed"] - 0.35) < 0.05


def test_units_and_genotypes_are_read_as_written(cohorts):
    from rashrisk.contract.loader import load_cohort

    folder, written = cohorts["train"]
    cohort = load_cohort(folder)
    tdm = cohort.tdm.reset_index(drop=True)
    factor = written.tdm["unit"].map({"ng/mL": 1.0, "ug/mL": 1000.0, "nmol/L": 0.4936}).to_numpy()
    np.testing.assert_allclose(tdm["concentration_ng_ml"], written.tdm["concentration"] * factor, rtol=1e-9)
    assert tdm["hours_after_dose"].between(12, 30).all()
    il6r = cohort.genotypes[cohort.genotypes.rsid == "rs4129267"].set_index("patient_id")["alt_count"]
    called = il6r.dropna().astype(int)
    line = next(x for x in written.vcf_text.splitlines() if "\trs4129267\t" in x).split("\t")
    truth = {pid: gt.split(":")[0] for pid, gt in zip(written.patients.patient_id, line[9:])}
    assert len(called) + int(il6r.isna().sum()) == 712
    assert all(truth[pid] != "./." and int(truth[pid][0]) + int(truth[pid][2]) == n for pid, n in called.items())
    assert all(truth[pid] == "./." for pid in il6r[il6r.isna()].index)


def test_train_both_stages_registers_both_models(trained):
    result = trained["result"]
    assert result.exit_code == 0, result.output
    assert "rashrisk-start" in result.output and "rashrisk-tdm" in result.output
    names = {row["name"]: row for row in trained["registered"]}
    assert set(names) == {"rashrisk-start", "rashrisk-tdm"}
    for row in names.values():
        assert row["aliases"] == ["champion"] and row["simulated"] is False and row["n"] > 0
    assert names["rashrisk-start"]["n"] == 712
    assert names["rashrisk-tdm"]["n"] < 712  # the landmark set: rash-free patients with an in-window sample
    logged = " ".join(str(v) for params in trained["params"] for v in params.values())
    assert trained["params"] and "GIST-" not in logged  # no patient identifier in MLflow params


@pytest.fixture(scope="module")
def held_out(cohorts, trained):
    """The CLI-trained start model and the plain regression, scored on the independent cohort."""
    from rashrisk.contract.loader import load_cohort
    from rashrisk.features.frame import build_model_frame
    from rashrisk.models.bundle import RiskModel

    assert trained["result"].exit_code == 0, trained["result"].output
    model = RiskModel.load(trained["bundles"] / "start")
    train = build_model_frame(load_cohort(cohorts["train"][0]), "start")
    test = build_model_frame(load_cohort(cohorts["test"][0]), "start")
    d_train, means = plain_design(train.X, "start")
    d_test, _ = plain_design(test.X, "start", means=means)
    # unpenalised (scikit-learn 1.8 warns on its own advice C=np.inf, so an equivalent huge C)
    plain = LogisticRegression(C=1e12, max_iter=10_000).fit(d_train, train.y.to_numpy(dtype=int))
    truth = cohorts["test"][1].truth.reindex(test.X.index)
    return {"y": test.y.to_numpy(dtype=int), "model": model.predict_proba(test.X)[:, 1],
            "plain": plain.predict_proba(d_test)[:, 1], "ceiling": covariate_risk(truth)}


def test_start_model_brier_holds_up_on_an_independent_cohort(held_out):
    from rashrisk.models.metrics import auroc, brier_scores

    y, p_model, p_plain = held_out["y"], held_out["model"], held_out["plain"]
    assert brier_scores(y, p_model)[0] <= brier_scores(y, p_plain)[0] + BRIER_TOLERANCE
    # the generator's risk given every covariate exactly is a ceiling no model trained on 712 patients passes
    assert auroc(y, held_out["ceiling"]) > auroc(y, p_model)


# The calibration slope of one training draw varies far more than the test cohort's SE (0.07) the
# tolerance was set from: over 6 training draws of 712 foreign patients its SD is 0.23 for rashrisk
# and 0.19 for the plain regression (bench/quality.py, docs/benchmarks.md). One draw cannot show which
# procedure calibrates better, so the comparison is over SLOPE_DRAWS training draws (the CLI-trained
# model is the first), mean distance from 1 against the plain regression's on the same draws.
SLOPE_DRAWS = (TRAIN_SEED, 3, 4, 5)


@pytest.fixture(scope="module")
def slope_draws(cohorts, held_out):
    """(rashrisk, plain) calibration slopes on the independent cohort, one pair per training draw."""
    from rashrisk.contract.loader import load_cohort
    from rashrisk.features.frame import build_model_frame
    from rashrisk.models.config import TrainingConfig
    from rashrisk.models.metrics import calibration_intercept_slope
    from rashrisk.models.train import train_frame

    y = held_out["y"]
    test = build_model_frame(load_cohort(cohorts["test"][0]), "start")
    config = TrainingConfig.from_toml(cohorts["root"] / "fast.toml")
    pairs = [(calibration_intercept_slope(y, held_out["model"])[1], calibration_intercept_slope(y, held_out["plain"])[1])]
    for seed in SLOPE_DRAWS[1:]:
        folder = cohorts["root"] / f"draw_{seed}"
        write_foreign_cohort(folder, 712, seed)
        train = build_model_frame(load_cohort(folder), "start")
        model = train_frame(train, config, validate=False).model
        d_train, means = plain_design(train.X, "start")
        d_test, _ = plain_design(test.X, "start", means=means)
        plain = LogisticRegression(C=1e12, max_iter=10_000).fit(d_train, train.y.to_numpy(dtype=int))
        pairs.append((calibration_intercept_slope(y, model.predict_proba(test.X)[:, 1])[1],
                      calibration_intercept_slope(y, plain.predict_proba(d_test)[:, 1])[1]))
    return np.asarray(pairs)


def test_start_model_calibration_slope_holds_up_on_an_independent_cohort(slope_draws):
    distance = np.abs(slope_draws - 1.0).mean(axis=0)  # (rashrisk, plain)
    assert len(slope_draws) == len(SLOPE_DRAWS)
    assert distance[0] <= distance[1] + SLOPE_TOLERANCE, slope_draws


def test_start_model_discrimination_within_tolerance_of_plain_logistic(held_out):
    from rashrisk.models.metrics import auroc

    y = held_out["y"]
    assert auroc(y, held_out["model"]) >= auroc(y, held_out["plain"]) - AUROC_TOLERANCE


def test_the_tdm_ceiling_is_the_true_rash_free_risk_when_the_sample_pins_the_clearance():
    """landmark_risk (bench/bench_foreign_cohort.py's tdm ceiling) against rash_free_risk: with a tiny
    measurement error the posterior collapses on the patient's own clearance and the two agree; with
    an uninformative sample it falls back to the prior and does not."""
    import foreign_cohort as fc

    written = fc.generate_foreign_cohort(300, seed=5)
    truth = written.truth
    hours = np.full(len(truth), 24.0)
    conc = truth["true_trough_ng_ml"].to_numpy()  # an exact 24-h sample
    day = np.full(len(truth), 14.0)
    exact = fc.rash_free_risk(truth["true_risk"].to_numpy(), day)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fc, "TDM_ERROR_LOG_SD", 0.01)
        pinned = fc.landmark_risk(truth, conc, hours, day, n_draws=4000)
        mp.setattr(fc, "TDM_ERROR_LOG_SD", 100.0)
        uninformed = fc.landmark_risk(truth, conc, hours, day, n_draws=4000)
    np.testing.assert_allclose(pinned, exact, rtol=0.06)
    assert np.max(np.abs(uninformed / exact - 1)) > 0.3
    assert np.isfinite(fc.landmark_risk(truth, conc * 50.0, hours, day, n_draws=200)).all()  # an outlying sample

"""Scoring: every input patient appears (scored or not_scored with a reason), outputs, model choice."""

import dataclasses
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rashrisk.errors import CohortError, ModelError, RashriskError
from rashrisk.scoring.inputs import load_scoring_input
from rashrisk.scoring.output import write_table
from rashrisk.scoring.score import OUTPUT_COLUMNS, build_frame, score_input


@pytest.fixture(scope="module")
def damaged_cohort(cohort_dir, tmp_path_factory):
    """The cohort with one patient row broken (negative age) and one duplicated id."""
    import shutil

    folder = tmp_path_factory.mktemp("damaged")
    for path in cohort_dir.iterdir():
        shutil.copy(path, folder / path.name)
    patients = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    patients.loc[2, "age_years"] = "-5"
    patients.to_csv(folder / "patients.csv", index=False)
    return folder, patients.loc[2, "patient_id"]


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_every_input_patient_appears_once(models, damaged_cohort, stage):
    folder, broken = damaged_cohort
    read = pd.read_csv(folder / "patients.csv", dtype=str)["patient_id"].tolist()
    table = score_input(load_scoring_input(folder), stage, models[stage])
    assert table["patient_id"].tolist() == read  # input order, each once
    assert list(table.columns) == OUTPUT_COLUMNS
    row = table.set_index("patient_id").loc[broken]
    assert row["status"] == "not_scored" and "age_years" in row["reason"] and "-5" in row["reason"]
    not_scored = table[table["status"] == "not_scored"]
    assert (not_scored["reason"].str.len() > 0).all()
    assert not_scored["risk"].isna().all()
    scored = table[table["status"] == "scored"]
    assert len(scored) > 0
    assert ((scored["risk_low"] <= scored["risk"]) & (scored["risk"] <= scored["risk_high"])).all()
    assert set(scored["band"]) <= {"low", "intermediate", "high"}
    assert (scored["factor_1"].str.len() > 0).all()
    label = f"{models[stage].name} {models[stage].version} (bundle sha256 {models[stage].bundle_sha256[:12]})"
    assert (table["model"] == label).all()
    if stage == "tdm":  # patients without a sample in the landmark window are listed with that reason
        assert not_scored["reason"].str.startswith("excluded:").sum() == len(not_scored) - 1


def test_band_follows_the_card_thresholds(models, cohort_dir):
    table = score_input(load_scoring_input(cohort_dir), "start", models["start"])
    t = dataclasses.asdict(models["start"].card.band_thresholds)
    expected = np.where(table["risk"] < t["low_below"], "low", np.where(table["risk"] >= t["high_from"], "high", "intermediate"))
    assert (table["band"].to_numpy() == expected).all()


def test_default_bundle_explanations_are_additive(models, cohort_dir):
    from rashrisk.explanations.attributions import explain_log_odds

    scoring_input = load_scoring_input(cohort_dir)
    for stage, model in models.items():
        frame, _ = build_frame(scoring_input.cohort, stage, model)
        attributions = explain_log_odds(model, frame.X)
        assert attributions.additivity_error < 1e-6
        np.testing.assert_allclose(attributions.model_logit, model.decision_function(frame.X), atol=0)


def _patient_document(**changes):
    document = {"patient_id": "JSON-1", "sex": "F", "age_years": 61, "weight_kg": 52, "height_cm": 158,
                "albumin_g_l": 39, "ancestry": "EAS", "setting": "adjuvant", "start_dose_mg": 400,
                "start_date": "2025-03-03", "genotypes": {"rs4129267": "T/T", "rs2231142": "G/T"},
                "tdm": [{"sample_time": "2025-03-17T08:00", "last_dose_time": "2025-03-16T08:10", "dose_mg": 400,
                         "concentration": 2150, "unit": "ng/mL"}]}
    document.update(changes)
    return document


def test_one_patient_json_scores_at_both_stages(models, tmp_path):
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(_patient_document()))
    for stage in ("start", "tdm"):
        table = score_input(load_scoring_input(path), stage, models[stage])
        assert table["patient_id"].tolist() == ["JSON-1"]
        assert table.loc[0, "status"] == "scored", table.loc[0, "reason"]
        assert 0 < table.loc[0, "risk"] < 1


def test_one_patient_json_no_call_is_a_warning(models, tmp_path):
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(_patient_document(genotypes={"rs4129267": "./."})))
    table = score_input(load_scoring_input(path), "start", models["start"])
    assert "genotype no-call: rs4129267" in table.loc[0, "warnings"]


def test_one_patient_json_bad_value_is_not_scored_with_the_reason(models, tmp_path):
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(_patient_document(sex="X")))
    table = score_input(load_scoring_input(path), "start", models["start"])
    assert table.loc[0, "status"] == "not_scored" and "sex" in table.loc[0, "reason"]


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "expected one JSON object"),
    ('{"patient_id": "A", "weight": 3}', "unknown fields ['weight']"),
    ('{"patient_id": "A", "genotypes": ["C/T"]}', "'genotypes' must be an object"),
    ('{"patient_id": ', "not valid JSON"),
])
def test_malformed_patient_documents_are_user_errors(tmp_path, text, message):
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(CohortError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_scoring_input(path)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json"])
def test_output_formats_round_trip(models, cohort_dir, tmp_path, suffix):
    table = score_input(load_scoring_input(cohort_dir), "tdm", models["tdm"])
    path = write_table(table, tmp_path / f"scores{suffix}")
    back = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".json": pd.read_json}[suffix](path)
    assert back["patient_id"].astype(str).tolist() == table["patient_id"].tolist()
    np.testing.assert_allclose(back["risk"].to_numpy(dtype=float), table["risk"].to_numpy(dtype=float), rtol=1e-5)


def test_unknown_output_extension_is_a_user_error(tmp_path):
    with pytest.raises(RashriskError, match=r"\.xlsx"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "scores.xlsx")


def test_model_source_errors_and_registry_fallback(models, tmp_path, monkeypatch):
    from rashrisk.tracking import model_source

    with pytest.raises(ModelError, match="not a model bundle folder"):
        model_source.resolve_model("start", str(tmp_path / "nowhere"))
    bundle = models["tdm"].save(tmp_path / "tdm-bundle")
    with pytest.raises(ModelError, match="needs a rashrisk-start model"):
        model_source.resolve_model("start", str(bundle))
    model, source = model_source.resolve_model("tdm", str(bundle))
    assert model.version == models["tdm"].version and source.startswith("bundle")
    # no store configured (per-user default absent, no MLFLOW_TRACKING_URI): the embedded default, saying why
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    model, source = model_source.resolve_model("start")
    assert source.startswith("embedded default bundle (no MLflow store configured")
    assert not (tmp_path / "xdg").exists()
    # a configured store that is missing or unreadable stops scoring (tests/tracking/test_model_resolution.py)
    store = tmp_path / "mlruns" / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
    with pytest.raises(ModelError, match="does not exist"):
        model_source.resolve_model("start")
    assert not store.exists()
    store.parent.mkdir()
    store.write_bytes(b"this is not a SQLite database")
    with pytest.raises(ModelError, match="is damaged"):
        model_source.resolve_model("start")


def test_values_outside_the_card_training_range_are_warned(models, cohort_dir):
    from rashrisk.scoring.warnings import training_range_warnings

    model = models["start"]
    frame, _ = build_frame(load_scoring_input(cohort_dir).cohort, "start", model)
    X = frame.X.iloc[:3].copy()
    # weight reaches the start model only through the a priori trough: a model input (age) is checked
    ages = model.card.input_ranges["age_years"]  # 1st-99th percentile widened to whole years
    assert ages["percentiles"] == [1, 99] and ages["unit"] == 1.0 and ages["low"] < ages["high"]
    X["age_years"] = [ages["high"] + 1.0, ages["low"], ages["high"]]  # the bounds themselves are inside
    warnings = training_range_warnings(X, model, ["age_years"])
    assert warnings[0] == [f"age_years = {ages['high'] + 1.0:,.4g} outside the training range "
                           f"(1st-99th percentile, {ages['low']:,.4g}-{ages['high']:,.4g})"]
    assert warnings[1] == [] and warnings[2] == []
    # a card written before the percentile ranges (exact minimum and maximum) is still read
    old_card = SimpleNamespace(card=SimpleNamespace(input_ranges={"age_years": {"min": 20, "max": 88}}))
    X["age_years"] = [50.0, 95.0, 19.0]
    assert training_range_warnings(X, old_card, ["age_years"])[1] == ["age_years = 95 outside the training range (20-88)"]
    model_with_pair_ranges = SimpleNamespace(card=SimpleNamespace(input_ranges={"age_years": [20, 88]}))
    X["age_years"] = [50.0, 95.0, 19.0]
    assert training_range_warnings(X, model_with_pair_ranges, ["age_years"]) == [
        [], ["age_years = 95 outside the training range (20-88)"], ["age_years = 19 outside the training range (20-88)"]]


def test_document_already_parsed_scores_like_the_file(models, tmp_path):
    from rashrisk.scoring.inputs import scoring_input_from_document

    document = _patient_document()
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(document))
    from_file = score_input(load_scoring_input(path), "tdm", models["tdm"])
    from_dict = score_input(scoring_input_from_document(document), "tdm", models["tdm"])
    assert from_dict.loc[0, "risk"] == from_file.loc[0, "risk"]
    with pytest.raises(CohortError, match="request body: unknown fields"):
        scoring_input_from_document({"patient_id": "A", "dose": 4}, source="request body")


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_interval_shortcuts_equal_the_member_by_member_ensemble(models, cohort_dir, stage):
    """One DMatrix / one matrix product for the ensemble, the numpy forest table for a few rows, and the
    interval from the explanation's matrix give the same interval as evaluating every member on its own
    (the forest table sums leaves in float64 where XGBoost uses float32: equal to 1e-6 in risk)."""
    from rashrisk.models.calibration import expit
    model = models[stage]
    family = model.classifier.model_family
    frame, _ = build_frame(load_scoring_input(cohort_dir).cohort, stage, model)
    X = frame.X
    matrix = model.transform(X)
    point = expit(model.decision_function(X))
    assert point == pytest.approx(expit(model.calibration_intercept_ + model.calibration_slope_
                                        * family.raw_logit(model.estimator_, model.leaf_table_, matrix)), abs=1e-15)
    logits = np.column_stack([family.raw_logit(est, leaves, matrix) for est, leaves in model.ensemble_])
    risks = expit(model.calibration_intercept_ + model.calibration_slope_ * logits)
    low = np.minimum(np.quantile(risks, 0.025, axis=1), point)
    high = np.maximum(np.quantile(risks, 0.975, axis=1), point)
    copies = 70 // len(X) + 1  # above FOREST_ROWS rows: XGBoost evaluates each member on one DMatrix
    got_low, got_high = model.predict_interval(pd.concat([X] * copies))
    np.testing.assert_allclose(got_low, np.tile(low, copies), rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_high, np.tile(high, copies), rtol=0, atol=1e-12)
    for rows in (slice(0, 1), slice(None)):  # the one-patient path and a few rows: the forest table
        got_low, got_high = model.predict_interval(X.iloc[rows])
        np.testing.assert_allclose(got_low, low[rows], rtol=0, atol=1e-6)
        np.testing.assert_allclose(got_high, high[rows], rtol=0, atol=1e-6)
    from rashrisk.scoring.score import score_frame

    table = score_frame(model, frame)
    called = X["rs4129267_alt_count"].notna().to_numpy()  # a no-call is served the genotype average (test_no_call_scoring)
    np.testing.assert_allclose(table["risk_low"][called], low[called], rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["risk"][called], point[called], rtol=0, atol=1e-12)


def test_the_tdm_model_reads_the_a_priori_trough_through_the_ratio(models, cohort_dir):
    from rashrisk.contract.loader import load_cohort
    from rashrisk.scoring.score import used_inputs

    frame, _ = build_frame(load_cohort(cohort_dir), "tdm", models["tdm"])
    model = models["tdm"]
    assert "apriori_trough_ng_ml" not in model.input_columns_  # not a third, collinear term
    used = used_inputs(model, frame.X.columns)
    assert {"trough_ratio_to_apriori", "map_trough_ng_ml", "apriori_trough_ng_ml"} <= set(used)
    assert "albumin_g_l" not in used
    assert "apriori_trough_ng_ml" in used_inputs(models["start"], frame.X.columns)


def test_resolve_model_with_uri_names_the_registry_uri(models, tmp_path, monkeypatch):
    from rashrisk.tracking import model_source

    bundle = models["tdm"].save(tmp_path / "tdm-bundle")
    assert model_source.resolve_model_with_uri("tdm", str(bundle))[2] is None
    monkeypatch.setattr(model_source, "_champion", lambda stage: (models[stage], ""))
    model, source, uri = model_source.resolve_model_with_uri("start")
    assert source.startswith("registry champion") and uri == f"models:/{models['start'].name}@champion"
    assert model_source.resolve_model("start") == (model, source)
    monkeypatch.setattr(model_source, "_champion", lambda stage: (None, ""))
    assert model_source.resolve_model_with_uri("start")[1:] == ("embedded default bundle", None)


def test_one_patient_document_writes_no_temporary_folder(models, monkeypatch):
    import tempfile

    from rashrisk.scoring.inputs import scoring_input_from_document

    def refuse(*args, **kwargs):
        raise AssertionError("the one-patient path must not write a temporary folder")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", refuse)
    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    scoring_input = scoring_input_from_document(_patient_document(age_years=-5), source="request body")
    assert scoring_input.cohort.path is None
    assert scoring_input.rejected == {"JSON-1": "input rejected: patients (request body), column age_years, row 0: "
                                                "'-5' ... expected >= 0 and <= 120"}
    table = score_input(scoring_input, "start", models["start"])
    assert table.loc[0, "status"] == "not_scored" and "'-5'" in table.loc[0, "reason"]


def test_each_rejected_patient_gets_its_own_row_reason(models, cohort_dir, tmp_path):
    """More broken rows than a finding lists (five): each reason still names that patient's line."""
    import shutil

    folder = tmp_path / "many_broken"
    shutil.copytree(cohort_dir, folder)
    patients = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    broken = list(range(0, 14, 2))  # seven rows
    patients.loc[broken, "sex"] = "X"
    written = patients["patient_id"].tolist()
    patients.loc[1, "patient_id"] = patients.loc[1, "patient_id"] + " "  # stripped, with a warning
    patients.to_csv(folder / "patients.csv", index=False)
    scoring_input = load_scoring_input(folder)
    assert scoring_input.patient_ids == written
    for row in broken:
        pid = patients.loc[row, "patient_id"]
        assert scoring_input.rejected[pid] == (f"input rejected: patients.csv, column sex, line {row + 2}: 'X' ... "
                                               "expected one of F, M (case-insensitive)")
    assert len(scoring_input.rejected) == len(broken)
    table = score_input(scoring_input, "start", models["start"]).set_index("patient_id")
    padded = table.loc[written[1]]
    assert padded["status"] == "scored"  # one row for the patient, scored with its tdm and genotype rows
    assert (f"input warning: patients.csv, column patient_id, line 3: '{written[1]} ' ... expected no leading or "
            "trailing spaces") in padded["warnings"]
    assert len(table) == len(patients)

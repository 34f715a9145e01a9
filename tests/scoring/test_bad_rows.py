"""Never a silent wrong answer: every bad row located, each not_scored reason its own, unit slips
rejected or flagged where they matter, genotypes that did not load said loudly."""

from __future__ import annotations

import json
import random
import re
import shutil
import warnings

import pandas as pd
import pytest

from rashrisk.contract.genotypes import check_predictor_call_rate, predictor_call_rates
from rashrisk.contract.loader import load_cohort
from rashrisk.contract.summary import build_validation_data
from rashrisk.errors import CohortError
from rashrisk.genotype.qc import LowCallRateWarning
from rashrisk.scoring.inputs import load_scoring_input
from rashrisk.scoring.score import score_input

PATIENT_EDITS = [("sex", "X"), ("age_years", "200"), ("weight_kg", "0.065"), ("start_date", "10/13/2020"),
                 ("start_dose_mg", "abc"), ("height_cm", "1.72")]
TDM_EDITS = [("unit", "ng/dl"), ("sample_time", "13/02/2020 08:00"), ("concentration", "1e15")]


def _simulate(folder, n, seed):
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    write_cohort(simulate_cohort(load_config(None), n, seed), folder)
    return folder


def _damage(folder, n_patients_bad, n_tdm_bad, seed=7):
    """Scatter bad values over patients.csv and tdm.csv; returns {(file, line): column}."""
    rng = random.Random(seed)
    patients = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    tdm = pd.read_csv(folder / "tdm.csv", dtype=str, keep_default_na=False)
    bad = {}
    for k, row in enumerate(rng.sample(range(len(patients)), n_patients_bad)):
        column, value = PATIENT_EDITS[k % len(PATIENT_EDITS)]
        patients.loc[row, column] = value
        bad[("patients.csv", row + 2)] = column
    for k, row in enumerate(rng.sample(range(len(tdm)), n_tdm_bad)):
        column, value = TDM_EDITS[k % len(TDM_EDITS)]
        tdm.loc[row, column] = value
        bad[("tdm.csv", row + 2)] = column
    patients.to_csv(folder / "patients.csv", index=False)
    tdm.to_csv(folder / "tdm.csv", index=False)
    return bad, patients, tdm


def test_validate_json_locates_all_100_bad_rows_of_5000_patients(tmp_path):
    folder = _simulate(tmp_path / "c5000", 5000, 3)
    bad, _, _ = _damage(folder, 70, 30)
    data = json.loads(json.dumps(build_validation_data(load_cohort(folder))))
    located: dict[tuple, set] = {}
    for f in data["errors"]:
        assert len(f["lines"]) == f["count"]  # no finding caps its lines
        for line in f["lines"]:
            located.setdefault((f["file"], line), set()).add(f["rule"])
    assert len(bad) == 100 and set(bad) <= set(located)  # all 100 by file and line
    for (file, line), column in bad.items():  # each by the rule of the column that was broken
        assert any(r.startswith(f"{file.removesuffix('.csv')}.{column}.") for r in located[(file, line)]), (file, line)


@pytest.fixture(scope="module")
def scored_bad(tmp_path_factory):
    folder = _simulate(tmp_path_factory.mktemp("bad") / "c", 800, 5)
    bad, patients, tdm = _damage(folder, 24, 18, seed=11)
    scoring_input = load_scoring_input(folder)
    return folder, bad, patients, tdm, scoring_input


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_each_not_scored_reason_is_the_patients_own(models, scored_bad, stage):
    folder, bad, patients, tdm, scoring_input = scored_bad
    table = score_input(scoring_input, stage, models[stage])
    assert table["patient_id"].tolist() == patients["patient_id"].tolist()
    all_ids = set(patients["patient_id"])
    not_scored = table[table["status"] == "not_scored"]
    for pid, reason in not_scored[["patient_id", "reason"]].itertuples(index=False, name=None):
        assert reason and "row rejected by the cohort loader" not in reason
        others = set(re.findall(r"SIM\d{6}", reason)) & (all_ids - {pid})
        assert not others, (pid, reason)
    for (file, line), column in bad.items():
        if file != "patients.csv":
            continue
        pid = patients.loc[line - 2, "patient_id"]
        reason = table.set_index("patient_id").loc[pid, "reason"]
        assert reason.startswith(f"input rejected: patients.csv, column {column}, line {line}: ")


def test_tdm_reason_says_which_rows_were_rejected_and_why(models, scored_bad):
    folder, bad, patients, tdm, scoring_input = scored_bad
    table = score_input(scoring_input, "tdm", models["tdm"]).set_index("patient_id")
    checked = 0
    for (file, line), column in bad.items():
        pid = tdm.loc[line - 2, "patient_id"] if file == "tdm.csv" else None
        if pid is None or pid not in table.index or table.loc[pid, "status"] != "not_scored":
            continue
        reason = table.loc[pid, "reason"]
        if not reason.startswith("excluded: no TDM sample in the landmark window"):
            continue
        assert f"tdm.csv, column {column}, line {line}: " in reason, reason
        assert "TDM row(s) of this patient rejected" in reason
        checked += 1
    assert checked >= 3


def test_unit_slips_are_rejected_with_the_probable_cause(make_cohort):
    cohort = load_cohort(make_cohort([
        ("tdm.csv", 0, "concentration", "1e15"),  # ng/mL: a typing error
        ("tdm.csv", 1, "concentration", "1053"),  # ug/mL: ng/mL labelled ug/mL
        ("patients.csv", 2, "weight_kg", "0.065"),
    ]))
    reasons = cohort.input_rows["tdm"].to_frame()["reason"]
    assert "'1e15' ... expected at most 20,000 ng/mL" in reasons[0]
    assert "probably ng/mL labelled as ug/mL" in reasons[1]
    assert cohort.report.files["tdm.csv"].rows_rejected == 3  # P3's row too: its patients row was rejected
    assert "below 20 is a unit slip" in cohort.input_rows["patients"].reason(2)


def test_a_weight_in_pounds_is_flagged_in_the_score_and_the_report(models, cohort_dir, tmp_path):
    from rashrisk.reports.patient import build_report_data

    folder = tmp_path / "pounds"
    shutil.copytree(cohort_dir, folder)
    patients = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    patients.loc[0, ["weight_kg", "height_cm"]] = ["180", "170"]  # 180 lb = 81.6 kg
    patients.to_csv(folder / "patients.csv", index=False)
    pid = patients.loc[0, "patient_id"]
    scoring_input = load_scoring_input(folder)
    row = score_input(scoring_input, "start", models["start"]).set_index("patient_id").loc[pid]
    assert row["status"] == "scored"
    assert "input warning: patients.csv, column weight_kg, line 2: '180' ... expected a weight in kg" in row["warnings"]
    assert "probably pounds" in row["warnings"]
    data = build_report_data(pid, scoring_input, "start", models["start"])
    weight = next(r for r in data["inputs"] if r["input"] == "weight_kg")
    assert weight["flag"] and "probably pounds" in weight["status_text"]
    assert any("probably pounds" in w for w in data["warnings"])


def test_a_padded_id_is_one_patient_in_every_file(make_cohort):
    cohort = load_cohort(make_cohort([("patients.csv", 0, "patient_id", "P1 ")]))
    assert "P1" in set(cohort.patients["patient_id"])
    assert cohort.report.files["tdm.csv"].rows_rejected == 0 and cohort.report.errors == []
    assert [f.rule for f in cohort.report.warnings if f.rule.startswith("patients.")] == ["patients.patient_id.spaces"]


def _unmatched_vcf(folder):
    vcf = folder / "genotypes.vcf"
    text = vcf.read_text(encoding="utf-8")
    header = next(line for line in text.splitlines() if line.startswith("#CHROM"))
    renamed = "\t".join(header.split("\t")[:9] + [f"X{c}" for c in header.split("\t")[9:]])
    vcf.write_text(text.replace(header, renamed), encoding="utf-8")


def test_genotypes_that_did_not_load_fail_validate_and_training(cohort_dir, tmp_path):
    from typer.testing import CliRunner

    from rashrisk.cli.main import app

    folder = tmp_path / "unmatched"
    shutil.copytree(cohort_dir, folder)
    _unmatched_vcf(folder)
    cohort = load_cohort(folder)
    assert [f.rule for f in cohort.report.errors] == ["file.genotypes_uncalled"]
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2 and "INVALID" in result.output
    rates = predictor_call_rates(cohort, ["rs4129267"])
    assert rates.loc[0, "n_called"] == 0 and rates.loc[0, "n_patients"] == cohort.n_patients
    with pytest.raises(CohortError, match=r"rs4129267 called in 0 of \d+ patient\(s\).*expected at least 0.80"):
        check_predictor_call_rate(cohort, ["rs4129267"])
    check_predictor_call_rate(load_cohort(cohort_dir), ["rs4129267"])  # the intact cohort passes
    from rashrisk.models.train import train_stage

    with pytest.raises(CohortError, match="cannot train on this cohort: unmatched: genotype predictor rs4129267 called in 0"):
        train_stage(cohort, "start")  # refused before any model is fitted (so none can become champion)


def test_low_call_rate_warns_loudly_when_scoring(models, cohort_dir, tmp_path):
    folder = tmp_path / "unmatched"
    shutil.copytree(cohort_dir, folder)
    _unmatched_vcf(folder)
    with pytest.warns(LowCallRateWarning, match="rs4129267 called in 0 of"):
        table = score_input(load_scoring_input(folder), "start", models["start"])
    scored = table[table["status"] == "scored"]
    assert len(scored) and scored["warnings"].str.contains("genotype rs4129267 imputed: not called for this "
                                                           "patient, and called in too few").all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LowCallRateWarning)
        score_input(load_scoring_input(cohort_dir), "start", models["start"])  # an intact cohort: silent


def test_validate_terminal_caps_lines_and_points_to_json(make_cohort):
    from typer.testing import CliRunner

    from rashrisk.cli.main import app

    rows = "".join(f"Q{i},F,500,60,160,40,EAS,adjuvant,400,2023-01-10\n" for i in range(8))
    text = "patient_id,sex,age_years,weight_kg,height_cm,albumin_g_l,ancestry,setting,start_dose_mg,start_date\n" + rows
    folder = make_cohort(files={"patients.csv": text, "tdm.csv": None, "outcomes.csv": None, "genotypes.csv": None})
    result = CliRunner().invoke(app, ["validate", str(folder)], env={"COLUMNS": "400"})
    assert result.exit_code == 2
    assert "and 3 more (8 rows)" in result.output and "[all 8 lines: see --json]" in result.output
    data = json.loads(CliRunner().invoke(app, ["validate", "--json", str(folder)]).output)
    finding = next(f for f in data["errors"] if f["rule"] == "patients.age_years.hard_range")
    assert finding["lines"] == list(range(2, 10))

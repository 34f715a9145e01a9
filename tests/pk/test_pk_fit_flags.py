"""`rashrisk pk fit` shows each patient's sample flags (map_estimate's ``sample_flags``)."""

import shutil
from importlib import resources

import pandas as pd
from typer.testing import CliRunner

from rashrisk.cli.main import app

runner = CliRunner()
EXAMPLE = resources.files("rashrisk").joinpath("data", "example_cohort")


def _cohort_with(tmp_path, edit):
    folder = tmp_path / "cohort"
    shutil.copytree(EXAMPLE, folder)
    tdm = pd.read_csv(folder / "tdm.csv", dtype=str, keep_default_na=False)
    edit(tdm)
    tdm.to_csv(folder / "tdm.csv", index=False)
    return folder


def test_fit_prints_flags_of_improbable_and_below_loq_samples(tmp_path):
    def edit(tdm):
        tdm.loc[tdm["patient_id"] == "GIST-001", ["concentration", "unit"]] = ["9000", "ng/mL"]  # ~7x the model's trough, under the 10,000 ng/mL plausibility limit
        tdm.loc[tdm["patient_id"] == "GIST-003", "below_loq"] = "true"

    folder = _cohort_with(tmp_path, edit)
    out = tmp_path / "fit.csv"
    result = runner.invoke(app, ["pk", "fit", str(folder), "--pk-model", "widmer2006", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    high = [line for line in lines if line.startswith("Flag, patient GIST-001:")]
    blq = [line for line in lines if line.startswith("Flag, patient GIST-003:")]
    assert len(high) == 1 and "far higher than the model predicts" in high[0] and "check adherence" in high[0]
    assert len(blq) == 1 and "below-LOQ sample" in blq[0] and "censored" in blq[0]
    assert "Sample checks: 2 patient(s) with flagged samples" in result.output
    # only the edited patients are flagged; the CSV carries the same flags
    assert sum(line.startswith("Flag, patient") for line in lines) == 2
    table = pd.read_csv(out, keep_default_na=False).set_index("patient_id")
    assert table.loc["GIST-001", "sample_flags"] and table.loc["GIST-003", "sample_flags"]
    assert (table.drop(index=["GIST-001", "GIST-003"])["sample_flags"] == "").all()


def test_fit_says_when_no_sample_is_flagged():
    result = runner.invoke(app, ["pk", "fit", str(EXAMPLE), "--pk-model", "widmer2006"])
    assert result.exit_code == 0, result.output
    assert "Sample checks: no sample below the LOQ or inconsistent with the model." in result.output
    assert "Flag, patient" not in result.output

from importlib import resources

import pandas as pd
from typer.testing import CliRunner

from rashrisk.cli.main import app
from rashrisk.errors import RashriskError

runner = CliRunner()
EXAMPLE = resources.files("rashrisk").joinpath("data", "example_cohort")


def test_apriori_prints_typical_trough_interval_and_warnings():
    result = runner.invoke(app, ["pk", "apriori", "--sex", "F", "--age", "55", "--weight", "60", "--dose", "400", "--pk-model", "widmer2006"])
    assert result.exit_code == 0, result.output
    assert "Typical steady-state trough: 1,055 ng/mL" in result.output
    assert "5-95% prediction interval:" in result.output
    assert "Warning" not in result.output
    old = runner.invoke(app, ["pk", "apriori", "--sex", "M", "--age", "95", "--weight", "70", "--pk-model", "widmer2006"])
    assert "Warning: age_years = 95 is outside the hard limits 20-88" in old.output


def test_apriori_default_model_follows_ancestry_and_reports_imputed():
    result = runner.invoke(app, ["pk", "apriori", "--sex", "M", "--age", "60", "--weight", "65", "--ancestry", "EAS", "--abcg2", "1"])
    assert result.exit_code == 0, result.output
    assert "PK model: jiang2023" in result.output
    assert "Adapted: iiv_sd:" in result.output  # the EAS default widens Jiang's IIV, and says so
    assert "missing covariates: rbc_10e12_l" in result.output


def test_apriori_bad_sex_is_a_user_error():
    result = runner.invoke(app, ["pk", "apriori", "--sex", "X", "--age", "55", "--weight", "60"])
    assert isinstance(result.exception, RashriskError) and "--sex 'X'" in str(result.exception)


def test_fit_example_cohort_writes_table(tmp_path):
    out = tmp_path / "fit.csv"
    result = runner.invoke(app, ["pk", "fit", str(EXAMPLE), "--pk-model", "widmer2006", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert {"patient_id", "cl_l_h", "v_l", "trough_ng_ml", "trough_300mg_ng_ml", "trough_400mg_ng_ml", "trough_600mg_ng_ml"} <= set(table.columns)
    assert (table["n_samples"] > 0).all() and table["converged"].all()
    assert table["patient_id"].iloc[0] in result.output
    tdm = pd.read_csv(EXAMPLE / "tdm.csv")
    assert set(table["patient_id"]) == set(tdm["patient_id"].astype(str))


def test_fit_unknown_model_is_a_user_error():
    result = runner.invoke(app, ["pk", "fit", str(EXAMPLE), "--pk-model", "nope"])
    assert isinstance(result.exception, RashriskError)


def test_apriori_accepts_the_contract_spellings_of_sex():
    # the same spellings as patients.csv (schema aliases): 'female' is F, not an error
    args = ["--age", "55", "--weight", "60", "--dose", "400", "--pk-model", "widmer2006"]
    word = runner.invoke(app, ["pk", "apriori", "--sex", "Female", *args])
    code = runner.invoke(app, ["pk", "apriori", "--sex", "F", *args])
    male = runner.invoke(app, ["pk", "apriori", "--sex", "male", *args])
    assert word.exit_code == 0 and word.output == code.output
    assert male.exit_code == 0 and male.output != code.output  # sex enters Widmer's CL


def test_fit_out_is_checked_and_its_folder_created(tmp_path):
    wrong = runner.invoke(app, ["pk", "fit", str(EXAMPLE), "--pk-model", "widmer2006", "--out", str(tmp_path / "fit.xlsx")])
    assert isinstance(wrong.exception, RashriskError) and "'.xlsx'" in str(wrong.exception)
    assert not (tmp_path / "fit.xlsx").exists()
    nested = tmp_path / "new" / "folder" / "fit.csv"  # used to be an OSError traceback from pandas
    result = runner.invoke(app, ["pk", "fit", str(EXAMPLE), "--pk-model", "widmer2006", "--out", str(nested)])
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(nested)) > 0


def test_apriori_without_draws_prints_no_nan_interval():
    result = runner.invoke(app, ["pk", "apriori", "--sex", "F", "--age", "55", "--weight", "60", "--pk-model", "widmer2006",
                                 "--n-sim", "0"])
    assert result.exit_code == 0, result.output
    assert "Typical steady-state trough: 1,055 ng/mL" in result.output
    assert "not computed (--n-sim 0)" in result.output and "nan" not in result.output

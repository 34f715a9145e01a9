"""`rashrisk train` end to end through the CLI (fast configuration, no MLflow)."""

from typer.testing import CliRunner

from rashrisk.cli.main import app
from rashrisk.models.bundle import RiskModel


def test_cli_trains_saves_and_prints_the_summary(simulated_cohort, tmp_path):
    config = tmp_path / "fast.toml"
    config.write_text(
        "[training]\ncv_splits = 3\ncv_repeats = 1\nnested_outer_splits = 2\nnested_inner_splits = 2\n"
        "interval_bootstrap = 3\nvalidation_bootstrap = 5\ncandidates = ['logistic']\n"
        "[logistic]\nC = [0.1]\n"
    )
    result = CliRunner().invoke(app, ["train", str(simulated_cohort.path), "--stage", "start", "--no-track",
                                      "--config", str(config), "--save", str(tmp_path / "bundles")])
    assert result.exit_code == 0, result.output
    assert "AUROC, optimism-corrected" in result.output and "rashrisk-start" in result.output
    model = RiskModel.load(tmp_path / "bundles" / "start")
    assert model.params == {"C": 0.1, "splines": False}


def test_cli_bad_stage_is_a_user_error_without_traceback(simulated_cohort):
    result = CliRunner().invoke(app, ["train", str(simulated_cohort.path), "--stage", "later", "--no-track"])
    assert result.exit_code != 0
    assert "later" in str(result.exception) or "later" in result.output


def test_cli_save_to_a_file_is_refused_before_training(simulated_cohort, tmp_path):
    from rashrisk.errors import RashriskError

    target = tmp_path / "not_a_folder"
    target.write_text("x")
    result = CliRunner().invoke(app, ["train", str(simulated_cohort.path), "--stage", "start", "--no-track",
                                      "--save", str(target)])
    assert isinstance(result.exception, RashriskError) and "--save" in str(result.exception)
    assert "AUROC" not in result.output  # refused before any training

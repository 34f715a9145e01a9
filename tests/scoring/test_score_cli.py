"""The score and explain commands end to end (in process), and their user errors (exit 2, no traceback)."""

import pandas as pd
import pytest


def test_score_and_explain_commands(models, cohort_dir, tmp_path, run_cli):
    bundle = models["tdm"].save(tmp_path / "bundle")
    code, out, _ = run_cli("score", str(cohort_dir), "--stage", "tdm", "--model", str(bundle),
                           "--out", str(tmp_path / "s.csv"))
    assert code == 0, out
    scores = pd.read_csv(tmp_path / "s.csv")
    assert len(scores) == 60 and f"{(scores.status == 'scored').sum()} scored" in out
    code, out, _ = run_cli("explain", str(cohort_dir), "--stage", "tdm", "--model", str(bundle),
                           "--out", str(tmp_path / "e.parquet"))
    assert code == 0
    table = pd.read_parquet(tmp_path / "e.parquet")
    assert {"patient_id", "factor", "contribution", "base_value", "model_logit"} <= set(table.columns)
    totals = table.groupby("patient_id").agg(c=("contribution", "sum"), b=("base_value", "first"), m=("model_logit", "first"))
    assert (abs(totals.c + totals.b - totals.m) < 1e-6).all()
    assert set(totals.index) == set(scores.loc[scores.status == "scored", "patient_id"])


@pytest.mark.parametrize("args, message", [
    (["--stage", "later"], "--stage 'later'"),
    (["--stage", "start", "--out-ext"], None),
])
def test_score_user_errors_exit_2_without_traceback(cohort_dir, tmp_path, run_cli, args, message):
    if message is None:  # bad output extension
        args = ["--stage", "start"]
        out = tmp_path / "s.xlsx"
        message = "unknown extension '.xlsx'"
    else:
        out = tmp_path / "s.csv"
    code, _, err = run_cli("score", str(cohort_dir), *args, "--out", str(out))
    assert code == 2
    assert message in err and "Traceback" not in err


def test_python_score_equals_the_command_to_1e_12(models, cohort_dir, tmp_path, run_cli):
    """rashrisk.score(path) and `rashrisk score` give the same table; the CSV keeps full precision."""
    import numpy as np

    import rashrisk

    for stage in ("start", "tdm"):
        out = tmp_path / f"{stage}.csv"
        code, _, _ = run_cli("score", str(cohort_dir), "--stage", stage, "--out", str(out))
        assert code == 0
        from_cli = pd.read_csv(out, keep_default_na=False, na_values=[""], float_precision="round_trip")
        from_python = rashrisk.score(cohort_dir, stage=stage)
        assert list(from_cli.columns) == list(from_python.columns)
        for column in ("risk", "risk_low", "risk_high", "baseline_risk"):
            np.testing.assert_allclose(from_cli[column].to_numpy(float), from_python[column].to_numpy(float),
                                       rtol=0, atol=1e-12, equal_nan=True)
        assert (from_cli["risk"].to_numpy(float)[from_python["status"] == "scored"]
                == from_python.loc[from_python["status"] == "scored", "risk"].to_numpy()).all()  # bit for bit
        for column in ("patient_id", "status", "reason", "band", "factor_1", "warnings", "model"):
            assert from_cli[column].fillna("").astype(str).tolist() == from_python[column].fillna("").astype(str).tolist()

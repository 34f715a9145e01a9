"""The score and explain commands end to end (in process), and their user errors (exit 2, no traceback)."""

import sys

import pandas as pd
import pytest


def run_cli(monkeypatch, capsys, *args):
    from rashrisk.cli.main import run

    monkeypatch.setattr(sys, "argv", ["rashrisk", *args])
    with pytest.raises(SystemExit) as exc:
        run()
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


def test_score_and_explain_commands(models, cohort_dir, tmp_path, monkeypatch, capsys):
    bundle = models["tdm"].save(tmp_path / "bundle")
    code, out, _ = run_cli(monkeypatch, capsys, "score", str(cohort_dir), "--stage", "tdm", "--model", str(bundle),
                           "--out", str(tmp_path / "s.csv"))
    assert code == 0, out
    scores = pd.read_csv(tmp_path / "s.csv")
    assert len(scores) == 60 and f"{(scores.status == 'scored').sum()} scored" in out
    code, out, _ = run_cli(monkeypatch, capsys, "explain", str(cohort_dir), "--stage", "tdm", "--model", str(bundle),
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
def test_score_user_errors_exit_2_without_traceback(cohort_dir, tmp_path, monkeypatch, capsys, args, message):
    if message is None:  # bad output extension
        args = ["--stage", "start"]
        out = tmp_path / "s.xlsx"
        message = "unknown extension '.xlsx'"
    else:
        out = tmp_path / "s.csv"
    code, _, err = run_cli(monkeypatch, capsys, "score", str(cohort_dir), *args, "--out", str(out))
    assert code == 2
    assert message in err and "Traceback" not in err

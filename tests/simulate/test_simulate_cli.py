"""`rashrisk simulate` and `rashrisk analyze` end to end (small cohort)."""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest

from rashrisk.cli.main import run


def invoke(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["rashrisk", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        run()
    out = capsys.readouterr()
    return info.value.code or 0, out.out, out.err


@pytest.fixture(scope="module")
def cohort_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli") / "c"


def test_simulate_then_analyze(monkeypatch, capsys, cohort_dir):
    code, out, _ = invoke(monkeypatch, capsys, "simulate", "--n", 300, "--seed", 5, "--out", cohort_dir)
    assert code == 0 and "simulated 300 patients" in out
    truth = pd.read_csv(cohort_dir / "truth.csv")
    assert len(truth) == 300 and {"cl_l_h", "true_risk", "trough_ss_start_ng_ml"} <= set(truth.columns)

    code, out, _ = invoke(monkeypatch, capsys, "analyze", cohort_dir, "--json")
    result = json.loads(out)
    assert code == 0
    severe = next(r for r in result["incidence"]["rows"] if r["outcome"] == "severe_rash")
    assert severe["n"] == int(truth["severe_rash"].sum())
    assert result["variant"]["risk_allele"] == "T"

    code, out, _ = invoke(monkeypatch, capsys, "analyze", cohort_dir, "--genetic-model", "recessive")
    assert code == 0 and "recessive" in out and "Hardy-Weinberg" in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--risk-allele", "G"), "expected C (REF) or T (ALT)"),
        (("--genetic-model", "codominant"), "--genetic-model 'codominant'"),
    ],
)
def test_analyze_user_errors_exit_2_without_traceback(monkeypatch, capsys, cohort_dir, args, fragment):
    if not (cohort_dir / "patients.csv").exists():
        invoke(monkeypatch, capsys, "simulate", "--n", 300, "--seed", 5, "--out", cohort_dir)
    code, _, err = invoke(monkeypatch, capsys, "analyze", cohort_dir, *args)
    assert code == 2 and fragment in " ".join(err.split()) and "Traceback" not in err


def test_simulate_bad_config_exits_2(monkeypatch, capsys, tmp_path):
    code, _, err = invoke(monkeypatch, capsys, "simulate", "--n", 10, "--seed", 1, "--out", tmp_path / "x",
                          "--config", tmp_path / "missing.toml")
    assert code == 2 and "missing.toml" in err


def test_analyze_says_why_with_no_genotyped_patients(monkeypatch, capsys, cohort_dir, tmp_path):
    import shutil

    if not (cohort_dir / "patients.csv").exists():
        invoke(monkeypatch, capsys, "simulate", "--n", 300, "--seed", 5, "--out", cohort_dir)
    folder = tmp_path / "no_il6r"
    shutil.copytree(cohort_dir, folder)
    vcf = folder / "genotypes.vcf"
    vcf.write_text("".join(line for line in vcf.read_text().splitlines(keepends=True) if "rs4129267" not in line))
    code, out, _ = invoke(monkeypatch, capsys, "analyze", folder)
    text = " ".join(out.split())
    # a no-call is never a genotype: nothing to estimate, and the reason is not 'separation'
    assert code == 0 and "not estimable (no genotyped patients)" in text and "separation" not in text
    assert "exact p = - (no genotyped controls)" in text

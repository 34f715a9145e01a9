"""`rashrisk validate`: exit codes, JSON shape, messages, and no traceback for user errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rashrisk.cli.main import run
from rashrisk.data import example_cohort_path


def invoke(monkeypatch, capsys, *args):
    monkeypatch.setattr(sys, "argv", ["rashrisk", "validate", *map(str, args)])
    with pytest.raises(SystemExit) as info:
        run()
    out = capsys.readouterr()
    return info.value.code or 0, out.out, out.err


def test_example_cohort_is_valid_json(monkeypatch, capsys):
    code, out, _ = invoke(monkeypatch, capsys, example_cohort_path(), "--json")
    data = json.loads(out)
    assert code == 0 and data["errors"] == [] and data["valid"]
    assert data["n_patients"] == 16
    assert data["files"]["patients.csv"] == {"file": "patients.csv", "rows_read": 16, "rows_accepted": 16,
                                             "rows_rejected": 0, "extra_columns": ["site_code"]}
    assert data["files"]["tdm.csv"]["rows_read"] == 15 and data["files"]["genotypes.vcf"]["rows_read"] == 5
    assert len(data["genotype_qc"]) == 6 and {"rsid", "call_rate"} <= set(data["genotype_qc"][0])
    missing = [w for w in data["warnings"] if w["file"] == "genotypes.vcf"]
    assert any("GIST-014" in w["message"] for w in missing)


def test_example_cohort_tables(monkeypatch, capsys):
    code, out, _ = invoke(monkeypatch, capsys, example_cohort_path())
    assert code == 0
    assert "Files" in out and "Genotype QC" in out and "valid" in out and "patients.csv" in out


def test_bad_unit_exits_2_with_file_column_line(monkeypatch, capsys, make_cohort):
    folder = make_cohort([("tdm.csv", 1, "unit", "ng/ml ")])
    code, out, _ = invoke(monkeypatch, capsys, folder, "--json")
    data = json.loads(out)
    assert code == 2
    (error,) = data["errors"]
    assert (error["file"], error["column"], error["lines"]) == ("tdm.csv", "unit", [3])
    assert error["message"].startswith("tdm.csv, column unit, line 3: 'ng/ml ' ... expected one of ng/mL, ug/mL")
    assert data["files"]["tdm.csv"] == {"file": "tdm.csv", "rows_read": 3, "rows_accepted": 2, "rows_rejected": 1,
                                        "extra_columns": []}


def test_errors_table_and_exit_2_without_json(monkeypatch, capsys, make_cohort):
    code, out, _ = invoke(monkeypatch, capsys, make_cohort([("patients.csv", 0, "age_years", "130")]))
    assert code == 2 and "INVALID" in out and "patients.age_years.hard_range" in out


def test_soft_limit_is_a_warning_and_exit_0(monkeypatch, capsys, make_cohort):
    code, out, _ = invoke(monkeypatch, capsys, make_cohort([("patients.csv", 0, "age_years", "95")]), "--json")
    data = json.loads(out)
    assert code == 0 and data["n_patients"] == 3
    assert any(w["rule"] == "patients.age_years.soft_range" and w["lines"] == [2] for w in data["warnings"])


def test_build_option_is_checked(monkeypatch, capsys):
    code, _, err = invoke(monkeypatch, capsys, example_cohort_path(), "--build", "hg18")
    assert code == 2 and "hg18" in err and "Traceback" not in err


def test_user_error_in_a_real_process_has_no_traceback(tmp_path):
    (tmp_path / "patients.csv").write_bytes(b"\x00\xff\xfe garbage")
    proc = subprocess.run([sys.executable, "-m", "rashrisk.cli.main", "validate", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "patients.csv" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout


def test_bracketed_cohort_values_are_printed_not_read_as_markup(monkeypatch, capsys, make_cohort):
    # '[/]' used to crash the rich table (MarkupError traceback); '[bold]X' used to vanish from the message.
    folder = make_cohort([("patients.csv", 0, "sex", "[/]"), ("patients.csv", 1, "sex", "[bold]X")])
    code, out, err = invoke(monkeypatch, capsys, folder)
    flat = "".join(out.split())
    assert code == 2 and "Traceback" not in out + err
    assert "'[/]'" in flat and "'[bold]X'" in flat


def test_user_error_message_keeps_square_brackets(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(sys, "argv", ["rashrisk", "simulate", "--n", "5", "--seed", "1", "--out", str(tmp_path / "c"),
                                      "--ancestry", "XYZ"])
    with pytest.raises(SystemExit) as info:
        run()
    err = " ".join(capsys.readouterr().err.split())
    assert info.value.code == 2 and "[cohort.ancestry] = 'XYZ'" in err

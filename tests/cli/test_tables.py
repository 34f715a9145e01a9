"""Tables fit the terminal: identifiers are never broken across lines, narrow terminals get lists."""

from __future__ import annotations

import io
import json
import random

import pytest
from rich.console import Console
from typer.testing import CliRunner

from rashrisk.cli._tables import Col, column_widths, print_table
from rashrisk.cli.main import app
from rashrisk.data import example_cohort_path

runner = CliRunner()
RSIDS = ("rs4129267", "rs2228145", "rs7529229", "rs2231142", "rs1045642", "rs776746")


def console(width: int) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=width, highlight=False, soft_wrap=True, color_system=None), buffer


def lines_of(text: str) -> list[str]:
    return text.splitlines()


@pytest.mark.parametrize("width", [80, 100, 60, 40])
def test_validate_genotype_qc_keeps_every_rsid_whole(width):
    from rashrisk.cli.validate import _render
    from rashrisk.contract.loader import load_cohort
    from rashrisk.contract.summary import build_validation_data

    con, buffer = console(width)
    _render(build_validation_data(load_cohort(example_cohort_path())), con)
    out = buffer.getvalue()
    qc = out[out.index("Genotype QC"):out.index("Cohort example_cohort: valid")]
    for rsid in RSIDS:
        assert rsid in qc, (rsid, qc)
    assert all(len(line) <= width for line in qc.splitlines())
    if width <= 40:
        assert "\nrs4129267\n  gene: IL6R\n" in qc  # a list per variant


def test_validate_at_80_columns_is_a_table_with_short_headers():
    result = runner.invoke(app, ["validate", str(example_cohort_path())], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    qc = result.output[result.output.index("Genotype QC"):]
    assert "│ rs4129267 │" in qc and "alt_freq" not in qc and "call rate" in qc and "flags" in qc
    assert max(len(line) for line in qc.splitlines()) <= 80


def test_validate_json_is_unchanged_by_the_table_layout():
    data = json.loads(runner.invoke(app, ["validate", str(example_cohort_path()), "--json"]).output)
    assert {"rsid", "n_called", "call_rate", "alt_freq_observed", "hwe_p", "call_rate_flag"} <= set(data["genotype_qc"][0])


def test_analyze_tables_fit_80_columns():
    result = runner.invoke(app, ["analyze", str(example_cohort_path())], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert "rs4129267 genotypes" in result.output and "rs4129267-T" in result.output


def test_pk_fit_table_fits_80_columns_with_whole_patient_ids():
    result = runner.invoke(app, ["pk", "fit", str(example_cohort_path())], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    table = [line for line in result.output.splitlines() if line.startswith("GIST-")]
    assert len(table) >= 10 and all(len(line) <= 80 for line in table)
    assert all("-" in line.split()[0] and len(line.split()[0]) == 8 for line in table)


def _registered_rows():
    metrics = {"auroc_corrected": 0.7, "auroc_corrected_ci_low": 0.65, "auroc_corrected_ci_high": 0.75,
               "calibration_slope_corrected": 0.93, "log_loss_corrected": 0.412}
    return [{"name": "rashrisk-start", "version": 3, "aliases": ["champion"], "n": 712, "events": 120,
             "metrics": metrics, "cohort": "sim712", "simulated": True},
            {"name": "rashrisk-tdm", "version": 12, "aliases": [], "n": None, "events": None, "metrics": {},
             "cohort": None, "simulated": False}]


@pytest.mark.parametrize("width", [80, 120, 50])
def test_models_table_fits_or_becomes_a_list(width):
    from rashrisk.cli.models import render

    con, buffer = console(width)
    render(_registered_rows(), con, uri="sqlite:///mlruns/mlflow.db")
    out = buffer.getvalue()
    assert "0.700" in out and "champion" in out and "712/120" in out
    table_lines = [line for line in out.splitlines() if line[:1] in "┏┃┡│└"]
    assert all(len(line) <= width for line in table_lines)
    if width >= 80:
        assert table_lines and any("│ start " in line for line in table_lines)
    else:
        assert not table_lines and "  AUROC (95% CI): 0.700 (0.65-0.75)" in out


def test_train_summary_fits_80_columns():
    from types import SimpleNamespace

    from rashrisk.cli.train import _print_summary

    summary = {"auroc": (0.712, 0.651, 0.771), "calibration_slope": (0.93, 0.8, 1.1), "brier": (0.12, 0.1, 0.14),
               "nested_cv_auroc": 0.7, "instability_mape": 0.012, "n": 712, "events": 120,
               "events_per_parameter": 12.3, "seconds_total": 33.2}
    results = [SimpleNamespace(model=SimpleNamespace(name=f"rashrisk-{stage}", family=family, params=params),
                               summary=lambda: summary, validation={"warnings": []}, stage=stage)
               for stage, family, params in (("start", "logistic", {"C": 0.1, "splines": True}),
                                             ("tdm", "xgboost", {"max_depth": 3, "n_estimators": 200,
                                                                 "learning_rate": 0.05}))]
    con, buffer = console(80)
    _print_summary(results, con)
    out = buffer.getvalue()
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "┃ rashrisk-start" in out and "rashrisk-tdm" in out and "(0.651-0.771)" in out


def test_column_widths_never_break_words_or_no_wrap_cells():
    columns = [Col("id", no_wrap=True), Col("message")]
    rows = [("patients.age_years.hard_range", "one two three four five six seven eight nine ten")]
    widths = column_widths(columns, rows, 50)
    assert widths is not None and widths[0] == len(rows[0][0]) and widths[1] >= len("three")
    assert sum(widths) + 3 * 2 + 1 <= 50
    # 29 + 7 ("message") cells of content: 7 more for padding and borders, 3 without the outer ones
    assert column_widths(columns, rows, 43) == [29, 7] and column_widths(columns, rows, 42) is None
    assert column_widths(columns, rows, 39, compact=True) == [29, 7]
    assert column_widths(columns, rows, 38, compact=True) is None


def test_print_table_random_tables_fit_and_keep_identifiers():
    rng = random.Random(7)
    words = ["rs4129267", "GIST-0001", "0.938", "call", "rate", "not", "estimable", "(separation)", "-", "IL6R"]
    for _ in range(60):
        n_cols = rng.randint(1, 7)
        columns = [Col(rng.choice(["rsid", "a header", "n", "ALT freq", "flags"]), no_wrap=i == 0)
                   for i in range(n_cols)]
        rows = [[f"rs{rng.randint(10**5, 10**9)}"] + [" ".join(rng.choices(words, k=rng.randint(1, 4)))
                                                   for _ in range(n_cols - 1)] for _ in range(rng.randint(1, 6))]
        width = rng.choice([40, 60, 80, 120])
        con, buffer = console(width)
        as_table = print_table(con, columns, rows, title="t")
        out = buffer.getvalue()
        assert all(row[0] in out for row in rows)
        if as_table:
            assert all(len(line) <= width for line in out.splitlines())
            for row in rows:  # every word of every cell whole on some line
                for word in " ".join(row[1:]).split():
                    assert word in out


def test_borderless_table_when_the_bordered_one_does_not_fit():
    columns = [Col("id", no_wrap=True), Col("message")]
    rows = [("patients.age_years.hard_range", "one two three four five six seven eight nine ten")]
    for width, bordered in ((43, True), (41, False), (39, False)):
        con, buffer = console(width)
        assert print_table(con, columns, rows)
        out = buffer.getvalue()
        assert all(len(line) <= width for line in out.splitlines()), out
        assert "patients.age_years.hard_range" in out and ("┃" in out) == bordered
    con, buffer = console(38)
    assert not print_table(con, columns, rows)
    assert buffer.getvalue().startswith("patients.age_years.hard_range\n  message: one two")

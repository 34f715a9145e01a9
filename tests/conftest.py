"""Shared fixtures: a small hand-written valid cohort folder (contract v1) that tests can edit, the
embedded default models and a small simulated cohort."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _isolated_default_store(tmp_path_factory):
    """The per-user default MLflow store ($XDG_DATA_HOME/rashrisk/mlruns) points into a temporary
    folder for the whole session (subprocesses inherit it): a champion trained on this machine,
    e.g. by `make demo`, never changes which model a test scores with."""
    import os

    previous = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if previous is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = previous


BASE_COHORT = {
    "patients.csv": """patient_id,sex,age_years,weight_kg,height_cm,albumin_g_l,ancestry,setting,start_dose_mg,start_date
P1,F,50,60,160,40,EAS,adjuvant,400,2023-01-10
P2,M,60,70,170,38,EAS,advanced,400,2023-02-10
P3,F,45,55,158,42,EUR,adjuvant,400,2023-03-10
""",
    "genotypes.csv": """patient_id,rsid,genotype
P1,rs4129267,C/T
P2,rs4129267,CC
P3,rs4129267,T|T
P1,rs2231142,G/G
""",
    "tdm.csv": """patient_id,sample_time,last_dose_time,dose_mg,concentration,unit,below_loq
P1,2023-02-10T08:00,2023-02-09T08:00,400,1200,ng/mL,false
P2,2023-03-10T08:00,2023-03-09T08:00,400,1.1,ug/mL,
P3,2023-04-10T08:00,2023-04-09T08:00,400,2000,nmol/L,
""",
    "outcomes.csv": """patient_id,rash_max_grade,recurrent_grade2,rash_onset_day,followup_days
P1,3,,20,300
P2,0,,,300
P3,2,yes,30,300
""",
}


@pytest.fixture(scope="session")
def base_cohort_texts() -> dict[str, str]:
    """File name -> text of the small valid cohort (session scope: usable under Hypothesis)."""
    return dict(BASE_COHORT)


def edit_csv(text: str, edits: list[tuple]) -> str:
    """Apply (row, column, value) edits; row 'append' adds a copy of data row 0 with the edit."""
    rows = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0].keys()) if rows else next(csv.reader(io.StringIO(text)))
    for row, column, value in edits:
        if row == "append":
            rows.append(dict(rows[0]))
            row = len(rows) - 1
        rows[row][column] = value
        if column not in header:  # an optional column the base files do not have (empty elsewhere)
            header.append(column)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def make_cohort(tmp_path):
    """``make_cohort(edits=[(file, row, column, value)], files={name: text or None})`` -> folder Path."""

    def make(edits=(), files=None, name="cohort") -> Path:
        folder = tmp_path / name
        folder.mkdir()
        texts = dict(BASE_COHORT)
        texts.update(files or {})
        by_file: dict[str, list] = {}
        for file, row, column, value in edits:
            by_file.setdefault(file, []).append((row, column, value))
        for file, text in texts.items():
            if text is None:
                continue
            if file in by_file:
                text = edit_csv(text, by_file[file])
            (folder / file).write_text(text, encoding="utf-8")
        return folder

    return make


# --- served models and a small simulated cohort (scoring, explanation and report tests) ---


@pytest.fixture(scope="session")
def models():
    """The embedded default bundles of both stages (committed under models/; missing ones fail)."""
    from rashrisk.models.bundle import load_default_model

    return {stage: load_default_model(stage) for stage in ("start", "tdm")}


@pytest.fixture(scope="session")
def cohort_dir(tmp_path_factory):
    """A 60-patient simulated cohort folder (contract v1)."""
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    folder = tmp_path_factory.mktemp("score-cohort")
    write_cohort(simulate_cohort(load_config(None), 60, 21), folder)
    return folder


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """``run_cli(*args) -> (exit code, stdout, stderr)`` of ``rashrisk ARGS`` in this process, through
    ``rashrisk.cli.main.run`` (so user errors are printed and exit 2, as in a shell)."""
    from rashrisk.cli.main import run

    def invoke(*args):
        monkeypatch.setattr(sys, "argv", ["rashrisk", *map(str, args)])
        with pytest.raises(SystemExit) as info:
            run()
        out = capsys.readouterr()
        return info.value.code or 0, out.out, out.err

    return invoke


"""Privacy by construction: after training both stages with tracking into a temporary SQLite store,
no file under the store's artifact folder and no row of its database (params, metrics, tags,
registry) holds a training patient's id, a sample time, or the cohort's exact extreme values.

The cohort is simulated; the lightest/heaviest, youngest/oldest, ... patient's value of every
numeric input is then moved by a distinctive fraction (e.g. 131.2 kg -> 131.2437 kg), so that a
leak can be searched as text without matching unrelated numbers. The computed inputs (a priori and
MAP troughs, their ratio, the landmark day) have many decimals already.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow  # two trainings, two logged runs and registered models (about 20 s)

FILE_COLUMNS = ("age_years", "weight_kg", "height_cm", "albumin_g_l")
NUDGE = 0.0437  # makes each extreme distinctive as text


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _spellings(value: float) -> set[str]:
    """How a float could be written: repr, 6 decimals, 6 and 7 significant digits, thousands separators."""
    out = {repr(float(value)), repr(round(float(value), 6)), f"{value:.6g}", f"{value:.7g}", f"{value:,.6g}",
           f"{value:.4f}", f"{value:.2f}"}
    return {s for s in out if len(re.sub(r"[^0-9]", "", s)) >= 5}  # short spellings ("88") match anything


@pytest.fixture(scope="module")
def trained_store(tmp_path_factory):
    from rashrisk import tracking
    from rashrisk.contract.loader import load_cohort
    from rashrisk.models.config import LogisticGrid, TrainingConfig
    from rashrisk.models.rejected import rejected_rows
    from rashrisk.models.train import train_stage
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    root = tmp_path_factory.mktemp("privacy-store")
    folder = root / "cohort"
    write_cohort(simulate_cohort(load_config(), 400, 5), folder)
    patients = _rows(folder / "patients.csv")
    for column in FILE_COLUMNS:
        values = [float(r[column]) if r[column] else np.nan for r in patients]
        for index, sign in ((int(np.nanargmax(values)), -1), (int(np.nanargmin(values)), 1)):
            patients[index][column] = f"{values[index] + sign * NUDGE:.4f}"  # stays inside the training range
    _write(folder / "patients.csv", patients)
    cohort = load_cohort(folder)
    assert rejected_rows(cohort) == {}  # the edits are valid values
    config = TrainingConfig(candidates=("logistic",), cv_splits=2, cv_repeats=1, nested_outer_splits=2,
                            nested_inner_splits=2, interval_bootstrap=2, validation_bootstrap=3,
                            logistic=LogisticGrid(C=(0.1,)))
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.chdir(root)
        results = [train_stage(cohort, stage, config) for stage in ("start", "tdm")]
        for result in results:
            tracking.log_training(result, experiment="privacy")
    return {"root": root, "folder": folder, "cohort": cohort, "results": results}


def _needles(store) -> dict[str, str]:
    """{text that must not appear: what it is}."""
    folder = store["folder"]
    needles = {}
    for row in _rows(folder / "patients.csv"):
        needles[row["patient_id"]] = "patient id"
    for column in FILE_COLUMNS:
        written = [r[column] for r in _rows(folder / "patients.csv") if r[column]]
        for text in (max(written, key=float), min(written, key=float)):
            needles[text] = f"{column} extreme as written"
            for spelling in _spellings(float(text)):
                needles[spelling] = f"{column} extreme {text}"
    for row in _rows(folder / "tdm.csv"):
        for column in ("sample_time", "last_dose_time"):
            needles[row[column]] = f"tdm {column}"
            needles[row[column].replace("T", " ")] = f"tdm {column}"
    concentrations = [r["concentration"] for r in _rows(folder / "tdm.csv")]
    for text in (max(concentrations, key=float), min(concentrations, key=float)):
        for spelling in _spellings(float(text)):
            needles[spelling] = f"tdm concentration extreme {text}"
    for result in store["results"]:
        X = result.frame.X
        for column in X.select_dtypes("number").columns:
            values = X[column].dropna().to_numpy(dtype=float)
            if column.endswith("_alt_count") or column in ("start_dose_mg",) or not len(values):
                continue  # allele counts 0-2 and the standard doses are shared by many patients
            for value in (values.max(), values.min()):
                for spelling in _spellings(value):
                    needles[spelling] = f"{result.stage} {column} extreme {value!r}"
    return needles


def _haystacks(store) -> dict[str, bytes]:
    root = store["root"]
    found = {str(path.relative_to(root)): path.read_bytes()
             for path in sorted(root.rglob("*")) if path.is_file() and "cohort" not in path.relative_to(root).parts
             and path.suffix != ".db"}
    with sqlite3.connect(root / "mlflow.db") as db:
        found["mlflow.db (every table)"] = "\n".join(db.iterdump()).encode()
    return found


def _leaks(store, skip=lambda name: False) -> list[str]:
    needles = _needles(store)
    leaks = []
    for name, data in _haystacks(store).items():
        if skip(name):
            continue
        for needle, what in needles.items():
            pattern = rb"(?<![0-9.])" + re.escape(needle.encode()) + rb"(?![0-9])"
            if re.search(pattern, data):
                leaks.append(f"{name}: {what} ({needle})")
    return leaks


def _is_model_state(name: str) -> bool:
    return name.endswith("bundle/model.json")


def test_the_store_holds_no_patient_id_sample_time_or_exact_extreme(trained_store):
    haystacks = _haystacks(trained_store)
    # the scan reaches the database, the cards, the validation reports, the bundles and the plots
    assert "mlflow.db (every table)" in haystacks
    names = "\n".join(haystacks)
    for part in ("model_card/card.json", "validation/report.json", "explanations/global.json", "bundle/model.json",
                 "plots/calibration.png"):
        assert part in names, part
    assert _leaks(trained_store, skip=_is_model_state) == []


def test_the_scan_would_find_a_leak(trained_store):
    """The same scan (_leaks over _haystacks) finds a card that stored the old exact minimum and maximum."""
    X = trained_store["results"][0].frame.X
    leaky = trained_store["root"] / "artifacts" / "leaky-test" / "leaky.json"
    leaky.parent.mkdir(parents=True)
    leaky.write_text(f'{{"weight_kg": {{"min": {X["weight_kg"].min()!r}, "max": {X["weight_kg"].max()!r}}}}}')
    try:
        found = [leak for leak in _leaks(trained_store) if leak.startswith("artifacts/leaky-test/leaky.json:")]
    finally:
        leaky.unlink()
        leaky.parent.rmdir()
    assert any("weight_kg extreme" in leak for leak in found), found
    assert "SIM000001" in _needles(trained_store) and _needles(trained_store)["SIM000001"] == "patient id"


def test_the_fitted_model_state_holds_no_exact_extreme(trained_store):
    assert _leaks(trained_store, skip=lambda name: not _is_model_state(name)) == []

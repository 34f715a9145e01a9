"""``Cohort.from_frames``: DataFrames in the contract's file layout meet the folder loader's rules,
derivations and messages; only the table's name ('patients.csv' / 'patients (DataFrame)') and the
row's location (file line / 0-based DataFrame row) differ."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rashrisk
from rashrisk.contract.cohort import Cohort
from rashrisk.contract.loader import load_cohort
from rashrisk.data import example_cohort_path
from rashrisk.errors import CohortError

STEMS = ("patients", "genotypes", "tdm", "outcomes")


def _genotype_text(row) -> str:
    if not row.called:
        return "./."
    return "/".join([row.ref] * int(row.ref_count) + [row.alt] * int(row.alt_count))


@pytest.fixture(scope="module")
def example_csv_folder(tmp_path_factory):
    """The example cohort with its VCF written as genotypes.csv (every catalogue variant, './.' = no-call)."""
    folder = tmp_path_factory.mktemp("example_csv")
    for stem in ("patients", "tdm", "outcomes"):
        shutil.copy(example_cohort_path() / f"{stem}.csv", folder / f"{stem}.csv")
    genotypes = load_cohort(example_cohort_path()).genotypes
    pd.DataFrame({"patient_id": genotypes["patient_id"], "rsid": genotypes["rsid"],
                  "genotype": [_genotype_text(r) for r in genotypes.itertuples()]}).to_csv(
        folder / "genotypes.csv", index=False)
    return folder


def _read_frames(folder) -> dict[str, pd.DataFrame]:
    return {stem: pd.read_csv(folder / f"{stem}.csv", dtype=str, keep_default_na=False)
            for stem in STEMS if (folder / f"{stem}.csv").exists()}


def _frame_location(text: str) -> str:
    """A folder message's 'line(s) 4, 5' as the frame's 'row(s) 2, 3' (no blank lines: row = line - 2)."""
    def shift(match):
        numbers = ", ".join(str(int(n) - 2) for n in match.group(2).split(", "))
        return f"{'rows' if match.group(1) == 'lines' else 'row'} {numbers}"

    return re.sub(r"\b(lines?) (\d+(?:, \d+)*)", shift, text)


def _frame_name(text: str) -> str:
    for stem in STEMS:
        text = text.replace(f"{stem}.csv", f"{stem} (DataFrame)")
    return text


def assert_same_cohort(by_folder: Cohort, by_frames: Cohort) -> None:
    for table in ("patients", "genotypes", "tdm", "outcomes"):
        pd.testing.assert_frame_equal(getattr(by_folder, table), getattr(by_frames, table))
    pd.testing.assert_frame_equal(by_folder.report.genotype_qc, by_frames.report.genotype_qc)
    assert by_folder.ancestry == by_frames.ancestry
    files = {_frame_name(k): {**v.to_dict(), "file": _frame_name(v.file)} for k, v in by_folder.report.files.items()}
    assert files == {k: v.to_dict() for k, v in by_frames.report.files.items()}
    expected = [(f.level, f.rule, _frame_name(f.file), f.column, [n - 2 for n in f.lines], f.count,
                 _frame_name(_frame_location(f.message))) for f in by_folder.report.findings]
    got = [(f.level, f.rule, f.file, f.column, f.lines, f.count, f.message) for f in by_frames.report.findings]
    assert got == expected
    assert by_folder.input_rows.keys() == by_frames.input_rows.keys()
    for table, record in by_folder.input_rows.items():
        rows = record.to_frame()
        shifted = rows.assign(line=rows["line"] - 2, where=rows["where"].map(lambda w: _frame_name(_frame_location(w))),
                              reason=rows["reason"].map(lambda r: _frame_name(_frame_location(r))))
        pd.testing.assert_frame_equal(shifted, by_frames.input_rows[table].to_frame())


def test_example_cohort_from_frames_equals_the_folder(example_csv_folder):
    by_folder = load_cohort(example_csv_folder)
    by_frames = rashrisk.Cohort.from_frames(**_read_frames(example_csv_folder), name=by_folder.name)
    assert by_folder.report.errors == [] and by_folder.n_patients == 16
    assert by_frames.name == by_folder.name and by_frames.path is None
    assert_same_cohort(by_folder, by_frames)
    # the genotypes.csv written from the VCF reads back to the VCF's genotype table
    pd.testing.assert_frame_equal(load_cohort(example_cohort_path()).genotypes, by_frames.genotypes)


def _edit(frame: pd.DataFrame, row: int, column: str, value: str) -> None:
    frame.loc[row, column] = value


@pytest.fixture
def bad_folder(example_csv_folder, tmp_path):
    """The example cohort with bad rows: sex 'X', age -5, weight 0.065 (kg? a warning), an unknown unit,
    and seven rows breaking the same rule (more than a finding's five lines)."""
    folder = tmp_path / "bad"
    shutil.copytree(example_csv_folder, folder)
    frames = _read_frames(folder)
    patients, tdm = frames["patients"], frames["tdm"]
    _edit(patients, 1, "sex", "X")
    _edit(patients, 3, "age_years", "-5")
    _edit(patients, 5, "weight_kg", "0.065")
    _edit(tdm, 2, "unit", "mg/dL")
    for row in range(6, 13):
        _edit(patients, row, "start_dose_mg", "0")
    _edit(patients, 12, "sex", "")  # one row, two errors
    patients.to_csv(folder / "patients.csv", index=False)
    tdm.to_csv(folder / "tdm.csv", index=False)
    return folder


def test_bad_rows_are_rejected_with_the_same_reasons(bad_folder):
    by_folder = load_cohort(bad_folder)
    by_frames = Cohort.from_frames(**_read_frames(bad_folder), name=by_folder.name)
    assert_same_cohort(by_folder, by_frames)
    rules = {f.rule for f in by_frames.report.errors}
    assert {"patients.sex.allowed", "patients.age_years.hard_range", "patients.start_dose_mg.hard_range",
            "patients.sex.required", "tdm.unit.allowed"} <= rules
    slip = next(f for f in by_frames.report.errors if f.rule == "patients.weight_kg.hard_range")
    assert slip.message == ("patients (DataFrame), column weight_kg, row 5: '0.065' ... expected >= 20 and <= 400 "
                            "(an adult weight in kg; below 20 is a unit slip, e.g. 0.065 for 65 kg)")
    assert by_frames.report.files["patients (DataFrame)"].rows_rejected == 10
    rows = by_frames.input_rows["patients"].to_frame()
    assert len(rows) == 16 and rows["accepted"].sum() == by_frames.n_patients == 6
    assert rows.loc[1, "reason"] == ("patients (DataFrame), column sex, row 1: 'X' ... expected one of F, M "
                                     "(case-insensitive)")
    assert rows.loc[3, "reason"] == "patients (DataFrame), column age_years, row 3: '-5' ... expected >= 0 and <= 120"
    # every row of a rule that broke seven rows names its own row, not the finding's first five
    for row in range(6, 13):
        assert f"column start_dose_mg, row {row}: '0' ... expected > 0 and <= 1000" in rows.loc[row, "reason"]
    assert rows.loc[12, "reason"].count(";") == 1 and "column sex, row 12: empty" in rows.loc[12, "reason"]
    assert (rows.loc[rows["accepted"], "reason"] == "").all()
    tdm_rows = by_frames.input_rows["tdm"].to_frame()
    assert "column unit, row 2: 'mg/dL'" in tdm_rows.loc[2, "reason"]
    # the folder's record: same rows, file lines
    folder_rows = by_folder.input_rows["patients"].to_frame()
    assert folder_rows.loc[3, "where"] == "patients.csv line 5" and "line 5: '-5'" in folder_rows.loc[3, "reason"]


def test_typed_values_read_like_their_csv_text(example_csv_folder):
    text = _read_frames(example_csv_folder)
    by_text = Cohort.from_frames(**text)
    p, t, o = text["patients"], text["tdm"], text["outcomes"]
    typed = {
        "patients": p.assign(age_years=p["age_years"].astype(int), weight_kg=p["weight_kg"].astype(float),
                             height_cm=pd.to_numeric(p["height_cm"]).astype("Int64"),
                             albumin_g_l=pd.to_numeric(p["albumin_g_l"]).astype(float),  # '' -> NaN
                             start_date=pd.to_datetime(p["start_date"])),
        "tdm": t.assign(sample_time=pd.to_datetime(t["sample_time"], format="ISO8601"),
                        concentration=t["concentration"].astype(float), dose_mg=t["dose_mg"].astype(int),
                        below_loq=t["below_loq"].map({"": None, "false": False, "no": False}).astype("boolean")),
        "outcomes": o.assign(rash_max_grade=o["rash_max_grade"].astype(int),
                             rash_onset_day=pd.to_numeric(o["rash_onset_day"]).astype(float)),
        "genotypes": text["genotypes"],
    }
    by_typed = Cohort.from_frames(**typed)
    for table in ("patients", "tdm", "outcomes", "genotypes"):
        pd.testing.assert_frame_equal(getattr(by_text, table), getattr(by_typed, table))
    assert by_typed.report.errors == []


def test_a_typed_bad_value_is_shown_as_given():
    patients = pd.DataFrame({"patient_id": ["A", "B"], "sex": ["F", "male"], "age_years": [-5, 61],
                             "weight_kg": [60.0, np.inf], "start_dose_mg": [400, 400],
                             "start_date": pd.to_datetime(["2024-01-02", "2024-02-03"])})
    cohort = Cohort.from_frames(patients, pd.DataFrame(columns=["patient_id", "rsid", "genotype"]))
    messages = sorted(f.message for f in cohort.report.errors)
    assert messages == ["patients (DataFrame), column age_years, row 0: '-5' ... expected >= 0 and <= 120",
                        "patients (DataFrame), column weight_kg, row 1: 'inf' ... expected a number",
                        "patients (DataFrame): no patient accepted out of 2 row(s) ... expected at least one valid "
                        "patient row"]


def test_rows_are_positions_whatever_the_index():
    patients = pd.DataFrame({"patient_id": ["A", "B", "C"], "sex": ["F", "x", "M"], "age_years": ["50"] * 3,
                             "weight_kg": ["60"] * 3, "start_dose_mg": ["400"] * 3,
                             "start_date": ["2024-01-02"] * 3}, index=[10, 20, 30])
    cohort = Cohort.from_frames(patients, pd.DataFrame(columns=["patient_id", "rsid", "genotype"]), source="site B")
    (error,) = cohort.report.errors
    assert error.lines == [1] and error.message.startswith("patients (site B), column sex, row 1: 'x'")
    assert list(cohort.patients["patient_id"]) == ["A", "C"]


def test_patient_id_as_the_index_is_read_as_the_column():
    patients = pd.DataFrame({"patient_id": ["A"], "sex": ["F"], "age_years": [50], "weight_kg": [60],
                             "start_dose_mg": [400], "start_date": ["2024-01-02"]}).set_index("patient_id")
    cohort = Cohort.from_frames(patients, pd.DataFrame({"patient_id": ["A"], "rsid": ["rs4129267"],
                                                        "genotype": ["C/T"]}))
    assert list(cohort.patients["patient_id"]) == ["A"] and cohort.report.errors == []
    g = cohort.genotypes.set_index("rsid")
    assert g.loc["rs4129267", "alt_count"] == 1


def test_without_genotypes_every_genotype_is_a_no_call_with_an_error(example_csv_folder):
    frames = _read_frames(example_csv_folder)
    cohort = Cohort.from_frames(frames["patients"], name="site_b")
    (error,) = cohort.report.errors
    assert error.rule == "file.genotypes_missing" and error.file == "genotypes (DataFrame)"
    assert error.message.startswith("site_b: no genotypes table ... expected a genotypes DataFrame")
    assert not cohort.genotypes["called"].any() and len(cohort.genotypes) == 16 * 6
    assert cohort.outcomes is None and cohort.tdm.empty and "genotypes" not in cohort.input_rows


def test_missing_required_column_rejects_every_row(example_csv_folder):
    frames = _read_frames(example_csv_folder)
    frames["tdm"] = frames["tdm"].rename(columns={"dose_mg": "Dose_MG"})
    cohort = Cohort.from_frames(**frames)
    report = cohort.report.files["tdm (DataFrame)"]
    assert (report.rows_read, report.rows_rejected) == (15, 15)
    finding = next(f for f in cohort.report.errors if f.rule == "file.required_columns")
    assert finding.lines == [] and finding.message.startswith(
        "tdm (DataFrame), column dose_mg: missing from the columns (found 'Dose_MG': names are exact and lower case)")
    rows = cohort.input_rows["tdm"].to_frame()
    assert not rows["accepted"].any() and (rows["reason"] == finding.message).all()
    assert cohort.tdm.empty and "concentration_ng_ml" in cohort.tdm


def test_blank_rows_are_skipped_and_positions_kept():
    patients = pd.DataFrame({"patient_id": ["A", None, "B"], "sex": ["F", None, "M"], "age_years": [50, None, -1],
                             "weight_kg": [60, None, 70], "start_dose_mg": [400, None, 400],
                             "start_date": ["2024-01-02", None, "2024-01-02"]})
    cohort = Cohort.from_frames(patients, pd.DataFrame(columns=["patient_id", "rsid", "genotype"]))
    assert cohort.report.files["patients (DataFrame)"].rows_read == 2
    blank = next(f for f in cohort.report.warnings if f.rule == "file.blank_lines")
    assert blank.message == "patients (DataFrame): 1 blank row(s) skipped (every cell missing)"
    (error,) = cohort.report.errors
    assert error.lines == [2] and "row 2: '-1.0'" in error.message  # a float column (it has a None)
    assert list(cohort.input_rows["patients"].line) == [0, 2]


@pytest.mark.parametrize("patients, match", [
    (None, r"patients \(DataFrame\): the patients table is required"),
    ([{"patient_id": "A"}], r"patients \(DataFrame\): expected a pandas DataFrame in the layout of patients.csv, got list"),
    (pd.DataFrame([["A", "F", "M"]], columns=["patient_id", "sex", "sex"]),
     r"patients \(DataFrame\), column sex: the DataFrame has 2 columns named 'sex' ... expected each column once"),
    (pd.DataFrame({"id": ["A"], "gender": ["F"]}),
     r"patients \(DataFrame\): none of the contract's column names \(expected patient_id, sex, .*; found 'id', 'gender'\)"),
    (pd.DataFrame(), r"patients \(DataFrame\): no columns"),
])
def test_unusable_tables_raise_a_cohort_error_naming_them(patients, match):
    with pytest.raises(CohortError, match=match):
        Cohort.from_frames(patients)


def test_every_folder_row_is_in_the_record(bad_folder):
    cohort = load_cohort(bad_folder)
    for table, record in cohort.input_rows.items():
        rows = record.to_frame()
        report = cohort.report.files[f"{table}.csv"]
        assert len(rows) == report.rows_read and int(rows["accepted"].sum()) == report.rows_accepted
        assert (rows.loc[~rows["accepted"], "reason"].str.len() > 0).all()
    assert "genotypes" not in load_cohort(example_cohort_path()).input_rows  # a VCF's rows are variants


def test_rashrisk_cohort_is_exported_lazily():
    import subprocess
    import sys

    code = ("import sys, rashrisk; light = 'pandas' not in sys.modules; "
            "from rashrisk.contract.cohort import Cohort; "
            "print(light, rashrisk.Cohort is Cohort, 'Cohort' in rashrisk.__all__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]


# cell values that survive a CSV round trip (NUL and bare carriage returns are the CSV reader's business)
CELLS = ["", " ", "nan", "NaN", "inf", "-inf", "1e400", "-0", "1_000", "0x1F", "1,5", "NaT", "9999-99-99",
         "2023-02-10T08:00+05:00", "2023-02-10T08:00Z", "3000-01-01", '"', "ü", "µ", "\u03bcg/mL", "C/T/A", "./.",
         "rs", "rs1e3", "TRUE", "x" * 300, "12:00", "P1", "P1 ", "P2", "-1", "0", "1e-320", "m", "female", "NC"]


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_edited_cells_give_the_same_cohort_from_a_folder_and_from_frames(base_cohort_texts, data):
    frames = {name.removesuffix(".csv"): pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
              for name, text in base_cohort_texts.items()}
    for _ in range(data.draw(st.integers(1, 3))):
        stem = data.draw(st.sampled_from(sorted(frames)))
        frame = frames[stem]
        row = data.draw(st.integers(0, len(frame) - 1))
        column = data.draw(st.sampled_from(list(frame.columns)))
        frame.loc[row, column] = data.draw(st.sampled_from(CELLS) | st.text(st.characters(
            blacklist_categories=("Cs", "Cc")), max_size=6))
    with tempfile.TemporaryDirectory() as tmp:
        for stem, frame in frames.items():
            frame.to_csv(Path(tmp) / f"{stem}.csv", index=False)
        by_folder = load_cohort(tmp)
    assert_same_cohort(by_folder, Cohort.from_frames(**frames, name=by_folder.name))

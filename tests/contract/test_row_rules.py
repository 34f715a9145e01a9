"""The row-wise evaluators (rashrisk.contract.row_rules) against the vectorised engine: the same
tables give identical parsed values, rejected rows, flagged rows and findings (messages included),
whatever the cells (the contract's valid values, its spellings, out-of-range and unparseable ones)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rashrisk.contract import row_rules
from rashrisk.contract.genotypes import load_catalogue
from rashrisk.contract.rules import Context, RawTable, apply_rules
from rashrisk.contract.schema import FILES, Rule
from rashrisk.contract.derive import outcomes as derive_outcomes, patients as derive_patients, tdm as derive_tdm

NASTY = ["", " ", "nan", "NaN", "inf", "-inf", "1e400", "-0", "1_000", "0x1F", "1,5", "NaT", "9999-99-99", "x",
         "2262-04-12", "0001-01-01T00:00", "2023-02-10T08:00+05:00", "2023-02-10T08:00Z", "3000-01-01", "\u03bcg/mL",
         "C/T/A", "./.", "rs", "TRUE", " yes", "No ", "P1 ", "-1", "0", "1e-320", "\t", "\x1c5", "\u0665"]
VALID = {
    "patient_id": ["P1", "P2", " P1", "P3"],
    "sex": ["F", "M", "female", "MALE", "f"],
    "age_years": ["61", "17", "95", "121", "45.5", " 70 "],
    "weight_kg": ["52", "15", "150", "160", "410", "0.065", "300"],
    "height_cm": ["158", "1.7", "65", "99", "251", "210"],
    "albumin_g_l": ["39", "3.9", "101", "15"],
    "rbc_10e12_l": ["4.1", "0.5", "9", "2"],
    "ancestry": ["EAS", "eur", "AFR", "OTH", "xyz"],
    "setting": ["adjuvant", "Advanced", "metastatic"],
    "start_dose_mg": ["400", "600", "250", "0", "1001", "800.0"],
    "start_date": ["2025-03-03", "2025-03-03T00:00", "2099-01-01", "2025-02-30", "2025-03-03 "],
    "rsid": ["rs4129267", "rs2231142", "rs1045642", "rs999", "rs1e3"],
    "genotype": ["T/T", "G/T", "C/T", "CT", "C|T", "./.", "NC", "A/A", "GG"],
    "sample_time": ["2025-03-17T08:00", "2025-03-02T08:00", "2025-03-17T08:00+02:00", "2025-03-17 08:00"],
    "last_dose_time": ["2025-03-16T08:10", "2025-03-18T08:00", "2025-03-15T01:00", "2025-03-16T08:10Z"],
    "dose_mg": ["400", "0", "1001", "600"],
    "concentration": ["2150", "2.15", "25000", "12000", "-1", "4.3"],
    "unit": ["ng/mL", "ug/mL", "\u00b5g/mL", "mg/L", "nmol/L", "umol/L", "\u03bcmol/L", "g/L"],
    "below_loq": ["true", "false", "1", "0", "yes", "no", " TRUE ", "maybe"],
    "rash_max_grade": ["0", "2", "3", "5", "6", "2.5"],
    "recurrent_grade2": ["true", "false", ""],
    "rash_onset_day": ["10", "", "-2", "400"],
    "followup_days": ["365", "", "5"],
}


def _cell(column: str):
    return st.one_of(st.sampled_from(VALID.get(column, ["x"])), st.sampled_from(NASTY), st.just(""))


@st.composite
def tables(draw, key: str):
    schema = FILES[key]
    n = draw(st.integers(1, 4))
    frame = pd.DataFrame({c.name: [draw(_cell(c.name)) for _ in range(n)] for c in schema.columns}, dtype=object)
    return frame


def _derive(key: str):
    starts = pd.Series(pd.to_datetime(["2025-03-03", "2025-03-01"]), index=["P1", "P2"])
    return {"patients": derive_patients, "tdm": lambda v: derive_tdm(v, starts), "outcomes": derive_outcomes,
            "genotypes": None}[key]


def _context() -> Context:
    return Context(patient_ids_read=pd.Index(["P1", "P2", "P3"], dtype=object),
                   patient_ids_accepted=pd.Index(["P1", "P2"], dtype=object), catalogue=load_catalogue(),
                   today=pd.Timestamp("2026-01-01"))


def _run(key: str, frame: pd.DataFrame, row_wise: bool):
    table = RawTable(f"{key} (DataFrame)", frame.copy(), np.arange(len(frame)), [], "row")
    return apply_rules(FILES[key], table, _context(), _derive(key), row_wise=row_wise)


def assert_same_result(vectorised, row_wise) -> None:
    pd.testing.assert_frame_equal(row_wise.values, vectorised.values, check_exact=True)
    assert row_wise.rejected.tolist() == vectorised.rejected.tolist()
    assert row_wise.findings == vectorised.findings
    assert list(row_wise.flagged) == list(vectorised.flagged)
    for rule_id, mask in vectorised.flagged.items():
        assert row_wise.flagged[rule_id].tolist() == mask.tolist(), rule_id


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), key=st.sampled_from(sorted(FILES)))
def test_row_wise_rules_equal_vectorised_rules(data, key):
    frame = data.draw(tables(key))
    assert_same_result(_run(key, frame, row_wise=False), _run(key, frame, row_wise=True))


def test_parity_check_can_fail():
    """The comparison sees a difference: a rule whose row-wise evaluator would flag one more row."""
    frame = pd.DataFrame({c.name: [VALID[c.name][0]] for c in FILES["patients"].columns}, dtype=object)
    vectorised = _run("patients", frame, row_wise=False)
    row_wise = _run("patients", frame, row_wise=True)
    assert_same_result(vectorised, row_wise)
    row_wise.flagged["patients.start_dose_mg.soft_allowed"] = np.ones(1, dtype=bool)
    try:
        assert_same_result(vectorised, row_wise)
    except AssertionError:
        return
    raise AssertionError("the parity comparison did not see a changed mask")


def test_small_tables_are_evaluated_row_wise(monkeypatch):
    """apply_rules chooses the row-wise evaluators for small tables only."""
    seen = []
    monkeypatch.setattr(row_rules, "check_unique", lambda rule, s: seen.append(len(s.values)) or
                        np.zeros(len(s.values), dtype=bool))
    monkeypatch.setitem(row_rules.ROW_CHECKS, "unique", row_rules.check_unique)
    rule = [Rule("x.unique", "patients", "patient_id", "unique", params={"on": ("patient_id",)})]
    for n in (1, row_rules.SMALL_TABLE_ROWS, row_rules.SMALL_TABLE_ROWS + 1):
        frame = pd.DataFrame({c.name: [VALID[c.name][0]] * n for c in FILES["patients"].columns}, dtype=object)
        table = RawTable("patients (DataFrame)", frame, np.arange(n), [], "row")
        apply_rules(FILES["patients"], table, _context(), derive_patients, rules=rule)
    assert seen == [1, row_rules.SMALL_TABLE_ROWS]


@st.composite
def time_texts(draw):
    """Date and time texts around the plain form: impossible days, hours and years, both separators."""
    year = draw(st.sampled_from([1677, 1678, 1900, 2000, 2023, 2024, 2025, 2261, 2262, 2263]))
    text = f"{year:04d}-{draw(st.integers(0, 13)):02d}-{draw(st.integers(0, 32)):02d}"
    if draw(st.booleans()):
        text += draw(st.sampled_from(["T", " ", "t"])) + f"{draw(st.integers(0, 25)):02d}:{draw(st.integers(0, 61)):02d}"
        if draw(st.booleans()):
            text += f":{draw(st.integers(0, 61)):02d}"
        text += draw(st.sampled_from(["", "", "Z", ".5", " "]))  # one offset kind: mixed ones warn in pandas
    return draw(st.sampled_from([text, text, "", " " + text, text.replace("-", "/")]))


@settings(max_examples=300, deadline=None)
@pytest.mark.filterwarnings("ignore:In a future version of pandas, parsing datetimes with mixed:FutureWarning")
@given(cells=st.lists(time_texts(), min_size=1, max_size=3), kind=st.sampled_from(["date", "datetime"]))
def test_plain_times_are_read_as_pandas_reads_them(cells, kind):
    from rashrisk.contract.parse import parse_column
    from rashrisk.contract.schema import Column

    column = Column("t", kind)
    raw = pd.Series(cells, dtype=object)
    try:
        expected, expected_failed = parse_column(raw, column)
    except AttributeError:  # pandas returns no datetime column for some mixes of offset forms: same here
        with pytest.raises(AttributeError):
            row_rules.parse_cells(raw, column)
        return
    values, failed = row_rules.parse_cells(raw, column)
    assert np.asarray(values, dtype="datetime64[ns]").tolist() == expected.to_numpy().tolist()
    assert np.asarray(values).dtype == expected.dtype == np.dtype("datetime64[ns]")
    assert failed.tolist() == expected_failed.tolist()

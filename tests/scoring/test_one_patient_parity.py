"""One patient through the row-wise rule engine and through the vectorised one: fuzzed one-patient
documents (the contract's values, spellings, limits, genotype texts, TDM times, invalid values) give
identical request problems, cohort tables, findings, row records and score records at both stages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rashrisk.contract import row_rules
from rashrisk.models.bundle import load_default_model
from rashrisk.scoring.output import table_records
from rashrisk.scoring.score import score_input
from rashrisk.service.inputs import RequestProblems, single_input
from rashrisk.service.schemas import EXAMPLE_PATIENT

PATIENT_VALUES = {
    "sex": ["F", "M", "female", "Male", "x", None],
    "age_years": [61, "61", 17, 95, 121, -1, 45.5, "61 ", "abc", None],
    "weight_kg": [52, 15, 160, 410, 0.065, "52", 300, None],
    "height_cm": [158, 1.7, 65, 251, None, "158"],
    "albumin_g_l": [39, 3.9, 101, 15, None],
    "rbc_10e12_l": [4.1, 0.5, None],
    "ancestry": ["EAS", "eur", "AFR", "OTH", "xyz", None],
    "setting": ["adjuvant", "Advanced", "metastatic", None],
    "start_dose_mg": [400, 600, 250, 0, 1001, "800", None],
    "start_date": ["2025-03-03", "2025-03-03T00:00", "2099-01-01", "2025-02-30", "", None],
}
GENOTYPE_TEXTS = ["T/T", "C/T", "C/C", "G/T", "G/G", "CT", "C|T", "./.", "NC", "", "A/A", "X/Y", "C/T/A"]
RSIDS = ["rs4129267", "rs2231142", "rs1045642", "rs999999", "rsx"]
SAMPLE_VALUES = {
    "sample_time": ["2025-03-17T08:00", "2025-03-02T08:00", "2025-03-17T08:00+02:00", "2025-04-20T08:00", "x"],
    "last_dose_time": ["2025-03-16T08:10", "2025-03-18T08:00", "2025-03-15T01:00", "2025-03-16T08:10Z", None],
    "dose_mg": [400, 0, 1001, 600, "400"],
    "concentration": [2150, 2.15, 25000, 12000, -1, "2150", None],
    "unit": ["ng/mL", "ug/mL", "mg/L", "nmol/L", "umol/L", "g/L"],
    "below_loq": [None, True, False, "yes", "maybe"],
}


@st.composite
def documents(draw):
    document = {k: v for k, v in EXAMPLE_PATIENT.items() if k not in ("genotypes", "tdm")}
    for field, values in PATIENT_VALUES.items():
        if draw(st.booleans()):
            document[field] = draw(st.sampled_from(values))
    rsids = draw(st.lists(st.sampled_from(RSIDS), unique=True, max_size=4))
    document["genotypes"] = {r: draw(st.sampled_from(GENOTYPE_TEXTS)) for r in rsids}
    samples = []
    for _ in range(draw(st.integers(0, 2))):
        sample = dict(EXAMPLE_PATIENT["tdm"][0])
        for field, values in SAMPLE_VALUES.items():
            if draw(st.booleans()):
                sample[field] = draw(st.sampled_from(values))
        samples.append(sample)
    document["tdm"] = samples
    return document


@pytest.fixture(scope="module")
def models():
    return {stage: load_default_model(stage) for stage in ("start", "tdm")}


def _outcome(document: dict, models: dict, monkeypatch, *, row_wise: bool) -> dict:
    """Everything the service builds from the document: its 422 problems, or the cohort's tables,
    findings and row records and the score records of both stages."""
    monkeypatch.setattr(row_rules, "SMALL_TABLE_ROWS", 32 if row_wise else -1)
    try:
        found = single_input(document)
    except RequestProblems as exc:
        return {"problems": exc.problems}
    cohort = found.cohort
    out = {"tables": {name: getattr(cohort, name) for name in ("patients", "genotypes", "tdm")},
           "findings": cohort.report.findings, "files": cohort.report.files, "qc": cohort.report.genotype_qc,
           "rows": {key: (rows.to_frame(), rows.warnings) for key, rows in cohort.input_rows.items()},
           "input": (found.patient_ids, found.rejected, found.warnings)}
    for stage, model in models.items():
        out[stage] = table_records(score_input(found, stage, model))
    return out


def assert_same_outcome(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    if "problems" in a:
        assert a["problems"] == b["problems"]
        return
    for name, table in a["tables"].items():
        pd.testing.assert_frame_equal(b["tables"][name], table, check_exact=True)
    pd.testing.assert_frame_equal(b["qc"], a["qc"], check_exact=True)
    assert a["findings"] == b["findings"] and a["files"] == b["files"] and a["input"] == b["input"]
    for key, (frame, warnings) in a["rows"].items():
        pd.testing.assert_frame_equal(b["rows"][key][0], frame, check_exact=True)
        assert b["rows"][key][1] == warnings
    for stage in ("start", "tdm"):
        assert a[stage] == b[stage], stage


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(document=documents())
def test_one_patient_same_outcome_both_engines(document, models, monkeypatch):
    vectorised = _outcome(document, models, monkeypatch, row_wise=False)
    assert_same_outcome(vectorised, _outcome(document, models, monkeypatch, row_wise=True))


def test_the_parity_comparison_can_fail(models, monkeypatch):
    """A changed finding, table cell or score is seen."""
    document = dict(EXAMPLE_PATIENT, age_years=95)  # a soft-range warning
    base = _outcome(document, models, monkeypatch, row_wise=False)
    assert_same_outcome(base, _outcome(document, models, monkeypatch, row_wise=True))
    assert any(f.rule == "patients.age_years.soft_range" for f in base["findings"])
    changed = _outcome(document, models, monkeypatch, row_wise=True)
    changed["tdm"][0]["risk"] = np.nextafter(changed["tdm"][0]["risk"], 1.0)
    with pytest.raises(AssertionError):
        assert_same_outcome(base, changed)
    changed = _outcome(document, models, monkeypatch, row_wise=True)
    changed["findings"] = changed["findings"][1:]
    with pytest.raises(AssertionError):
        assert_same_outcome(base, changed)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(document=documents())
def test_every_patient_scored_rows_equal_the_merged_and_sorted_rows(document, models):
    """score_input returns the scored rows as they are when every patient was scored in input order:
    the same table (values and dtypes) as merging the (empty) not-scored rows and sorting."""
    from rashrisk.scoring.score import in_input_order, not_scored_rows

    try:
        found = single_input(document)
    except RequestProblems:
        return
    for stage, model in models.items():
        table = score_input(found, stage, model)
        merged = in_input_order(pd.concat([table, not_scored_rows(model, {})], ignore_index=True), found.patient_ids)
        pd.testing.assert_frame_equal(table, merged, check_exact=True)

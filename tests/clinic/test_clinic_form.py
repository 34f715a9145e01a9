"""The clinician form's fields -> the one-patient JSON document, and the contract's messages mapped
back to the fields (rashrisk.clinic.form)."""

from __future__ import annotations

import json

import pytest

from rashrisk.clinic.form import (FORM_SOURCE, catalogue_variants, check_document, check_form, check_upload,
                                  field_label, form_document, resolved_stage)
from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.scoring.inputs import scoring_input_from_document

BASE = {"patient_id": "GIST-042", "sex": "F", "age_years": "61", "weight_kg": "52", "height_cm": "158",
        "ancestry": "EAS", "setting": "adjuvant", "start_dose_mg": "400", "start_date": "2025-03-03"}


def messages(check, level="error"):
    found = check.errors if level == "error" else check.warnings
    return {(m.field, m.message) for m in found}


def test_the_form_makes_the_document_of_docs_reports():
    form = {**BASE, "albumin_g_l": "39", "genotype_rs4129267": "T/T", "genotype_rs2231142": "G/T",
            "genotype_rs1045642": "",
            "tdm1_sample_time": "2025-03-17T08:00", "tdm1_last_dose_time": "2025-03-16T08:10", "tdm1_dose_mg": "400",
            "tdm1_concentration": "2150", "tdm1_unit": "ng/mL",
            "tdm2_unit": "ng/mL", "tdm2_dose_mg": "",  # a blank sample row (its unit has a default)
            "stage": "auto", "trough_threshold": "1100"}
    document = form_document(form)
    assert document == {
        "patient_id": "GIST-042", "sex": "F", "age_years": "61", "weight_kg": "52", "height_cm": "158",
        "albumin_g_l": "39", "ancestry": "EAS", "setting": "adjuvant", "start_dose_mg": "400",
        "start_date": "2025-03-03", "genotypes": {"rs4129267": "T/T", "rs2231142": "G/T"},
        "tdm": [{"sample_time": "2025-03-17T08:00", "last_dose_time": "2025-03-16T08:10", "dose_mg": "400",
                 "concentration": "2150", "unit": "ng/mL"}]}
    check = check_form(form)
    assert check.ok and check.errors == [] and check.skin is None
    assert resolved_stage(check) == "tdm"
    # exactly what the contract's own entry point accepts
    direct = scoring_input_from_document(document, source=FORM_SOURCE)
    assert check.scoring_input.cohort.patients.equals(direct.cohort.patients)
    assert check.scoring_input.cohort.tdm.equals(direct.cohort.tdm)


def test_hours_after_the_dose_become_the_last_dose_time_and_a_blank_dose_the_start_dose():
    document = form_document({**BASE, "tdm1_sample_time": "2025-03-17T08:00", "tdm1_hours_after_dose": "23.5",
                              "tdm1_concentration": "1.1", "tdm1_unit": "ug/mL", "tdm1_below_loq": "true"})
    assert document["tdm"] == [{"sample_time": "2025-03-17T08:00", "last_dose_time": "2025-03-16T08:30",
                                "dose_mg": "400", "concentration": "1.1", "unit": "ug/mL", "below_loq": "true"}]


def test_genotype_choices_are_the_catalogues_and_not_tested_is_a_no_call():
    catalogue = load_catalogue()
    variants = catalogue_variants()
    assert [v["rsid"] for v in variants] == catalogue["rsid"].tolist()
    il6r = next(v for v in variants if v["rsid"] == "rs4129267")
    assert il6r["choices"] == ("C/C", "C/T", "T/T") and il6r["gene"] == "IL6R" and il6r["hint"] is None
    unverified = set(catalogue.loc[catalogue["coordinates_verified"] == "no", "rsid"])
    assert unverified and {v["rsid"] for v in variants if v["hint"]} == unverified
    check = check_form({**BASE, "genotype_rs4129267": ""})
    assert check.ok and check.document["genotypes"] == {}
    # one patient: the cohort genotype QC (call rate of a column) is not shown as a warning
    assert not any("call rate" in m.message for m in check.warnings)


def test_field_errors_name_the_field_the_value_and_what_was_expected_in_the_contracts_words():
    form = {**BASE, "sex": "X", "age_years": "-5", "weight_kg": "abc", "height_cm": "1.58",
            "genotype_rs2231142": "Q/Q",
            "tdm1_sample_time": "2025-03-17T08:00", "tdm1_last_dose_time": "2025-03-16T08:10",
            "tdm1_concentration": "25", "tdm1_unit": "ug/mL"}
    check = check_form(form)
    assert not check.ok and check.scoring_input is None
    found = messages(check)
    assert ("sex", "'X' ... expected one of F, M (case-insensitive)") in found
    assert ("age_years", "'-5' ... expected >= 0 and <= 120") in found
    assert ("weight_kg", "'abc' ... expected a number") in found
    assert ("height_cm", "'1.58' ... expected a height in cm: 1.0-2.5 looks like metres (multiply by 100)") in found
    assert any(f == "genotype_rs2231142" and m.startswith("'Q/Q' ... expected two alleles") for f, m in found)
    # the sample is rejected because the patient is: that consequence is not shown as a sample problem
    assert not any(f and f.startswith("tdm1_") and "patient" in m for f, m in found)
    # each message is the contract's own text: the loader's finding for the same document says it too
    contract = [f.message for f in scoring_input_from_document(check.document, source=FORM_SOURCE).cohort.report.errors]
    assert any(m.endswith("'-5' ... expected >= 0 and <= 120") and "column age_years" in m for m in contract)
    assert field_label("age_years") == "Age (years)"


def test_sample_errors_go_to_their_own_sample_row():
    form = {**BASE,
            "tdm1_sample_time": "2025-03-17T08:00", "tdm1_hours_after_dose": "-3", "tdm1_concentration": "2000",
            "tdm1_unit": "ng/mL",
            "tdm2_sample_time": "2025-03-18T08:00", "tdm2_last_dose_time": "2025-03-19T08:10",
            "tdm2_concentration": "abc", "tdm2_unit": "ng/mL",
            "tdm3_sample_time": "yesterday", "tdm3_hours_after_dose": "24", "tdm3_concentration": "900",
            "tdm3_unit": "ng/mL"}
    found = messages(check_form(form))
    assert ("tdm1_hours_after_dose", "the last-dose time computed from the hours: '2025-03-17T11:00' ... expected "
            "a last_dose_time at or before sample_time") in found
    assert ("tdm2_last_dose_time", "'2025-03-19T08:10' ... expected a last_dose_time at or before sample_time") in found
    assert ("tdm2_concentration", "'abc' ... expected a number") in found
    assert ("tdm3_sample_time", "'yesterday' ... expected an ISO 8601 date and time (YYYY-MM-DDTHH:MM)") in found
    assert not any(f == "tdm3_hours_after_dose" for f, _ in found), "the sample time's message says why"
    assert all(f is not None for f, _ in found), found


def test_the_forms_own_conveniences_have_their_own_messages():
    found = messages(check_form({**BASE, "tdm1_sample_time": "2025-03-17T08:00", "tdm1_hours_after_dose": "a day",
                                 "tdm1_concentration": "900", "tdm1_unit": "ng/mL"}))
    assert ("tdm1_hours_after_dose", "'a day' ... expected a number of hours between the last dose and the sample "
            "(e.g. 24)") in found
    found = messages(check_form({**BASE, "tdm1_sample_time": "2025-03-17T08:00", "tdm1_hours_after_dose": "24",
                                 "tdm1_last_dose_time": "2025-03-16T08:00", "tdm1_concentration": "900"}))
    assert ("tdm1_hours_after_dose", "give the last-dose time or the hours after the dose, not both") in found


def test_missing_required_fields_and_warnings():
    check = check_form({"patient_id": "", "sex": "F"})
    assert messages(check) == {("patient_id", "clinic form: field 'patient_id' is missing or empty; expected the "
                                              "patient's pseudonym")}
    check = check_form({"patient_id": "P", "sex": "F"})
    found = messages(check)
    for name in ("age_years", "weight_kg", "start_dose_mg", "start_date"):
        assert (name, "empty ... expected a value (required column)") in found
    warned = check_form({**BASE, "age_years": "95", "start_dose_mg": "450"})
    assert warned.ok
    assert ("age_years", "'95' ... expected plausibly >= 18 and <= 90") in messages(warned, "warning")
    assert any(f == "start_dose_mg" for f, _ in messages(warned, "warning"))


def test_the_skin_record():
    assert check_form(BASE).skin is None  # nothing recorded: no record
    check = check_form({**BASE, "skin_rash_grade": "3", "skin_recurrent": "no", "skin_fever": "present",
                        "skin_mucosal_involvement": "absent"})
    assert check.ok
    assert check.skin == {"rash_grade": 3, "recurrent": False, "mucosal_involvement": False,
                          "blistering_or_detachment": None, "fever": True, "facial_oedema": None,
                          "lymphadenopathy": None, "eosinophilia_or_organ_involvement": None}
    bad = check_form({**BASE, "age_years": "-1", "skin_rash_grade": "7", "skin_fever": "yes"})
    found = messages(bad)
    assert ("skin_rash_grade", "field 'rash_grade' is 7; expected an integer CTCAE grade 0-4 (0 = no rash) or null") in found
    assert ("age_years", "'-1' ... expected >= 0 and <= 120") in found, "a skin error does not hide the others"


def test_an_uploaded_document_is_checked_by_the_contract_with_its_file_name():
    document = {"patient_id": "U1", "sex": "M", "age_years": 50, "weight_kg": 70, "start_dose_mg": 400,
                "start_date": "2025-01-01", "genotypes": {"rs4129267": "C/T"},
                "skin": {"rash_grade": 2, "fever": False}}
    check = check_upload("u1.json", json.dumps(document).encode())
    assert check.ok and check.skin["rash_grade"] == 2 and resolved_stage(check) == "start"
    bad = check_upload("u1.json", json.dumps({**document, "sex": "Q"}).encode())
    assert messages(bad) == {("document", "patients (u1.json), column sex, row 0: 'Q' ... expected one of F, M "
                                          "(case-insensitive)")}
    assert messages(check_upload("u1.json", b'{"patient_id": "x",')) == {
        ("document", "u1.json: not valid JSON (line 1, column 20: Expecting property name enclosed in double quotes)")}
    assert messages(check_upload("u1.json", json.dumps({**document, "mrn": "123"}).encode())) == {
        ("document", "u1.json: unknown fields ['mrn']; expected some of ['age_years', 'albumin_g_l', 'ancestry', "
                     "'genotypes', 'height_cm', 'patient_id', 'rbc_10e12_l', 'setting', 'sex', 'skin', 'start_date', "
                     "'start_dose_mg', 'tdm', 'weight_kg']")}
    assert "expected a one-patient JSON document of at most 10 bytes" in check_upload(
        "u1.json", b" " * 11, max_bytes=10).errors[0].message
    assert "the file is empty" in check_upload("u1.json", b"").errors[0].message
    assert "not UTF-8" in check_upload("u1.json", b"\xff\xfe").errors[0].message


@pytest.mark.parametrize("stage, expected", [("start", "start"), ("tdm", "tdm"), ("auto", "start")])
def test_the_stage_choice(stage, expected):
    assert resolved_stage(check_document(dict(BASE), stage=stage)) == expected

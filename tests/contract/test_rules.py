"""One case per contract rule: a bad input, the finding it must produce (rule id, level, file,
column, line, message). Removing a rule from the schema makes its case and the coverage test fail."""

from __future__ import annotations

import re

import pytest

from rashrisk.contract.loader import load_cohort
from rashrisk.contract.schema import all_rules

P, G, T, O = "patients.csv", "genotypes.csv", "tdm.csv", "outcomes.csv"

# rule id -> (edits [(file, data row, column, value)], file, column, expected line, bad value shown)
CASES = {
    "patients.patient_id.required": ([(P, 1, "patient_id", "")], P, "patient_id", 3, "empty"),
    "patients.patient_id.unique": ([(P, "append", "age_years", "51")], P, "patient_id", 2, "'P1'"),
    "patients.patient_id.spaces": ([(P, 0, "patient_id", " P1")], P, "patient_id", 2, "' P1'"),
    "genotypes.patient_id.spaces": ([(G, 0, "patient_id", "P1 ")], G, "patient_id", 2, "'P1 '"),
    "tdm.patient_id.spaces": ([(T, 0, "patient_id", " P1")], T, "patient_id", 2, "' P1'"),
    "outcomes.patient_id.spaces": ([(O, 0, "patient_id", "P1 ")], O, "patient_id", 2, "'P1 '"),
    "patients.weight_kg.pounds": ([(P, 0, "weight_kg", "180"), (P, 0, "height_cm", "175")], P, "weight_kg", 2,
                                  "'180'"),
    "patients.weight_kg.bmi": ([(P, 1, "weight_kg", "40"), (P, 1, "height_cm", "200")], P, "weight_kg", 3, "'40'"),
    "patients.height_cm.metres": ([(P, 0, "height_cm", "1.6")], P, "height_cm", 2, "'1.6'"),
    "patients.height_cm.inches": ([(P, 2, "height_cm", "63")], P, "height_cm", 4, "'63'"),
    "tdm.sample_time.utc_offset": ([(T, 0, "sample_time", "2023-02-10T08:00+01:00")], T, "sample_time", 2,
                                   "'2023-02-10T08:00+01:00'"),
    "tdm.last_dose_time.utc_offset": ([(T, 1, "last_dose_time", "2023-03-09T08:00Z")], T, "last_dose_time", 3,
                                      "'2023-03-09T08:00Z'"),
    "tdm.concentration.mass_unit_slip": ([(T, 1, "concentration", "1053")], T, "concentration", 3, "'1053'"),
    "tdm.concentration.molar_unit_slip": ([(T, 2, "unit", "umol/L")], T, "concentration", 4, "'2000'"),
    "tdm.concentration.implausible": ([(T, 0, "concentration", "1e15")], T, "concentration", 2, "'1e15'"),
    "patients.sex.required": ([(P, 1, "sex", "")], P, "sex", 3, "empty"),
    "patients.sex.allowed": ([(P, 2, "sex", "X")], P, "sex", 4, "'X'"),
    "patients.age_years.required": ([(P, 0, "age_years", "")], P, "age_years", 2, "empty"),
    "patients.age_years.type": ([(P, 0, "age_years", "fifty")], P, "age_years", 2, "'fifty'"),
    "patients.age_years.hard_range": ([(P, 1, "age_years", "130")], P, "age_years", 3, "'130'"),
    "patients.age_years.soft_range": ([(P, 1, "age_years", "95")], P, "age_years", 3, "'95'"),
    "patients.weight_kg.required": ([(P, 0, "weight_kg", "")], P, "weight_kg", 2, "empty"),
    "patients.weight_kg.type": ([(P, 0, "weight_kg", "60kg")], P, "weight_kg", 2, "'60kg'"),
    "patients.weight_kg.hard_range": ([(P, 0, "weight_kg", "0")], P, "weight_kg", 2, "'0'"),
    "patients.weight_kg.soft_range": ([(P, 2, "weight_kg", "160")], P, "weight_kg", 4, "'160'"),
    "patients.height_cm.type": ([(P, 0, "height_cm", "1,60")], P, "height_cm", 2, "'1,60'"),
    "patients.height_cm.hard_range": ([(P, 0, "height_cm", "300")], P, "height_cm", 2, "'300'"),
    "patients.height_cm.soft_range": ([(P, 0, "height_cm", "120")], P, "height_cm", 2, "'120'"),
    "patients.albumin_g_l.type": ([(P, 0, "albumin_g_l", "n/a")], P, "albumin_g_l", 2, "'n/a'"),
    "patients.albumin_g_l.hard_range": ([(P, 0, "albumin_g_l", "120")], P, "albumin_g_l", 2, "'120'"),
    "patients.albumin_g_l.soft_range": ([(P, 0, "albumin_g_l", "60")], P, "albumin_g_l", 2, "'60'"),
    "patients.albumin_g_l.g_per_dl": ([(P, 1, "albumin_g_l", "3.8")], P, "albumin_g_l", 3, "'3.8'"),
    "patients.rbc_10e12_l.type": ([(P, 0, "rbc_10e12_l", "4,2")], P, "rbc_10e12_l", 2, "'4,2'"),
    "patients.rbc_10e12_l.hard_range": ([(P, 1, "rbc_10e12_l", "4200000")], P, "rbc_10e12_l", 3, "'4200000'"),
    "patients.rbc_10e12_l.soft_range": ([(P, 2, "rbc_10e12_l", "6.1")], P, "rbc_10e12_l", 4, "'6.1'"),
    "patients.ancestry.allowed": ([(P, 0, "ancestry", "ASIAN")], P, "ancestry", 2, "'ASIAN'"),
    "patients.setting.allowed": ([(P, 0, "setting", "palliative")], P, "setting", 2, "'palliative'"),
    "patients.start_dose_mg.required": ([(P, 0, "start_dose_mg", "")], P, "start_dose_mg", 2, "empty"),
    "patients.start_dose_mg.type": ([(P, 0, "start_dose_mg", "400mg")], P, "start_dose_mg", 2, "'400mg'"),
    "patients.start_dose_mg.hard_range": ([(P, 0, "start_dose_mg", "0")], P, "start_dose_mg", 2, "'0'"),
    "patients.start_dose_mg.soft_allowed": ([(P, 0, "start_dose_mg", "450")], P, "start_dose_mg", 2, "'450'"),
    "patients.start_date.required": ([(P, 0, "start_date", "")], P, "start_date", 2, "empty"),
    "patients.start_date.type": ([(P, 0, "start_date", "10/01/2023x")], P, "start_date", 2, "'10/01/2023x'"),
    "patients.start_date.future": ([(P, 2, "start_date", "2099-01-01")], P, "start_date", 4, "'2099-01-01'"),
    "genotypes.patient_id.required": ([(G, 1, "patient_id", "")], G, "patient_id", 3, "empty"),
    "genotypes.patient_id.known": ([(G, 1, "patient_id", "P9")], G, "patient_id", 3, "'P9'"),
    "genotypes.patient_id.accepted": ([(P, 1, "age_years", "abc")], G, "patient_id", 3, "'P2'"),
    "genotypes.rsid.required": ([(G, 0, "rsid", "")], G, "rsid", 2, "empty"),
    "genotypes.rsid.format": ([(G, 0, "rsid", "4129267")], G, "rsid", 2, "'4129267'"),
    "genotypes.rsid.unique": ([(G, "append", "genotype", "CC")], G, "rsid", 2, "'rs4129267'"),
    "genotypes.rsid.catalogue": ([(G, 0, "rsid", "rs123")], G, "rsid", 2, "'rs123'"),
    "genotypes.genotype.type": ([(G, 2, "genotype", "T/X")], G, "genotype", 4, "'T/X'"),
    "genotypes.genotype.alleles": ([(G, 0, "genotype", "A/G")], G, "genotype", 2, "'A/G'"),
    "tdm.patient_id.required": ([(T, 0, "patient_id", "")], T, "patient_id", 2, "empty"),
    "tdm.patient_id.known": ([(T, 2, "patient_id", "P7")], T, "patient_id", 4, "'P7'"),
    "tdm.patient_id.accepted": ([(P, 2, "sex", "U")], T, "patient_id", 4, "'P3'"),
    "tdm.sample_time.required": ([(T, 0, "sample_time", "")], T, "sample_time", 2, "empty"),
    "tdm.sample_time.type": ([(T, 0, "sample_time", "yesterday")], T, "sample_time", 2, "'yesterday'"),
    "tdm.sample_time.after_start": ([(T, 1, "sample_time", "2023-01-05T08:00"), (T, 1, "last_dose_time",
                                                                                 "2023-01-04T08:00")],
                                    T, "sample_time", 3, "'2023-01-05T08:00'"),
    "tdm.last_dose_time.required": ([(T, 0, "last_dose_time", "")], T, "last_dose_time", 2, "empty"),
    "tdm.last_dose_time.type": ([(T, 0, "last_dose_time", "08:00")], T, "last_dose_time", 2, "'08:00'"),
    "tdm.last_dose_time.before_sample": ([(T, 0, "last_dose_time", "2023-02-10T09:00")], T, "last_dose_time", 2,
                                         "'2023-02-10T09:00'"),
    "tdm.last_dose_time.max_interval": ([(T, 0, "last_dose_time", "2023-02-08T08:00")], T, "last_dose_time", 2,
                                        "'2023-02-08T08:00'"),
    "tdm.dose_mg.required": ([(T, 0, "dose_mg", "")], T, "dose_mg", 2, "empty"),
    "tdm.dose_mg.type": ([(T, 0, "dose_mg", "four hundred")], T, "dose_mg", 2, "'four hundred'"),
    "tdm.dose_mg.hard_range": ([(T, 0, "dose_mg", "1200")], T, "dose_mg", 2, "'1200'"),
    "tdm.concentration.required": ([(T, 0, "concentration", "")], T, "concentration", 2, "empty"),
    "tdm.concentration.type": ([(T, 0, "concentration", "<LOQ")], T, "concentration", 2, "'<LOQ'"),
    "tdm.concentration.hard_range": ([(T, 0, "concentration", "-5")], T, "concentration", 2, "'-5'"),
    "tdm.concentration.plausible": ([(T, 1, "concentration", "12")], T, "concentration", 3, "'12'"),
    "tdm.unit.required": ([(T, 0, "unit", "")], T, "unit", 2, "empty"),
    "tdm.unit.allowed": ([(T, 0, "unit", "ng/ml ")], T, "unit", 2, "'ng/ml '"),
    "tdm.below_loq.type": ([(T, 0, "below_loq", "maybe")], T, "below_loq", 2, "'maybe'"),
    "outcomes.patient_id.required": ([(O, 1, "patient_id", "")], O, "patient_id", 3, "empty"),
    "outcomes.patient_id.known": ([(O, 1, "patient_id", "P5")], O, "patient_id", 3, "'P5'"),
    "outcomes.patient_id.accepted": ([(P, 0, "weight_kg", "-1")], O, "patient_id", 2, "'P1'"),
    "outcomes.patient_id.unique": ([(O, "append", "followup_days", "200")], O, "patient_id", 2, "'P1'"),
    "outcomes.rash_max_grade.required": ([(O, 1, "rash_max_grade", "")], O, "rash_max_grade", 3, "empty"),
    "outcomes.rash_max_grade.type": ([(O, 1, "rash_max_grade", "2.5")], O, "rash_max_grade", 3, "'2.5'"),
    "outcomes.rash_max_grade.hard_range": ([(O, 1, "rash_max_grade", "6")], O, "rash_max_grade", 3, "'6'"),
    "outcomes.recurrent_grade2.type": ([(O, 2, "recurrent_grade2", "perhaps")], O, "recurrent_grade2", 4,
                                       "'perhaps'"),
    "outcomes.recurrent_grade2.grade2": ([(O, 2, "recurrent_grade2", "")], O, "recurrent_grade2", 4, "empty"),
    "outcomes.rash_onset_day.type": ([(O, 0, "rash_onset_day", "day 20")], O, "rash_onset_day", 2, "'day 20'"),
    "outcomes.rash_onset_day.hard_range": ([(O, 0, "rash_onset_day", "-3")], O, "rash_onset_day", 2, "'-3'"),
    "outcomes.rash_onset_day.severe": ([(O, 0, "rash_onset_day", "")], O, "rash_onset_day", 2, "empty"),
    "outcomes.rash_onset_day.when_rash": ([(O, 1, "rash_max_grade", "1")], O, "rash_onset_day", 3, "empty"),
    "outcomes.rash_onset_day.followup": ([(O, 0, "rash_onset_day", "400")], O, "rash_onset_day", 2, "'400'"),
    "outcomes.followup_days.type": ([(O, 0, "followup_days", "1 year")], O, "followup_days", 2, "'1 year'"),
    "outcomes.followup_days.hard_range": ([(O, 0, "followup_days", "-1")], O, "followup_days", 2, "'-1'"),
}

RULES = {r.id: r for r in all_rules()}


def test_every_schema_rule_has_a_case():
    assert set(RULES) == set(CASES)


def test_base_cohort_has_no_row_findings(make_cohort):
    cohort = load_cohort(make_cohort())
    row_findings = [f for f in cohort.report.findings if f.rule in RULES]
    assert row_findings == []
    assert cohort.n_patients == 3
    assert all(fr.rows_rejected == 0 for fr in cohort.report.files.values())


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_reports_file_column_line(rule_id, make_cohort):
    edits, file, column, line, shown = CASES[rule_id]
    cohort = load_cohort(make_cohort(edits))
    found = [f for f in cohort.report.findings if f.rule == rule_id]
    assert len(found) == 1, [f.message for f in cohort.report.findings]
    finding = found[0]
    rule = RULES[rule_id]
    assert (finding.level, finding.file, finding.column) == (rule.level, file, column)
    assert line in finding.lines
    assert finding.message.startswith(f"{file}, column {column}, line")
    assert re.search(rf"lines? (\d+, )*{line}\b", finding.message)
    assert shown in finding.message
    assert rule.expected in finding.message
    report = cohort.report.files[file]
    accepted_table = {"patients.csv": cohort.patients, "tdm.csv": cohort.tdm, "outcomes.csv": cohort.outcomes}
    if file in accepted_table:  # the accepted rows are the rows of the table
        assert len(accepted_table[file]) == report.rows_accepted
    if rule.level == "error":
        assert report.rows_rejected >= 1
    else:
        assert report.rows_rejected == 0


def test_warning_keeps_row_and_value(make_cohort):
    cohort = load_cohort(make_cohort([(P, 1, "age_years", "95")]))
    assert cohort.n_patients == 3
    assert cohort.patients.set_index("patient_id").loc["P2", "age_years"] == 95.0


def test_rows_of_rejected_patient_are_rejected_everywhere(make_cohort):
    cohort = load_cohort(make_cohort([(P, 1, "sex", "unknown")]))
    files = cohort.report.files
    assert (files["patients.csv"].rows_rejected, files["tdm.csv"].rows_rejected,
            files["outcomes.csv"].rows_rejected, files["genotypes.csv"].rows_rejected) == (1, 1, 1, 1)
    assert "P2" not in set(cohort.genotypes["patient_id"])
    assert list(cohort.tdm["patient_id"]) == ["P1", "P3"]


def test_duplicates_reject_every_copy(make_cohort):
    cohort = load_cohort(make_cohort([(P, "append", "age_years", "51")]))
    assert cohort.report.files["patients.csv"].rows_rejected == 2
    finding = next(f for f in cohort.report.errors if f.rule == "patients.patient_id.unique")
    assert finding.lines == [2, 5] and finding.count == 2


def test_finding_locates_every_line_and_its_message_names_five(make_cohort):
    rows = "".join(f"Q{i},F,50,60,160,40,EAS,adjuvant,400,2023-01-10\n" for i in range(8))
    text = "patient_id,sex,age_years,weight_kg,height_cm,albumin_g_l,ancestry,setting,start_dose_mg,start_date\n"
    text += rows.replace(",50,", ",500,")
    cohort = load_cohort(make_cohort(files={P: text, T: None, O: None, G: None}))
    finding = next(f for f in cohort.report.errors if f.rule == "patients.age_years.hard_range")
    assert finding.lines == [2, 3, 4, 5, 6, 7, 8, 9] and finding.count == 8  # every line located
    assert "lines 2, 3, 4, 5, 6 and 3 more (8 rows)" in finding.message  # the message names five

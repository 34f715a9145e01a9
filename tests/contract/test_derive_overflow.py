"""A huge number (found by the service's schemathesis run: height_cm -1.09e217) is rejected by its
range rule with the usual message, without a numpy overflow warning from the derived columns."""

import warnings

import pandas as pd

from rashrisk.contract.cohort import Cohort


def test_huge_values_are_rejected_without_an_overflow_warning():
    patients = pd.DataFrame({"patient_id": ["P1", "P2"], "sex": ["F", "M"], "age_years": [61, 50],
                             "weight_kg": [1e300, 70], "height_cm": [-1.0945709734422426e+217, 1e300],
                             "start_dose_mg": [400, 400], "start_date": ["2025-03-03", "2025-03-03"]})
    tdm = pd.DataFrame({"patient_id": ["P1"], "sample_time": ["2025-03-17T08:00"],
                        "last_dose_time": ["2025-03-16T08:00"], "dose_mg": [400], "concentration": [1e308],
                        "unit": ["umol/L"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cohort = Cohort.from_frames(patients, tdm=tdm,
                                    genotypes=pd.DataFrame(columns=["patient_id", "rsid", "genotype"]))
    rejected = {f.column for f in cohort.report.errors if f.file.startswith("patients")}
    assert {"weight_kg", "height_cm"} <= rejected
    assert cohort.n_patients == 0


def test_a_sample_centuries_from_its_dose_is_rejected_by_its_rule_not_an_overflow():
    """A year typed wrong (1700 for 2025; found by the one-patient fuzz): the time difference is beyond
    the nanosecond range, which made pandas raise (a server error); it is now infinite and the range rule
    rejects the sample with the usual message naming it."""
    patients = pd.DataFrame({"patient_id": ["P1"], "sex": ["F"], "age_years": [61], "weight_kg": [60],
                             "height_cm": [160], "start_dose_mg": [400], "start_date": ["2025-03-03"]})
    tdm = pd.DataFrame({"patient_id": ["P1", "P1"], "sample_time": ["1700-01-01T08:00", "2025-03-17T08:00"],
                        "last_dose_time": ["2025-03-16T08:00", "2025-03-16T08:00"], "dose_mg": [400, 400],
                        "concentration": [1100, 1100], "unit": ["ng/mL", "ng/mL"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cohort = Cohort.from_frames(patients, tdm=tdm,
                                    genotypes=pd.DataFrame(columns=["patient_id", "rsid", "genotype"]))
    findings = [f for f in cohort.report.errors if f.file.startswith("tdm")]
    assert findings and all(f.lines == [0] for f in findings)  # the first row of the frame, and only it
    assert any("column sample_time, row 0: '1700-01-01T08:00'" in f.message and "on or after the patient's start_date"
               in f.message for f in findings)
    assert len(cohort.tdm) == 1 and float(cohort.tdm["hours_after_dose"].iloc[0]) == 24.0


def test_a_tiny_height_is_rejected_without_a_division_warning():
    """Found by the row-rule parity fuzz: 1e-200 cm squared underflows to 0 and the BMI divided by it."""
    patients = pd.DataFrame({"patient_id": ["P1", "P2"], "sex": ["F", "M"], "age_years": [61, 50],
                             "weight_kg": [60, 70], "height_cm": [1e-200, 170],
                             "start_dose_mg": [400, 400], "start_date": ["2025-03-03", "2025-03-03"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cohort = Cohort.from_frames(patients, genotypes=pd.DataFrame(columns=["patient_id", "rsid", "genotype"]))
    assert {f.column for f in cohort.report.errors} == {"height_cm"}
    assert list(cohort.patients["patient_id"]) == ["P2"]

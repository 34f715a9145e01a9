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

"""The TDM landmark rule: no sample taken on or after rash onset can reach the features."""

import numpy as np
import pandas as pd
import pytest

from rashrisk.features.frame import TDM_COLUMNS, build_model_frame
from rashrisk.features.landmark import (NO_SAMPLE_IN_WINDOW, ONSET_BEFORE_SAMPLE, ONSET_UNKNOWN,
                                        select_landmark_samples)


def test_patient_whose_only_sample_is_after_onset_is_excluded(cohort_factory):
    cohort = cohort_factory(
        tdm_rows=[("P1", 20.0, 3000.0), ("P2", 14.0, 1000.0), ("P3", 15.0, 1100.0)],
        outcome_rows=[("P1", 3, 12, True), ("P2", 0, None, False), ("P3", 0, None, False)],
    )
    frame = build_model_frame(cohort, "tdm")
    assert "P1" not in frame.X.index
    assert frame.excluded.set_index("patient_id").loc["P1", "reason"] == ONSET_BEFORE_SAMPLE
    assert set(frame.X.index) | set(frame.excluded["patient_id"]) == {"P1", "P2", "P3"}


def test_pre_onset_sample_is_used_and_post_onset_sample_never(cohort_factory):
    pre_only = cohort_factory(
        tdm_rows=[("P1", 10.0, 900.0), ("P2", 14.0, 1000.0), ("P3", 15.0, 1100.0)],
        outcome_rows=[("P1", 3, 21, True), ("P2", 0, None, False), ("P3", 0, None, False)],
    )
    both = cohort_factory(
        tdm_rows=[("P1", 25.0, 8000.0), ("P1", 10.0, 900.0), ("P2", 14.0, 1000.0), ("P3", 15.0, 1100.0)],
        outcome_rows=[("P1", 3, 21, True), ("P2", 0, None, False), ("P3", 0, None, False)],
    )
    a = build_model_frame(pre_only, "tdm").X.loc["P1"]
    b = build_model_frame(both, "tdm").X.loc["P1"]
    assert b["tdm_day"] == 10.0
    assert b["map_trough_ng_ml"] == pytest.approx(a["map_trough_ng_ml"], rel=1e-9)
    assert b["map_trough_ng_ml"] < 2000.0  # the 8,000 ng/mL post-onset value did not get in


def test_sample_on_the_onset_day_is_excluded():
    import pandas as pd

    tdm = pd.DataFrame({"patient_id": ["P1"], "day_on_treatment": [14.6], "concentration_ng_ml": [1500.0],
                        "hours_after_dose": [24.0], "dose_mg": [400.0]})
    outcomes = pd.DataFrame({"patient_id": ["P1"], "rash_max_grade": [3], "rash_onset_day": [14]})
    chosen, excluded = select_landmark_samples(tdm, ["P1"], outcomes, window=(7, 42))
    assert chosen.empty
    assert excluded["reason"].tolist() == [ONSET_BEFORE_SAMPLE]


def test_rash_with_unknown_onset_cannot_be_checked_and_is_excluded():
    import pandas as pd

    tdm = pd.DataFrame({"patient_id": ["P1"], "day_on_treatment": [10.0], "concentration_ng_ml": [1500.0],
                        "hours_after_dose": [24.0], "dose_mg": [400.0]})
    outcomes = pd.DataFrame({"patient_id": ["P1"], "rash_max_grade": [2], "rash_onset_day": [np.nan]})
    chosen, excluded = select_landmark_samples(tdm, ["P1"], outcomes)
    assert chosen.empty and excluded["reason"].tolist() == [ONSET_UNKNOWN]


def test_window_limits_and_first_sample_without_outcomes():
    import pandas as pd

    tdm = pd.DataFrame({"patient_id": ["P1", "P1", "P1", "P2"], "day_on_treatment": [3.0, 30.0, 12.0, 50.0],
                        "concentration_ng_ml": [1.0, 2.0, 3.0, 4.0], "hours_after_dose": 24.0, "dose_mg": 400.0})
    chosen, excluded = select_landmark_samples(tdm, ["P1", "P2"], None, window=(7, 42))
    assert chosen.loc["P1", "day_on_treatment"] == 12.0  # first in window; day 3 is before it
    assert excluded.set_index("patient_id").loc["P2", "reason"] == NO_SAMPLE_IN_WINDOW


def test_start_stage_never_sees_a_measured_concentration(cohort_factory):
    low = cohort_factory(tdm_rows=[("P1", 10.0, 100.0), ("P2", 10.0, 100.0), ("P3", 10.0, 100.0)],
                         outcome_rows=[("P1", 0, None, False), ("P2", 0, None, False), ("P3", 3, 20, True)])
    high = cohort_factory(tdm_rows=[("P1", 10.0, 9000.0), ("P2", 10.0, 9000.0), ("P3", 10.0, 9000.0)],
                          outcome_rows=[("P1", 0, None, False), ("P2", 0, None, False), ("P3", 3, 20, True)])
    a, b = build_model_frame(low, "start"), build_model_frame(high, "start")
    assert not set(TDM_COLUMNS) & set(a.X.columns)
    assert not [c for c in a.X.columns if "concentration" in c or "map_" in c]
    assert a.X.equals(b.X)


def test_provenance_marks_no_calls_and_missing_values(cohort_factory):
    cohort = cohort_factory(tdm_rows=[], outcome_rows=[("P1", 0, None, False), ("P2", 0, None, False),
                                                       ("P3", 0, None, False)])
    cohort.patients.loc[0, "albumin_g_l"] = np.nan
    cohort.genotypes.loc[1, ["ref_count", "alt_count"]] = pd_na()
    cohort.genotypes.loc[1, "called"] = False
    frame = build_model_frame(cohort, "start")
    assert frame.provenance.loc["P1", "albumin_g_l"] == "missing" and frame.imputed.loc["P1", "albumin_g_l"]
    assert frame.provenance.loc["P2", "rs4129267_alt_count"] == "no-call"
    assert np.isnan(frame.X.loc["P2", "rs4129267_alt_count"])
    assert frame.provenance.loc["P3", "rs4129267_alt_count"] == "measured"


def pd_na():
    import pandas as pd

    return pd.NA


def test_excluded_patients_are_listed_in_input_order_whatever_the_reason():
    # the reasons were partly collected from sets, whose order changes between processes
    ids = [f"Q{i}" for i in range(30)]
    tdm = pd.DataFrame({"patient_id": ids, "day_on_treatment": [10.0] * 30})
    outcomes = pd.DataFrame({"patient_id": ids, "rash_max_grade": [3, 0, 2] * 10,
                             "rash_onset_day": [5.0, np.nan, np.nan] * 10})  # onset before / none / unknown
    tdm = tdm[[i % 5 != 1 for i in range(30)]]  # some without a sample in the window
    _, excluded = select_landmark_samples(tdm, ids, outcomes)
    assert excluded["patient_id"].tolist() == [p for p in ids if p in set(excluded["patient_id"])]
    assert len(excluded) > 15 and excluded["reason"].nunique() == 3

"""The source-study analysis on hand-built tables with known answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from rashrisk.analysis import analyze_tables
from rashrisk.analysis.association import genotype_counts, hwe_in_controls
from rashrisk.analysis.course import onset_and_reescalation_samples, onset_by_grade, troughs_onset_vs_reescalation
from rashrisk.analysis.incidence import incidence_table
from rashrisk.errors import RashriskError
from rashrisk.genotype.coding import risk_allele_counts


def _outcomes(grades, recurrent, onset):
    o = pd.DataFrame({"patient_id": [f"P{i}" for i in range(len(grades))], "rash_max_grade": grades,
                      "recurrent_grade2": recurrent, "rash_onset_day": onset})
    o["severe_rash"] = (o["rash_max_grade"] >= 3) | ((o["rash_max_grade"] == 2) & o["recurrent_grade2"])
    return o


def _genotypes(ids, alt_counts, rsid="rs4129267", ref="C", alt="T"):
    alt_count = pd.array([None if a is None else a for a in alt_counts], dtype="Int8")
    return pd.DataFrame({"patient_id": ids, "rsid": rsid, "gene": "IL6R", "ref": ref, "alt": alt,
                         "ref_count": (2 - alt_count).astype("Int8"), "alt_count": alt_count,
                         "called": [a is not None for a in alt_counts]})


def test_incidence_counts_and_percentages():
    o = _outcomes([3, 2, 2, 1, 0, 0, 0, 0, 4, 0], [False, True, False, False] + [False] * 6, [5, 20, 9, 9] + [None] * 4 + [3, None])
    rows = {r["outcome"]: (r["n"], r["percent"]) for r in incidence_table(o)["rows"]}
    assert rows["severe_rash"] == (3, 30.0)
    assert rows["grade_3_or_more"] == (2, 20.0)
    assert rows["recurrent_grade_2"] == (1, 10.0)
    assert rows["any_rash"] == (5, 50.0)


def test_no_outcomes_is_a_user_error():
    with pytest.raises(RashriskError, match="outcomes"):
        incidence_table(None)


def test_genotype_counts_by_group_with_no_calls_and_the_ref_as_risk_allele():
    o = _outcomes([3, 3, 0, 0, 0, 0], [False] * 6, [5, 6] + [None] * 4)
    g = _genotypes(o["patient_id"], [2, 1, 0, 0, 1, None])
    counts, alleles = risk_allele_counts(g, "rs4129267", "T")
    table = genotype_counts(counts, alleles, o)
    assert table["genotype_labels"] == ["CC", "CT", "TT"]
    assert table["cases"] == {"CC": 0, "CT": 1, "TT": 1, "no_call": 0, "risk_allele_frequency": 0.75}
    assert table["controls"]["CC"] == 2 and table["controls"]["CT"] == 1 and table["controls"]["no_call"] == 1
    ref_counts, ref_alleles = risk_allele_counts(g, "rs4129267", "c")
    assert ref_alleles["risk_allele"] == "C"
    assert list(ref_counts.iloc[:3]) == [0.0, 1.0, 2.0]
    with pytest.raises(RashriskError, match="expected C .REF. or T .ALT."):
        risk_allele_counts(g, "rs4129267", "G")
    with pytest.raises(RashriskError, match="rs999"):
        risk_allele_counts(g, "rs999")


def test_hwe_in_controls_uses_controls_only():
    o = _outcomes([3] * 5 + [0] * 100, [False] * 105, [5] * 5 + [None] * 100)
    g = _genotypes(o["patient_id"], [2] * 5 + [0] * 50 + [2] * 50)  # controls: no heterozygotes
    result = hwe_in_controls(risk_allele_counts(g, "rs4129267", "T")[0], o)
    assert result["counts"] == [50, 0, 50]
    assert result["p_value"] < 1e-10


def test_mann_whitney_on_small_known_input():
    o = _outcomes([3, 3, 3, 2, 2, 2], [False, False, False, True, True, True], [1, 2, 3, 4, 5, 6])
    r = onset_by_grade(o)
    assert r["u_statistic"] == 0.0
    assert r["p_value"] == pytest.approx(0.1)  # exact: 2 of the 20 orderings are as extreme
    assert (r["median_grade_3"], r["median_recurrent_grade_2"]) == (2.0, 5.0)


def _tdm(rows):
    t = pd.DataFrame(rows, columns=["patient_id", "day_on_treatment", "hours_after_dose", "dose_mg", "concentration_ng_ml"])
    return t


def test_onset_and_reescalation_samples_are_identified_by_timing():
    o = _outcomes([3, 2, 0], [False, True, False], [20, 30, None])
    tdm = _tdm([
        ("P0", 10.3, 24.0, 400, 900.0),    # routine, before onset: not the onset sample
        ("P0", 20.4, 24.0, 400, 1500.0),   # at onset
        ("P0", 60.3, 24.0, 100, 300.0),    # escalation step
        ("P0", 90.3, 24.0, 300, 1000.0),   # last after re-escalation -> final dose 300
        ("P0", 95.3, 40.0, 400, 1.0),      # outside the trough window: ignored
        ("P1", 31.3, 24.0, 400, 2000.0),   # at onset (within the window after)
        ("P2", 12.3, 24.0, 400, 1200.0),   # no severe rash: not used
    ])
    s = onset_and_reescalation_samples(o, tdm).set_index("patient_id")
    assert s.loc["P0", "trough_onset_ng_ml"] == pytest.approx(1500.0)
    assert s.loc["P0", "trough_after_reescalation_ng_ml"] == pytest.approx(1000.0)
    assert s.loc["P0", "final_dose_mg"] == 300
    assert s.loc["P1", "trough_onset_ng_ml"] == pytest.approx(2000.0)
    assert math.isnan(s.loc["P1", "trough_after_reescalation_ng_ml"])
    assert "P2" not in s.index


def test_off_trough_samples_are_projected_to_24_h():
    o = _outcomes([3], [False], [20])
    s = onset_and_reescalation_samples(o, _tdm([("P0", 20.1, 20.0, 400, 1000.0)]))
    assert s["trough_onset_ng_ml"].iloc[0] == pytest.approx(1000.0 * math.exp(-0.041 * 4), rel=1e-3)


def test_wilcoxon_paired_on_known_input():
    s = pd.DataFrame({"trough_onset_ng_ml": [1500.0, 1400, 1300, 1200, 1100, 1000],
                      "trough_after_reescalation_ng_ml": [900.0, 800, 700, 650, 600, 550]})
    r = troughs_onset_vs_reescalation(s)
    assert r["n_pairs"] == 6 and r["w_statistic"] == 0.0
    assert r["p_value"] == pytest.approx(2 / 64)  # exact two-sided: all six differences positive
    assert math.isnan(troughs_onset_vs_reescalation(s.iloc[:1])["p_value"])


def test_full_analysis_is_json_ready():
    rng = np.random.default_rng(1)
    n = 300
    grades = rng.choice([0, 1, 2, 3], n, p=[0.7, 0.15, 0.07, 0.08])
    recurrent = (grades == 2) & (rng.random(n) < 0.4)
    onset = np.where(grades > 0, rng.integers(5, 60, n), np.nan)
    o = _outcomes(grades, recurrent, onset)
    g = _genotypes(o["patient_id"], list(rng.binomial(2, 0.38, n)))
    patients = pd.DataFrame({"patient_id": o["patient_id"]})
    tdm = _tdm([])
    result = analyze_tables(patients, g, tdm, o, risk_allele="T")
    text = json.dumps(result, allow_nan=False)  # NaN became null
    assert [a["model"] for a in result["association"]] == ["additive", "dominant"]
    assert result["troughs_onset_vs_reescalation"]["p_value"] is None
    assert json.loads(text)["incidence"]["n_patients"] == n

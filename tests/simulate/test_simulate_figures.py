"""The simulated cohort reproduces the published figures it is built from (within sampling error)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rashrisk.analysis.association import association
from rashrisk.genotype.coding import risk_allele_counts
from rashrisk.simulate.cohort import simulate_cohort
from rashrisk.simulate.tables import as_cohort_tables


def _within(observed: float, expected: float, n: int, n_se: float = 4.0) -> bool:
    """|observed - expected| within n_se binomial standard errors."""
    return abs(observed - expected) <= n_se * math.sqrt(expected * (1 - expected) / n)


def test_incidence_by_grade_matches_the_source_study(large_cohort):
    o = large_cohort.outcomes
    n = len(o)
    assert _within(o["severe_rash"].mean(), 0.076, n)
    assert _within((o["rash_max_grade"] >= 3).mean(), 0.076 * 0.685, n)
    assert _within(o["recurrent_grade2"].mean(), 0.076 * 0.315, n)
    any_rash = (o["rash_max_grade"] >= 1).mean()
    assert 0.25 <= any_rash <= 0.35


def test_troughs_at_400_mg_match_observed_chinese_gist(large_cohort):
    t = large_cohort.truth
    x = t.loc[t["start_dose_mg"] == 400, "trough_ss_start_ng_ml"]
    assert 1250 <= x.mean() <= 1330
    assert 500 <= x.std() <= 720
    assert 0.40 <= (x < 1100).mean() <= 0.50
    ratio = t.loc[t["start_dose_mg"] == 600, "trough_ss_start_ng_ml"].mean() / x.mean()
    assert 1.4 <= ratio <= 1.65


def test_il6r_haplotypes_give_strong_ld_and_hwe(large_cohort):
    g = large_cohort.genotypes
    a, b = g["rs4129267"].astype(float), g["rs2228145"].astype(float)
    assert np.corrcoef(a, b)[0, 1] ** 2 > 0.85
    p = a.mean() / 2
    assert abs(p - 0.38) < 0.01
    het = (a == 1).mean()
    assert abs(het - 2 * p * (1 - p)) < 0.015  # Hardy-Weinberg


def test_onset_grade3_earlier_than_recurrent_grade2(large_cohort):
    o = large_cohort.outcomes
    g3 = o.loc[o["rash_max_grade"] >= 3, "rash_onset_day"]
    r2 = o.loc[o["recurrent_grade2"], "rash_onset_day"]
    assert g3.median() < r2.median()
    assert (o.loc[o["rash_max_grade"] == 0, "rash_onset_day"] == -1).all()
    assert (o.loc[o["rash_max_grade"] > 0, "rash_onset_day"] >= 0).all()


def test_reescalated_severe_cases_end_on_lower_doses_and_troughs(large_cohort):
    t = large_cohort.truth
    resumed = t[t["resumed"]]
    assert len(resumed) > 0 and not t.loc[~t["severe_rash"], "resumed"].any()
    assert (resumed["final_dose_mg"] <= resumed["start_dose_mg"]).all()
    assert (resumed["trough_ss_final_ng_ml"] < resumed["trough_ss_start_ng_ml"]).mean() > 0.9
    g3 = resumed.loc[resumed["rash_max_grade"] >= 3, "final_dose_mg"].mean()
    r2 = resumed.loc[resumed["recurrent_grade2"], "final_dose_mg"].mean()
    assert g3 < r2
    kinds = large_cohort.tdm.groupby("patient_index")["sample_kind"].agg(set)
    severe_idx = np.flatnonzero(large_cohort.outcomes["severe_rash"].to_numpy())
    assert all("onset" in kinds[i] for i in severe_idx)


def test_routine_samples_stop_at_severe_onset_but_some_follow_mild_rash(large_cohort):
    tdm, o = large_cohort.tdm, large_cohort.outcomes
    routine = tdm[tdm["sample_kind"] == "routine"]
    onset = o["rash_onset_day"].to_numpy()[routine["patient_index"].to_numpy()]
    severe = o["severe_rash"].to_numpy()[routine["patient_index"].to_numpy()]
    after = routine["sample_day"].to_numpy() >= onset
    after &= onset >= 0
    assert not (after & severe).any()
    assert (after & ~severe).any()  # realistic mess the training code must exclude


def test_hours_after_dose_are_realistic(large_cohort):
    h = large_cohort.tdm["hours_after_dose"]
    assert h.between(14, 32).all()
    assert 0.6 < h.between(22, 26).mean() < 0.95


def test_odds_ratio_recovered_in_a_large_simulation(default_config):
    sim = simulate_cohort(default_config, 60_000, 7)
    tables = as_cohort_tables(sim)
    counts, _ = risk_allele_counts(tables["genotypes"], "rs4129267", "T")
    fit = association(counts, tables["outcomes"], "additive")
    assert abs(math.log(fit["odds_ratio"]) - math.log(1.966)) < 4 * fit["se"] + 0.03
    # variants with no effect on rash are found null
    for rsid in ("rs1045642", "rs776746"):
        c, _ = risk_allele_counts(tables["genotypes"], rsid)
        null = association(c, tables["outcomes"], "additive")
        assert abs(null["log_odds"]) < 4 * null["se"], rsid


@pytest.mark.parametrize("model", ["dominant", "recessive"])
def test_genetic_model_and_risk_allele_are_configurable(default_config, model):
    cfg = default_config.with_values(**{
        "outcome.il6r.genetic_model": model, "outcome.il6r.risk_allele": "C", "outcome.intercept_reference_n": 20000,
    })
    sim = simulate_cohort(cfg, 30_000, 3)
    ref_count = 2 - sim.genotypes["rs4129267"].astype(int)  # C is the REF allele
    carriers = ref_count >= (1 if model == "dominant" else 2)
    severe = sim.outcomes["severe_rash"].to_numpy()
    a, b = severe[carriers].mean(), severe[~carriers].mean()
    odds_ratio = (a / (1 - a)) / (b / (1 - b))
    assert 1.5 < odds_ratio < 2.6
    assert _within(severe.mean(), 0.076, len(severe), n_se=5)

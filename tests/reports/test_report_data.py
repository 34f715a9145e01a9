"""The clinician report as data: consistent with scoring, exact, JSON-able, options not orders."""

import json
import re

import numpy as np
import pytest

from rashrisk.errors import RashriskError
from rashrisk.reports.options import options_for
from rashrisk.reports.patient import build_report_data, in_words
from rashrisk.reports.skin import RED_FLAGS
from rashrisk.scoring.score import score_input


@pytest.mark.parametrize("risk, words", [(0.089, "about 9 of 100 similar patients"), (0.004, "fewer than 1 of 100 similar patients"),
                                         (0.15, "about 15 of 100 similar patients")])
def test_risk_in_words(risk, words):
    assert in_words(risk) == words


def test_report_data_is_json_and_matches_the_model(report_pair, models, cohort_dir):
    from rashrisk.scoring.inputs import load_scoring_input
    from rashrisk.scoring.score import score_input

    for data in report_pair:
        assert json.loads(json.dumps(data)) == data
        model = models[data["stage"]]
        scores = score_input(load_scoring_input(cohort_dir), data["stage"], model).set_index("patient_id")
        assert data["risk"]["risk"] == pytest.approx(scores.loc[data["patient_id"], "risk"], abs=1e-12)
        assert data["risk"]["band"] == scores.loc[data["patient_id"], "band"]
        total = data["base_value"] + sum(f["contribution"] for f in data["factors"])
        assert total == pytest.approx(data["model_logit"], abs=1e-6)
        assert data["model"]["name"] == model.name and data["model"]["version"] == str(model.version)
        assert data["risk"]["icons"]["risk"] == round(100 * data["risk"]["risk"])


def test_tdm_report_explains_the_change_from_start(report_pair):
    start, tdm = report_pair
    assert start["change"] is None
    change = tdm["change"]
    assert change["start"]["risk"] == pytest.approx(start["risk"]["risk"], abs=1e-12)
    assert change["risk_change"] == pytest.approx(tdm["risk"]["risk"] - start["risk"]["risk"])
    assert change["statement"].startswith("The estimate ")
    new = {f["factor"] for f in change["factor_changes"] if f["new_at_tdm"]}
    assert new <= {"early_trough", "tdm_day"}  # only TDM information is new at the TDM stage
    largest = max(tdm["factors"], key=lambda f: abs(f["contribution"] - next(
        (g["contribution"] for g in start["factors"] if g["factor"] == f["factor"]), 0.0)))
    assert change["factor_changes"][0]["factor"] == largest["factor"]
    assert tdm["trough"]["map_ng_ml"] is not None and tdm["trough"]["measured"]["day_on_treatment"] >= 7
    assert start["trough"]["measured"] is None  # no measured concentration at the start stage


def test_inputs_table_marks_where_values_came_from(report_pair):
    _, tdm = report_pair
    statuses = {r["input"]: r["status"] for r in tdm["inputs"]}
    assert statuses["sex"] == "measured" and statuses["map_trough_ng_ml"] == "predicted"
    assert all(r["flag"] == (r["status"] in ("missing", "defaulted", "no-call")) for r in tdm["inputs"])


@pytest.mark.parametrize("band", ["low", "intermediate", "high"])
@pytest.mark.parametrize("stage", ["start", "tdm"])
@pytest.mark.parametrize("skin", [None, {"rash_grade": 3, "recurrent": False, **dict.fromkeys(RED_FLAGS, False)},
                                  {"rash_grade": 1, "recurrent": False, **dict.fromkeys(RED_FLAGS, False)}])
def test_options_are_options_with_a_basis(band, stage, skin):
    options = options_for(band, stage=stage, trough_verdict="cannot tell" if stage == "tdm" else None, skin=skin)
    assert options and all(o["basis"] and o["reference"] for o in options)
    for o in options:
        assert re.search(r"\b(consider|may)\b", o["option"], re.IGNORECASE), o["option"]
        if o["reference"] == "label_scar":  # the label's contraindication: its own test below
            continue
        assert not re.search(r"\b(must|should|do not|stop imatinib)\b", o["option"], re.IGNORECASE), o["option"]
    # the source study's pathway only for a severe rash screened clear
    assert any("92.6%" in o["basis"] for o in options) == (skin is not None and skin["rash_grade"] == 3)


def test_unknown_and_unscorable_patients_are_user_errors(models, cohort_dir):
    from rashrisk.scoring.inputs import load_scoring_input

    scoring_input = load_scoring_input(cohort_dir)
    with pytest.raises(RashriskError, match="'NOPE' is not in"):
        build_report_data("NOPE", scoring_input, "start", models["start"])
    from rashrisk.scoring.score import build_frame

    frame, _ = build_frame(scoring_input.cohort, "tdm", models["tdm"])
    excluded = frame.excluded["patient_id"].astype(str).tolist()
    assert excluded, "the fixture cohort should have a patient without a landmark sample"
    with pytest.raises(RashriskError, match="cannot be scored at the tdm stage"):
        build_report_data(excluded[0], scoring_input, "tdm", models["tdm"])


def test_counterfactuals_are_rescored(report_pair, models, cohort_dir):
    start, _ = report_pair
    for c in start["counterfactuals"]:
        assert f"{100 * c['counterfactual_risk']:.1f}%" in c["statement"] or "about the same" in c["statement"]
        assert c["risk"] == pytest.approx(start["risk"]["risk"], abs=1e-12)
    assert np.isfinite(start["risk"]["risk_low"])


def test_report_from_a_one_patient_json_document(models, tmp_path):
    from rashrisk.scoring.inputs import load_scoring_input

    document = {"patient_id": "JSON-7", "sex": "F", "age_years": 47, "weight_kg": 58, "start_dose_mg": 400,
                "start_date": "2025-05-05", "genotypes": {"rs4129267": "C/T"},
                "tdm": [{"sample_time": "2025-05-19T07:55", "last_dose_time": "2025-05-18T08:00", "dose_mg": 400,
                         "concentration": 1.6, "unit": "ug/mL"}]}
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(document))
    data = build_report_data("JSON-7", load_scoring_input(path), "tdm", models["tdm"], start_model=models["start"])
    assert data["trough"]["measured"]["concentration_ng_ml"] == pytest.approx(1600.0)
    statuses = {r["input"]: r["status"] for r in data["inputs"]}
    assert statuses["albumin_g_l"] == "missing" and statuses["rs2231142_alt_count"] == "no-call"
    # an imputed input is warned about exactly when the risk model reads it
    from rashrisk.scoring.score import used_inputs

    used = used_inputs(models["tdm"], models["tdm"].input_columns_)
    warned = any(w.startswith("albumin_g_l: imputed") for w in data["warnings"])
    assert warned == ("albumin_g_l" in used), (used, data["warnings"])
    assert data["change"]["start"]["risk"] > 0
    if "rs2231142_alt_count" in data["trough"]["pk_defaulted_covariates"]:
        assert any(w.startswith("a priori trough: the PK model") and "rs2231142" in w for w in data["warnings"])


@pytest.mark.parametrize("band", ["low", "intermediate", "high"])
@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_without_a_skin_record_the_screen_is_a_checklist_and_desensitisation_is_not_offered(band, stage):
    # changed with issue 11: the pathway used to be listed after the screen for every patient; without a
    # skin record it is now not offered at all, only the screen to complete
    options = [o["option"] for o in options_for(band, stage=stage)]
    screen = next(i for i, o in enumerate(options) if "severe-cutaneous-reaction screen" in o)
    assert not any("corticosteroids" in o for o in options)
    for flag in ("mucosal", "blistering", "fever", "facial oedema", "lymphadenopathy", "eosinophilia"):
        assert flag in options[screen]
    assert "do not apply (SJS/TEN, DRESS, bullous reactions)" in options[screen]
    assert "before any desensitisation or re-challenge" in options[screen]


@pytest.mark.parametrize("low, high, verdict", [(600.0, 1000.0, "below"), (1100.0, 1800.0, "at or above"),
                                                (652.0, 1433.0, "cannot tell"), (None, 900.0, None)])
def test_a_threshold_verdict_is_made_only_over_the_whole_interval(low, high, verdict):
    from rashrisk.reports.thresholds import verdict as threshold_verdict

    assert threshold_verdict(low, high, 1100.0) == verdict


def test_the_tdm_report_states_the_trough_with_its_interval_and_the_thresholds_context(models, cohort_dir):
    from rashrisk.scoring.inputs import load_scoring_input

    scoring_input = load_scoring_input(cohort_dir)
    scores = score_input(scoring_input, "tdm", models["tdm"])
    pid = scores.loc[scores["status"] == "scored", "patient_id"].iloc[0]
    trough = build_report_data(pid, scoring_input, "tdm", models["tdm"])["trough"]
    assert trough["map_low_ng_ml"] <= trough["map_ng_ml"] <= trough["map_high_ng_ml"]
    assert f"90% interval {trough['map_low_ng_ml']:,.0f}-{trough['map_high_ng_ml']:,.0f}" in trough["statement"]
    expected = {"below": "below the 1,100", "at or above": "at or above the 1,100",
                "cannot tell": "cannot tell whether it is below or above the 1,100"}[trough["threshold_verdict"]]
    assert expected in trough["statement"] and "Demetri" in trough["statement"] and "day 29" in trough["statement"]
    assert "day 29" in trough["threshold_context"] and "advanced GIST" in trough["threshold_context"]
    assert "adjuvant" in trough["threshold_context"]
    assert trough["pk_population"]



def test_the_change_statement_names_a_factor_that_moved_the_estimate_the_way_it_went(report_pair):
    from rashrisk.reports.patient import cause_of_change

    moved = [{"factor": "rs4129267", "delta": +0.98}, {"factor": "early_trough", "delta": -0.6},
             {"factor": "sex", "delta": -0.1}]
    assert cause_of_change(moved, -1)["factor"] == "early_trough"  # the fall is not blamed on the +0.98 rise
    assert cause_of_change(moved, +1)["factor"] == "rs4129267"
    assert cause_of_change(moved, 0)["factor"] == "rs4129267"
    assert cause_of_change([{"factor": "sex", "delta": +0.2}], -1) is None
    change = report_pair[1]["change"]
    named = [f for f in change["factor_changes"] if f["description"] in change["statement"]]
    if change["risk_change"] < -0.005 or change["risk_change"] > 0.005:
        assert named and named[0]["delta"] * change["risk_change"] > 0


def test_a_no_call_patients_report_says_what_genotyping_would_change(models, cohort_dir):
    """The committed (format-1) bundles: the report, the score table and the genotype risks agree."""
    import dataclasses

    import pandas as pd

    from rashrisk.scoring.inputs import load_scoring_input
    from rashrisk.scoring.score import build_frame

    scoring_input = load_scoring_input(cohort_dir)
    cohort = scoring_input.cohort
    frame, _ = build_frame(cohort, "start", models["start"])
    pid = str(frame.X.index[0])
    genotypes = cohort.genotypes.copy()
    mine = (genotypes["patient_id"].astype(str) == pid) & (genotypes["rsid"] == "rs4129267")
    genotypes.loc[mine, ["ref_count", "alt_count"]] = pd.NA  # the patient's model genotype is a no-call
    genotypes.loc[mine, "called"] = False
    no_call = dataclasses.replace(scoring_input, cohort=dataclasses.replace(cohort, genotypes=genotypes))
    data = build_report_data(pid, no_call, "start", models["start"], model_source="test")
    scores = score_input(no_call, "start", models["start"]).set_index("patient_id")
    assert data["risk"]["risk"] == pytest.approx(scores.loc[pid, "risk"], abs=1e-12)
    [sentence] = data["genotyping"]
    row = build_frame(no_call.cohort, "start", models["start"])[0].X.loc[[pid]]
    rows = row.iloc[[0, 0, 0]].copy()
    rows["rs4129267_alt_count"] = [0.0, 1.0, 2.0]
    risks = models["start"].predict_proba(rows)[:, 1]
    assert sentence == (f"genotyping rs4129267 would give C/C {100 * risks[0]:.1f}%, C/T {100 * risks[1]:.1f}% or "
                        f"T/T {100 * risks[2]:.1f}% (now {100 * data['risk']['risk']:.1f}%, averaged)")
    assert risks.min() <= data["risk"]["risk"] <= risks.max()
    genotype = next(f for f in data["factors"] if f["factor"] == "rs4129267")
    assert genotype["direction"] == "not tested (averaged)" and "not tested: risk averaged" in genotype["description"]


def test_the_change_sentence_qualifies_a_factor_whose_direction_was_not_established(models, cohort_dir, monkeypatch):
    """The stage-change statement names its lead factor as an effect only when the TDM model established it:
    with the shipped card's effects the lead (an established factor) is unqualified; with every effect
    unknown (a card without effects) the same sentence says the direction was not established."""
    import rashrisk.explanations.local as local
    from rashrisk.models.effects import unknown_effect
    from rashrisk.scoring.inputs import load_scoring_input
    from rashrisk.scoring.score import build_frame

    scoring_input = load_scoring_input(cohort_dir)
    pid = str(build_frame(scoring_input.cohort, "tdm", models["tdm"])[0].X.index[0])

    def change(**kwargs):
        data = build_report_data(pid, scoring_input, "tdm", models["tdm"], start_model=models["start"], model_source="test")
        named = [f for f in data["factors"] if f"comes from {f['description']} (" in data["change"]["statement"]]
        assert len(named) == 1, data["change"]["statement"]
        return named[0], data["change"]["statement"]

    lead, statement = change()
    assert lead["established"] and "did not establish the direction" not in statement
    monkeypatch.setattr(local, "effect_of", lambda model, factor: unknown_effect(factor))
    lead, statement = change()
    assert not lead["established"] and "did not establish the direction of this factor's effect" in statement

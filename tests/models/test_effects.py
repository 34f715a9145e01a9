"""Factor effects with bootstrap intervals (rashrisk.models.effects): computed at training time, stored in
the card, and the only licence for "raises risk" / "lowers risk" wording and counterfactuals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from rashrisk.errors import ConfigError
from rashrisk.features.preprocess import FeatureSpec
from rashrisk.models.config import TrainingConfig
from rashrisk.models.effects import (AGAINST, ESTABLISHED, NOT_ESTABLISHED, effect_of, effect_status,
                                     expected_direction)

DIRECTION_WORDS = ("raises risk", "lowers risk")


def _simulated_dir(tmp_path_factory, n: int, seed: int, name: str):
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    folder = tmp_path_factory.mktemp(name)
    write_cohort(simulate_cohort(load_config(None), n, seed), folder)
    return folder


@pytest.fixture(scope="module")
def few_events(tmp_path_factory, fast):
    """A start model trained on a 300-patient simulated cohort (25 severe-rash events), 30 bootstrap refits."""
    from rashrisk.contract.loader import load_cohort
    from rashrisk.models.train import train_stage

    folder = _simulated_dir(tmp_path_factory, 300, 2, "few-events")
    result = train_stage(load_cohort(folder), "start", fast(interval_bootstrap=30), validate=False)
    assert 15 <= result.model.card.trained_on.events <= 25
    return folder, result


@pytest.fixture(scope="module")
def many_events(simulated_cohort, fast):
    """Start and TDM models on the 1500-patient cohort (124 and 48 events), the IL6R expectation reversed."""
    from rashrisk.models.train import train_stage

    features = dataclasses.replace(FeatureSpec(), expected_direction={
        **FeatureSpec().expected_direction, "rs4129267": "lowers"})
    config = fast(interval_bootstrap=30, features=features)
    return {stage: train_stage(simulated_cohort, stage, config, validate=False) for stage in ("start", "tdm")}


def _statuses(model) -> dict[str, str]:
    return {f: e["status"] for f, e in model.card.effects["factors"].items()}


@pytest.mark.parametrize("effect, low, high, expected, status", [
    (0.5, 0.1, 0.9, "raises", ESTABLISHED), (0.5, 0.1, 0.9, "none", ESTABLISHED),
    (-0.5, -0.9, -0.1, "lowers", ESTABLISHED), (0.5, 0.1, 0.9, "lowers", AGAINST),
    (-0.5, -0.9, -0.1, "raises", AGAINST), (0.2, -0.4, 0.7, "raises", NOT_ESTABLISHED),
    (-0.2, -0.4, 0.7, "lowers", NOT_ESTABLISHED), (0.0, 0.0, 0.0, "none", NOT_ESTABLISHED),
])
def test_status_rule(effect, low, high, expected, status):
    assert effect_status(effect, low, high, expected) == status


def test_expected_directions_from_configuration():
    spec = FeatureSpec()
    assert expected_direction(spec, "sex") == "raises"  # the contrast is female vs male
    assert expected_direction(spec, "rs4129267") == "raises" and expected_direction(spec, "rs2231142") == "raises"
    assert expected_direction(spec, "early_trough") == "raises" and expected_direction(spec, "age_years") == "none"
    spec = FeatureSpec.from_dict({"expected_direction": {"rs4129267": "none", "map_trough_ng_ml": "lowers"}})
    assert expected_direction(spec, "rs4129267") == "none" and expected_direction(spec, "sex") == "none"
    assert expected_direction(spec, "early_trough") == "lowers"


def test_a_bad_expected_direction_names_key_and_value():
    with pytest.raises(ConfigError, match=r"expected_direction\] sex = 'up'; expected \"raises\""):
        TrainingConfig.from_dict({"features": {"expected_direction": {"sex": "up"}}})


def test_few_events_claim_no_direction_that_the_bootstrap_does_not_support(few_events):
    from rashrisk.explanations.counterfactual import counterfactuals
    from rashrisk.explanations.local import NOT_TESTED, explain_factors, explanation_table, top_factor_columns
    from rashrisk.reports.patient import build_report_data
    from rashrisk.scoring.inputs import load_scoring_input
    from rashrisk.scoring.score import build_frame

    folder, result = few_events
    model = result.model
    effects = model.card.effects
    assert effects["level"] == 0.90 and effects["n_bootstrap"] == 30
    spanning = [f for f, e in effects["factors"].items() if e["low"] is not None and e["low"] <= 0 <= e["high"]]
    assert spanning and all(effects["factors"][f]["status"] == NOT_ESTABLISHED for f in spanning)
    assert "rs4129267" in spanning  # 25 events: the IL6R effect is not established on this cohort

    X = build_frame(load_scoring_input(folder).cohort, "start", model)[0].X
    table = explanation_table(model, X)
    # a genotype no-call has its own wording (not tested, averaged: tests/models/test_no_call_scoring.py)
    untested = table["direction"] == NOT_TESTED
    assert not table.loc[untested, "statement"].str.contains("|".join(DIRECTION_WORDS)).any()
    unsure = table[table["factor"].isin(spanning) & ~untested]
    assert set(unsure["direction"]) == {"not established"}
    assert not unsure["statement"].str.contains("|".join(DIRECTION_WORDS)).any()
    assert unsure["statement"].str.contains("could not establish the direction of this factor's effect").all()
    level = f"90% interval of the effect of {effects['factors']['rs4129267']['contrast']}: "
    assert unsure.loc[unsure["factor"] == "rs4129267", "statement"].str.contains(level, regex=False).all()

    contributions, _ = explain_factors(model, X)
    top = np.concatenate(top_factor_columns(model, X, contributions, 3))
    for text in top:
        factor_unsure = "could not establish" in text
        assert factor_unsure != any(f"{w} (" in text for w in DIRECTION_WORDS), text

    carriers = X[X["rs4129267_alt_count"] == 2.0]  # T/T: the counterfactual C/C would be shown as an effect
    assert len(carriers)
    assert all(not c for c in counterfactuals(model, carriers, risk_alleles={"rs4129267": "alt"}).values())
    assert any(counterfactuals(model, carriers, only_established=False).values())  # computed, only withheld

    pid = str(carriers.index[0])
    report = build_report_data(pid, load_scoring_input(folder), "start", model, model_source="test")
    il6r = next(f for f in report["factors"] if f["factor"] == "rs4129267")
    assert il6r["established"] is False and il6r["direction"] == "not established"
    assert il6r["statement"].startswith("IL6R rs4129267 T/T (two risk alleles): the model could not establish")
    assert not any(c["factor"] == "rs4129267" for c in report["counterfactuals"])

    from rashrisk.reports.render import render_report_html

    html = render_report_html(report)
    assert "IL6R rs4129267 T/T (two risk alleles): the model could not establish" in html
    assert "if IL6R" not in html and "with IL6R rs4129267 genotype" not in html


def test_established_effects_keep_their_direction_and_reversed_expectation_is_not_established(many_events,
                                                                                            simulated_cohort):
    from rashrisk.explanations.counterfactual import counterfactuals
    from rashrisk.explanations.local import NOT_TESTED, explanation_table
    from rashrisk.scoring.score import build_frame

    start, tdm = many_events["start"].model, many_events["tdm"].model
    # simulated truth: female OR 1.5, IL6R T OR 1.97 per allele, trough OR 1.4 per doubling
    assert _statuses(start)["sex"] == ESTABLISHED and start.card.effects["factors"]["sex"]["low"] > 0
    assert _statuses(tdm)["early_trough"] == ESTABLISHED and tdm.card.effects["factors"]["early_trough"]["low"] > 0
    for model in (start, tdm):  # established as raising; configured "lowers": against expectation
        il6r = model.card.effects["factors"]["rs4129267"]
        assert il6r["low"] > 0 and il6r["expected"] == "lowers" and il6r["status"] == AGAINST

    X = build_frame(simulated_cohort, "start", start)[0].X.iloc[:200]
    table = explanation_table(start, X)
    sex = table[table["factor"] == "sex"]
    female = sex[X.loc[sex["patient_id"], "sex"].to_numpy() == "F"]
    assert (female["direction"] == "raises risk").all()
    assert female["statement"].str.contains(r"^female sex: raises risk \(\+\d\.\d\d log-odds; 90% interval of the "
                                            r"effect of female vs male: \+\d\.\d\d to \+\d\.\d\d log-odds\)$").all()
    il6r = table[(table["factor"] == "rs4129267") & (table["direction"] != NOT_TESTED)]
    assert set(il6r["direction"]) == {"against expectation"}
    assert il6r["statement"].str.contains("could not establish the direction").all()
    assert il6r["statement"].str.contains(r"against the expected direction \(to lower risk").all()
    assert not il6r["statement"].str.contains("|".join(DIRECTION_WORDS)).any()
    carriers = X[X["rs4129267_alt_count"] == 2.0]
    assert all(not c for c in counterfactuals(start, carriers).values())


def test_effects_round_trip_through_the_bundle_and_appear_in_the_card(few_events, tmp_path):
    from rashrisk.models.bundle import RiskModel
    from rashrisk.models.card import card_markdown

    model = few_events[1].model
    loaded = RiskModel.load(model.save(tmp_path / "bundle"))
    assert loaded.card.effects == model.card.effects
    assert effect_of(loaded, "sex") == effect_of(model, "sex")
    text = (tmp_path / "bundle" / "card.md").read_text(encoding="utf-8")
    assert text == card_markdown(loaded.card)
    assert "## Factor effects" in text and "| factor | contrast | effect (log-odds) | 90% interval |" in text
    for factor, e in model.card.effects["factors"].items():
        assert f"| `{factor}` | {e['contrast'] or 'none defined'} | {e['effect']:+.2f} | {e['low']:+.2f} to " \
               f"{e['high']:+.2f} | {e['expected']} | {e['status']} |" in text


def test_a_card_without_effects_loads_and_establishes_nothing(few_events):
    from types import SimpleNamespace

    from rashrisk.explanations.phrases import effect_statement
    from rashrisk.models.card import ModelCard, card_markdown

    data = few_events[1].model.card.to_dict()
    del data["effects"]  # a card written before effects existed
    card = ModelCard.from_dict(data)
    assert card.effects is None
    record = effect_of(SimpleNamespace(card=card), "sex")
    assert record["status"] == NOT_ESTABLISHED
    assert effect_statement("female sex", 0.4, record) == (
        "female sex: direction not established (this model records no effect estimates; this patient's "
        "contribution +0.40 log-odds, not an established effect)")
    assert "Not recorded (a card written before effects were estimated)" in card_markdown(card)

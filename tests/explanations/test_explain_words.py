"""Plain-language factors, top factors, counterfactual statements and the long explanation table."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from rashrisk.models.card import GenotypeCoding
from fake_risk_model import fitted, with_effects

from rashrisk.explanations.counterfactual import counterfactuals
from rashrisk.explanations.factors import factor_contributions
from rashrisk.explanations.local import explanation_table, top_factor_columns
from rashrisk.explanations.phrases import describe_factor, direction_text, genotype_text


@pytest.mark.parametrize("count, expected", [
    (2.0, "IL6R rs4129267 T/T (two risk alleles)"),
    (1.0, "IL6R rs4129267 C/T (one risk allele)"),
    (0.0, "IL6R rs4129267 C/C (no risk alleles)"),
    (np.nan, "IL6R rs4129267 not called (genotype no-call)"),
])
def test_genotype_text(count, expected):
    assert genotype_text("rs4129267", count) == expected


def test_genotype_text_with_reference_as_risk_allele():
    assert genotype_text("rs4129267", 0.0, risk_allele="ref") == "IL6R rs4129267 C/C (two risk alleles)"


def test_early_trough_statement():
    row = {"map_trough_ng_ml": 2150.4, "tdm_day": 14.2, "trough_ratio_to_apriori": 1.6}
    assert describe_factor("early_trough", row) == "early trough 2,150 ng/mL on day 14, 60% above expected"
    row["trough_ratio_to_apriori"] = 0.75
    assert describe_factor("early_trough", row).endswith("25% below expected")


@pytest.mark.parametrize("factor, value, expected", [
    ("sex", "F", "female sex"), ("weight_kg", 52.0, "weight 52 kg"), ("albumin_g_l", np.nan, "albumin not recorded"),
    ("start_dose_mg", 400.0, "start dose 400 mg/day"), ("ancestry", "EAS", "East Asian ancestry"),
])
def test_describe_simple_factors(factor, value, expected):
    assert describe_factor(factor, {factor: value}) == expected


def test_direction_words():
    assert direction_text(0.3) == "raises risk" and direction_text(-0.3) == "lowers risk"
    assert direction_text(0.001) == "little effect"


def test_trough_and_ratio_are_one_early_trough_factor_and_the_day_its_own():
    values = pd.DataFrame([[0.1, 0.2, 0.3, 0.4]], columns=["tdm_day", "map_trough_ng_ml_log", "trough_ratio_to_apriori_log", "sex_M"])
    factors = {"tdm_day": "tdm_day", "map_trough_ng_ml_log": "map_trough_ng_ml",
               "trough_ratio_to_apriori_log": "trough_ratio_to_apriori", "sex_M": "sex"}
    summed = factor_contributions(values, factors)
    assert list(summed.columns) == ["tdm_day", "early_trough", "sex"]
    assert summed.loc[0, "early_trough"] == pytest.approx(0.5)
    assert summed.loc[0, "tdm_day"] == pytest.approx(0.1)
    assert describe_factor("tdm_day", {"tdm_day": 9.26}) == "first trough sample on day 9 of treatment"


def test_top_factors_by_absolute_contribution():
    contributions = pd.DataFrame([[0.1, -0.5, 0.3, 0.0]], columns=list("abcd"))
    coding = GenotypeCoding(genotypes=(), genetic_model="additive", risk_allele={})
    model, X = SimpleNamespace(card=SimpleNamespace(genotype_coding=coding)), pd.DataFrame(index=[0])  # no inputs: each factor reads "<name> not recorded"
    columns = top_factor_columns(model, X, contributions, 3)
    assert [[str(c[0]).split(" not recorded")[0] for c in columns]] == [["b", "c", "a"]]


def test_counterfactual_rescoring_matches_the_model():
    model, X = fitted("logistic", n=600)
    with_effects(model, rs4129267="established")
    row = X.iloc[[0]].copy()
    row["rs4129267_alt_count"] = 2.0
    statements = counterfactuals(model, row)[row.index[0]]
    assert len(statements) == 1
    changed = row.copy()
    changed["rs4129267_alt_count"] = 0.0
    expected = model.predict_proba(changed)[0, 1]
    assert statements[0]["counterfactual_risk"] == pytest.approx(expected, abs=1e-12)
    assert statements[0]["statement"].startswith("with IL6R rs4129267 genotype C/C the risk would be ")
    assert f"{100 * expected:.1f}% instead of {100 * model.predict_proba(row)[0, 1]:.1f}%" in statements[0]["statement"]


def test_no_call_counterfactual_shows_each_genotype():
    model, X = fitted("logistic", n=600)
    with_effects(model, rs4129267="established")
    row = X.iloc[[1]].copy()
    row["rs4129267_alt_count"] = np.nan
    statements = counterfactuals(model, row)[row.index[0]]
    assert len(statements) == 1  # one sentence: what genotyping would change
    assert statements[0]["statement"].startswith("genotyping rs4129267 would give C/C ")
    assert list(statements[0]["genotype_risks"]) == ["C/C", "C/T", "T/T"]
    assert statements[0]["statement"].endswith("averaged)")


def test_explanation_table_rows_sum_to_model_logit():
    model, X = fitted("xgboost", n=600)
    table = explanation_table(model, X.iloc[:20])
    assert len(table) == 20 * 6
    sums = table.groupby("patient_id").agg(total=("contribution", "sum"), base=("base_value", "first"),
                                           logit=("model_logit", "first"))
    np.testing.assert_allclose(sums.total + sums.base, sums.logit, atol=1e-6)

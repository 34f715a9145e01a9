"""A genotype no-call is missing information: the served risk is the Hardy-Weinberg average of the three
genotype-specific risks (ancestry's catalogue frequency when known, else the training cohort's), its
interval covers theirs, and the score table, explanation and counterfactuals use that same risk."""

import numpy as np
import pytest

from rashrisk.explanations.counterfactual import counterfactuals
from rashrisk.explanations.local import explain_factors, explanation_table
from rashrisk.features.genotype import hardy_weinberg
from rashrisk.models.bundle import RiskModel
from rashrisk.models.train import train_stage
from rashrisk.explanations.no_call import training_frequency
from rashrisk.scoring.score import build_frame, score_frame

COLUMN = "rs4129267_alt_count"


@pytest.fixture(scope="module", params=["start", "tdm"])
def served(request, simulated_cohort, fast, tmp_path_factory):
    stage = request.param
    result = train_stage(simulated_cohort, stage, fast(candidates=("logistic",), validation_bootstrap=2), validate=False)
    model = RiskModel.load(result.model.save(tmp_path_factory.mktemp(stage) / "bundle"))
    frame, _ = build_frame(simulated_cohort, stage, model)
    return model, frame


def _genotype_risks(model, row):
    rows = row.iloc[[0, 0, 0]].copy()
    rows[COLUMN] = [0.0, 1.0, 2.0]
    low, high = model.predict_interval(rows)
    return model.predict_proba(rows)[:, 1], low, high


def _no_call_patients(frame, ancestry):
    X = frame.X.iloc[:6].copy()
    X[COLUMN] = np.nan
    X["ancestry"] = ancestry
    return X


def test_the_encoder_has_no_missing_indicator_and_records_the_training_frequency(served):
    model, frame = served
    assert not [n for n in model.feature_names_ if n.startswith("rs") and n.endswith("_missing")]
    called = frame.X[COLUMN].dropna()
    assert training_frequency(model, "rs4129267") == pytest.approx(called.mean() / 2, abs=0.02)
    assert model.card.genotype_coding.allele_frequencies["rs4129267"]["by_ancestry"] == {"EAS": 0.38, "EUR": 0.376}


@pytest.mark.parametrize("ancestry", ["EUR", "EAS", None])
def test_no_call_risk_is_the_hardy_weinberg_average_within_the_genotype_risks(served, ancestry):
    model, frame = served
    X = _no_call_patients(frame, ancestry)
    contributions, attributions = explain_factors(model, X)
    q = {"EUR": 0.376, "EAS": 0.38, None: training_frequency(model, "rs4129267")}[ancestry]
    weights = np.array(hardy_weinberg(q))
    for i in range(len(X)):
        risks, lows, highs = _genotype_risks(model, X.iloc[[i]])
        averaged = attributions.no_calls[i]
        assert averaged.risk == pytest.approx(float(weights @ risks), rel=1e-12)
        assert risks.min() <= averaged.risk <= risks.max()
        assert averaged.risk_low == pytest.approx(lows.min()) and averaged.risk_high == pytest.approx(highs.max())
        assert averaged.genotypes[0].alt_allele_frequency == pytest.approx(q)
        assert ("training cohort" in averaged.genotypes[0].source) == (ancestry is None)
        # base + contributions = the served (averaged) log-odds
        assert attributions.base_value[i] + contributions.iloc[i].sum() == pytest.approx(
            np.log(averaged.risk / (1 - averaged.risk)), abs=1e-9)


def test_score_table_explanation_and_counterfactuals_agree_on_the_risk(served):
    model, frame = served
    X = _no_call_patients(frame, "EUR")
    import dataclasses

    scored = score_frame(model, dataclasses.replace(frame, X=X, provenance=frame.provenance.loc[X.index].assign(
        **{COLUMN: "no-call"})))
    _, attributions = explain_factors(model, X)
    np.testing.assert_allclose(scored["risk"], [attributions.no_calls[i].risk for i in range(len(X))], rtol=1e-12)
    table = explanation_table(model, X)
    logit = table.groupby("patient_id", sort=False)["model_logit"].first().to_numpy()
    np.testing.assert_allclose(1 / (1 + np.exp(-logit)), scored["risk"], rtol=1e-9)
    genotype_rows = table[table["factor"] == "rs4129267"]
    assert set(genotype_rows["direction"]) == {"not tested (averaged)"}
    assert genotype_rows["description"].str.contains("not tested: risk averaged over the possible genotypes "
                                                     "\\(frequency 0.38, EUR reference").all()
    for text in scored[["factor_1", "factor_2", "factor_3"]].to_numpy().ravel():
        assert "rs4129267" not in text or "raises" not in text and "lowers" not in text
    found = counterfactuals(model, X, risk_alleles={"rs4129267": "alt"})[str(X.index[0])]
    statement = next(c for c in found if c["factor"] == "rs4129267")["statement"]
    risks, _, _ = _genotype_risks(model, X.iloc[[0]])
    assert statement == (f"genotyping rs4129267 would give C/C {100 * risks[0]:.1f}%, C/T {100 * risks[1]:.1f}% or "
                         f"T/T {100 * risks[2]:.1f}% (now {100 * scored['risk'].iloc[0]:.1f}%, averaged)")

"""What is served is what was trained: scoring a training cohort with the trained bundle builds the
same model frame, bit for bit, at both stages, for the default PK prior, each shipped PK model and
a custom training configuration; and a logistic model explained on its own training patients gives
every factor a mean contribution of zero."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from rashrisk.models.bundle import RiskModel
from rashrisk.models.train import train_stage
from rashrisk.pk.model import available_models, default_pk_model, load_pk_model
from rashrisk.scoring.score import build_frame

SETTINGS = [("default prior", None, {})] + [(name, name, {}) for name in available_models()] + [
    ("custom config", None, {"landmark_first_day": 10.0, "landmark_last_day": 35.0})]
# the custom landmark window changes only the tdm frame: at start it would repeat the default case
CASES = [(stage, *setting) for stage in ("start", "tdm") for setting in SETTINGS
         if stage == "tdm" or setting[0] != "custom config"]


def served_frame(model, cohort, stage, tmp_path):
    """The frame `rashrisk score` builds for ``cohort`` with the bundle written to disk and read back."""
    served = RiskModel.load(model.save(tmp_path / f"{stage}-bundle"))
    frame, pk_model = build_frame(cohort, stage, served)
    return served, frame, pk_model


@pytest.mark.parametrize("stage, label, pk_name, overrides", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_served_frame_equals_training_frame(simulated_cohort, fast, tmp_path, stage, label, pk_name, overrides):
    pk_model = load_pk_model(pk_name) if pk_name else None
    config = fast(candidates=("logistic",), validation_bootstrap=2, **overrides)
    result = train_stage(simulated_cohort, stage, config, pk_model=pk_model, validate=False)
    served, frame, used_pk = served_frame(result.model, simulated_cohort, stage, tmp_path)
    expected_pk = pk_model or default_pk_model(simulated_cohort.ancestry)
    assert used_pk == expected_pk and used_pk.content_sha256 == served.card.pk_model.sha256
    trained = result.frame.X
    # scoring ignores outcomes: at the landmark it keeps patients training excluded for an earlier rash
    assert set(trained.index) <= set(frame.X.index)
    pd.testing.assert_frame_equal(frame.X.loc[trained.index], trained, check_exact=True)
    np.testing.assert_array_equal(served.decision_function(frame.X.loc[trained.index]),
                                  result.model.decision_function(trained))
    if stage == "tdm":
        assert served.card.landmark_days == result.frame.landmark == config.landmark


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_logistic_contributions_average_to_zero_on_the_training_patients(simulated_cohort, fast, tmp_path, stage):
    from rashrisk.explanations.attributions import explain_log_odds
    from rashrisk.explanations.factors import factor_contributions

    result = train_stage(simulated_cohort, stage, fast(candidates=("logistic",)), validate=False)
    served, frame, _ = served_frame(result.model, simulated_cohort, stage, tmp_path)
    # the linear SHAP of the fitted model (the served explanation of a no-call adds its genotype average:
    # tests/models/test_no_call_scoring.py)
    attributions = explain_log_odds(served, frame.X.loc[result.frame.X.index])
    contributions = factor_contributions(attributions.values, served.feature_factor_)
    assert attributions.additivity_error < 1e-12
    assert contributions.mean().abs().max() < 1e-6
    assert contributions.abs().mean().max() > 0.01  # the factors do contribute for single patients


def test_the_eas_default_prior_is_recorded_with_its_override(simulated_cohort, fast, tmp_path):
    """The East-Asian default widens the IIV of CL/F; the card records the widened model, and the
    MAP troughs scoring computes are the training ones (not those of the published file)."""
    result = train_stage(simulated_cohort, "tdm", fast(candidates=("logistic",)), validate=False)
    record = result.model.card.pk_model
    assert record.name == "jiang2023" and record.definition["iiv_sd"] == [0.30]
    assert record.definition["overrides"] and record.sha256 != load_pk_model("jiang2023").content_sha256
    tampered = dataclasses.replace(record, definition={**record.definition, "iiv_sd": [0.139]})
    from rashrisk.errors import ModelError

    with pytest.raises(ModelError, match="content hash"):
        tampered.model()


def test_explanations_use_the_cards_risk_allele(simulated_cohort, fast, tmp_path):
    """With the reference allele as the risk allele, an alt/alt patient has no risk allele."""
    from rashrisk.explanations.local import explanation_table
    from rashrisk.explanations.phrases import genotype_with_count
    from rashrisk.features.preprocess import FeatureSpec

    features = FeatureSpec(risk_allele={"rs4129267": "ref"})
    result = train_stage(simulated_cohort, "start", fast(candidates=("logistic",), features=features), validate=False)
    served, frame, _ = served_frame(result.model, simulated_cohort, "start", tmp_path)
    assert served.card.genotype_coding.risk_allele == {"rs4129267": "ref"}
    X = frame.X[frame.X["rs4129267_alt_count"].isin([0.0, 2.0])].groupby("rs4129267_alt_count").head(1)
    table = explanation_table(served, X)
    words = dict(zip(X["rs4129267_alt_count"], table[table["factor"] == "rs4129267"]["description"]))
    assert words[2.0].endswith(f"{genotype_with_count('rs4129267', 2)} (no risk alleles)")
    assert words[0.0].endswith(f"{genotype_with_count('rs4129267', 0)} (two risk alleles)")


def test_a_patients_served_log_odds_do_not_depend_on_the_batch():
    # BLAS products block by the number of rows: the logistic family's log-odds are a row-wise einsum,
    # so a patient scored alone gets the bit-identical risk of a batch (the service scores both ways)
    import numpy as np

    from rashrisk.models.family_logistic import LogisticFamily
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 7))
    estimator = LogisticRegression().fit(X, (X[:, 0] + rng.normal(size=3000) > 1).astype(int))
    family = LogisticFamily()
    batch = family.raw_logit(estimator, None, X)
    alone = np.array([family.raw_logit(estimator, None, X[i:i + 1])[0] for i in range(0, 3000, 37)])
    assert np.array_equal(batch[::37], alone)

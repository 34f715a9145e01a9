import numpy as np
import pandas as pd
import pytest

from rashrisk.features.genotype import GenotypeEncoder


def _frame(values):
    return pd.DataFrame({"rs4129267_alt_count": values})


def test_additive_counts_alt_alleles_without_a_no_call_indicator():
    enc = GenotypeEncoder().fit(_frame([0.0, 1.0, 2.0, np.nan]))
    out = enc.transform(_frame([0.0, 1.0, 2.0, np.nan]))
    assert list(enc.get_feature_names_out()) == ["rs4129267_alt_count"]  # no _missing column
    assert out.shape == (4, 1)
    np.testing.assert_array_equal(out[:3, 0], [0.0, 1.0, 2.0])


def test_no_call_is_the_hardy_weinberg_expectation_at_the_training_frequency():
    enc = GenotypeEncoder().fit(_frame([2.0, 2.0, 1.0, np.nan]))
    assert enc.alt_allele_frequency_[0] == pytest.approx(5.0 / 6.0)  # 5 ALT of 6 called alleles
    value = enc.transform(_frame([np.nan]))[0]
    assert value[0] == pytest.approx(2 * 5.0 / 6.0)  # 2p, not 0 (homozygous reference)


@pytest.mark.parametrize(("model", "risk_allele", "expected"), [
    ("dominant", "alt", 1 - (1 - 0.25) ** 2), ("recessive", "alt", 0.25 ** 2),
    ("dominant", "ref", 1 - 0.25 ** 2), ("additive", "ref", 2 * 0.75),
])
def test_no_call_expectation_under_each_genetic_model(model, risk_allele, expected):
    # ALT frequency 0.25: counts 0, 0, 1, 1 (2 ALT of 8 alleles)
    enc = GenotypeEncoder(model=model, risk_allele=risk_allele).fit(_frame([0.0, 0.0, 1.0, 1.0, np.nan]))
    assert enc.alt_allele_frequency_[0] == pytest.approx(0.25)
    assert enc.transform(_frame([np.nan]))[0, 0] == pytest.approx(expected)


def test_a_format_1_encoder_keeps_its_no_call_indicator_and_yields_its_frequency():
    enc = GenotypeEncoder().fit(_frame([0.0, 1.0, 2.0, 1.0]))
    del enc.alt_allele_frequency_  # as decoded from a bundle of format 1
    enc.fill_value_ = np.array([0.8])
    assert list(enc.get_feature_names_out()) == ["rs4129267_alt_count", "rs4129267_alt_count_missing"]
    np.testing.assert_array_equal(enc.transform(_frame([np.nan, 2.0])), [[0.8, 1.0], [2.0, 0.0]])
    assert enc.training_alt_allele_frequency()[0] == pytest.approx(0.4)


def test_reference_allele_as_risk_allele_counts_reference_copies():
    enc = GenotypeEncoder(risk_allele={"rs4129267_alt_count": "ref"}).fit(_frame([0.0, 1.0, 2.0]))
    out = enc.transform(_frame([0.0, 1.0, 2.0]))
    assert enc.get_feature_names_out()[0] == "rs4129267_ref_count"
    np.testing.assert_array_equal(out[:, 0], [2.0, 1.0, 0.0])


@pytest.mark.parametrize(("model", "expected", "name"), [
    ("dominant", [0.0, 1.0, 1.0], "rs4129267_alt_carrier"),
    ("recessive", [0.0, 0.0, 1.0], "rs4129267_alt_homozygous"),
])
def test_dominant_and_recessive_models(model, expected, name):
    enc = GenotypeEncoder(model=model).fit(_frame([0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(enc.transform(_frame([0.0, 1.0, 2.0]))[:, 0], expected)
    assert enc.get_feature_names_out()[0] == name
    assert set(enc.factor_of().values()) == {"rs4129267"}


def test_unknown_genetic_model_is_refused():
    with pytest.raises(ValueError, match="model"):
        GenotypeEncoder(model="codominant").fit(_frame([0.0, 1.0]))

import numpy as np
import pandas as pd
import pytest

from rashrisk.features.genotype import GenotypeEncoder


def _frame(values):
    return pd.DataFrame({"rs4129267_alt_count": values})


def test_additive_counts_alt_alleles_and_flags_no_calls():
    enc = GenotypeEncoder().fit(_frame([0.0, 1.0, 2.0, np.nan]))
    out = enc.transform(_frame([0.0, 1.0, 2.0, np.nan]))
    assert list(enc.get_feature_names_out()) == ["rs4129267_alt_count", "rs4129267_alt_count_missing"]
    np.testing.assert_array_equal(out[:3, 0], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(out[:, 1], [0, 0, 0, 1])


def test_no_call_is_not_silently_the_reference_genotype():
    enc = GenotypeEncoder().fit(_frame([2.0, 2.0, 1.0, np.nan]))
    value = enc.transform(_frame([np.nan]))[0]
    assert value[1] == 1.0  # explicit indicator
    assert value[0] == pytest.approx(5.0 / 3.0)  # training mean, not 0 (homozygous reference)


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

import numpy as np
import pytest

from rashrisk.errors import RashriskError
from rashrisk.genotype.coding import GENETIC_MODELS, code_genotype, risk_allele_count

ALT_COUNTS = np.array([0.0, 1.0, 2.0, np.nan])


def test_ref_as_risk_allele_counts_the_other_copies_and_keeps_no_calls():
    np.testing.assert_array_equal(risk_allele_count(ALT_COUNTS, "alt"), ALT_COUNTS)
    np.testing.assert_array_equal(risk_allele_count(ALT_COUNTS, "ref"), [2.0, 1.0, 0.0, np.nan])


@pytest.mark.parametrize(("model", "expected"), [
    ("additive", [0.0, 1.0, 2.0, np.nan]),
    ("dominant", [0.0, 1.0, 1.0, np.nan]),
    ("recessive", [0.0, 0.0, 1.0, np.nan]),
])
def test_each_genetic_model_codes_counts_and_keeps_no_calls(model, expected):
    assert model in GENETIC_MODELS
    np.testing.assert_array_equal(code_genotype(ALT_COUNTS, model), expected)


def test_a_count_a_rounding_error_off_a_whole_number_is_coded_as_that_number():
    np.testing.assert_array_equal(code_genotype([1.0 - 1e-12, 2.0 - 1e-12], "dominant"), [1.0, 1.0])
    np.testing.assert_array_equal(code_genotype([1.0 - 1e-12, 2.0 - 1e-12], "recessive"), [0.0, 1.0])


def test_an_unknown_genetic_model_is_a_user_error_naming_the_choices():
    with pytest.raises(RashriskError, match="additive, dominant, recessive"):
        code_genotype(ALT_COUNTS, "codominant")

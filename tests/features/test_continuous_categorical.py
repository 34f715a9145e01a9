import numpy as np
import pandas as pd
import pytest

from rashrisk.features.categorical import CategoricalEncoder
from rashrisk.features.continuous import ContinuousEncoder


def test_imputation_value_is_learned_in_fit_not_from_new_data():
    train = pd.DataFrame({"albumin_g_l": [30.0, 40.0, 50.0, np.nan]})
    enc = ContinuousEncoder().fit(train)
    out = enc.transform(pd.DataFrame({"albumin_g_l": [np.nan, np.nan, 10.0]}))
    assert list(enc.get_feature_names_out()) == ["albumin_g_l", "albumin_g_l_missing"]
    np.testing.assert_array_equal(out[:, 0], [40.0, 40.0, 10.0])
    np.testing.assert_array_equal(out[:, 1], [1.0, 1.0, 0.0])


def test_no_indicator_for_a_column_complete_in_training_unless_always():
    train = pd.DataFrame({"age_years": [40.0, 50.0, 60.0]})
    assert list(ContinuousEncoder().fit(train).get_feature_names_out()) == ["age_years"]
    names = ContinuousEncoder(add_indicator="always").fit(train).get_feature_names_out()
    assert list(names) == ["age_years", "age_years_missing"]


def test_log_transform_keeps_the_clinical_name_and_raises_only_values_below_the_training_range():
    train = pd.DataFrame({"map_trough_ng_ml": [1000.0, 2000.0, 0.0, np.nan], "trough_ratio_to_apriori": [0.5, 1.6, 0.8, 1.0]})
    enc = ContinuousEncoder(log_columns=("map_trough_ng_ml", "trough_ratio_to_apriori")).fit(train)
    assert list(enc.get_feature_names_out()) == ["map_trough_ng_ml_log", "map_trough_ng_ml_missing",
                                                 "trough_ratio_to_apriori_log"]
    out = enc.transform(train)
    # a trough of 0 takes the log of the smallest positive training trough; NaN stays missing (median fill)
    np.testing.assert_allclose(out[:, 0], np.log([1000.0, 2000.0, 1000.0, 1000.0]))
    np.testing.assert_array_equal(out[:, 1], [0, 0, 0, 1])
    # a ratio below 1 keeps its negative log (it was once floored at 1, i.e. log 0, which erased it)
    np.testing.assert_allclose(out[:, 2], np.log([0.5, 1.6, 0.8, 1.0]))
    # below the smallest positive training value everything is raised to it: monotone, 0 never above 500
    new = enc.transform(pd.DataFrame({"map_trough_ng_ml": [-5.0, 0.0, 1.0, 500.0, 1500.0],
                                      "trough_ratio_to_apriori": [0.1, 0.4, 0.5, 0.7, 3.0]}))
    np.testing.assert_allclose(new[:, 0], np.log([1000.0, 1000.0, 1000.0, 1000.0, 1500.0]))
    np.testing.assert_allclose(new[:, 2], np.log([0.5, 0.5, 0.5, 0.7, 3.0]))
    assert np.all(np.diff(new[:, 0]) >= 0) and np.all(np.diff(new[:, 2]) >= 0)
    assert enc.factor_of() == {"map_trough_ng_ml_log": "map_trough_ng_ml", "map_trough_ng_ml_missing": "map_trough_ng_ml",
                               "trough_ratio_to_apriori_log": "trough_ratio_to_apriori"}


def test_splines_expand_one_column_into_named_basis_columns():
    train = pd.DataFrame({"age_years": np.linspace(20, 80, 50), "weight_kg": np.linspace(40, 90, 50)})
    enc = ContinuousEncoder(spline_columns=("age_years",), n_knots=4, degree=3).fit(train)
    names = list(enc.get_feature_names_out())
    assert names == [f"age_years_spline{k}" for k in range(5)] + ["weight_kg"]
    assert enc.transform(train).shape == (50, 6)
    assert set(enc.factor_of().values()) == {"age_years", "weight_kg"}


def test_unknown_log_column_is_an_error_naming_it():
    with pytest.raises(ValueError, match="trough"):
        ContinuousEncoder(log_columns=("trough",)).fit(pd.DataFrame({"age_years": [1.0, 2.0]}))


def test_categorical_levels_missing_and_unseen():
    train = pd.DataFrame({"sex": ["F", "M", "F"], "setting": ["adjuvant", None, "advanced"]})
    enc = CategoricalEncoder().fit(train)
    assert list(enc.get_feature_names_out()) == ["sex_M", "setting_adjuvant", "setting_advanced", "setting_missing"]
    out = enc.transform(pd.DataFrame({"sex": ["M"], "setting": ["palliative"]}))
    np.testing.assert_array_equal(out[0], [1.0, 0.0, 0.0, 0.0])  # unseen level -> reference (all zeros)
    assert enc.factor_of()["setting_missing"] == "setting"


def test_the_log_floor_is_the_smallest_training_value_rounded_down_to_two_figures():
    """No single patient's exact value is stored, and no positive training value is raised."""
    train = pd.DataFrame({"map_trough_ng_ml": [1037.4, 2750.333377, 0.0], "trough_ratio_to_apriori": [0.2837, 1.2, 2.0]})
    enc = ContinuousEncoder(log_columns=("map_trough_ng_ml", "trough_ratio_to_apriori")).fit(train)
    np.testing.assert_allclose(enc.log_floor_, [1000.0, 0.28])
    out = enc.transform(train)
    np.testing.assert_allclose(out[:, 0], np.log([1037.4, 2750.333377, 1000.0]))
    np.testing.assert_allclose(out[:, 1], np.log([0.2837, 1.2, 2.0]))

from pathlib import Path

import pytest

from rashrisk.errors import ConfigError
from rashrisk.models.config import TrainingConfig

ROOT = Path(__file__).resolve().parents[2]


def test_default_pipeline_file_equals_the_built_in_defaults():
    assert TrainingConfig.from_toml(ROOT / "pipelines" / "train-default.toml") == TrainingConfig()


def test_unknown_key_is_named_in_the_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[training]\ncv_splitz = 5\n")
    with pytest.raises(ConfigError, match="cv_splitz"):
        TrainingConfig.from_toml(path)


@pytest.mark.parametrize(("text", "needle"), [
    ("[training]\ncandidates = ['forest']\n", "forest"),
    ("[training]\nplatt_families = ['forest']\n", "platt_families"),
    ("[training]\nlow_below = 0.3\nhigh_from = 0.2\n", "high_from"),
    ("[features]\ngenotype_model = 'codominant'\n", "codominant"),
    ("[features.risk_allele]\nrs4129267 = 'T'\n", "rs4129267"),
    ("[training]\ncv_splits = 'five'\n", "cv_splits"),
    ("[training]\ncv_repeats = 1.5\n", "cv_repeats = 1.5; expected a whole number"),
    # a misspelt or unused factor in a constraint list would constrain nothing
    ("[xgboost]\nmonotone_increasing = ['rs412926']\n", r"\[xgboost\] monotone_increasing: \['rs412926'\] is no clinical factor"),
    ("[logistic]\nnonnegative = ['map_trough']\n", r"\[logistic\] nonnegative: \['map_trough'\]"),
    ("[logistic]\nunpenalised = ['start_dose_mg']\n", r"unpenalised: \['start_dose_mg'\] is no clinical factor of \[features\]"),
])
def test_bad_values_are_refused_with_the_key(tmp_path, text, needle):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=needle):
        TrainingConfig.from_toml(path)


def test_a_whole_float_for_an_integer_setting_becomes_an_int(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text("[training]\ncv_repeats = 3.0\n", encoding="utf-8")
    config = TrainingConfig.from_toml(path)
    assert config.cv_repeats == 3 and isinstance(config.cv_repeats, int)


def test_constraint_lists_accept_the_factors_of_features(tmp_path):
    path = tmp_path / "ok.toml"
    path.write_text("[features]\ncontinuous = ['age_years', 'weight_kg']\ngenotypes = []\n"
                    "[logistic]\nnonnegative = ['weight_kg', 'rs1045642']\n", encoding="utf-8")
    config = TrainingConfig.from_toml(path)  # any rsID when every catalogue variant is used
    assert config.logistic.nonnegative == ("weight_kg", "rs1045642")

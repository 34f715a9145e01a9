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

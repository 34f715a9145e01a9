"""Configuration errors are user errors naming the setting."""

from __future__ import annotations

import pytest

from rashrisk.errors import ConfigError
from rashrisk.simulate.cohort import simulate_cohort
from rashrisk.simulate.config import load_config


def test_packaged_default_is_the_pipelines_file():
    from pathlib import Path

    pipelines = Path(__file__).resolve().parents[2] / "pipelines" / "simulate-default.toml"
    assert load_config().data == load_config(pipelines).data


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("cohort.ancestry", "XYZ", "cohort.ancestry"),
        ("dose.probability", [0.5, 0.2, 0.2], "dose.probability"),
        ("outcome.il6r.genetic_model", "multiplicative", "genetic_model"),
        ("outcome.severe_incidence", 1.5, "severe_incidence"),
    ],
)
def test_bad_settings_raise_config_error(key, value, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_config().with_values(**{key: value})


def test_risk_allele_must_be_a_letter_of_the_variant():
    cfg = load_config().with_values(**{"outcome.il6r.risk_allele": "G"})
    with pytest.raises(ConfigError, match="C>T"):
        simulate_cohort(cfg, 10, 1)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("schema = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_european_ancestry_uses_its_frequencies_and_pk_model():
    from rashrisk.simulate.exposure import pk_model

    cfg = load_config().with_values(**{"cohort.ancestry": "EUR"})
    assert pk_model(cfg).name == "widmer2006"
    assert pk_model(load_config()).name == "jiang2023"
    assert pk_model(load_config()).overrides  # the documented tuning is applied and recorded


def test_extends_merges_a_variant_over_its_base(tmp_path):
    from pathlib import Path

    variant = Path(__file__).resolve().parents[2] / "pipelines" / "simulate-il6r-dominant.toml"
    cfg = load_config(variant)
    base = load_config()
    assert cfg.get("outcome", "il6r", "genetic_model") == "dominant"
    assert cfg.get("outcome", "il6r", "odds_ratio") == base.get("outcome", "il6r", "odds_ratio")
    assert cfg.get("pk") == base.get("pk")
    child = tmp_path / "child.toml"
    child.write_text('extends = "parent.toml"\n[cohort]\nancestry = "EUR"\n')
    with pytest.raises(ConfigError, match="parent.toml"):
        load_config(child)
    (tmp_path / "parent.toml").write_text('extends = "simulate-default.toml"\n[outcome.sex]\nfemale_odds_ratio = 1.0\n')
    merged = load_config(child)
    assert merged.get("cohort", "ancestry") == "EUR" and merged.get("outcome", "sex", "female_odds_ratio") == 1.0
    assert merged.get("cohort", "patient_id_prefix") == base.get("cohort", "patient_id_prefix")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("outcome.intercept_reference_n", 1e9, "intercept_reference_n"),  # was a 7.5 GiB allocation
        ("outcome.intercept_reference_n", 2000.5, "whole number"),
        ("demographics.weight_kg_mean.M", "x", "weight_kg_mean.M"),
        ("followup.sd_log", 1e9, "followup.sd_log"),
        ("pk.overrides.jiang2023.iiv_sd.cl_l_h", 0, "iiv_sd.cl_l_h"),
        ("cohort.start_date_first", "x", "start_date_first"),
        ("cohort.patient_id_prefix", -1, "patient_id_prefix"),
        ("genotypes.il6r_block.rsids", -1, "il6r_block.rsids"),
        ("tdm.unit_probability", ["a", "b", "c"], "tdm.unit_probability"),
        ("tdm.unit", ["ng/mL", "ug/mL", "mg/dL"], "mg/dL"),
        ("outcome.onset.onset_day_limits", [3, "x"], "onset_day_limits"),
    ],
)
def test_every_setting_is_checked_before_simulating(key, value, fragment):
    # each of these used to fail deep in NumPy/SciPy (or allocate until killed) instead of naming the setting
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        load_config().with_values(**{key: value})


@pytest.mark.parametrize("value", [5.0, 0.05])
def test_late_exposure_factor_outside_its_range_fails_when_loading(tmp_path, value):
    # the range used to be checked only mid-simulation (5.0 loaded, then failed in the TDM step)
    variant = tmp_path / "late.toml"
    variant.write_text(f'extends = "simulate-default.toml"\n[pk.exposure_drift]\nlate_exposure_factor = {value}\n')
    with pytest.raises(ConfigError, match=r"\[pk\.exposure_drift\.late_exposure_factor\] = .* \[0\.1, 2\.0\]"):
        load_config(variant)


def test_any_bad_leaf_value_is_a_config_error_or_simulates():
    """Every setting of the default file replaced by a wrong type or extreme value: a ConfigError
    naming it, or a clean simulation of a few patients; never another exception."""
    import copy
    import warnings

    from rashrisk.errors import RashriskError
    from rashrisk.simulate.config import validate_config

    base = copy.deepcopy(load_config().data)
    base["outcome"]["intercept_reference_n"] = 2000  # each accepted variant re-solves the intercept: keep it cheap

    def leaves(node, path=()):
        for k, v in node.items():
            yield from leaves(v, path + (k,)) if isinstance(v, dict) else [path + (k,)]

    for path in leaves(base):
        for value in ("x", -1, 1e9, [], 0):
            data = copy.deepcopy(base)
            node = data
            for k in path[:-1]:
                node = node[k]
            node[path[-1]] = value
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    simulate_cohort(validate_config(data, source="t"), 20, 1)
            except RashriskError:
                pass

import numpy as np
import pandas as pd
import pytest

from rashrisk.errors import ModelError, RashriskError
from rashrisk.pk.model import PopPKModel, available_models, default_pk_model, load_pk_model

COV = pd.DataFrame({"sex": ["M", "F"], "age_years": [50.0, 55.0], "weight_kg": [70.0, 60.0]})


def test_shipped_models_load():
    assert {"widmer2006", "jiang2023", "petain2008"} <= set(available_models())
    for name in ("widmer2006", "jiang2023", "petain2008"):
        model = load_pk_model(name)
        assert model.name == name and model.citation and model.population


def test_unknown_model_is_a_user_error():
    with pytest.raises(RashriskError, match="unknown PK model 'nope'"):
        load_pk_model("nope")


def test_widmer_covariate_equations():
    p = load_pk_model("widmer2006").typical_parameters(COV)
    # CL = 14.3 + 5.42 (BW-70)/70 + 1.49 sex - 5.81 (AGE-50)/50 - 0.806 (GIST)
    assert p.loc[0, "cl_l_h"] == pytest.approx(14.3 + 1.49 - 0.806)
    assert p.loc[1, "cl_l_h"] == pytest.approx(14.3 + 5.42 * -10 / 70 - 1.49 - 5.81 * 5 / 50 - 0.806)
    assert p["v_l"].tolist() == pytest.approx([393.2, 300.8])
    assert p["ka_per_h"].tolist() == [0.609, 0.609]


def test_jiang_abcg2_multiplier_and_nocall_imputed():
    model = load_pk_model("jiang2023")
    cov = pd.DataFrame({"rs2231142_alt_count": [0.0, 1.0, 2.0, np.nan], "rbc_10e12_l": [3.7, 3.7, 3.7, 3.7 * 2]})
    cl = model.typical_parameters(cov)["cl_l_h"].to_numpy()
    # a no-call takes the population-average multiplier (0.943), never the GG reference (1.0)
    np.testing.assert_allclose(cl, [9.72, 9.72 * 0.879, 9.72 * 0.976, 9.72 * 0.943 * 2**0.49])
    imputed = model.imputed_covariates(cov)
    assert imputed["rs2231142_alt_count"].tolist() == [False, False, False, True]
    assert not imputed["rbc_10e12_l"].any()


def test_petain_agp_missing_takes_reference_and_is_reported():
    model = load_pk_model("petain2008")
    cov = pd.DataFrame({"weight_kg": [54.0, 54.0], "albumin_g_l": [38.0, 38.0], "agp_g_l": [np.nan, 2.26]})
    p = model.typical_parameters(cov)
    assert p.loc[0, "cl_l_h"] == pytest.approx(7.29)
    assert p.loc[1, "cl_l_h"] == pytest.approx(7.29 * 2**-0.65)
    assert p.loc[1, "v_l"] == pytest.approx(202 * 2**-1.01)
    assert model.imputed_covariates(cov)["agp_g_l"].tolist() == [True, False]


def test_unknown_category_names_column_and_value():
    with pytest.raises(ModelError, match=r"'sex'.*'X'"):
        load_pk_model("widmer2006").typical_parameters(pd.DataFrame({"sex": ["X"]}))


def test_check_domain_names_covariate_value_and_limits():
    model = load_pk_model("widmer2006")
    warnings = model.check_domain({"age_years": 92, "weight_kg": 120, "sex": "F"})
    assert len(warnings) == 2
    assert "age_years = 92" in warnings[0] and "20-88" in warnings[0] and "hard" in warnings[0]
    assert "weight_kg = 120" in warnings[1] and "44-110" in warnings[1]
    assert model.check_domain({"age_years": 60, "weight_kg": 70}) == []
    rows = model.check_domain(pd.DataFrame({"age_years": [60.0, 19.0]}, index=["a", "b"]))
    assert rows == [w for w in rows if w.startswith("row b:")] and len(rows) == 1


def test_sample_etas_reproduce_omega_and_are_deterministic():
    model = load_pk_model("widmer2006")
    etas = model.sample_etas(200_000, np.random.default_rng(3))
    np.testing.assert_allclose(np.cov(etas.T), model.omega, rtol=0.02)
    np.testing.assert_array_equal(etas[:5], model.sample_etas(5, np.random.default_rng(3)))


def test_individual_parameters_are_exponential():
    model = load_pk_model("widmer2006")
    ind = model.individual_parameters(COV, np.array([[0.1, -0.2], [0.0, 0.0]]))
    typ = model.typical_parameters(COV)
    assert ind.loc[0, "cl_l_h"] == pytest.approx(typ.loc[0, "cl_l_h"] * np.exp(0.1))
    assert ind.loc[0, "v_l"] == pytest.approx(typ.loc[0, "v_l"] * np.exp(-0.2))
    assert ind.loc[1].tolist() == pytest.approx(typ.loc[1].tolist())


def test_residual_error_is_proportional():
    model = load_pk_model("jiang2023")
    obs = model.add_residual_error(np.full(100_000, 1000.0), np.random.default_rng(0))
    assert obs.min() >= 0
    assert np.std(obs / 1000.0 - 1) == pytest.approx(0.296, rel=0.02)


def test_with_overrides_returns_new_model_with_reason():
    model = load_pk_model("jiang2023")
    new = model.with_overrides(iiv_sd={"cl_l_h": 0.25}, typical={"cl_l_h": 9.2}, reason="match observed Chinese troughs")
    assert new.iiv_sd == (0.25,) and new.typical["cl_l_h"] == 9.2 and new.typical["v_l"] == 229.0
    assert model.iiv_sd == (0.139,) and model.typical["cl_l_h"] == 9.72
    assert "match observed" in new.overrides[0]
    with pytest.raises(ModelError, match="reason"):
        model.with_overrides(iiv_sd={"cl_l_h": 0.2}, reason="")
    with pytest.raises(ModelError, match="v_l"):
        model.with_overrides(iiv_sd={"v_l": 0.2}, reason="x")


def test_default_model_by_ancestry():
    eas = default_pk_model("EAS")
    assert eas.name == "jiang2023" and eas.iiv_sd == (0.30,) and "Chinese GIST" in eas.overrides[0]
    assert eas.typical == load_pk_model("jiang2023").typical
    assert default_pk_model("eas").iiv_sd == (0.30,)
    assert default_pk_model("EUR") == load_pk_model("widmer2006")
    assert default_pk_model(None).name == "widmer2006"


def test_invalid_toml_declarations_are_rejected():
    text = """
name = "x"
citation = "c"
population = "p"
structure = "one_cmt_first_order"
[typical]
cl_l_h = 1.0
v_l = 10.0
ka_per_h = 1.0
[[effects]]
parameter = "cl_l_h"
kind = "power"
covariate = "weight_kg"
exponent = 0.75
center = 70.0
[iiv]
parameters = ["cl_l_h"]
sd = [0.2]
[residual]
proportional = 0.2
"""
    with pytest.raises(ModelError, match="weight_kg"):
        PopPKModel.from_toml(text)
    with pytest.raises(ModelError, match="effect kind"):
        PopPKModel.from_toml(text.replace('kind = "power"', 'kind = "spline"'))


def test_zero_order_structure_is_evaluated_from_data():
    text = """
name = "zo"
citation = "test"
population = "test"
structure = "one_cmt_zero_order"
[typical]
cl_l_h = 8.18
v_l = 168.0
d1_h = 1.69
[iiv]
parameters = ["cl_l_h", "v_l"]
sd = [0.346, 0.357]
[residual]
proportional = 0.349
additive_ng_ml = 4.0
"""
    model = PopPKModel.from_toml(text)
    p = model.typical_parameters(pd.DataFrame(index=[0]))
    assert list(p.columns) == ["cl_l_h", "v_l", "d1_h"]
    from rashrisk.pk.concentration import trough_ss_zero_order_ng_ml

    assert model.trough_ss_ng_ml(p, 400.0)[0] == pytest.approx(trough_ss_zero_order_ng_ml(400.0, 8.18, 168.0, 1.69))

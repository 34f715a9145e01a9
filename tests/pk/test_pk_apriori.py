import numpy as np
import pandas as pd
import pytest

from rashrisk.errors import ModelError
from rashrisk.pk.apriori import predict_trough
from rashrisk.pk.model import load_pk_model

COV = pd.DataFrame({"sex": ["M", "F", "F"], "age_years": [50.0, 55.0, 92.0], "weight_kg": [70.0, 60.0, np.nan]})


def test_typical_and_interval():
    model = load_pk_model("widmer2006")
    out = predict_trough(COV, 400, model=model, n_sim=1000)
    assert out["trough_typical_ng_ml"].round().tolist()[:2] == [726.0, 1055.0]
    assert (out["trough_p05_ng_ml"] < out["trough_typical_ng_ml"]).all()
    assert (out["trough_typical_ng_ml"] < out["trough_p95_ng_ml"]).all()
    assert out.loc[2, "imputed_covariates"] == "weight_kg"
    assert "age_years = 92" in out.loc[2, "domain_warnings"] and out.loc[0, "domain_warnings"] == ""


def test_deterministic_for_seed_and_linear_in_dose():
    model = load_pk_model("jiang2023")
    a = predict_trough(COV, 400, model=model, n_sim=500, seed=7)
    b = predict_trough(COV, 400, model=model, n_sim=500, seed=7)
    pd.testing.assert_frame_equal(a, b)
    c = predict_trough(COV, [600, 600, 600], model=model, n_sim=500, seed=7)
    np.testing.assert_allclose(c["trough_p95_ng_ml"], 1.5 * a["trough_p95_ng_ml"], rtol=1e-9)
    assert not np.allclose(predict_trough(COV, 400, model=model, n_sim=500, seed=8)["trough_p95_ng_ml"], a["trough_p95_ng_ml"])


def test_interval_covers_about_90_percent_of_simulated_observed_troughs():
    model = load_pk_model("widmer2006")
    one = COV.iloc[[1]]
    pi = predict_trough(one, 400, model=model, n_sim=4000, seed=1).iloc[0]
    rng = np.random.default_rng(99)
    n = 20_000
    params = model.individual_parameters(pd.concat([one] * n, ignore_index=True), model.sample_etas(n, rng))
    observed = model.add_residual_error(model.trough_ss_ng_ml(params, 400.0), rng)
    inside = np.mean((observed >= pi["trough_p05_ng_ml"]) & (observed <= pi["trough_p95_ng_ml"]))
    assert 0.88 < inside < 0.92


def test_chunking_gives_the_same_result_as_one_block(monkeypatch):
    import rashrisk.pk.apriori as apriori

    model = load_pk_model("widmer2006")
    whole = predict_trough(COV, 400, model=model, n_sim=100)
    monkeypatch.setattr(apriori, "_CHUNK_CELLS", 100)  # one row per chunk
    pd.testing.assert_frame_equal(whole, predict_trough(COV, 400, model=model, n_sim=100))


def test_bad_dose_is_a_user_error():
    with pytest.raises(ModelError, match="dose_mg"):
        predict_trough(COV, [400, -1, 400], model=load_pk_model("widmer2006"))


def test_row_quantiles_match_numpy():
    from rashrisk.pk.apriori import _row_quantiles

    values = np.random.default_rng(0).standard_normal((7, 101))
    for n_cols in (101, 37, 20):
        low, high = _row_quantiles(values[:, :n_cols], (0.05, 0.95))
        want = np.quantile(values[:, :n_cols], [0.05, 0.95], axis=1)
        np.testing.assert_allclose(low, want[0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(high, want[1], rtol=0, atol=1e-12)


def test_n_sim_zero_gives_typical_only():
    model = load_pk_model("widmer2006")
    out = predict_trough(COV, 400, model=model, n_sim=0)
    full = predict_trough(COV, 400, model=model, n_sim=50)
    np.testing.assert_allclose(out["trough_typical_ng_ml"], full["trough_typical_ng_ml"])
    assert out["trough_p05_ng_ml"].isna().all() and out["trough_p95_ng_ml"].isna().all()
    with pytest.raises(ModelError, match="n_sim = 5"):
        predict_trough(COV, 400, model=model, n_sim=5)

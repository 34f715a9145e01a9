"""Which clinical columns each stage's model reads (FeatureSpec.columns_for)."""

import numpy as np
import pandas as pd

from rashrisk.features.preprocess import FeatureSpec, build_preprocess, used_columns

FRAME_COLUMNS = ["sex", "age_years", "weight_kg", "start_dose_mg", "apriori_trough_ng_ml", "albumin_g_l", "tdm_day",
                 "map_trough_ng_ml", "trough_ratio_to_apriori", "rs4129267_alt_count", "rs2231142_alt_count"]


def test_the_tdm_stage_reads_the_a_priori_trough_only_through_the_ratio():
    spec = FeatureSpec()
    start = used_columns(spec, "start", FRAME_COLUMNS)
    tdm = used_columns(spec, "tdm", FRAME_COLUMNS)
    assert start == ["sex", "age_years", "apriori_trough_ng_ml", "rs4129267_alt_count"]
    assert tdm == ["sex", "age_years", "tdm_day", "map_trough_ng_ml",
                   "trough_ratio_to_apriori", "rs4129267_alt_count"]
    # with the exclusion emptied, the a priori trough is back at tdm
    assert "apriori_trough_ng_ml" in used_columns(FeatureSpec(tdm_exclude=()), "tdm", FRAME_COLUMNS)


def test_the_default_tdm_log_features_are_not_collinear():
    rng = np.random.default_rng(0)
    n = 300
    apriori = rng.lognormal(7.0, 0.3, n)
    ratio = rng.lognormal(0.0, 0.35, n)
    X = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "age_years": rng.normal(60, 10, n),
                      "weight_kg": rng.normal(75, 12, n), "start_dose_mg": 400.0, "apriori_trough_ng_ml": apriori,
                      "tdm_day": rng.uniform(7, 42, n), "map_trough_ng_ml": apriori * ratio,
                      "trough_ratio_to_apriori": ratio, "rs4129267_alt_count": rng.integers(0, 3, n).astype(float)})
    spec = FeatureSpec()
    for exclude, full_rank in ((spec.tdm_exclude, True), ((), False)):
        columns = used_columns(FeatureSpec(tdm_exclude=exclude), "tdm", X.columns)
        matrix = build_preprocess(FeatureSpec(tdm_exclude=exclude), "tdm", columns).fit_transform(X[columns])
        varying = matrix[:, matrix.std(axis=0) > 0]  # a constant dose and an all-zero no-call indicator drop out
        rank = int(np.linalg.matrix_rank(varying - varying.mean(axis=0)))
        assert (rank == varying.shape[1]) is full_rank

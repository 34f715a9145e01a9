"""The numpy forest table that evaluates the interval ensemble for a few rows equals XGBoost's margins."""

import numpy as np
import pytest

from rashrisk.models.xgb_logit import ForestTable as _ForestTable


@pytest.fixture(scope="module")
def boosters():
    import xgboost as xgb

    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 5))
    X[rng.random(X.shape) < 0.15] = np.nan  # missing values follow each split's default direction
    y = (np.nan_to_num(X[:, 0]) - 0.7 * np.nan_to_num(X[:, 2]) + rng.normal(0, 1, 400) > 0).astype(int)
    models = [xgb.XGBClassifier(n_estimators=25, max_depth=depth, learning_rate=0.2, n_jobs=1, random_state=seed,
                                base_score=base).fit(X, y)
              for seed, depth, base in ((0, 1, None), (1, 3, 0.3), (2, 5, None))]
    return [m.get_booster() for m in models], X


def test_margins_equal_xgboost_for_every_booster(boosters):
    boosters, X = boosters
    table = _ForestTable(boosters)
    rows = np.vstack([X[:40], np.full((1, X.shape[1]), np.nan), X[:1] * 1e6])  # all-missing and extreme rows
    expected = np.column_stack([b.inplace_predict(rows.astype(np.float32), predict_type="margin") for b in boosters])
    got = table.margins(rows)
    assert got.shape == (len(rows), len(boosters)) and table.depth == 5
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    # a value exactly at a split threshold goes right (XGBoost: value < split goes left)
    tree = 0
    feature, threshold = table.feature[tree, 0], table.threshold[tree, 0]
    row = np.zeros((1, X.shape[1]))
    row[0, feature] = threshold
    at = np.column_stack([b.inplace_predict(row.astype(np.float32), predict_type="margin") for b in boosters])
    np.testing.assert_allclose(table.margins(row), at, rtol=0, atol=1e-5)

"""Our numpy AUROC / average precision / log-loss agree with scikit-learn on arbitrary inputs (ties included)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

from rashrisk.models import metrics as m

cases = st.integers(min_value=4, max_value=60).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda y: 0 < sum(y) < len(y)),
        # few distinct values so that ties are frequent
        st.lists(st.sampled_from([0.0, 0.05, 0.1, 0.1, 0.25, 0.5, 0.9, 1.0]), min_size=n, max_size=n),
    )
)


@settings(max_examples=150, deadline=None)
@given(cases)
def test_auroc_average_precision_and_log_loss_match_sklearn(case):
    y, p = np.array(case[0]), np.array(case[1])
    assert abs(m.auroc(y, p) - roc_auc_score(y, p)) < 1e-12
    assert abs(m.average_precision(y, p) - average_precision_score(y, p)) < 1e-12
    clipped = np.clip(p, 1e-15, 1 - 1e-15)
    assert abs(m.log_loss(y, p) - log_loss(y, clipped)) < 1e-9
    assert abs(m.auroc(y, p) + m.auroc(y, 1 - p) - 1) < 1e-12


@settings(max_examples=60, deadline=None)
@given(cases)
def test_delong_point_estimate_is_the_auroc(case):
    y, p = np.array(case[0]), np.array(case[1])
    r = m.auroc_delong(y, p)
    if y.sum() >= 2 and len(y) - y.sum() >= 2:
        assert abs(r["auroc"] - m.auroc(y, p)) < 1e-12
        assert r["ci_low"] <= r["auroc"] <= r["ci_high"]

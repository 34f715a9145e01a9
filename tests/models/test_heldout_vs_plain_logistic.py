"""The trained model does at least as well as the analysis a clinical study would run: a plain
(unpenalised) logistic regression on the raw columns, compared on a held-out split."""

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from rashrisk.features.frame import build_model_frame
from rashrisk.models.train import train_frame

# Tolerances: 500 held-out patients with ~40 events. The paired AUROC difference between two
# models sharing most of their signal has a standard error of roughly 0.015-0.02, so 0.03 is about
# 1.5-2 SE; for the Brier score (~0.07 here) the paired SE is of the order of 0.001.
AUROC_TOLERANCE = 0.03
BRIER_TOLERANCE = 0.002


def _raw_design(X, medians=None):
    design = np.column_stack([
        (X["sex"] == "F").astype(float), X["age_years"], X["weight_kg"], X["albumin_g_l"], X["start_dose_mg"],
        X["rs4129267_alt_count"],
    ]).astype(float)
    medians = np.nanmedian(design, axis=0) if medians is None else medians
    return np.where(np.isnan(design), medians, design), medians


def test_trained_model_is_no_worse_than_plain_logistic_on_held_out_patients(simulated_cohort, fast):
    frame = build_model_frame(simulated_cohort, "start")
    y = frame.y.to_numpy(dtype=int)
    train_idx, test_idx = train_test_split(np.arange(len(y)), test_size=1 / 3, stratify=y, random_state=5)
    train = frame.__class__(stage="start", X=frame.X.iloc[train_idx], y=frame.y.iloc[train_idx],
                            excluded=frame.excluded, imputed=frame.imputed.iloc[train_idx],
                            provenance=frame.provenance.iloc[train_idx], pk_model=frame.pk_model)
    model = train_frame(train, fast(), validate=False).model
    X_test, y_test = frame.X.iloc[test_idx], y[test_idx]
    p_model = model.predict_proba(X_test)[:, 1]

    d_train, medians = _raw_design(frame.X.iloc[train_idx])
    d_test, _ = _raw_design(X_test, medians)
    plain = LogisticRegression(C=1e8, max_iter=5000).fit(d_train, y[train_idx])  # effectively unpenalised
    p_plain = plain.predict_proba(d_test)[:, 1]

    assert roc_auc_score(y_test, p_model) >= roc_auc_score(y_test, p_plain) - AUROC_TOLERANCE
    assert brier_score_loss(y_test, p_model) <= brier_score_loss(y_test, p_plain) + BRIER_TOLERANCE

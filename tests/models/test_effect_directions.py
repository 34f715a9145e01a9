"""Issue 11 item 6: the start model's effects agree with the simulator's truth. Exposure enters
only through the PK trough, so the risk rises with the start dose (through the a priori trough) and
with the trough, and weight, which has no effect on rash in the simulator, does not move it except
through the a priori trough the PK model computes from it."""

import numpy as np

from rashrisk.features.frame import build_model_frame
from rashrisk.features.preprocess import FeatureSpec
from rashrisk.models.train import train_frame
from rashrisk.pk.apriori import predict_trough

DOSES_MG = (300.0, 400.0, 600.0, 800.0)


def _typical_patient(X, n):
    """n copies of a median patient (male, rs4129267 heterozygous) from the training frame."""
    row = X.iloc[[0]].copy()
    for column in X.columns:
        if X[column].dtype.kind in "fi" and X[column].notna().any():
            row[column] = float(X[column].median())
    row["sex"] = "M"
    row["rs4129267_alt_count"] = 1.0
    return row.loc[row.index.repeat(n)].reset_index(drop=True)


def _with_apriori(rows, frame):
    out = predict_trough(rows, rows["start_dose_mg"].to_numpy(dtype=float), model=frame.pk_model, n_sim=200)
    return rows.assign(apriori_trough_ng_ml=out["trough_typical_ng_ml"].to_numpy(dtype=float))


def test_default_start_predictors_take_exposure_through_the_trough_only():
    spec = FeatureSpec()
    assert "apriori_trough_ng_ml" in spec.continuous
    assert "start_dose_mg" not in spec.continuous and "weight_kg" not in spec.continuous


def test_start_risk_rises_with_dose_and_trough_and_ignores_weight(simulated_cohort, fast):
    frame = build_model_frame(simulated_cohort, "start")
    model = train_frame(frame, fast(), validate=False).model
    base = _typical_patient(frame.X, len(DOSES_MG))

    by_dose = _with_apriori(base.assign(start_dose_mg=DOSES_MG), frame)
    assert np.all(np.diff(by_dose["apriori_trough_ng_ml"]) > 0)  # the PK model: exposure rises with dose
    risk_by_dose = model.predict_proba(by_dose)[:, 1]
    assert np.all(np.diff(risk_by_dose) > 0), risk_by_dose

    troughs = np.array([600.0, 1000.0, 1600.0, 2400.0])
    risk_by_trough = model.predict_proba(base.assign(apriori_trough_ng_ml=troughs))[:, 1]
    assert np.all(np.diff(risk_by_trough) > 0), risk_by_trough

    # weight at a fixed trough: no effect at all (weight is not a model input)
    weights = np.array([45.0, 60.0, 80.0, 110.0])
    risk_by_weight = model.predict_proba(base.assign(weight_kg=weights))[:, 1]
    np.testing.assert_allclose(risk_by_weight, risk_by_weight[0], rtol=0, atol=1e-12)
    # through the PK model weight moves the risk only as it moves the a priori trough, in its direction
    via_pk = _with_apriori(base.assign(weight_kg=weights), frame)
    risk_via_pk = model.predict_proba(via_pk)[:, 1]
    same_order = np.sign(np.diff(risk_via_pk)) == np.sign(np.diff(via_pk["apriori_trough_ng_ml"].to_numpy()))
    assert np.all(same_order | (np.abs(np.diff(risk_via_pk)) < 1e-9))


def test_the_shipped_start_model_rises_with_dose_and_trough(models, cohort_dir):
    """Issue 11 "Done when": the embedded default start model (models/start) scores a typical patient
    higher at each higher start dose (through the PK model it carries) and at each higher trough."""
    from rashrisk.contract.loader import load_cohort

    model = models["start"]
    frame = build_model_frame(load_cohort(cohort_dir), "start", pk_model=model.card.pk_model.model())
    base = _typical_patient(frame.X, len(DOSES_MG))
    by_dose = _with_apriori(base.assign(start_dose_mg=DOSES_MG), frame)
    assert np.all(np.diff(by_dose["apriori_trough_ng_ml"]) > 0)
    risk_by_dose = model.predict_proba(by_dose)[:, 1]
    assert np.all(np.diff(risk_by_dose) > 0), risk_by_dose
    troughs = np.array([600.0, 1000.0, 1600.0, 2400.0])
    risk_by_trough = model.predict_proba(base.assign(apriori_trough_ng_ml=troughs))[:, 1]
    assert np.all(np.diff(risk_by_trough) > 0), risk_by_trough

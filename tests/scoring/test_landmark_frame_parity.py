"""The model frame after its one-patient shortcuts (landmark columns added as one frame each, the
landmark sample of one sample not sorted) equals the frame of the previous code, kept here as the
reference: fuzzed one-patient documents and the example cohort, at the TDM stage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from rashrisk.contract.loader import load_cohort
from rashrisk.features import frame as frame_module
from rashrisk.features.frame import build_model_frame
from rashrisk.features.landmark import NO_SAMPLE_IN_WINDOW, ONSET_BEFORE_SAMPLE, ONSET_UNKNOWN
from rashrisk.models.bundle import load_default_model
from rashrisk.scoring.score import pk_model_for
from rashrisk.service.inputs import RequestProblems, single_input

from test_one_patient_parity import documents

map_estimate = frame_module.map_estimate


def reference_select_landmark_samples(tdm, patient_ids, outcomes, *, window=(7, 42)):
    """Returns (landmark samples indexed by patient_id, excluded: patient_id + reason)."""
    first_day, last_day = window
    patient_ids = pd.Index([str(p) for p in patient_ids], name="patient_id")
    samples = tdm.copy()
    samples["patient_id"] = samples["patient_id"].astype(str)
    day = pd.to_numeric(samples["day_on_treatment"], errors="coerce")
    samples = samples[(day >= first_day) & (day <= last_day) & samples["patient_id"].isin(patient_ids)]
    reasons: dict[str, str] = {}
    if outcomes is not None:
        out = outcomes.copy()
        out["patient_id"] = out["patient_id"].astype(str)
        out = out.set_index("patient_id")
        grade = pd.to_numeric(out["rash_max_grade"], errors="coerce")
        onset = pd.to_numeric(out.get("rash_onset_day", pd.Series(np.nan, index=out.index)), errors="coerce")
        onset = onset.astype(float)
        had_rash = grade >= 1
        unknown = had_rash & onset.isna()
        for pid in out.index[unknown]:
            reasons[pid] = ONSET_UNKNOWN
        onset_day = onset.where(had_rash, np.inf).reindex(samples["patient_id"]).to_numpy(dtype=float)
        onset_day = np.where(np.isnan(onset_day), np.inf, onset_day)
        before_onset = np.floor(samples["day_on_treatment"].to_numpy(dtype=float)) < onset_day
        in_window_ids = set(samples["patient_id"])
        samples = samples[before_onset & ~samples["patient_id"].isin(list(reasons))]
        for pid in in_window_ids - set(samples["patient_id"]) - set(reasons):
            reasons[pid] = ONSET_BEFORE_SAMPLE
    samples = samples.sort_values(["patient_id", "day_on_treatment"], kind="mergesort")
    chosen = samples.drop_duplicates("patient_id", keep="first").set_index("patient_id")
    for pid in patient_ids:
        if pid not in chosen.index and pid not in reasons:
            reasons[pid] = NO_SAMPLE_IN_WINDOW
    # in input order (reasons was filled partly from sets, whose order changes between processes)
    order = [p for p in dict.fromkeys(patient_ids) if p in reasons]
    excluded = pd.DataFrame({"patient_id": order, "reason": [reasons[p] for p in order]}, columns=["patient_id", "reason"])
    return chosen.reindex([p for p in patient_ids if p in chosen.index]), excluded


def reference_add_landmark(cohort, covariates, X, provenance, y, pk_model, landmark):
    samples, excluded = reference_select_landmark_samples(cohort.tdm, X.index, cohort.outcomes, window=landmark)
    keep = X.index.isin(samples.index)
    X, provenance = X.loc[keep].copy(), provenance.loc[keep].copy()
    y = None if y is None else y.loc[keep]
    samples = samples.reindex(X.index)
    X["tdm_day"] = samples["day_on_treatment"].astype(float)
    if len(X):
        covariates = covariates.loc[X.index].reset_index()
        columns = [c for c in ("concentration_ng_ml", "hours_after_dose", "dose_mg", "day_on_treatment", "below_loq")
                   if c in samples.columns]
        sample_rows = samples[columns].reset_index()
        estimate = map_estimate(covariates, sample_rows, model=pk_model).set_index("patient_id").reindex(X.index)
        map_trough = estimate["trough_ng_ml"].astype(float)
        dose_ratio = samples["dose_mg"].astype(float) / X["start_dose_mg"].astype(float)
        X["map_trough_ng_ml"] = map_trough
        X["trough_ratio_to_apriori"] = map_trough / (X["apriori_trough_ng_ml"] * dose_ratio)
        interval = estimate[["trough_low_ng_ml", "trough_high_ng_ml"]].astype(float)
        interval["sample_flags"] = estimate["sample_flags"]  # below-LOQ / improbable sample (pk.sample_checks)
    else:
        X["map_trough_ng_ml"] = pd.Series(dtype=float)
        X["trough_ratio_to_apriori"] = pd.Series(dtype=float)
        interval = pd.DataFrame(columns=["trough_low_ng_ml", "trough_high_ng_ml"], dtype=float)
    provenance["tdm_day"] = "measured"
    provenance["map_trough_ng_ml"] = "predicted"
    provenance["trough_ratio_to_apriori"] = "derived"
    return X, provenance, y, excluded, samples, interval


def assert_same_frame(a, b) -> None:
    for name in ("X", "imputed", "provenance", "excluded"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    for name in ("landmark_samples", "map_interval"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.landmark == b.landmark and a.stage == b.stage


def _frames(cohort, model, monkeypatch):
    kwargs = dict(pk_model=pk_model_for(model), landmark=model.card.landmark_days)
    new = build_model_frame(cohort, "tdm", **kwargs)
    with monkeypatch.context() as patched:
        patched.setattr(frame_module, "_add_landmark", reference_add_landmark)
        old = build_model_frame(cohort, "tdm", **kwargs)
    return new, old


@pytest.fixture(scope="module")
def tdm_model():
    return load_default_model("tdm")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(document=documents())
def test_one_patient_frame_equals_the_previous_code(document, tdm_model, monkeypatch):
    try:
        found = single_input(document)
    except RequestProblems:
        return
    assert_same_frame(*_frames(found.cohort, tdm_model, monkeypatch))


def test_example_cohort_frame_equals_the_previous_code(tdm_model, monkeypatch):
    from importlib import resources

    cohort = load_cohort(resources.files("rashrisk.data") / "example_cohort")
    new, old = _frames(cohort, tdm_model, monkeypatch)
    assert len(new.X) > 1 and len(new.excluded)  # several patients, some without a landmark sample
    assert_same_frame(new, old)
    changed = old.X.copy()
    changed.iloc[0, -1] = np.nextafter(changed.iloc[0, -1], np.inf)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(new.X, changed, check_exact=True)


def reference_apriori(covariates, pk_model):
    """The previous a priori step: predict_trough with 20 draws (interval unused) and a second resolution."""
    from rashrisk.pk.apriori import predict_trough

    table = covariates.reset_index()
    out = predict_trough(table, table["start_dose_mg"].to_numpy(dtype=float), model=pk_model, n_sim=20)
    imputed = pk_model.imputed_covariates(table)
    carried = [c for c in imputed.columns if c in table.columns]
    defaulted = imputed[carried].to_numpy(dtype=bool).any(axis=1) if carried else np.zeros(len(table), dtype=bool)
    return pd.Series(out["trough_typical_ng_ml"].to_numpy(dtype=float), index=covariates.index), defaulted


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_apriori_trough_equals_the_previous_code(stage, monkeypatch):
    from importlib import resources

    from rashrisk.pk.model import available_models, load_pk_model

    cohort = load_cohort(resources.files("rashrisk.data") / "example_cohort")
    for name in available_models():
        pk_model = load_pk_model(name)
        new = build_model_frame(cohort, stage, pk_model=pk_model)
        with monkeypatch.context() as patched:
            patched.setattr(frame_module, "_apriori", reference_apriori)
            old = build_model_frame(cohort, stage, pk_model=pk_model)
        assert_same_frame(new, old) if stage == "tdm" else (
            pd.testing.assert_frame_equal(new.X, old.X, check_exact=True),
            pd.testing.assert_frame_equal(new.provenance, old.provenance, check_exact=True))

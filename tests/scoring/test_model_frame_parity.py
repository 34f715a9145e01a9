"""The model frame built column by column as arrays, each frame made once, equals the frame of the
previous code (a patients table copied, re-indexed and grown one column at a time), kept here as the
reference: fuzzed one-patient documents and the example cohort, with and without every outcome, at
both stages."""

from __future__ import annotations

import dataclasses
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from rashrisk.contract.loader import load_cohort
from rashrisk.errors import RashriskError
from rashrisk.features import frame as frame_module
from rashrisk.features.frame import NO_OUTCOME, PATIENT_COLUMNS, TDM_COLUMNS, ModelFrame, build_model_frame
from rashrisk.models.bundle import load_default_model
from rashrisk.pk.model import default_pk_model
from rashrisk.scoring.score import pk_model_for
from rashrisk.service.inputs import RequestProblems, single_input

from test_landmark_frame_parity import assert_same_frame
from test_one_patient_parity import documents


def reference_build_model_frame(cohort, stage, *, pk_model=None, landmark=(7, 42)):
    """build_model_frame before 6 Dec 2026."""
    if pk_model is None:
        pk_model = default_pk_model(getattr(cohort, "ancestry", None))
    patients = cohort.patients.copy()
    patients["patient_id"] = patients["patient_id"].astype(str)
    patients = patients.set_index("patient_id")
    for column in PATIENT_COLUMNS:
        if column not in patients:
            patients[column] = np.nan
    excluded = []
    y = None
    if cohort.outcomes is not None:
        outcomes = cohort.outcomes.copy()
        outcomes["patient_id"] = outcomes["patient_id"].astype(str)
        label = outcomes.set_index("patient_id")["severe_rash"].astype(bool)
        no_outcome = patients.index.difference(label.index)
        excluded += [(pid, NO_OUTCOME) for pid in no_outcome]
        patients = patients.loc[patients.index.isin(label.index)]
        y = label.reindex(patients.index)
    X = patients[list(PATIENT_COLUMNS)].copy()
    missing = X.isna()
    provenance = {column: np.where(missing[column], "missing", "measured") for column in PATIENT_COLUMNS}
    provenance["bsa_m2"] = np.where(missing["bsa_m2"], "missing", "derived")
    genotypes = frame_module._genotype_table(cohort, X.index)
    for column in genotypes.columns:
        X[column] = genotypes[column].astype(float)
        provenance[column] = np.where(X[column].isna(), "no-call", "measured")
    covariates = pd.concat([patients, genotypes], axis=1)
    X["apriori_trough_ng_ml"], defaulted = frame_module._apriori(covariates, pk_model)
    provenance["apriori_trough_ng_ml"] = np.where(defaulted, "defaulted", "predicted")
    provenance = pd.DataFrame(provenance, index=X.index)
    samples = interval = None
    if stage == "tdm":
        X, provenance, y, lm_excluded, samples, interval = frame_module._add_landmark(
            cohort, covariates, X, provenance, y, pk_model, landmark)
        excluded += list(lm_excluded.itertuples(index=False, name=None))
    else:
        leaked = [c for c in X.columns if c in TDM_COLUMNS or "concentration" in c]
        if leaked:
            raise RashriskError(f"start-stage frame would contain measured-concentration columns {leaked}")
    X.index.name = "patient_id"
    imputed = provenance.isin(["missing", "no-call", "defaulted"])
    excluded_df = pd.DataFrame(excluded, columns=["patient_id", "reason"])
    return ModelFrame(stage=stage, X=X, y=y, excluded=excluded_df, imputed=imputed, provenance=provenance,
                      landmark=tuple(landmark) if stage == "tdm" else None, pk_model=pk_model,
                      landmark_samples=samples, map_interval=interval)


def assert_same(new, old) -> None:
    for name in ("X", "imputed", "provenance", "excluded"):
        pd.testing.assert_frame_equal(getattr(new, name), getattr(old, name), check_exact=True)
    assert list(new.X.dtypes) == list(old.X.dtypes)
    if old.y is None:
        assert new.y is None
    else:
        pd.testing.assert_series_equal(new.y, old.y, check_exact=True)
    if new.stage == "tdm":
        assert_same_frame(new, old)
    assert new.landmark == old.landmark and new.pk_model.content_sha256 == old.pk_model.content_sha256


def _both(cohort, stage, **kwargs):
    return build_model_frame(cohort, stage, **kwargs), reference_build_model_frame(cohort, stage, **kwargs)


@pytest.fixture(scope="module")
def models():
    return {stage: load_default_model(stage) for stage in ("start", "tdm")}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(document=documents())
def test_one_patient_frame_equals_the_previous_code(document, models):
    try:
        found = single_input(document)
    except RequestProblems:
        return
    for stage, model in models.items():
        assert_same(*_both(found.cohort, stage, pk_model=pk_model_for(model), landmark=model.card.landmark_days))


@pytest.fixture(scope="module")
def example():
    return load_cohort(resources.files("rashrisk.data") / "example_cohort")


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_example_cohort_frame_equals_the_previous_code(example, stage):
    new, old = _both(example, stage)
    assert len(new.X) > 5 and new.y is not None
    assert_same(new, old)
    # patients without an outcome, a contract column missing, and no outcomes at all (scoring)
    some = dataclasses.replace(example, outcomes=example.outcomes.iloc[::3],
                               patients=example.patients.drop(columns=["albumin_g_l"]))
    new, old = _both(some, stage)
    assert (new.excluded["reason"] == NO_OUTCOME).sum() > 5 and new.X["albumin_g_l"].isna().all()
    assert_same(new, old)
    assert_same(*_both(dataclasses.replace(example, outcomes=None), stage))


def test_the_comparison_sees_a_changed_value(example):
    new, old = _both(example, "start")
    old.X.iloc[3, old.X.columns.get_loc("weight_kg")] += 1e-9
    with pytest.raises(AssertionError):
        assert_same(new, old)

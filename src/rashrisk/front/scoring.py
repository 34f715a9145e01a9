"""The Python API of scoring (re-exported as ``rashrisk.load_model``, ``rashrisk.model_frame``,
``rashrisk.score`` and ``rashrisk.explanations``): the same code paths as ``rashrisk score`` and
``rashrisk explain``, on a cohort folder, a one-patient JSON document (a path or a parsed dict), a
:class:`~rashrisk.contract.cohort.Cohort` (e.g. from ``Cohort.from_frames``), or flat patient rows.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from rashrisk.contract.cohort import Cohort
from rashrisk.contract.loader import load_cohort
from rashrisk.errors import RashriskError
from rashrisk.explanations.local import explanation_table
from rashrisk.features.frame import ModelFrame, build_model_frame
from rashrisk.models.bundle import RiskModel
from rashrisk.pk.model import default_pk_model
from rashrisk.scoring.inputs import (ScoringInput, load_scoring_input, scoring_input_from_cohort,
                                     scoring_input_from_document, scoring_input_from_rows)
from rashrisk.tracking.model_source import resolve_model
from rashrisk.scoring.score import build_frame, score_input
from rashrisk.stages import STAGES


def load_model(stage_or_uri: str) -> RiskModel:
    """'start' or 'tdm': the model `rashrisk score` would use (registry champion, else the embedded
    default); anything else: a bundle folder or a registry URI (``models:/rashrisk-tdm@champion``)."""
    if stage_or_uri in STAGES:
        return resolve_model(stage_or_uri)[0]
    return resolve_model(None, str(stage_or_uri))[0]


def risk_model_for(stage: str, model) -> RiskModel:
    """``model`` (None, a RiskModel, a bundle folder or a registry URI) resolved for ``stage``."""
    if stage not in STAGES:
        raise RashriskError(f"stage {stage!r}; expected one of {', '.join(STAGES)}")
    if isinstance(model, RiskModel):
        if model.stage != stage:
            raise RashriskError(f"stage {stage!r} but the model is {model.name} (stage {model.stage})")
        return model
    return resolve_model(stage, None if model is None else str(model))[0]


def scoring_input(data) -> ScoringInput:
    """Any accepted input (see the module docstring) as a ScoringInput (every patient row accounted for)."""
    if isinstance(data, ScoringInput):
        return data
    if isinstance(data, Cohort):
        return scoring_input_from_cohort(data)
    if isinstance(data, dict):
        return scoring_input_from_document(data)
    if isinstance(data, pd.DataFrame):
        return scoring_input_from_rows(data)
    if isinstance(data, (str, Path)):
        return load_scoring_input(data)
    raise RashriskError(f"cannot score a {type(data).__name__}; expected a cohort folder, a .json patient document, "
                        "a Cohort, a patient dict or a DataFrame of patient rows")


def model_frame(cohort, stage: str, *, model=None) -> ModelFrame:
    """The model frame of ``stage``: ``.X`` (one row per patient, clinical columns in canonical units,
    what :class:`~rashrisk.RashriskClassifier` fits and predicts on), ``.y`` (severe rash, when the
    cohort has outcomes), ``.excluded``, ``.provenance``. With ``model`` (a RiskModel, stage, bundle or
    URI) it is built exactly as that model was trained (its card's PK model and landmark; outcomes
    ignored, as in scoring); without, with the cohort's default PK prior (as training does)."""
    if isinstance(cohort, (str, Path)):
        cohort = load_scoring_input(cohort).cohort if model is not None else load_cohort(cohort)
    elif not isinstance(cohort, Cohort):
        cohort = scoring_input(cohort).cohort
    if model is None:
        if stage not in STAGES:
            raise RashriskError(f"stage {stage!r}; expected one of {', '.join(STAGES)}")
        return build_model_frame(cohort, stage, pk_model=default_pk_model(cohort.ancestry))
    return build_frame(cohort, stage, risk_model_for(stage, model))[0]


def score(data, stage: str, model=None) -> pd.DataFrame:
    """The `rashrisk score` table of every input patient (scored, or not_scored with the reason)."""
    return score_input(scoring_input(data), stage, risk_model_for(stage, model))


def explain(data, stage: str, model=None) -> pd.DataFrame:
    """The `rashrisk explain` table: one row per scored patient and clinical factor, contributions in
    calibrated log-odds (``base_value`` + a patient's contributions = ``model_logit``)."""
    risk_model = risk_model_for(stage, model)
    frame, _ = build_frame(scoring_input(data).cohort, stage, risk_model)
    return explanation_table(risk_model, frame.X)

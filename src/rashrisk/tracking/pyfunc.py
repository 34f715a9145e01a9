"""The registered model: a ``mlflow.pyfunc.PythonModel`` serving a RiskModel bundle folder.

The model is logged "from code" (:mod:`rashrisk.tracking.pyfunc_model`, a file MLflow copies and
runs at load time; nothing is pickled) with the bundle (``RiskModel.save`` output, data only) as
the artifact ``bundle``. ``predict`` takes rows in the contract's terms and returns the score
table's columns (``risk`` is the calibrated probability of severe rash, never a class).
"""

from __future__ import annotations

import logging
from importlib import metadata, resources

import mlflow
import numpy as np
import pandas as pd

from mlflow.models.signature import ModelSignature
from mlflow.types.schema import ColSpec, Schema

from rashrisk.explanations.phrases import genotype_with_count
from rashrisk.models.bundle import RiskModel
from rashrisk.scoring.inputs import scoring_input_from_rows
from rashrisk.scoring.score import score_input

BUNDLE_ARTIFACT = "bundle"
BUNDLE_METADATA = "rashrisk_bundle_sha256"  # MLmodel metadata key: the sha256 of the bundle's manifest
RISK_COLUMN = "risk"
MODEL_CODE = "pyfunc_model.py"  # the models-from-code file, package data of rashrisk.tracking


class RiskModelPyfunc(mlflow.pyfunc.PythonModel):
    """Serve a rashrisk model bundle: contract rows (one per patient) -> the score table's columns."""

    def __init__(self):
        self.model = None

    def load_context(self, context) -> None:
        self.model = RiskModel.load(context.artifacts[BUNDLE_ARTIFACT])

    # a DataFrame type hint tells mlflow not to infer a schema from hints: the logged signature applies
    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """Rows in the contract's terms (the patients.csv fields, genotypes by rsID such as
        ``rs4129267 = "C/T"``, and at the TDM stage one sample's tdm.csv fields), checked by the cohort
        rules; the a priori trough (and the MAP trough) are derived from them with the card's PK model.
        Every row comes back: ``scored`` with its risk, or ``not_scored`` with the reason."""
        rows = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        table = score_input(scoring_input_from_rows(rows, source="MLflow input"), self.model.stage, self.model)
        return table[list(OUTPUT_COLUMNS)].reset_index(drop=True)


OUTPUT_COLUMNS = {"patient_id": "string", "status": "string", "reason": "string", RISK_COLUMN: "double",
                  "risk_low": "double", "risk_high": "double", "band": "string"}


def _median(summary: dict, column: str, default: float) -> float:
    value = (summary.get(column) or {}).get("median")
    return default if value is None else float(value)


def example_frame(model) -> pd.DataFrame:
    """A one-row input example in the contract's terms that is no patient: medians of the training
    inputs and the most frequent sex (the bundle's aggregates), a made-up start date and, at the TDM
    stage, one trough sample on the median landmark day."""
    summary = model.input_summary_
    sexes = (summary.get("sex") or {}).get("frequencies") or {"F": 1.0}
    dose = round(_median(summary, "start_dose_mg", 400.0))
    row = {"patient_id": "example", "sex": next(iter(sexes)), "age_years": round(_median(summary, "age_years", 60.0)),
           "weight_kg": round(_median(summary, "weight_kg", 65.0)), "start_dose_mg": float(dose),
           "start_date": "2026-01-05"}
    for rsid in model.card.genotype_coding.genotypes:
        count = int(round(_median(summary, f"{rsid}_alt_count", 0.0)))
        row[rsid] = genotype_with_count(rsid, count)
    if model.stage == "tdm":
        day = int(round(_median(summary, "tdm_day", 14.0)))
        start = pd.Timestamp("2026-01-05 08:00")
        row.update(last_dose_time=(start + pd.Timedelta(days=day - 1)).isoformat(),
                   sample_time=(start + pd.Timedelta(days=day)).isoformat(), dose_mg=float(dose),
                   concentration=1000.0, unit="ng/mL")
    frame = pd.DataFrame([row])
    for column in ("age_years", "weight_kg"):
        frame[column] = frame[column].astype("float64")
    return frame


def signature_for(example: pd.DataFrame):
    """Input schema: the example's columns, numbers as double and the rest as string, none required
    by MLflow (the cohort rules check them, with the contract's messages); output: the score columns."""
    inputs = Schema([ColSpec("double" if pd.api.types.is_float_dtype(example[c]) else "string", c, required=False)
                     for c in example.columns])
    outputs = Schema([ColSpec(kind, name) for name, kind in OUTPUT_COLUMNS.items()])
    return ModelSignature(inputs=inputs, outputs=outputs)


def pip_requirements(model) -> list[str]:
    """Pinned requirements of the serving environment (explicit: MLflow's inference takes ~5 s)."""
    packages = ["mlflow", "numpy", "pandas", "scikit-learn", "rashrisk"]
    packages += ["xgboost-cpu" if p == "xgboost" else p for p in model.classifier.model_family.packages]
    pins = []
    for name in packages:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return pins


def log_risk_model(model, bundle_dir, *, metadata_: dict):
    """Log ``model`` (already saved in ``bundle_dir``) as the run's ``model``; returns mlflow's ModelInfo."""
    example = example_frame(model)
    # mlflow logs informational notes about models from code; they are noise for our users
    pyfunc_logger = logging.getLogger("mlflow.pyfunc")
    previous = pyfunc_logger.level
    pyfunc_logger.setLevel(logging.ERROR)
    try:
        return _log_model(model, bundle_dir, example, metadata_)
    finally:
        pyfunc_logger.setLevel(previous)


def _log_model(model, bundle_dir, example: pd.DataFrame, metadata_: dict):
    code = resources.files("rashrisk.tracking").joinpath(MODEL_CODE)
    with resources.as_file(code) as path:
        return mlflow.pyfunc.log_model(
            name="model",
            python_model=str(path),
            artifacts={BUNDLE_ARTIFACT: str(bundle_dir)},
            signature=signature_for(example),
            input_example=example,
            pip_requirements=pip_requirements(model),
            metadata={**metadata_, BUNDLE_METADATA: model.bundle_sha256},
        )

"""The registered model: a ``mlflow.pyfunc.PythonModel`` serving a RiskModel bundle folder.

The model is logged "from code" (:mod:`rashrisk.tracking.pyfunc_model`, a file MLflow copies and
runs at load time; nothing is pickled) with the bundle (``RiskModel.save`` output, data only) as
the artifact ``bundle``. ``predict`` returns a DataFrame with one column ``risk`` (calibrated
probability of severe rash), never classes.
"""

from __future__ import annotations

import logging
from importlib import metadata, resources

import mlflow
import numpy as np
import pandas as pd

from rashrisk.models.bundle import RiskModel

BUNDLE_ARTIFACT = "bundle"
BUNDLE_METADATA = "rashrisk_bundle_sha256"  # MLmodel metadata key: the sha256 of the bundle's manifest
RISK_COLUMN = "risk"
MODEL_CODE = "pyfunc_model.py"  # the models-from-code file, package data of rashrisk.tracking


class RiskModelPyfunc(mlflow.pyfunc.PythonModel):
    """Serve a rashrisk model bundle: DataFrame of model inputs -> DataFrame ``risk``."""

    def __init__(self):
        self.model = None

    def load_context(self, context) -> None:
        self.model = RiskModel.load(context.artifacts[BUNDLE_ARTIFACT])

    # a DataFrame type hint tells mlflow not to infer a schema from hints: the logged signature applies
    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        risk = np.asarray(self.model.predict_proba(frame), dtype=float)[:, 1]
        return pd.DataFrame({RISK_COLUMN: risk}, index=frame.index)


def input_columns(model, X: pd.DataFrame | None) -> list[str]:
    columns = getattr(model, "input_columns_", None)
    if columns:
        return list(columns)
    if X is not None:
        return [str(c) for c in X.columns]
    raise ValueError("the model declares no input columns and no training frame was given")


def example_frame(model, X: pd.DataFrame | None) -> pd.DataFrame:
    """A one-row input example that is no patient: medians of numeric inputs, the most frequent category
    (from ``X``, else from the bundle's aggregate ``input_summary_``).

    Every numeric column is float (integer columns may be missing, and MLflow must not infer int).
    """
    columns = input_columns(model, X)
    summary = getattr(model, "input_summary_", None) or {}
    row = {}
    for column in columns:
        if X is None and column in summary:
            stats = summary[column]
            if stats.get("kind") == "numeric":
                row[column] = round(float(stats["median"]), 1) if stats.get("median") is not None else 0.0
            else:
                row[column] = next(iter(stats.get("frequencies") or {}), "")
            continue
        values = X[column] if X is not None and column in X else pd.Series(dtype=float)
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            numeric = pd.to_numeric(values, errors="coerce").astype(float)
            median = float(numeric.median()) if numeric.notna().any() else 0.0
            row[column] = round(median, 1)
        else:
            observed = values.dropna().astype(str)
            row[column] = str(observed.mode().iloc[0]) if len(observed) else ""
    frame = pd.DataFrame([row], columns=columns)
    for column in columns:
        if isinstance(row[column], float):
            frame[column] = frame[column].astype("float64")
    return frame


def signature_for(model, example: pd.DataFrame):
    """Input schema: numeric inputs as double (missing allowed), categories as string; output ``risk`` double."""
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    inputs = Schema([ColSpec("double" if pd.api.types.is_float_dtype(example[c]) else "string", c)
                     for c in example.columns])
    outputs = Schema([ColSpec("double", RISK_COLUMN)])
    return ModelSignature(inputs=inputs, outputs=outputs)


def pip_requirements(model) -> list[str]:
    """Pinned requirements of the serving environment (explicit: MLflow's inference takes ~5 s)."""
    packages = ["mlflow", "numpy", "pandas", "scikit-learn", "rashrisk"]
    if getattr(model, "family", "") == "xgboost":
        packages.append("xgboost-cpu")
    pins = []
    for name in packages:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return pins


def log_risk_model(model, bundle_dir, *, X: pd.DataFrame | None, metadata_: dict):
    """Log ``model`` (already saved in ``bundle_dir``) as the run's ``model``; returns mlflow's ModelInfo."""
    example = example_frame(model, X)
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
            signature=signature_for(model, example),
            input_example=example,
            pip_requirements=pip_requirements(model),
            metadata={**metadata_, BUNDLE_METADATA: model.bundle_sha256},
        )

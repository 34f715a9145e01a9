"""Fitted estimators as plain JSON data, and back, without pickle.

:func:`encode` turns a fitted estimator of a closed list of classes (:data:`CLASSES`: the clinical
encoders, scikit-learn's Pipeline, StandardScaler, SplineTransformer and LogisticRegression; the
configuration dataclasses of :data:`CONFIGS`) into
JSON-able data: its constructor parameters and its fitted attributes (names ending in ``_``),
with numpy arrays, numpy scalars, tuples and B-splines tagged so that :func:`decode` restores them
exactly (JSON numbers are written with ``repr``, which round-trips float64 bit for bit).

:func:`decode` looks a class up by its key in :data:`CLASSES` only: a name written in the data
never imports anything, and an unknown key is refused. This is what makes a bundle unable to run
code when it is loaded (docs/tracking.md).
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import BSpline
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from rashrisk.errors import ModelError
from rashrisk.features.categorical import CategoricalEncoder
from rashrisk.features.columns import ClinicalColumns
from rashrisk.features.continuous import ContinuousEncoder
from rashrisk.features.genotype import GenotypeEncoder
from rashrisk.features.preprocess import FeatureSpec
from rashrisk.models.config import LogisticGrid, XGBoostGrid

CLASSES = {
    "ClinicalColumns": ClinicalColumns,
    "CategoricalEncoder": CategoricalEncoder,
    "ContinuousEncoder": ContinuousEncoder,
    "GenotypeEncoder": GenotypeEncoder,
    "Pipeline": Pipeline,
    "StandardScaler": StandardScaler,
    "SplineTransformer": SplineTransformer,
    "LogisticRegression": LogisticRegression,
}
_KEY_OF = {cls: key for key, cls in CLASSES.items()}
CONFIGS = {"FeatureSpec": FeatureSpec, "LogisticGrid": LogisticGrid, "XGBoostGrid": XGBoostGrid}  # frozen dataclasses
_CONFIG_KEY_OF = {cls: key for key, cls in CONFIGS.items()}
DTYPES = ("float64", "float32", "int64", "int32", "bool", "object")


def encode(value):
    """JSON-able data for ``value`` (see the module docstring); refuses anything else."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, (np.integer, np.floating)):
        return value
    if isinstance(value, np.ndarray):
        dtype = str(value.dtype)
        if dtype not in DTYPES:
            raise ModelError(f"cannot store an array of dtype {dtype}; expected one of {DTYPES}")
        if dtype == "object" and not all(isinstance(v, str) for v in value.ravel()):
            raise ModelError("cannot store an object array that holds anything but strings")
        return {"__ndarray__": {"dtype": dtype, "shape": list(value.shape), "data": value.ravel().tolist()}}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return {"__scalar__": {"dtype": str(value.dtype), "value": value.item()}}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ModelError("cannot store a mapping with non-string keys")
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    if isinstance(value, BSpline):
        return {"__bspline__": {"t": encode(value.t), "c": encode(value.c), "k": int(value.k),
                                "extrapolate": encode(value.extrapolate)}}
    if type(value) in _CONFIG_KEY_OF:
        return {"__config__": {"class": _CONFIG_KEY_OF[type(value)],
                               "fields": {f: encode(getattr(value, f)) for f in value.__dataclass_fields__}}}
    key = _KEY_OF.get(type(value))
    if key is None:
        raise ModelError(f"cannot store a {type(value).__module__}.{type(value).__name__}; "
                         f"expected one of {sorted(CLASSES)}")
    fitted = {name: encode(v) for name, v in vars(value).items() if name.endswith("_") and not name.startswith("_")}
    return {"__estimator__": {"class": key, "params": encode(value.get_params(deep=False)), "fitted": fitted}}


def decode(data, where: str = "model state"):
    """The value :func:`encode` wrote (classes from :data:`CLASSES` only)."""
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [decode(v, where) for v in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise ModelError(f"{where}: unexpected value {str(data)[:80]!r}")
    (tag, body), = data.items()
    if tag == "__ndarray__":
        dtype = body["dtype"]
        if dtype not in DTYPES:
            raise ModelError(f"{where}: array dtype {dtype!r}; expected one of {DTYPES}")
        return np.asarray(body["data"], dtype=dtype).reshape(body["shape"])
    if tag == "__scalar__":
        if body["dtype"] not in DTYPES:
            raise ModelError(f"{where}: scalar dtype {body['dtype']!r}; expected one of {DTYPES}")
        return np.dtype(body["dtype"]).type(body["value"])
    if tag == "__tuple__":
        return tuple(decode(v, where) for v in body)
    if tag == "__dict__":
        return {k: decode(v, where) for k, v in body.items()}
    if tag == "__bspline__":
        return BSpline.construct_fast(decode(body["t"], where), decode(body["c"], where), int(body["k"]),
                                      extrapolate=decode(body["extrapolate"], where))
    if tag == "__config__":
        cls = CONFIGS.get(body.get("class"))
        if cls is None:
            raise ModelError(f"{where}: configuration class {body.get('class')!r}; expected one of {sorted(CONFIGS)}")
        return cls(**{k: decode(v, where) for k, v in body["fields"].items()})
    if tag == "__estimator__":
        cls = CLASSES.get(body.get("class"))
        if cls is None:
            raise ModelError(f"{where}: estimator class {body.get('class')!r} is not one rashrisk stores; "
                             f"expected one of {sorted(CLASSES)}")
        estimator = cls(**decode(body["params"], where))
        for name, value in body["fitted"].items():
            if not (name.endswith("_") and not name.startswith("_")):
                raise ModelError(f"{where}: fitted attribute {name!r} of {body['class']}; expected a name ending in _")
            setattr(estimator, name, decode(value, where))
        return estimator
    raise ModelError(f"{where}: unknown tag {tag!r}")

"""Covariates and covariate effects declared as data (the parts of a model TOML file).

A model declares its covariates (``[covariates.<column>]``: numeric or categorical, the reference
value used when the value is missing, soft and hard validity limits) and its covariate effects
(``[[effects]]``), each one of a few declared kinds. A typical parameter is evaluated as::

    P = (typical + sum of additive terms) * product of multiplicative terms

| kind                      | term                                    | combines |
|---------------------------|-----------------------------------------|----------|
| ``linear``                | coefficient * (x - center) / scale      | additive |
| ``categorical_additive``  | levels[x]                               | additive |
| ``constant_additive``     | value (e.g. an indicator true for all)  | additive |
| ``power``                 | (x / center) ** exponent                | multiplicative |
| ``exponential``           | exp(coefficient * (x - center))         | multiplicative |
| ``categorical_multiplier``| levels[x]                               | multiplicative |
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rashrisk.errors import ModelError

ADDITIVE_KINDS = ("linear", "categorical_additive", "constant_additive")
MULTIPLICATIVE_KINDS = ("power", "exponential", "categorical_multiplier")
EFFECT_KINDS = ADDITIVE_KINDS + MULTIPLICATIVE_KINDS
# which keys each kind needs (besides parameter and kind)
_REQUIRED_KEYS = {
    "linear": ("covariate", "coefficient", "center", "scale"),
    "categorical_additive": ("covariate", "levels"),
    "constant_additive": ("value", "reason"),
    "power": ("covariate", "exponent", "center"),
    "exponential": ("covariate", "coefficient", "center"),
    "categorical_multiplier": ("covariate", "levels"),
}


@dataclass(frozen=True)
class CovariateSpec:
    """One covariate a model uses: its column, type, reference value and validity limits."""

    column: str
    kind: str  # "numeric" | "categorical"
    reference: float | str
    levels: tuple[str, ...] = ()
    soft: tuple[float, float] | None = None  # outside: warning (extrapolation)
    hard: tuple[float, float] | None = None  # outside: warning that the model does not apply
    description: str = ""

    @classmethod
    def from_dict(cls, column: str, spec: dict, source: str) -> CovariateSpec:
        kind = spec.get("type", "numeric")
        if kind not in ("numeric", "categorical"):
            raise ModelError(f"{source}: covariate {column!r} has type {kind!r}; expected 'numeric' or 'categorical'")
        if "reference" not in spec:
            raise ModelError(f"{source}: covariate {column!r} needs a 'reference' value (used when missing)")
        limits = {k: tuple(float(x) for x in spec[k]) if k in spec else None for k in ("soft", "hard")}
        return cls(
            column=column,
            kind=kind,
            reference=spec["reference"] if kind == "categorical" else float(spec["reference"]),
            levels=tuple(str(x) for x in spec.get("levels", ())),
            soft=limits["soft"],
            hard=limits["hard"],
            description=spec.get("description", ""),
        )


@dataclass(frozen=True)
class CovariateEffect:
    """One term of a parameter's covariate equation (see the module docstring for the kinds)."""

    parameter: str
    kind: str
    covariate: str | None = None
    coefficient: float = 0.0
    center: float = 1.0
    scale: float = 1.0
    exponent: float = 0.0
    value: float = 0.0
    levels: dict = field(default_factory=dict)
    reason: str = ""

    @classmethod
    def from_dict(cls, spec: dict, source: str) -> CovariateEffect:
        kind = spec.get("kind")
        if kind not in EFFECT_KINDS:
            raise ModelError(f"{source}: effect kind {kind!r} for {spec.get('parameter')!r}; expected one of {', '.join(EFFECT_KINDS)}")
        missing = [k for k in ("parameter", *_REQUIRED_KEYS[kind]) if k not in spec]
        if missing:
            raise ModelError(f"{source}: {kind} effect on {spec.get('parameter')!r} lacks {', '.join(missing)}")
        levels = {str(k): float(v) for k, v in spec.get("levels", {}).items()}
        numbers = {k: float(spec[k]) for k in ("coefficient", "center", "scale", "exponent", "value") if k in spec}
        return cls(parameter=spec["parameter"], kind=kind, covariate=spec.get("covariate"), levels=levels, reason=spec.get("reason", ""), **numbers)

    @property
    def additive(self) -> bool:
        return self.kind in ADDITIVE_KINDS

    def term(self, x) -> np.ndarray:
        """The term's value for covariate values ``x`` (array; categorical values as str)."""
        if self.kind == "linear":
            return self.coefficient * (np.asarray(x, dtype=float) - self.center) / self.scale
        if self.kind == "constant_additive":
            return np.asarray(self.value, dtype=float)
        if self.kind == "power":
            return (np.asarray(x, dtype=float) / self.center) ** self.exponent
        if self.kind == "exponential":
            return np.exp(self.coefficient * (np.asarray(x, dtype=float) - self.center))
        return pd.Series(np.asarray(x, dtype=object)).map(self.levels).to_numpy(dtype=float)


def _category_key(value) -> str:
    """Canonical string for a categorical value: 1.0 -> '1', 'M' -> 'M'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


SMALL_TABLE_ROWS = 32  # up to this many rows, categorical covariates are keyed value by value


def resolve_covariates(specs: dict[str, CovariateSpec], covariates: pd.DataFrame, model_name: str):
    """Covariate values with references filled in, and a boolean frame of what was imputed.

    Returns ``(values, imputed)``: ``values`` maps column -> ndarray (float, or str for
    categorical), ``imputed`` is a DataFrame[bool] indexed like ``covariates``. A missing column
    or a missing value (NaN/None/<NA>) takes the declared reference. A value the model cannot use
    (unknown category, non-numeric number) raises :class:`ModelError` naming the column, row and value.
    """
    n = len(covariates)
    values: dict[str, np.ndarray] = {}
    imputed: dict[str, np.ndarray] = {}
    for column, spec in specs.items():
        raw = covariates[column] if column in covariates.columns else pd.Series([None] * n, index=covariates.index, dtype=object)
        missing = raw.isna().to_numpy()
        imputed[column] = missing
        if spec.kind == "numeric":
            # a float column is already numbers (to_numeric would return it as it is)
            number = (raw.to_numpy(dtype=float) if raw.dtype.kind == "f"
                      else pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float))
            bad = np.flatnonzero(np.isnan(number) & ~missing)
            expected = "a number"
            out = np.where(missing, spec.reference, number)
        elif n <= SMALL_TABLE_ROWS:  # a few patients: each value's key directly (the same keys)
            out = np.empty(n, dtype=object)
            out[:] = [str(spec.reference) if m else _category_key(v)
                      for v, m in zip(raw.to_numpy(dtype=object), missing.tolist())]
            levels = set(spec.levels)
            bad = np.flatnonzero([o not in levels for o in out])
            expected = f"one of {', '.join(spec.levels)}"
        else:
            keys = {v: _category_key(v) for v in pd.unique(raw[~missing])}
            out = raw.map(keys).to_numpy(dtype=object)
            out[missing] = str(spec.reference)
            bad = np.flatnonzero(~pd.Series(out).isin(spec.levels).to_numpy())
            expected = f"one of {', '.join(spec.levels)}"
        if bad.size:
            i = bad[0]
            raise ModelError(
                f"PK model {model_name}: covariate {column!r} row {covariates.index[i]!r} has value {raw.iloc[i]!r}; "
                f"expected {expected} (or missing, then {spec.reference!r} is used)"
            )
        values[column] = out
    return values, pd.DataFrame(imputed, index=covariates.index)  # one frame, not one insertion per column


def domain_warnings(specs: dict[str, CovariateSpec], covariates: pd.DataFrame, model_name: str) -> list[list[str]]:
    """Per row, warnings for covariates outside the soft or hard validity limits."""
    out: list[list[str]] = [[] for _ in range(len(covariates))]
    for column, spec in specs.items():
        if spec.kind != "numeric" or column not in covariates.columns:
            continue
        x = pd.to_numeric(covariates[column], errors="coerce").to_numpy(dtype=float)
        outside_hard = np.zeros(len(x), dtype=bool)
        if spec.hard is not None:
            outside_hard = (x < spec.hard[0]) | (x > spec.hard[1])
            for i in np.flatnonzero(outside_hard):
                out[i].append(
                    f"{column} = {x[i]:g} is outside the hard limits {spec.hard[0]:g}-{spec.hard[1]:g} of PK model "
                    f"{model_name}: the model does not apply, prediction is an extrapolation"
                )
        if spec.soft is not None:
            outside_soft = ((x < spec.soft[0]) | (x > spec.soft[1])) & ~outside_hard
            for i in np.flatnonzero(outside_soft):
                out[i].append(
                    f"{column} = {x[i]:g} is outside the studied range {spec.soft[0]:g}-{spec.soft[1]:g} of PK model "
                    f"{model_name}: use the prediction with caution"
                )
    return out

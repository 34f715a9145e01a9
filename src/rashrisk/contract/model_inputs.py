"""Checks for a model frame (one row per patient, index patient_id) before a model reads it.

The classifier's ``predict_proba`` and the MLflow pyfunc get frames that never went through the
cohort loader. :func:`check_model_frame` applies the contract's rules to the columns it finds: a
column of ``patients.csv`` (``sex``, ``age_years``, ``weight_kg``, ``height_cm``, ``albumin_g_l``,
``ancestry``, ``setting``, ``start_dose_mg``) with the schema's own declaration (required, hard
range, accepted spellings: ``m``/``male`` are 'M' as in the loader); a derived or predicted column
with the limits declared in :data:`MODEL_SCHEMA`, taken from the contract where they come from it
(BSA from the height and weight limits, troughs from the concentration limit, the sample day from
"sample on or after start_date"); and ``<rsid>_alt_count`` as 0, 1 or 2 alternate alleles.

Missing values (NaN/None) are allowed where the model imputes them (every column the contract does
not require; a genotype no-call); a required contract column must have a value. Infinity is not a
number. Soft limits (warnings in the loader) are not checked here: scoring warns about values
outside the training range. Other columns are passed through unchecked.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

from rashrisk.contract.parse import parse_column
from rashrisk.contract.rules import MAX_LINES_SHOWN, format_message, outside
from rashrisk.contract.schema import PATIENTS, TDM, Column, FileSchema, Range, Rule, column_rules, rules_for
from rashrisk.contract.text import cell_text, column_as_text
from rashrisk.errors import CohortError

GENOTYPE_SUFFIX = "_alt_count"
MAX_PROBLEMS_SHOWN = 10
MODEL_CHECKS = ("required", "type", "allowed", "range")  # the rule kinds that apply to one value

PATIENT_COLUMNS = ("sex", "age_years", "weight_kg", "height_cm", "albumin_g_l", "ancestry", "setting",
                   "start_dose_mg")
_HEIGHT, _WEIGHT = PATIENTS.column("height_cm").hard, PATIENTS.column("weight_kg").hard
BSA_MAX_M2 = math.sqrt(_HEIGHT.max * _WEIGHT.max / 3600.0)  # Mosteller at the contract's largest values
_BSA = Range(0, math.ceil(BSA_MAX_M2 * 100) / 100, min_open=True)  # > 0 and <= 5.28
_TROUGH = TDM.column("concentration").hard  # >= 0, as a measured concentration

MODEL_SCHEMA = FileSchema(
    "model", "model input", False,
    (
        Column("bsa_m2", "number", required=False, unit="m2", hard=_BSA,
               description="Mosteller, from height_cm and weight_kg"),
        Column("apriori_trough_ng_ml", "number", required=False, unit="ng/mL", hard=_TROUGH,
               description="population-PK typical trough at the start dose"),
        Column("tdm_day", "number", required=False, unit="days", hard=Range(0),
               description="day on treatment of the landmark sample (sampled on or after start_date)"),
        Column("map_trough_ng_ml", "number", required=False, unit="ng/mL", hard=_TROUGH,
               description="MAP individual 24-h trough from the landmark sample"),
        Column("trough_ratio_to_apriori", "number", required=False, hard=Range(0),
               description="MAP trough / a priori trough at the same dose"),
    ),
    "derived and predicted model inputs (the patients.csv columns keep their contract declaration)",
)


def genotype_column(name: str) -> Column:
    """The declaration of ``<rsid>_alt_count``: 0, 1 or 2 alternate alleles, missing = no-call."""
    return Column(name, "integer", required=False, hard=Range(0, 2), description="alternate alleles; NaN = no-call")


class ModelInputError(CohortError):
    """A model frame breaks the contract's rules; ``problems`` holds one message per broken rule."""

    def __init__(self, message: str, problems: list[str]):
        super().__init__(message)
        self.problems = problems


def check_model_frame(X: pd.DataFrame, *, source: str = "model input") -> pd.DataFrame:
    """``X`` with its checked columns in canonical form (sex 'F'/'M', numbers float, NaN = missing).

    Raises :class:`ModelInputError` (a :class:`CohortError`) listing every broken rule, each naming the
    column, the patients (index values), the bad values and what was expected.
    """
    if not isinstance(X, pd.DataFrame):
        raise CohortError(f"{source}: expected a pandas DataFrame (one row per patient, index patient_id), "
                          f"got {type(X).__name__}")
    repeated = X.columns[X.columns.duplicated()]
    if len(repeated):
        raise CohortError(f"{source}, column {repeated[0]}: named more than once ... expected each column once")
    problems: list[str] = []
    canonical: dict = {}
    for name, column, rules in _declared_columns(tuple(X.columns)):
        values, missing, failed = _parse(X[name], column)
        for rule in rules:
            mask = _violations(rule, values, missing, failed)
            if mask.any():
                problems.append(_message(rule, X[name], mask, X.index, source))
        if values is not X[name]:
            canonical[name] = values
    if problems:
        raise ModelInputError(_summary(problems, source), problems)
    return pd.DataFrame({c: canonical.get(c, X[c]) for c in X.columns}, index=X.index)


@functools.lru_cache(maxsize=64)
def _declared_columns(names: tuple) -> list[tuple[str, Column, list[Rule]]]:
    """(name, Column, error rules) for every column of the frame with a declaration."""
    contract = [r for r in rules_for(PATIENTS.key) if r.check in MODEL_CHECKS and r.level == "error"]
    model = [r for r in column_rules(MODEL_SCHEMA) if r.check in MODEL_CHECKS and r.level == "error"]
    declared = []
    for name in names:
        if name in PATIENT_COLUMNS:
            declared.append((name, PATIENTS.column(name), [r for r in contract if r.column == name]))
        elif name in MODEL_SCHEMA.names:
            declared.append((name, MODEL_SCHEMA.column(name), [r for r in model if r.column == name]))
        elif isinstance(name, str) and name.endswith(GENOTYPE_SUFFIX):
            schema = FileSchema("model", "model input", False, (genotype_column(name),))
            declared.append((name, schema.columns[0], [r for r in column_rules(schema) if r.level == "error"]))
    return declared


def _parse(series: pd.Series, column: Column) -> tuple:
    """(values, missing, failed): canonical values (``series`` itself when it already is float64
    numbers), missing cells, and present values that are not of the column's type."""
    if column.allowed:
        return _parse_levels(series, column)
    numeric = column.type in ("number", "integer") and pd.api.types.is_numeric_dtype(series) \
        and not pd.api.types.is_bool_dtype(series)
    if not numeric:  # text, or numbers stored as objects: the loader's own parser
        text = column_as_text(series)
        values, failed = parse_column(text, column)
        return values.to_numpy(), (text == "").to_numpy(), failed
    x = series.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(x)
    failed = np.isinf(x)
    if column.type == "integer":
        with np.errstate(invalid="ignore"):
            failed |= np.isfinite(x) & (np.floor(x) != x)
    return (series if series.dtype == np.float64 else x), missing, failed


def _parse_levels(series: pd.Series, column: Column) -> tuple:
    """A categorical column through the contract's spellings (case-insensitive), once per distinct value."""
    spelling = column.spellings()
    codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    texts = [cell_text(u) for u in uniques]
    levels = np.array([spelling.get(t.lower()) for t in texts] + [None], dtype=object)
    empty = np.array([t == "" for t in texts] + [True], dtype=bool)
    return levels[codes], empty[codes], np.zeros(len(series), dtype=bool)


def _violations(rule: Rule, values, missing: np.ndarray, failed: np.ndarray) -> np.ndarray:
    if rule.check == "required":
        return missing
    if rule.check == "type":
        return failed
    if rule.check == "allowed":
        return ~missing & pd.isna(values)
    x = np.asarray(values, dtype=float)
    return outside(np.where(failed, np.nan, x), rule.params["range"])


def _message(rule: Rule, series: pd.Series, mask: np.ndarray, index: pd.Index, source: str) -> str:
    positions = np.flatnonzero(mask)
    shown = positions[:MAX_LINES_SHOWN]
    raw = column_as_text(series.iloc[shown]).tolist()
    return format_message(source, rule.column, [str(p) for p in index[shown]], len(positions), raw, rule.expected,
                          row_word="patient")


def _summary(problems: list[str], source: str) -> str:
    if len(problems) == 1:
        return problems[0]
    lines = [f"{source}: {len(problems)} problems"] + [f"- {p}" for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"- ... and {len(problems) - MAX_PROBLEMS_SHOWN} more")
    return "\n".join(lines)

"""What the model established about each clinical factor: its effect on the log-odds, with a bootstrap interval.

For every clinical factor the model reads, :func:`factor_effects` computes the served model's
change in calibrated log-odds for a fixed contrast a clinician understands (:func:`contrast_of`):

- a genotype: two risk alleles against none (the configured risk allele, ``[features.risk_allele]``);
- sex: female against male;
- another two-level category: its less frequent level against its most frequent one;
- an exposure on the log scale (a priori trough, MAP trough, trough ratio): the value doubled;
- the early trough of the TDM stage (MAP trough and trough ratio, shown as one factor): the measured
  trough doubled at the same a priori prediction (both inputs doubled);
- age +10 years, weight +10 kg, start dose +200 mg/day, day of the TDM sample +7 days; any other
  continuous input: one interquartile range of the training cohort.

Each contrast's label completes "the effect of ..." ("two risk alleles vs none", "doubling it").

The effect is averaged over the training patients, each with the factor set to the contrast's two
values and every other input kept at the patient's own (an average marginal effect; a missing value
of the factor is set to the training median first). The same is computed for each of the
classifier's ``interval_bootstrap`` refits (``ensemble_``, calibrated with the served map), and
their 5th-95th percentiles give a 90% interval (:data:`EFFECT_LEVEL`), widened to include the
served estimate.

Status (:data:`STATUSES`): "established" when the interval excludes 0 and its sign agrees with
the configured expectation (``[features.expected_direction]``, :func:`expected_direction`) or no
expectation is configured; "against expectation" when it excludes 0 with the opposite sign;
"not established" when it includes 0 or the factor has no contrast. Only established factors are
described as raising or lowering risk. The interval covers the refits' sampling variation of the
training rows with the hyperparameters fixed; it does not cover the choice of the model and its
hyperparameters, confounding, or a cohort unlike the training one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.errors import ConfigError
from rashrisk.features.preprocess import GENOTYPE_SUFFIX, FeatureSpec
from rashrisk.models.calibration import apply_platt

EFFECT_LEVEL = 0.90
ESTABLISHED, AGAINST, NOT_ESTABLISHED = "established", "against expectation", "not established"
STATUSES = (ESTABLISHED, AGAINST, NOT_ESTABLISHED)
DIRECTIONS = ("raises", "lowers", "none")
UNIT = "calibrated log-odds"
# the MAP trough and the trough relative to the a priori prediction describe one measured exposure,
# shown (and contrasted) as one factor (rashrisk.explanations.factors)
EARLY_TROUGH = "early_trough"
EARLY_TROUGH_INPUTS = ("map_trough_ng_ml", "trough_ratio_to_apriori")
# continuous inputs off the log scale: (step, what the step says)
# (the labels complete "the effect of ...")
STEPS = {"age_years": (10.0, "10 more years of age"), "weight_kg": (10.0, "10 kg more body weight"),
         "height_cm": (10.0, "10 cm more height"), "bsa_m2": (0.2, "0.2 m² more body surface area"),
         "albumin_g_l": (5.0, "5 g/L more albumin"), "start_dose_mg": (200.0, "a start dose 200 mg/day higher"),
         "tdm_day": (7.0, "a TDM sample 7 days later")}
LEVEL_WORDS = {"sex": {"F": "female", "M": "male"}}
PREFERRED_LEVELS = {"sex": ("F", "M")}  # (contrasted level, reference level)


def check_expected_directions(mapping, where: str = "[features.expected_direction]") -> dict:
    """``mapping`` as {factor: 'raises' | 'lowers' | 'none'}; a ConfigError names a bad key or value."""
    if not isinstance(mapping, dict):
        raise ConfigError(f"{where} = {mapping!r}; expected a table of factor = \"raises\" | \"lowers\" | \"none\"")
    for factor, direction in mapping.items():
        if direction not in DIRECTIONS:
            raise ConfigError(f"{where} {factor} = {direction!r}; expected one of {', '.join(DIRECTIONS)}")
    return dict(mapping)


def expected_direction(spec: FeatureSpec, factor: str) -> str:
    """The configured expectation of ``factor``'s contrast: 'raises', 'lowers' or 'none'.

    A genotype not listed is expected to raise risk (its risk allele is, by definition, the allele
    expected to raise it); the early trough takes its inputs' common expectation (none when they differ)."""
    mapping = check_expected_directions(dict(spec.expected_direction))
    if factor in mapping:
        return mapping[factor]
    if factor == EARLY_TROUGH:
        found = {mapping[c] for c in EARLY_TROUGH_INPUTS if c in mapping}
        return found.pop() if len(found) == 1 else "none"
    if factor.startswith("rs"):
        return "raises"
    return "none"


def effect_status(effect: float, low: float, high: float, expected: str) -> str:
    """'established', 'against expectation' or 'not established' (see the module docstring)."""
    if not (np.isfinite(low) and np.isfinite(high)) or low <= 0.0 <= high:
        return NOT_ESTABLISHED
    sign = "raises" if low > 0 else "lowers"
    return ESTABLISHED if expected in ("none", sign) else AGAINST


def _display_factors(feature_factor: dict) -> list[str]:
    factors = [EARLY_TROUGH if f in EARLY_TROUGH_INPUTS else f for f in feature_factor.values()]
    return list(dict.fromkeys(factors))


def _filled(X: pd.DataFrame, column: str) -> pd.Series:
    values = pd.to_numeric(X[column], errors="coerce").astype(float)
    return values.fillna(values.median())


def contrast_of(factor: str, X: pd.DataFrame, spec: FeatureSpec):
    """(what the contrast says, inputs at the reference value, inputs at the contrasted value), as
    {column: values} changes of the training frame ``X``; None when the factor has no contrast."""
    genotype = f"{factor}{GENOTYPE_SUFFIX}"
    if genotype in X.columns:
        none_alt = 0.0 if spec.risk_allele.get(factor, "alt") == "alt" else 2.0
        return "two risk alleles vs none", {genotype: none_alt}, {genotype: 2.0 - none_alt}
    if factor == EARLY_TROUGH:
        inputs = [c for c in EARLY_TROUGH_INPUTS if c in X.columns]
        base = {c: _filled(X, c) for c in inputs}
        return ("doubling the measured trough at the same a priori prediction", base,
                {c: 2.0 * v for c, v in base.items()})
    if factor not in X.columns:
        return None
    if factor in spec.categorical or not pd.api.types.is_numeric_dtype(X[factor]):
        counts = X[factor].dropna().astype(str).value_counts()
        preferred = PREFERRED_LEVELS.get(factor)
        if preferred and all(level in counts.index for level in preferred):
            level, reference = preferred
        elif len(counts) == 2:
            reference, level = counts.index[0], counts.index[1]
        else:
            return None  # one level, or more than two: no single contrast
        words = LEVEL_WORDS.get(factor, {})
        return f"{words.get(level, level)} vs {words.get(reference, reference)}", {factor: reference}, {factor: level}
    base = _filled(X, factor)
    if factor in spec.log:
        return "doubling it", {factor: base}, {factor: 2.0 * base}
    if factor in STEPS:
        step, words = STEPS[factor]
    else:
        step = float(np.subtract(*np.nanquantile(X[factor].astype(float), [0.75, 0.25])))
        words = f"{step:.3g} more (one interquartile range)"
    if not np.isfinite(step) or step <= 0:
        return None
    return words, {factor: base}, {factor: base + step}


def _with(X: pd.DataFrame, changes: dict) -> pd.DataFrame:
    out = X.copy()
    for column, values in changes.items():
        out[column] = values  # a scalar, or a Series on X's index
    return out


def factor_effects(classifier, X: pd.DataFrame, spec: FeatureSpec | None = None, *,
                   level: float = EFFECT_LEVEL) -> dict:
    """The effects record of a fitted :class:`~rashrisk.models.classifier.RashriskClassifier` on its
    training frame ``X`` (stored in the model card as ``effects``; see the module docstring)."""
    spec = spec or classifier.features or FeatureSpec()
    X = X[classifier.input_columns_]
    factors = _display_factors(classifier.feature_factor_)
    contrasts, frames = {}, []
    for factor in factors:
        found = contrast_of(factor, X, spec)
        contrasts[factor] = found
        if found is not None:
            frames += [_with(X, found[1]), _with(X, found[2])]
    served, members = np.zeros((0,)), np.zeros((0, len(classifier.ensemble_)))
    if frames:
        stacked = pd.concat(frames, ignore_index=True)
        matrix = np.asarray(classifier.preprocess_.transform(stacked), dtype=np.float64)
        family = classifier.model_family
        data = family.prepared(matrix)
        served = classifier.decision_function_matrix(matrix, data)
        members = apply_platt(family.ensemble_logits(classifier.ensemble_, matrix, data),
                              classifier.calibration_intercept_, classifier.calibration_slope_)
    n, alpha, k = len(X), (1.0 - level) / 2.0, 0
    out = {}
    for factor in factors:
        expected = expected_direction(spec, factor)
        found = contrasts[factor]
        if found is None:
            out[factor] = {"contrast": None, "effect": None, "low": None, "high": None, "expected": expected,
                           "status": NOT_ESTABLISHED}
            continue
        a, b = slice(2 * k * n, (2 * k + 1) * n), slice((2 * k + 1) * n, (2 * k + 2) * n)
        k += 1
        effect = float(np.mean(served[b] - served[a]))
        per_member = np.mean(members[b] - members[a], axis=0)
        low = min(float(np.quantile(per_member, alpha)), effect)
        high = max(float(np.quantile(per_member, 1.0 - alpha)), effect)
        out[factor] = {"contrast": found[0], "effect": effect, "low": low, "high": high, "expected": expected,
                       "status": effect_status(effect, low, high, expected)}
    return {"level": float(level), "unit": UNIT, "n_bootstrap": int(len(classifier.ensemble_)),
            "method": ("average change in the served log-odds over the training patients for each factor's "
                       "contrast; percentile interval over the bootstrap refits (hyperparameters fixed)"),
            "factors": out}


def unknown_effect(factor: str) -> dict:
    """The record of a factor the model's card has no estimate for (a card written before effects)."""
    return {"contrast": None, "effect": None, "low": None, "high": None, "expected": "none",
            "status": NOT_ESTABLISHED, "unknown": True}


def effects_of(model) -> dict:
    """The card's effects record of a served model ({} when the card has none: every factor then
    counts as not established)."""
    return getattr(getattr(model, "card", None), "effects", None) or {}


def effect_of(model, factor: str) -> dict:
    """``factor``'s record with the interval level (``level``); :func:`unknown_effect` when absent."""
    effects = effects_of(model)
    record = dict((effects.get("factors") or {}).get(factor) or unknown_effect(factor))
    record["level"] = effects.get("level", EFFECT_LEVEL)
    return record


def is_established(record: dict) -> bool:
    return record.get("status") == ESTABLISHED

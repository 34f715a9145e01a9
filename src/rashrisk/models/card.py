"""The model card: built once as data (``build_card -> dict``), rendered to Markdown from it.

The card and the bundle describe the training data by aggregate statistics only
(:func:`summarize_inputs`): no patient row, identifier or sample of rows is stored.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk._version import __version__
from rashrisk.features.frame import TDM_COLUMNS
from rashrisk.models.validation import instability_sentence

RANGE_QUANTILES = (0.01, 0.99)

SIMULATED_DISCLAIMER = ("Trained on simulated data; not for clinical use. Research use only: the numbers show how the "
                        "method behaves, not the risk of a real patient.")
RESEARCH_DISCLAIMER = ("Decision support for research use only. Not a medical device. The clinician remains responsible "
                       "for every decision and can review the inputs and reasons shown.")

PREDICTOR_TEXT = {
    "sex": "sex (F/M)",
    "age_years": "age (years)",
    "weight_kg": "body weight (kg)",
    "bsa_m2": "body surface area (m2, Mosteller)",
    "albumin_g_l": "serum albumin (g/L)",
    "ancestry": "ancestry group",
    "setting": "treatment setting (adjuvant / advanced)",
    "start_dose_mg": "imatinib start dose (mg/day)",
    "apriori_trough_ng_ml": "a priori predicted steady-state trough at the start dose (population PK, ng/mL)",
    "tdm_day": "day on treatment of the landmark TDM sample",
    "map_trough_ng_ml": "individual 24-h trough estimated (MAP) from the landmark sample (ng/mL)",
    "trough_ratio_to_apriori": "measured (MAP) trough relative to the a priori prediction at the same dose",
}


def _number(value) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def summarize_inputs(X: pd.DataFrame, columns) -> dict:
    """Aggregate statistics of the training inputs, per column (no patient rows).

    Numeric: ``{"kind": "numeric", "n", "missing_share", "mean", "median", "p01", "p99", "min", "max"}``;
    categorical: ``{"kind": "categorical", "n", "missing_share", "frequencies": {level: share}}``
    (levels ordered by share, largest first).
    """
    out = {}
    for column in columns:
        values = X[column]
        n = int(len(values))
        missing = float(values.isna().mean()) if n else 0.0
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            numeric = pd.to_numeric(values, errors="coerce").astype(float).dropna().to_numpy()
            stats = {"kind": "numeric", "n": n, "missing_share": round(missing, 6)}
            if len(numeric):
                low, high = np.quantile(numeric, RANGE_QUANTILES)
                stats.update(mean=_number(numeric.mean()), median=_number(np.median(numeric)), p01=_number(low),
                             p99=_number(high), min=_number(numeric.min()), max=_number(numeric.max()))
            else:
                stats.update(mean=None, median=None, p01=None, p99=None, min=None, max=None)
            out[str(column)] = stats
        else:
            shares = values.dropna().astype(str).value_counts(normalize=True, sort=True)
            out[str(column)] = {"kind": "categorical", "n": n, "missing_share": round(missing, 6),
                                "frequencies": {str(k): round(float(v), 6) for k, v in shares.items()}}
    return out


def input_ranges(summary: dict) -> dict:
    """{column: {"min", "max", "p01", "p99"}} of the numeric inputs (training-range warnings)."""
    return {column: {k: stats[k] for k in ("min", "max", "p01", "p99")} for column, stats in summary.items()
            if stats.get("kind") == "numeric" and stats.get("min") is not None}


def _metric(validation: dict, name: str) -> dict | None:
    m = (validation or {}).get("metrics", {}).get(name)
    if not m:
        return None
    return {k: m.get(k) for k in ("apparent", "corrected", "ci_low", "ci_high", "cross_validated")}


def build_card(*, stage: str, name: str, version: str, cohort_name: str, simulated: bool, n: int, events: int,
               fingerprint: dict, factors: list[str], family: str, params: dict, calibration: tuple[float, float],
               calibration_method: str, landmark, band_thresholds: dict, validation: dict, nested_cv: dict, excluded: dict,
               candidates: list[dict], pk_model: str, input_summary: dict | None = None,
               equation: dict | None = None) -> dict:
    timing = ("at imatinib start (before the first dose)" if stage == "start"
              else f"at the first TDM sample taken on day {landmark[0]:g}-{landmark[1]:g}, before any rash")
    predictors = []
    for factor in factors:
        when = timing if factor in TDM_COLUMNS else "at imatinib start (before the first dose)"
        kind = "genotype: risk-allele count with a no-call indicator" if factor.startswith("rs") else None
        predictors.append({"name": factor, "description": PREDICTOR_TEXT.get(factor, kind or factor), "timing": when})
    limitations = [
        "Internal validation only (bootstrap optimism correction and nested cross-validation); no external validation.",
        "Few events: estimates of discrimination and calibration are uncertain (see the confidence intervals).",
        "The risk allele and genetic model of IL6R rs4129267 are configuration choices; the source study's abstract "
        "does not state them.",
        f"A priori troughs come from the population-PK model {pk_model}; patients outside its covariate domain "
        "get less reliable exposure estimates.",
    ]
    if stage == "tdm":
        limitations.append("Landmark model: it applies only to patients still rash-free at their first TDM sample "
                           f"in the day {landmark[0]:g}-{landmark[1]:g} window, and predicts severe rash after it.")
    disclaimer = (SIMULATED_DISCLAIMER + " " if simulated else "") + RESEARCH_DISCLAIMER
    return {
        "schema": "rashrisk.model-card/1",
        "name": name,
        "version": version,
        "stage": stage,
        "rashrisk_version": __version__,
        "intended_use": ("Estimate the probability of severe skin rash (CTCAE grade >= 3, or recurrent grade 2) in "
                         "patients with GIST starting imatinib, " + timing + ", to help clinicians decide how closely "
                         "to monitor the skin and when to check the trough. Not for diagnosis or dosing decisions."),
        "outcome": "severe_rash = rash_max_grade >= 3, or rash_max_grade == 2 and recurrent (cohort contract v1)",
        "trained_on": {"cohort": cohort_name, "simulated": bool(simulated), "n": int(n), "events": int(events),
                       "fingerprint": fingerprint, "excluded": excluded},
        "predictors": predictors,
        "landmark_days": list(landmark) if stage == "tdm" else None,
        "input_summary": dict(input_summary or {}),
        "input_ranges": input_ranges(input_summary or {}),
        "model": {"family": family, "params": params, "calibration": calibration_method,
                  "calibration_intercept": calibration[0], "calibration_slope": calibration[1], "pk_model": pk_model,
                  "equation": equation},
        "band_thresholds": dict(band_thresholds),
        "baseline_risk": events / n if n else None,
        "candidates": [{k: c[k] for k in ("label", "cv_logloss_mean", "cv_logloss_sd")} for c in candidates],
        "validation": {
            "n_boot": (validation or {}).get("bootstrap", {}).get("n_boot"),
            "auroc": _metric(validation, "auroc"),
            "auprc": _metric(validation, "auprc"),
            "brier": _metric(validation, "brier"),
            "scaled_brier": _metric(validation, "scaled_brier"),
            "calibration_slope": _metric(validation, "calibration_slope"),
            "calibration_intercept": _metric(validation, "calibration_intercept"),
            "ici": _metric(validation, "ici"),
            "events_per_parameter": (validation or {}).get("events_per_parameter"),
            "instability": (validation or {}).get("instability"),
            "sample_size": (validation or {}).get("sample_size"),
            "warnings": (validation or {}).get("warnings", []),
            "nested_cv": nested_cv,
        },
        "limitations": limitations,
        "disclaimer": disclaimer,
        "simulated": bool(simulated),
    }


def _fmt(value, digits=3):
    return "n/a" if value is None else f"{value:.{digits}f}"


def _g(value) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def card_markdown(card: dict) -> str:
    v = card.get("validation", {})
    lines = [f"# Model card: {card['name']} {card['version']}", ""]
    if card.get("simulated"):
        lines += ["> **Trained on simulated data; not for clinical use.**", ""]
    lines += [f"**Intended use.** {card['intended_use']}", "", f"**Outcome.** {card['outcome']}", ""]
    t = card["trained_on"]
    lines += [f"**Training data.** cohort `{t['cohort']}` ({'simulated' if t['simulated'] else 'observed'}): "
              f"{t['n']} patients, {t['events']} events (baseline risk {_fmt(card['baseline_risk'])}).", ""]
    if t.get("excluded"):
        lines += ["Excluded patients: " + "; ".join(f"{k}: {n}" for k, n in t["excluded"].items()), ""]
    lines += ["## Predictors", "", "| predictor | description | timing |", "|---|---|---|"]
    lines += [f"| `{p['name']}` | {p['description']} | {p['timing']} |" for p in card["predictors"]]
    summary = card.get("input_summary") or {}
    if summary:
        lines += ["", "## Training inputs (aggregates only)", "",
                  "| input | missing | mean (categories: shares) | median | 1st-99th percentile | min-max |", "|---|---|---|---|---|---|"]
        for column, s in summary.items():
            if s.get("kind") == "numeric":
                lines.append(f"| `{column}` | {s['missing_share']:.1%} | {_g(s['mean'])} | {_g(s['median'])} "
                             f"| {_g(s['p01'])} to {_g(s['p99'])} | {_g(s['min'])} to {_g(s['max'])} |")
            else:
                levels = ", ".join(f"{k} {v:.1%}" for k, v in s.get("frequencies", {}).items())
                lines.append(f"| `{column}` | {s['missing_share']:.1%} | {levels} | | | |")
    m = card["model"]
    lines += ["", "## Model", "", f"Selected: {m['family']} {m['params']}; calibration: {m['calibration']} "
              f"(intercept {_fmt(m['calibration_intercept'])}, slope {_fmt(m['calibration_slope'])}); "
              f"PK model {m['pk_model']}.", "", "| candidate | CV log-loss (mean +/- SD) |", "|---|---|"]
    lines += [f"| {c['label']} | {_fmt(c['cv_logloss_mean'], 4)} +/- {_fmt(c['cv_logloss_sd'], 4)} |"
              for c in card.get("candidates", [])]
    equation = m.get("equation")
    if equation:
        lines += ["", "### Full model", "", f"{equation['form']}, with intercept {equation['intercept']:.6g} "
                  "(standardisation and calibration folded in). A feature whose input is missing takes the value "
                  "in the last column.", "",
                  "| feature | made from | coefficient | odds ratio per unit | value when input missing |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{t['feature']}` | {t['made_from']} | {t['coefficient']:.6g} | {t['odds_ratio']:.4g} "
                  f"| {t['value_when_missing']:.6g}"
                  + (f" (log of {t['input_when_missing']:.4g})" if "input_when_missing" in t else "") + " |"
                  for t in equation["terms"]]
    lines += ["", "## Validation (internal)", "", f"Bootstrap resamples of the whole procedure: {v.get('n_boot')}.", "",
              "| metric | apparent | optimism-corrected (95% CI) | cross-validated |", "|---|---|---|---|"]
    for key in ("auroc", "auprc", "brier", "scaled_brier", "calibration_slope", "calibration_intercept", "ici"):
        mm = v.get(key)
        if mm:
            lines.append(f"| {key} | {_fmt(mm['apparent'])} | {_fmt(mm['corrected'])} "
                         f"({_fmt(mm['ci_low'])} to {_fmt(mm['ci_high'])}) | {_fmt(mm['cross_validated'])} |")
    nested = v.get("nested_cv") or {}
    if nested.get("selection"):
        s = nested["selection"]
        lines += ["", f"Nested cross-validation of the selection procedure: AUROC {_fmt(s.get('auroc'))}, "
                  f"calibration slope {_fmt(s.get('calibration_slope'))}, Brier {_fmt(s.get('brier'))}."]
    if v.get("events_per_parameter") is not None:
        lines += ["", f"Events per candidate parameter: {v['events_per_parameter']:.1f}."]
    if v.get("instability"):
        lines += ["", f"Prediction instability (Riley and Collins 2023): {instability_sentence(v['instability'])}"]
    for w in v.get("warnings", []):
        lines.append(f"- warning: {w}")
    b = card["band_thresholds"]
    lines += ["", "## Risk bands", "", f"low below {b['low_below']:.0%}, high from {b['high_from']:.0%}, "
              "intermediate in between.", "", "## Limitations", ""]
    lines += [f"- {x}" for x in card["limitations"]]
    lines += ["", "## Disclaimer", "", card["disclaimer"], ""]
    return "\n".join(lines)

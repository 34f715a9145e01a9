"""Internal validation: bootstrap optimism correction, subgroups, sample size, the report.

- :func:`bootstrap_optimism` (Harrell; Steyerberg, Clinical Prediction Models, ch. 17): the whole
  modelling procedure ``fit_predict`` is rerun in each bootstrap resample; optimism = performance
  in the resample minus performance of that model on the original data; corrected = apparent -
  mean optimism. 95% CIs follow the location-shifted bootstrap of Noma et al. (Stat Med 2021):
  the percentile spread of the resamples' apparent performance, centred on the corrected value;
  when the resamples' out-of-sample performance (model of resample b on the original patients) is
  more spread out, its spread is used instead (needed for calibration measures, whose in-sample
  value is ideal by construction).
- :func:`subgroup_performance`: per subgroup n, events, AUROC with DeLong 95% CI, observed and
  expected risk, O/E and calibration-in-the-large. A level with fewer than ``min_patients``
  patients or ``min_events`` events (or non-events) is suppressed: no counts and no figures, the
  reason in ``note`` (a cell of 17 patients with 1 event points at individuals and estimates
  nothing); when that would leave one suppressed level of a variable derivable by subtraction from
  the totals, the smallest other level is suppressed too. Shown levels still need 5 events and 5
  non-events for an AUROC ("too few events").
- :func:`validate_model` assembles everything as JSON-able data; :func:`validation_report_markdown`
  renders it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from rashrisk.errors import RashriskError
from rashrisk.models.metrics import (
    METRIC_NAMES,
    auroc_delong,
    calibration_curve,
    calibration_intercept_slope,
    check_outcomes_and_risks,
    decision_curve,
    performance_metrics,
    threshold_table,
)
from rashrisk.models.sample_size import riley_minimum_sample_size

__all__ = [
    "bootstrap_optimism",
    "subgroup_performance",
    "default_subgroups",
    "riley_minimum_sample_size",
    "validate_model",
    "validation_report_markdown",
]

MIN_SUBGROUP_EVENTS = 5  # below this an AUROC means nothing (a shown level says "too few events")
TOO_FEW_EVENTS = "too few events"
# small-cell suppression (privacy and precision): TrainingConfig.min_subgroup_patients / _events
SUPPRESS_PATIENTS = 50
SUPPRESS_EVENTS = 10
SUPPRESSED = "suppressed"
SUPPRESSED_FIELDS = ("n", "events", "observed_risk", "expected_risk", "o_e_ratio", "auroc", "auroc_ci_low",
                     "auroc_ci_high", "calibration_intercept")
REPORT_SCHEMA = "rashrisk.validation/1"


def _take(X, idx):
    return X.iloc[idx] if isinstance(X, (pd.DataFrame, pd.Series)) else np.asarray(X)[idx]


def _stack(a, b):
    if isinstance(a, (pd.DataFrame, pd.Series)):
        return pd.concat([a, b])
    return np.concatenate([np.asarray(a), np.asarray(b)])


def bootstrap_optimism(fit_predict: Callable, X, y, *, n_boot: int = 200, seed: int = 0,
                       progress: Callable[[int, int], None] | None = None, level: float = 0.95) -> dict:
    """Optimism-corrected performance of the procedure ``fit_predict(X_train, y_train, X_eval) -> p_eval``.

    Each resample is drawn with replacement from all patients (redrawn, at most 100 times, when it
    holds fewer than 2 events or 2 non-events). One call per resample predicts the resample and
    the original patients together. ``progress(done, total)`` is called after each fit.

    Returns ``{"apparent": {...}, "optimism": {...}, "corrected": {...}, "ci_low": {...},
    "ci_high": {...}, "n_boot": int, "n_boot_valid": {metric: int}, "apparent_proba": ndarray}``.
    """
    y_arr = np.asarray(y).astype(float)
    n = len(y_arr)
    if n != len(X):
        raise RashriskError(f"bootstrap: {len(X)} rows in X but {n} outcomes; expected one outcome per row")
    if n_boot < 1:
        raise RashriskError(f"bootstrap: n_boot={n_boot!r}; expected at least 1 resample")
    total = n_boot + 1
    p_apparent = np.asarray(fit_predict(X, y, X), dtype=float)
    check_outcomes_and_risks(y_arr, p_apparent, what="apparent predictions")
    apparent = performance_metrics(y_arr, p_apparent)
    if progress is not None:
        progress(1, total)
    rng = np.random.default_rng(seed)
    boot_apparent = np.full((n_boot, len(METRIC_NAMES)), np.nan)
    boot_test = np.full((n_boot, len(METRIC_NAMES)), np.nan)
    y_series = y if isinstance(y, pd.Series) else None
    for b in range(n_boot):
        for _ in range(100):
            idx = rng.integers(0, n, n)
            events = y_arr[idx].sum()
            if 2 <= events <= n - 2:
                break
        else:
            raise RashriskError(f"bootstrap: cannot draw resamples with at least 2 events and 2 non-events from "
                                f"{int(y_arr.sum())} events in {n} patients")
        X_b = _take(X, idx)
        y_b = y_series.iloc[idx] if y_series is not None else y_arr[idx]
        p_both = np.asarray(fit_predict(X_b, y_b, _stack(X_b, X)), dtype=float)
        m_boot = performance_metrics(y_arr[idx], p_both[:n])
        m_orig = performance_metrics(y_arr, p_both[n:])
        boot_apparent[b] = [m_boot[k] for k in METRIC_NAMES]
        boot_test[b] = [m_orig[k] for k in METRIC_NAMES]
        if progress is not None:
            progress(b + 2, total)
    optimism_draws = boot_apparent - boot_test
    alpha = (1 - level) / 2
    out = {"apparent": apparent, "optimism": {}, "corrected": {}, "ci_low": {}, "ci_high": {},
           "n_boot": n_boot, "n_boot_valid": {}, "level": level, "apparent_proba": p_apparent}
    for j, name in enumerate(METRIC_NAMES):
        valid = ~np.isnan(optimism_draws[:, j])
        out["n_boot_valid"][name] = int(valid.sum())
        if not valid.any() or np.isnan(apparent[name]):
            for key in ("optimism", "corrected", "ci_low", "ci_high"):
                out[key][name] = float("nan")
            continue
        optimism = float(optimism_draws[valid, j].mean())
        corrected = apparent[name] - optimism
        out["optimism"][name] = optimism
        out["corrected"][name] = corrected
        # percentile spread of the resamples' apparent performance (Noma et al. 2021), or, when wider,
        # of their out-of-sample performance (calibration measures are ~ideal by construction in-sample,
        # so their apparent spread is ~0); either spread is centred on the corrected estimate
        spreads = []
        for draws in (boot_apparent[valid, j], boot_test[valid, j]):
            lo, hi = np.quantile(draws, [alpha, 1 - alpha]) - draws.mean()
            spreads.append((hi - lo, lo, hi))
        _, lo, hi = max(spreads, key=lambda s: s[0])
        low, high = corrected + lo, corrected + hi
        out["ci_low"][name] = float(low)
        out["ci_high"][name] = float(high)
    return out


def default_subgroups(X: pd.DataFrame) -> pd.DataFrame:
    """Subgroup labels from a model frame's inputs: sex, age band, ancestry, start dose.

    Columns present in ``X`` only; a missing value becomes the label "missing".
    """
    groups = pd.DataFrame(index=X.index)
    if "sex" in X:
        groups["sex"] = X["sex"].astype("object").where(X["sex"].notna(), "missing").astype(str)
    if "age_years" in X:
        age = pd.to_numeric(X["age_years"], errors="coerce")
        band = np.select([age < 50, age < 65, age >= 65], ["<50", "50-64", ">=65"], default="missing")
        groups["age_band"] = band
    if "ancestry" in X:
        groups["ancestry"] = X["ancestry"].astype("object").where(X["ancestry"].notna(), "missing").astype(str)
    if "start_dose_mg" in X:
        dose = pd.to_numeric(X["start_dose_mg"], errors="coerce")
        groups["start_dose_mg"] = [f"{d:g} mg" if np.isfinite(d) else "missing" for d in dose]
    return groups


def subgroup_performance(y, p, groups, *, min_patients: int = SUPPRESS_PATIENTS,
                         min_events: int = SUPPRESS_EVENTS) -> list[dict]:
    """Performance within each level of each grouping column (``groups``: DataFrame or dict of arrays).

    One dict per (variable, level): n, events, observed_risk, expected_risk (mean p), o_e_ratio,
    and AUROC with its DeLong 95% CI and calibration-in-the-large when the level has at least
    5 events and 5 non-events; otherwise those fields are None and ``note`` says "too few events".

    Small cells are suppressed: a level with fewer than ``min_patients`` patients, or fewer than
    ``min_events`` events or non-events, has ``suppressed`` True, every count and figure None and
    ``note`` saying why ("suppressed: fewer than 50 patients"). If a variable would then have exactly
    one suppressed level, its counts would follow from the totals minus the shown levels, so the
    smallest shown level is suppressed as well ("suppressed: would reveal a suppressed level").
    """
    y_arr, p_arr = check_outcomes_and_risks(y, p, what="subgroups")
    table = pd.DataFrame(groups) if not isinstance(groups, pd.DataFrame) else groups
    if len(table) != len(y_arr):
        raise RashriskError(f"subgroups: {len(table)} group rows but {len(y_arr)} outcomes; expected one row per patient")
    rows = []
    for variable in table.columns:
        labels = table[variable].astype("object").where(table[variable].notna(), "missing").astype(str).to_numpy()
        block = []
        for level in sorted(set(labels), key=_level_order):
            mask = labels == level
            y_g, p_g = y_arr[mask], p_arr[mask]
            events = int(y_g.sum())
            row = {"variable": str(variable), "level": level, "n": int(mask.sum()), "events": events,
                   "observed_risk": events / mask.sum(), "expected_risk": float(p_g.mean()),
                   "o_e_ratio": (events / mask.sum()) / float(p_g.mean()) if p_g.mean() > 0 else None,
                   "auroc": None, "auroc_ci_low": None, "auroc_ci_high": None,
                   "calibration_intercept": None, "note": None, "suppressed": False}
            reason = _suppression_reason(row["n"], events, min_patients, min_events)
            if reason:
                row["note"] = reason
                row["suppressed"] = True
            elif events < MIN_SUBGROUP_EVENTS:
                row["note"] = TOO_FEW_EVENTS
            elif len(y_g) - events < MIN_SUBGROUP_EVENTS:
                row["note"] = "too few non-events"
            else:
                auc = auroc_delong(y_g, p_g)
                row.update(auroc=auc["auroc"], auroc_ci_low=auc["ci_low"], auroc_ci_high=auc["ci_high"],
                           calibration_intercept=_none_if_nan(calibration_intercept_slope(y_g, p_g)[0]))
            block.append(row)
        shown = [r for r in block if not r["suppressed"]]
        if len(block) - len(shown) == 1 and shown:  # one hidden level = total minus the shown ones
            smallest = min(shown, key=lambda r: (r["n"], r["events"]))
            smallest["suppressed"] = True
            smallest["note"] = f"{SUPPRESSED}: would reveal a suppressed level by subtraction"
        for row in block:
            if row["suppressed"]:
                row.update({k: None for k in SUPPRESSED_FIELDS})
        rows.extend(block)
    return rows


def _suppression_reason(n: int, events: int, min_patients: int, min_events: int) -> str | None:
    if n < min_patients:
        return f"{SUPPRESSED}: fewer than {min_patients} patients"
    if events < min_events:
        return f"{SUPPRESSED}: fewer than {min_events} events"
    if n - events < min_events:
        return f"{SUPPRESSED}: fewer than {min_events} non-events"
    return None


def _level_order(level: str):
    order = {"<50": 0, "50-64": 1, ">=65": 2, "missing": 99}
    try:
        return (order.get(level, 50), float(level.split()[0]), level)
    except (ValueError, IndexError):
        return (order.get(level, 50), 0.0, level)


def _none_if_nan(value):
    if value is None:
        return None
    if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: _none_if_nan(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def validate_model(fit_predict: Callable, X, y, groups=None, *, oof_proba=None, n_parameters: int, n_boot: int = 200,
                   seed: int = 0, progress: Callable[[int, int], None] | None = None, curve_boot: int = 200,
                   min_subgroup_patients: int = SUPPRESS_PATIENTS, min_subgroup_events: int = SUPPRESS_EVENTS) -> dict:
    """The whole internal-validation report as JSON-able data.

    Headline metrics: apparent, optimism, optimism-corrected with 95% CI (bootstrap of the whole
    procedure) and, when ``oof_proba`` is given, cross-validated. The calibration curve, decision
    curve, threshold table and subgroups use the out-of-fold predictions when given (honest
    predictions for every patient), else the apparent ones (flagged in ``warnings``).
    ``groups`` defaults to :func:`default_subgroups` of ``X`` when ``X`` is a DataFrame; subgroup
    levels below ``min_subgroup_patients`` patients or ``min_subgroup_events`` events are suppressed
    (:func:`subgroup_performance`), and ``subgroup_suppression`` records the two thresholds.
    """
    y_arr = np.asarray(y).astype(float)
    n, events = len(y_arr), int(y_arr.sum())
    if events == 0 or events == n:
        raise RashriskError(f"validation: {events} events among {n} patients; expected both events and non-events")
    boot = bootstrap_optimism(fit_predict, X, y, n_boot=n_boot, seed=seed, progress=progress)
    warnings: list[str] = []
    if oof_proba is not None:
        _, p_display = check_outcomes_and_risks(y_arr, oof_proba, what="out-of-fold predictions")
        cross_validated = performance_metrics(y_arr, p_display)
        source = "out-of-fold"
    else:
        p_display, cross_validated, source = boot["apparent_proba"], None, "apparent"
        warnings.append("curves, threshold table and subgroups use apparent (in-sample) predictions: optimistic")
    metrics = {}
    for name in METRIC_NAMES:
        metrics[name] = {key: _none_if_nan(boot[key][name])
                         for key in ("apparent", "optimism", "corrected", "ci_low", "ci_high")}
        metrics[name]["cross_validated"] = None if cross_validated is None else _none_if_nan(cross_validated[name])
        metrics[name]["n_boot_valid"] = boot["n_boot_valid"][name]
    c_for_riley = metrics["auroc"]["corrected"]
    riley = riley_minimum_sample_size(
        int(n_parameters), events / n,
        c_statistic=min(max(c_for_riley, 0.55), 0.95) if c_for_riley is not None else None)
    epp = events / n_parameters
    if n < riley["minimum_n"]:
        warnings.append(f"cohort of {n} patients ({events} events) is below the Riley minimum sample size of "
                        f"{riley['minimum_n']} ({riley['minimum_events']} events) for {n_parameters} candidate parameters: "
                        "expect overfitting; prefer the optimism-corrected figures")
    if epp < 10:
        warnings.append(f"{epp:.1f} events per candidate parameter (fewer than 10)")
    slope = metrics["calibration_slope"]["corrected"]
    if slope is not None and slope < 0.8:
        warnings.append(f"optimism-corrected calibration slope {slope:.2f} < 0.8: predictions too extreme")
    if groups is None and isinstance(X, pd.DataFrame):
        groups = default_subgroups(X)
    subgroups = (subgroup_performance(y_arr, p_display, groups, min_patients=min_subgroup_patients,
                                      min_events=min_subgroup_events)
                 if groups is not None and len(pd.DataFrame(groups).columns) else [])
    return {
        "schema": REPORT_SCHEMA,
        "n": n,
        "events": events,
        "prevalence": events / n,
        "n_parameters": int(n_parameters),
        "events_per_parameter": epp,
        "bootstrap": {"n_boot": n_boot, "seed": seed, "level": boot["level"],
                      "method": "Harrell optimism correction; percentile spread of the resamples (apparent or, if wider, out-of-sample) centred on the corrected value (after Noma 2021)"},
        "metrics": metrics,
        "display_predictions": source,
        "calibration_curve": _records(calibration_curve(y_arr, p_display, n_boot=curve_boot, seed=seed)),
        "decision_curve": _records(decision_curve(y_arr, p_display)),
        "threshold_table": _records(threshold_table(y_arr, p_display)),
        "subgroups": [{k: _none_if_nan(v) for k, v in row.items()} for row in subgroups],
        "subgroup_suppression": {"min_patients": int(min_subgroup_patients), "min_events": int(min_subgroup_events)},
        "sample_size": riley,
        "warnings": warnings,
    }


def prediction_instability(point, member_risks, band: Callable) -> dict:
    """Prediction instability after Riley and Collins (Biometrical Journal 2023): how far each
    patient's risk moves between models developed the same way on bootstrap resamples.

    ``point``: the model's risks (n,); ``member_risks``: the bootstrap models' risks (n, B);
    ``band``: risks -> band labels (the card's bands). Returns the mean over patients of the mean
    absolute difference (MAPE), its 90th percentile over patients, and how often the band changes.
    """
    point = np.asarray(point, dtype=np.float64)
    members = np.asarray(member_risks, dtype=np.float64)
    if members.ndim != 2 or members.shape[0] != point.shape[0] or members.shape[1] == 0:
        raise RashriskError(f"prediction instability: member risks of shape {members.shape}; "
                            f"expected ({point.shape[0]}, number of bootstrap models)")
    per_patient = np.abs(members - point[:, None]).mean(axis=1)
    changed = np.asarray(band(members)) != np.asarray(band(point))[:, None]
    return {"n_models": int(members.shape[1]), "mape_mean": float(per_patient.mean()),
            "mape_p90": float(np.quantile(per_patient, 0.9)), "band_change_share": float(changed.mean()),
            "patients_with_any_band_change": float(changed.any(axis=1).mean()),
            "method": ("bootstrap refits of the selected model (preprocessing, hyperparameters and calibration "
                       "fixed) scored on the training patients; Riley and Collins 2023")}


def instability_sentence(instability: dict) -> str:
    """One plain sentence for the card and the validation report."""
    return (f"Across {instability['n_models']} models refitted on bootstrap resamples, a patient's risk moves by "
            f"{instability['mape_mean']:.3f} on average (mean absolute difference; 90th percentile of patients "
            f"{instability['mape_p90']:.3f}), and the risk band changes in {instability['band_change_share']:.1%} of "
            f"refits ({instability['patients_with_any_band_change']:.0%} of patients at least once).")


_LABELS = {
    "auroc": "AUROC", "auprc": "AUPRC", "brier": "Brier score", "scaled_brier": "Scaled Brier",
    "calibration_intercept": "Calibration intercept", "calibration_slope": "Calibration slope",
    "ici": "ICI", "e50": "E50", "e90": "E90", "log_loss": "Log-loss",
}


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def validation_report_markdown(report: dict) -> str:
    """Render a :func:`validate_model` report as Markdown (no patient-level data)."""
    lines = ["# Internal validation", ""]
    lines.append(f"{report['n']} patients, {report['events']} events (prevalence {report['prevalence']:.1%}); "
                 f"{report['n_parameters']} candidate parameters, {report['events_per_parameter']:.1f} events per parameter.")
    boot = report["bootstrap"]
    lines += ["", f"Optimism correction: {boot['n_boot']} bootstrap resamples of the whole procedure (seed {boot['seed']}); "
              f"{boot['method']}.", ""]
    if report["warnings"]:
        lines += ["## Warnings", ""] + [f"- {w}" for w in report["warnings"]] + [""]
    lines += ["## Performance", "", "| metric | apparent | optimism | corrected | 95% CI | cross-validated |",
              "|---|---|---|---|---|---|"]
    for name, m in report["metrics"].items():
        lines.append(f"| {_LABELS.get(name, name)} | {_fmt(m['apparent'])} | {_fmt(m['optimism'])} | {_fmt(m['corrected'])} "
                     f"| {_fmt(m['ci_low'])} to {_fmt(m['ci_high'])} | {_fmt(m['cross_validated'])} |")
    lines += ["", f"## Classification at risk thresholds ({report['display_predictions']} predictions)", "",
              "| threshold | flagged | sensitivity | specificity | PPV | NPV |", "|---|---|---|---|---|---|"]
    for r in report["threshold_table"]:
        lines.append(f"| {r['threshold']:.0%} | {r['n_flagged']} ({r['share_flagged']:.0%}) | {_pct(r['sensitivity'])} "
                     f"| {_pct(r['specificity'])} | {_pct(r['ppv'])} | {_pct(r['npv'])} |")
    lines += ["", "## Net benefit (selected thresholds)", "", "| threshold | model | treat all | treat none |", "|---|---|---|---|"]
    for r in report["decision_curve"]:
        if round(r["threshold"] * 100) in (1, 5, 10, 15, 20, 25, 30):
            lines.append(f"| {r['threshold']:.0%} | {_fmt(r['net_benefit_model'], 4)} | {_fmt(r['net_benefit_treat_all'], 4)} | 0 |")
    if report["subgroups"]:
        lines += ["", "## Subgroups", ""]
        rule = report.get("subgroup_suppression")
        if rule:
            lines += [f"Levels with fewer than {rule['min_patients']} patients or {rule['min_events']} events "
                      "(or non-events) are suppressed: no counts and no figures.", ""]
        lines += ["| variable | level | n | events | observed | expected | AUROC (95% CI) |", "|---|---|---|---|---|---|---|"]
        for r in report["subgroups"]:
            auc = r["note"] if r["note"] else f"{r['auroc']:.3f} ({r['auroc_ci_low']:.3f} to {r['auroc_ci_high']:.3f})"
            lines.append(f"| {r['variable']} | {r['level']} | {_fmt(r['n'])} | {_fmt(r['events'])} | {_pct(r['observed_risk'], 1)} "
                         f"| {_pct(r['expected_risk'], 1)} | {auc} |")
    if report.get("instability"):
        lines += ["", "## Prediction instability (Riley and Collins 2023)", "", instability_sentence(report["instability"])]
    s = report["sample_size"]
    lines += ["", "## Sample size (Riley et al.)", "",
              f"Anticipated Cox-Snell R2 {s['r2_cs']:.3f} ({s['r2_cs_source']}), {s['n_parameters']} parameters, "
              f"prevalence {s['prevalence']:.3f}: minimum {s['minimum_n']} patients ({s['minimum_events']} events, "
              f"{s['events_per_parameter']:.1f} per parameter); this cohort has {report['n']}.", ""]
    for c in s["criteria"]:
        lines.append(f"- criterion {c['criterion']} ({c['description']}): n = {c['n']}")
    return "\n".join(lines) + "\n"


def _pct(value, digits: int = 0) -> str:
    return "-" if value is None else f"{value:.{digits}%}"

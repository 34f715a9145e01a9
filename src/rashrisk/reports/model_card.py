"""The model report as data: the model card arranged by TRIPOD+AI items, ``build_model_report_data``.

Sources: the bundle's card (always) and, when given, the full validation report of the training
run (``validation/report.json``: decision curve, threshold table, subgroups, sample size). An item
whose information is not available says so rather than being left out.
"""

from __future__ import annotations

import datetime as dt

from rashrisk._json import json_safe
from rashrisk._version import __version__
from rashrisk.scoring.score import is_simulated

METRIC_LABELS = {"auroc": "AUROC", "auprc": "AUPRC", "brier": "Brier score", "scaled_brier": "scaled Brier score",
                 "calibration_slope": "calibration slope", "calibration_intercept": "calibration intercept (in the large)",
                 "ici": "ICI (integrated calibration index)"}
DISCRIMINATION = ("auroc", "auprc")
CALIBRATION = ("calibration_slope", "calibration_intercept", "ici", "brier", "scaled_brier")
NOT_AVAILABLE = ("not in the model card; pass the training run's validation report (validation/report.json) with "
                 "--validation, or name the model by its registry URI (models:/...) to read it from the run")


def _metrics(card_validation: dict, names) -> list[dict]:
    rows = []
    for name in names:
        m = (card_validation or {}).get(name)
        if m:
            rows.append({"metric": METRIC_LABELS.get(name, name), **{k: m.get(k) for k in
                         ("apparent", "corrected", "ci_low", "ci_high", "cross_validated")}})
    return rows


def _fmt(value, digits: int = 3) -> str:
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return "n/a"


def _riley_text(sample, n) -> str | None:
    """One sentence from the Riley et al. minimum sample size calculation (pmsampsize criteria)."""
    if not isinstance(sample, dict) or sample.get("minimum_n") is None:
        return None
    text = (f"Riley minimum sample size for {sample.get('n_parameters')} candidate parameters at a prevalence of "
            f"{100 * float(sample.get('prevalence', 0)):.1f}%: {int(sample['minimum_n']):,} patients "
            f"({int(sample.get('minimum_events') or 0):,} events)")
    if n is not None:
        text += (f"; this cohort has {int(n):,} patients" +
                 (" (smaller: expect more overfitting than the target shrinkage)" if int(n) < int(sample["minimum_n"]) else ""))
    return text + "."


def build_model_report_data(model, *, validation: dict | None = None, source: str = "",
                            generated_on: dt.date | None = None) -> dict:
    """The TRIPOD+AI items of ``model`` (a RiskModel) as JSON-able data."""
    card = model.card.to_dict()  # the card as data: this report is data too
    trained = card.get("trained_on") or {}
    v = card.get("validation") or {}
    report = validation or {}
    family = (card.get("model") or {})
    sample = report.get("sample_size") or v.get("sample_size")
    items = [
        {"id": "source_of_data", "title": "Source of data",
         "text": f"Cohort {trained.get('cohort')} ({'simulated' if trained.get('simulated') else 'observed'} data).",
         "fingerprint": trained.get("fingerprint")},
        {"id": "participants", "title": "Participants",
         "text": f"{trained.get('n')} patients included; exclusions: "
                 + ("; ".join(f"{k}: {n}" for k, n in (trained.get("excluded") or {}).items()) or "none") + "."},
        {"id": "outcome", "title": "Outcome", "text": card.get("outcome", "")},
        {"id": "predictors", "title": "Predictors and their timing", "predictors": card.get("predictors", []),
         "text": ("Landmark window: days " + "-".join(str(d) for d in card["landmark_days"]) + " on treatment."
                  if card.get("landmark_days") else "All predictors are known before the first dose.")},
        {"id": "sample_size", "title": "Sample size",
         "text": f"{trained.get('n')} patients, {trained.get('events')} events"
                 + (f"; {v['events_per_parameter']:.1f} events per candidate parameter" if v.get("events_per_parameter") else "")
                 + ".", "riley": _riley_text(sample, trained.get("n"))},
        {"id": "missing_data", "title": "Missing data",
         "text": ("Missing continuous and categorical inputs are imputed by values learned when fitting (training data "
                  "only); a genotype no-call is never read as the reference genotype: it is an explicit missing "
                  "indicator. A priori troughs use the PK model's reference value for a missing covariate, and the "
                  "report flags it.")},
        {"id": "model", "title": "Model development",
         "text": f"Selected {family.get('family')} {family.get('params')}; calibration: {family.get('calibration')} "
                 f"(intercept {_fmt(family.get('calibration_intercept'))}, slope {_fmt(family.get('calibration_slope'))}); "
                 f"PK model {card['pk_model']['name']} (content sha256 {card['pk_model']['sha256'][:12]}).", "candidates": card.get("candidates", [])},
        {"id": "validation", "title": "Validation",
         "text": f"Internal: bootstrap optimism correction ({v.get('n_boot')} resamples of the whole procedure) and "
                 "nested cross-validation of the selection. No external validation.",
         "nested_cv": v.get("nested_cv")},
        {"id": "discrimination", "title": "Discrimination", "metrics": _metrics(v, DISCRIMINATION)},
        {"id": "calibration", "title": "Calibration", "metrics": _metrics(v, CALIBRATION)},
        {"id": "decision_curve", "title": "Decision curve (net benefit)",
         "rows": report.get("decision_curve") or [], "threshold_table": report.get("threshold_table") or [],
         "text": "" if report.get("decision_curve") else NOT_AVAILABLE},
        {"id": "subgroups", "title": "Subgroups", "rows": report.get("subgroups") or [],
         "text": "" if report.get("subgroups") else NOT_AVAILABLE},
        {"id": "limitations", "title": "Limitations", "list": list(card.get("limitations", []))
         + list(v.get("warnings", []))},
    ]
    return json_safe({
        "schema": "rashrisk.model-report/1",
        "name": model.name, "version": str(model.version), "bundle_sha256": model.bundle_sha256,
        "stage": model.stage, "source": source,
        "generated_on": (generated_on or dt.date.today()).isoformat(), "rashrisk_version": __version__,
        "intended_use": card.get("intended_use", ""), "disclaimer": card.get("disclaimer", ""),
        "simulated": is_simulated(model),
        "band_thresholds": card.get("band_thresholds", {}), "baseline_risk": card.get("baseline_risk"),
        "items": items,
    })

"""The clinician report as data: ``build_report_data(...) -> dict`` (JSON-able; the API returns it).

The HTML/PDF rendering (:mod:`rashrisk.reports.render`) only lays this dict out.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from rashrisk._json import json_safe
from rashrisk._version import __version__
from rashrisk.errors import RashriskError
from rashrisk.explanations.counterfactual import counterfactuals
from rashrisk.explanations.local import explain_factors, factor_rows, risk_alleles_of
from rashrisk.explanations.phrases import genotype_with_count, variant_alleles
from rashrisk.pk.apriori import predict_trough
from rashrisk.reports.options import REFERENCES, options_for
from rashrisk.reports.pk_populations import optional_float, population_check
from rashrisk.reports.skin import skin_block
from rashrisk.reports.thresholds import setting_mismatch, trough_threshold, verdict
from rashrisk.scoring.score import build_frame, exclusion_reason, is_simulated, loader_warnings, served_risk, used_inputs
from rashrisk.scoring.warnings import patient_warnings, pk_reference_warnings, pk_sample_warnings

STAGE_LABELS = {"start": "at imatinib start", "tdm": "after the first trough (TDM)"}
INPUT_LABELS = {
    "sex": ("sex", ""), "age_years": ("age", "years"), "weight_kg": ("weight", "kg"), "height_cm": ("height", "cm"),
    "bsa_m2": ("body surface area", "m²"), "albumin_g_l": ("albumin", "g/L"), "ancestry": ("ancestry", ""),
    "setting": ("setting", ""), "start_dose_mg": ("start dose", "mg/day"),
    "apriori_trough_ng_ml": ("a priori trough (population PK)", "ng/mL"), "tdm_day": ("day of the TDM sample", "day"),
    "map_trough_ng_ml": ("MAP 24-h trough", "ng/mL"), "trough_ratio_to_apriori": ("trough / a priori", "ratio"),
}
# a contract column whose warning belongs beside a model input of another name
SOURCE_COLUMNS = {"concentration": "map_trough_ng_ml", "last_dose_time": "map_trough_ng_ml",
                  "sample_time": "tdm_day"}
STATUS_WORDS = {"measured": "measured", "derived": "derived", "predicted": "predicted (PK model)",
                "defaulted": "defaulted (PK reference value)", "missing": "imputed (not recorded)",
                "no-call": "no-call"}


def in_words(risk: float) -> str:
    """'about 9 of 100 similar patients' (fewer than 1 of 100 below 0.5%)."""
    n = int(round(100 * risk))
    if n < 1:
        return "fewer than 1 of 100 similar patients"
    return f"about {n} of 100 similar patients"


def _format_value(column: str, value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if column.endswith("_alt_count"):
        return genotype_with_count(column.removesuffix("_alt_count"), int(round(float(value))))
    if isinstance(value, (float, np.floating)):
        if column == "trough_ratio_to_apriori":
            return f"{value:.2f}"
        if column == "bsa_m2":
            return f"{value:.2f}"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}".removesuffix(".0")
    return str(value)


def input_table(frame, pid: str, used: list[str], pk_covariates=(), value_warnings=None) -> list[dict]:
    """Every clinical input of the patient with its value, unit, where it came from and whether the
    risk model uses it ('yes'), only the PK model's a priori trough does ('via PK'), or neither ('no').

    ``value_warnings``: the cohort loader's warnings on this patient's rows (messages naming file,
    column, line, value and rule); a warning about an input is shown beside its value (``warnings``,
    appended to ``status_text``) and flags the row."""
    by_column: dict[str, list[str]] = {}
    for message in value_warnings or []:
        for column in frame.X.columns:
            sources = (column, *[c for c, shown in SOURCE_COLUMNS.items() if shown == column])
            if any(f", column {c}," in message for c in sources):
                by_column.setdefault(column, []).append(message)
    row = frame.X.loc[pid]
    provenance = frame.provenance.loc[pid]
    rows = []
    for column in frame.X.columns:
        if column.endswith("_alt_count"):
            gene = variant_alleles(column.removesuffix("_alt_count"))[0]
            label, unit = f"{gene} {column.removesuffix('_alt_count')} genotype".strip(), ""
        else:
            label, unit = INPUT_LABELS.get(column, (column.replace("_", " "), ""))
        status = str(provenance.get(column, "measured"))
        checks = by_column.get(column, [])
        status_text = STATUS_WORDS.get(status, status)
        if checks:
            status_text += " — check: " + "; ".join(m.split(" ... expected ", 1)[-1] for m in checks)
        rows.append({"input": column, "label": label, "value": _format_value(column, row[column]), "unit": unit,
                     "status": status, "status_text": status_text, "used_by_model": column in used,
                     "use": "yes" if column in used else "via PK" if column in pk_covariates else "no",
                     "flag": status in ("missing", "defaulted", "no-call") or bool(checks), "warnings": checks})
    return rows


def _risk_block(model, X: pd.DataFrame, attributions) -> dict:
    risk, low, high = (float(np.asarray(v)[0]) for v in served_risk(model, X, attributions))
    card = model.card
    baseline = optional_float(card.baseline_risk)
    return {
        "risk": risk, "risk_low": low, "risk_high": high, "band": str(model.band([risk])[0]),
        "band_thresholds": {"low_below": card.band_thresholds.low_below, "high_from": card.band_thresholds.high_from},
        "baseline_risk": baseline,
        "in_words": in_words(risk),
        "interval_in_words": f"between {int(round(100 * low))} and {int(round(100 * high))} of 100",
        "baseline_in_words": None if baseline is None else in_words(baseline).replace("similar patients", "patients in the training cohort"),
        "relative_to_baseline": None if not baseline else risk / baseline,
        "icons": {"total": 100, "risk": int(round(100 * risk)), "low": int(round(100 * low)), "high": int(round(100 * high))},
    }


def _factors(model, X: pd.DataFrame):
    """(the patient's factors, strongest first, and the explanation they come from)."""
    contributions, attributions = explain_factors(model, X)
    rows = factor_rows(model, X, contributions, attributions)
    # direction, status and statement claim only what the model established (rashrisk.models.effects)
    items = [{"factor": f, "description": d, "contribution": float(c), "direction": t, "effect_status": e,
              "established": e == "established", "statement": w}
             for f, d, c, t, e, w in rows[["factor", "description", "contribution", "direction", "effect_status",
                                           "statement"]].itertuples(index=False)]
    items.sort(key=lambda d: -abs(d["contribution"]))
    return items, attributions


def _model_block(model, source: str) -> dict:
    card = model.card
    trained = card.trained_on
    return {"name": model.name, "version": str(model.version), "bundle_sha256": model.bundle_sha256,
            "source": source, "stage": model.stage, "intended_use": card.intended_use, "disclaimer": card.disclaimer,
            "simulated": is_simulated(model),
            "trained_on": {"cohort": trained.cohort, "n": trained.n, "events": trained.events,
                           "simulated": trained.simulated},
            "pk_model": {"name": card.pk_model.name, "sha256": card.pk_model.sha256},
            "limitations": list(card.limitations)}


def _trough_block(cohort, frame, pid: str, pk_model, stage: str, threshold=None) -> dict:
    patients = cohort.patients.copy()
    patients["patient_id"] = patients["patient_id"].astype(str)
    covariates = patients.set_index("patient_id").loc[[pid]]
    genotypes = frame.X.loc[[pid], [c for c in frame.X.columns if c.endswith("_alt_count")]]
    covariates = pd.concat([covariates, genotypes], axis=1).reset_index()
    dose = float(covariates["start_dose_mg"].iloc[0])
    apriori = predict_trough(covariates, dose, model=pk_model, n_sim=2000, seed=0).iloc[0]
    threshold = trough_threshold(threshold)
    block = {"threshold_ng_ml": threshold.value_ng_ml, "threshold": threshold.to_dict(),
             "threshold_reference": threshold.reference,
             "pk_model": pk_model.name, "start_dose_mg": dose,
             "apriori_ng_ml": optional_float(apriori["trough_typical_ng_ml"]), "apriori_p05_ng_ml": optional_float(apriori["trough_p05_ng_ml"]),
             "apriori_p95_ng_ml": optional_float(apriori["trough_p95_ng_ml"]),
             "pk_domain_warnings": [w for w in str(apriori["domain_warnings"]).split("; ") if w],
             "pk_defaulted_covariates": [c for c in str(apriori["imputed_covariates"]).split(", ") if c],
             "measured": None, "map_ng_ml": None}
    if stage == "tdm":
        if pid in frame.landmark_samples.index:  # the sample and the MAP fit of the model frame itself
            s = frame.landmark_samples.loc[pid]
            block["measured"] = {"concentration_ng_ml": optional_float(s["concentration_ng_ml"]),
                                 "hours_after_dose": optional_float(s["hours_after_dose"]),
                                 "day_on_treatment": optional_float(s["day_on_treatment"]), "dose_mg": optional_float(s["dose_mg"])}
            block["map_low_ng_ml"] = optional_float(frame.map_interval.loc[pid, "trough_low_ng_ml"])
            block["map_high_ng_ml"] = optional_float(frame.map_interval.loc[pid, "trough_high_ng_ml"])
        block["map_ng_ml"] = optional_float(frame.X.loc[pid, "map_trough_ng_ml"])
        ratio = optional_float(frame.X.loc[pid, "trough_ratio_to_apriori"])
        block["ratio_to_apriori"] = ratio
    block.update(_threshold_statement(block, threshold))
    block["pk_population"] = pk_model.population
    block["pk_reference_warnings"] = pk_reference_warnings(covariates, pk_model)[0]
    patient = covariates.iloc[0].to_dict()
    block["pk_population_check"] = population_check(pk_model.name, patient)
    block["threshold_context"] = threshold.context()
    block["setting"] = None if pd.isna(patient.get("setting")) else str(patient.get("setting"))
    block["setting_warning"] = setting_mismatch(block["setting"], threshold)
    return block


def _threshold_statement(block: dict, threshold) -> dict:
    """The trough compared with the efficacy threshold through its 90% interval: 'below', 'at or above',
    or 'cannot tell' when the interval spans the threshold."""
    if block["map_ng_ml"] is not None:
        which, value = "The MAP 24-h trough", block["map_ng_ml"]
        low, high, kind = block.get("map_low_ng_ml"), block.get("map_high_ng_ml"), "90% interval"
    else:
        which, value = "The a priori predicted trough", block["apriori_ng_ml"]
        low, high, kind = block["apriori_p05_ng_ml"], block["apriori_p95_ng_ml"], "90% prediction interval"
    found = verdict(low, high, threshold.value_ng_ml)
    if value is None or found is None:
        return {"threshold_verdict": None}
    where = f"{which} is {value:,.0f} ng/mL ({kind} {low:,.0f}-{high:,.0f})"
    named = (f"the {threshold.label()} efficacy threshold ({threshold.source}; {threshold.day}, "
             f"{threshold.setting} GIST)")
    if found == "cannot tell":
        text = f"{where}: cannot tell whether it is below or above {named}, because the interval spans it."
    else:
        text = f"{where}: {found} {named} over the whole interval."
    return {"threshold_verdict": found, "statement": text}


def one_patient_cohort(cohort, pid: str):
    """The cohort restricted to one patient (the cohort's ancestry, used to pick a PK model, is kept)."""
    import dataclasses

    def only(table):
        if table is None or "patient_id" not in getattr(table, "columns", []):
            return table
        return table[table["patient_id"].astype(str) == pid]

    return dataclasses.replace(cohort, patients=only(cohort.patients), genotypes=only(cohort.genotypes),
                               tdm=only(cohort.tdm), outcomes=only(cohort.outcomes))


def _patient_frame(scoring_input, stage: str, model, pid: str):
    if pid not in scoring_input.patient_ids:
        shown = ", ".join(scoring_input.patient_ids[:5])
        raise RashriskError(f"patient {pid!r} is not in {scoring_input.source} (patients.csv); "
                            f"expected one of its patient_id values, e.g. {shown}")
    if pid in scoring_input.rejected:
        raise RashriskError(f"patient {pid!r} cannot be reported: {scoring_input.rejected[pid]}")
    frame, pk_model = build_frame(one_patient_cohort(scoring_input.cohort, pid), stage, model)
    if pid not in frame.X.index:
        reason = dict(frame.excluded[["patient_id", "reason"]].astype(str).itertuples(index=False, name=None)).get(pid, "")
        reason = exclusion_reason(scoring_input.cohort, pid, reason, frame.landmark) if reason else "not in the model frame"
        raise RashriskError(f"patient {pid!r} cannot be scored at the {stage} stage: {reason}")
    return frame, pk_model


def build_report_data(patient_id: str, scoring_input, stage: str, model, *, start_model=None,
                      model_source: str = "", generated_on: dt.date | None = None, skin: dict | None = None,
                      trough_threshold=None) -> dict:
    """Everything the clinician report shows for one patient, as JSON-able data.

    ``skin``: the patient's skin record, checked (:func:`rashrisk.scoring.patient_json.check_skin_record`;
    None = not given: the red-flag screen is shown as a checklist, never desensitisation).
    ``trough_threshold``: 1100 (default) or 760 ng/mL (:mod:`rashrisk.reports.thresholds`).

    ``scoring_input``: from :func:`rashrisk.scoring.inputs.load_scoring_input`. At the TDM stage
    ``start_model`` (the start-stage model) is scored too, to show how the risk moved and why.
    """
    pid = str(patient_id)
    if stage not in STAGE_LABELS:
        raise RashriskError(f"--stage {stage!r}; expected one of {', '.join(STAGE_LABELS)}")
    frame, pk_model = _patient_frame(scoring_input, stage, model, pid)
    X = frame.X.loc[[pid]]
    used = used_inputs(model, X.columns)
    factors, attributions = _factors(model, X)
    risk = _risk_block(model, X, attributions)
    trough = _trough_block(scoring_input.cohort, frame, pid, pk_model, stage, trough_threshold)
    carried = [c for c in trough["pk_defaulted_covariates"] if c in frame.X.columns]  # named in the a priori warning
    warnings = patient_warnings(frame.provenance.loc[[pid]], X, model, used, pk_reference=(pk_model.name, carried))[0]
    warnings += [f"PK model {pk_model.name}: {w}" for w in trough["pk_domain_warnings"]]
    warnings += [f"PK model {pk_model.name}: patient outside its population: {w}"
                 for w in trough["pk_population_check"]["outside"]]
    if trough["setting_warning"]:
        warnings.append(trough["setting_warning"])
    warnings += trough["pk_reference_warnings"] + pk_sample_warnings(frame)[0]
    # the frame holds this one patient: its loader warnings are the first (only) row
    value_warnings = [w.removeprefix("input warning: ") for w in loader_warnings(scoring_input, frame, stage)[0]]
    warnings = [f"input warning: {w}" for w in value_warnings] + warnings

    data = {
        "schema": "rashrisk.patient-report/1",
        "patient_id": pid,
        "generated_on": (generated_on or dt.date.today()).isoformat(),
        "stage": stage,
        "stage_label": STAGE_LABELS[stage],
        "rashrisk_version": __version__,
        "model": _model_block(model, model_source),
        "risk": risk,
        "factors": factors,
        "base_value": float(attributions.base_value[0]),
        "model_logit": float(attributions.model_logit[0]),
        "counterfactuals": (found := counterfactuals(model, X, risk_alleles=risk_alleles_of(model),
                                                     averaged=attributions.no_calls)[pid]),
        # a genotype no-call: what testing would change (the risk shown is averaged over the genotypes)
        "genotyping": [c["statement"] for c in found if "genotype_risks" in c],
        "inputs": input_table(frame, pid, used, tuple(getattr(pk_model, "covariates", {}) or ()), value_warnings),
        "trough": trough,
        "warnings": warnings,
        "change": None,
        "skin": skin_block(skin),
        "options": options_for(risk["band"], stage=stage, skin=skin, threshold=trough_threshold,
                               trough_verdict=trough.get("threshold_verdict") if stage == "tdm" else None),
        "references": dict(REFERENCES),
    }
    if stage == "tdm" and start_model is not None:
        data["change"] = _change_block(scoring_input, start_model, pid, risk, factors)
    return json_safe(data)


def cause_of_change(moved: list[dict], sign: int) -> dict | None:
    """The factor to name for a change of ``sign`` (+1 rose, -1 fell, 0 about the same): the largest shift
    among those moving the estimate the way it went (a rise is never explained by a fall); ``moved`` is
    sorted by absolute shift. None when no factor moved that way."""
    return next((d for d in moved if sign == 0 or d["delta"] * sign > 0), None)


def _change_block(scoring_input, start_model, pid: str, tdm_risk: dict, tdm_factors: list[dict]) -> dict:
    """Start-stage estimate of the same patient and why the TDM-stage estimate differs."""
    frame, _ = _patient_frame(scoring_input, "start", start_model, pid)
    X = frame.X.loc[[pid]]
    start_factors, attributions = _factors(start_model, X)
    start = _risk_block(start_model, X, attributions)
    before = {f["factor"]: f for f in start_factors}
    moved = []
    for f in tdm_factors:
        old = before.get(f["factor"])
        delta = f["contribution"] - (old["contribution"] if old else 0.0)
        moved.append({"factor": f["factor"], "description": f["description"], "start_contribution":
                      old["contribution"] if old else None, "tdm_contribution": f["contribution"], "delta": delta,
                      "new_at_tdm": old is None, "established": f.get("established", False)})
    moved.sort(key=lambda d: -abs(d["delta"]))
    change = tdm_risk["risk"] - start["risk"]
    sign = 1 if change > 0.005 else -1 if change < -0.005 else 0
    direction = {1: "rose", -1: "fell", 0: "stayed about the same"}[sign]
    lead = cause_of_change(moved, sign)
    why = ""
    if lead is not None:
        why = (f"The largest {'shift' if sign == 0 else 'change in that direction'} comes from {lead['description']} "
               f"({'new information at TDM' if lead['new_at_tdm'] else 'weighted differently by the TDM-stage model'}, "
               f"{lead['delta']:+.2f} log-odds).")
        if not lead["established"]:
            why += (" The model did not establish the direction of this factor's effect: the shift is the models' "
                    "arithmetic, not evidence that the factor changed the risk.")
    elif moved:
        why = ("No single factor's contribution moved that way; the change comes from the two models' different "
               "baselines and the sum of smaller shifts.")
    base_note = ""
    if start.get("baseline_risk") and tdm_risk.get("baseline_risk"):
        base_note = (f" The TDM-stage model applies to patients still rash-free at their first sample, whose average "
                     f"risk is {100 * tdm_risk['baseline_risk']:.1f}% (against {100 * start['baseline_risk']:.1f}% at "
                     "start); part of the change comes from that.")
    return {"start": start, "start_model": f"{start_model.name} {start_model.version}",
            "risk_change": change,
            "statement": (f"The estimate {direction}: from {100 * start['risk']:.1f}% at imatinib start to "
                          f"{100 * tdm_risk['risk']:.1f}% after the first trough. " + why + base_note).strip(),
            "factor_changes": moved[:5]}

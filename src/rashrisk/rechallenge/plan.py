"""The re-challenge plan as data: ``build_rechallenge_plan(...) -> dict`` (JSON-able, the same dict
feeds the HTML/PDF and the API).

Refusals (:class:`RechallengeRefused`, a user error: one message, no traceback): the patient is not
in the input; no skin record, or a red flag of a severe cutaneous reaction present or not recorded;
the onset day is unknown; the history holds no usable sample (a measured concentration, not below the
LOQ); no onset trough (no usable sample near onset and none given).
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from rashrisk._json import json_safe
from rashrisk._version import __version__
from rashrisk.errors import RashriskError
from rashrisk.pk.model import PopPKModel
from rashrisk.rechallenge import chart, estimate, history, ladder
from rashrisk.rechallenge import prior as prior_mod
from rashrisk.rechallenge.config import RechallengeConfig, default_config
from rashrisk.reports.skin import skin_block
from rashrisk.reports.thresholds import setting_mismatch

DISCLAIMER = ("Decision support for research use, not a medical device. The plan lists options with their basis; "
              "every dose decision is the clinician's. rashrisk never chooses steroid doses.")
SIMULATED = ("Simulated data: this patient comes from a simulated cohort; the plan shows how the method works, "
             "not a real patient's doses.")


class RechallengeRefused(RashriskError):
    """No plan can be made for this patient (the message says why and what would allow one)."""


def _patient(cohort, patient_id: str) -> pd.Series:
    ids = cohort.patients["patient_id"].astype(str)
    if (ids == patient_id).any():
        return cohort.patients[ids == patient_id].iloc[0]
    rows = (getattr(cohort, "input_rows", None) or {}).get("patients")
    why = ""
    if rows is not None:
        for i, pid in enumerate(rows.patient_id):
            if pid == patient_id and not rows.accepted[i]:
                why = f"; its patients row was rejected: {rows.reason(i)}"
                break
    raise RechallengeRefused(f"patient {patient_id!r} is not in {cohort.name!r}{why}; expected a patient_id of its patients table")


def _screen(skin) -> dict:
    block = skin_block(skin)
    if skin is None:
        raise RechallengeRefused("no skin record: the severe-cutaneous-reaction screen must be recorded before any "
                                 "re-challenge (give --skin FILE.json with the six red flags; docs/reports.md)")
    if block["red_flags_present"]:
        raise RechallengeRefused("no re-challenge plan: red flag of a severe cutaneous reaction present ("
                                 + ", ".join(block["red_flags_present"]) + "). Consider stopping imatinib and urgent "
                                 "dermatology review; desensitisation and re-challenge do not apply (SJS/TEN, DRESS, bullous reactions).")
    if block["red_flags_not_recorded"]:
        raise RechallengeRefused("no re-challenge plan: red flags not recorded (" + ", ".join(block["red_flags_not_recorded"])
                                 + "); not recorded is never read as absent. Record each as present or absent first.")
    return block


def _onset_day(cohort, patient_id: str, given) -> int:
    if given is not None:
        return int(given)
    outcomes = cohort.outcomes
    if outcomes is not None and len(outcomes):
        row = outcomes[outcomes["patient_id"].astype(str) == patient_id]
        if len(row) and not pd.isna(row["rash_onset_day"].iloc[0]):
            return int(row["rash_onset_day"].iloc[0])
    raise RechallengeRefused(f"patient {patient_id!r}: the rash onset day is unknown (no rash_onset_day in outcomes); "
                             "give it (--onset-day DAYS from start_date)")


def _usable(samples: pd.DataFrame) -> pd.DataFrame:
    return samples[samples["concentration_ng_ml"].notna() & ~samples["below_loq"].to_numpy(dtype=bool)
                   & (samples["concentration_ng_ml"] > 0)]


def _sample_records(samples: pd.DataFrame, new_times=(), onset_time=None) -> list[dict]:
    new = set(pd.to_datetime(pd.Series(list(new_times)), errors="coerce")) if len(new_times) else set()
    return [{"sample_time": r.sample_time, "day_on_treatment": r.day_on_treatment, "dose_mg": r.dose_mg,
             "hours_after_dose": r.hours_after_dose, "concentration_ng_ml": r.concentration_ng_ml,
             "below_loq": bool(r.below_loq), "phase": "onset" if r.sample_time == onset_time else r.phase,
             "new": r.sample_time in new}
            for r in samples.itertuples(index=False)]


def _pk_block(model: PopPKModel, est: estimate.Estimate) -> dict:
    row = est.row
    warnings = [w for w in str(row["domain_warnings"]).split("; ") if w]
    warnings += [f"sample check: {f}" for f in str(row["sample_flags"]).split("; ") if f]
    if row["imputed_covariates"]:
        warnings.append(f"reference values used for missing covariates: {row['imputed_covariates']}")
    if not bool(row["converged"]):
        warnings.append("the MAP fit did not converge: treat the predictions with caution")
    return {"name": model.name, "citation": model.citation, "population": getattr(model, "population", None),
            "overrides": list(model.overrides), "cl_l_h": est.params.get("cl_l_h"), "v_l": est.params.get("v_l"),
            "ka_per_h": est.params.get("ka_per_h"), "n_samples": int(row["n_samples"]),
            "converged": bool(row["converged"]), "trough_per_100mg_ng_ml": 100.0 * est.trough_per_mg,
            "posterior_sd_log_trough": est.sd_log, "warnings": warnings}


def _measured_after_onset(samples: pd.DataFrame) -> dict[float, list[dict]]:
    after = _usable(samples[samples["phase"] == "after onset"])
    out: dict[float, list[dict]] = {}
    for r in after.itertuples(index=False):
        out.setdefault(float(r.dose_mg), []).append({"concentration_ng_ml": float(r.concentration_ng_ml),
                                                     "hours_after_dose": float(r.hours_after_dose)})
    return out


def _plan_core(covariates, samples, onset_day, onset_trough, config, model):
    hist = history.build_history(samples, onset_day, config)
    est = estimate.fit(covariates, hist, model)
    steps = ladder.ladder_steps(est.trough_per_mg, est.sd_log, onset_trough, config, _measured_after_onset(hist.samples))
    dose, reason = ladder.maintenance(steps, config, config.ceiling_ng_ml(onset_trough))
    return hist, est, steps, dose, reason


def _changes(before_steps, before_dose, after_steps, after_dose, new_samples: pd.DataFrame, before_est) -> dict:
    lines = []
    for r in new_samples.itertuples(index=False):
        expected = before_est.trough_per_mg * float(r.dose_mg)
        lines.append(f"new sample on day {r.day_on_treatment:.1f} at {r.dose_mg:g} mg/day, {r.hours_after_dose:.1f} h "
                     f"after the dose: {r.concentration_ng_ml:,.0f} ng/mL; the plan before it predicted a 24-h trough "
                     f"of {expected:,.0f} ng/mL at that dose")
    steps = [{"dose_mg": b["dose_mg"], "predicted_before_ng_ml": b["predicted_trough_ng_ml"],
              "predicted_after_ng_ml": a["predicted_trough_ng_ml"],
              "change_pct": 100.0 * (a["predicted_trough_ng_ml"] / b["predicted_trough_ng_ml"] - 1.0),
              "p_below_onset_before": b["p_below_onset"], "p_below_onset_after": a["p_below_onset"],
              "p_effective_before": b["p_effective"], "p_effective_after": a["p_effective"]}
             for b, a in zip(before_steps, after_steps)]
    if before_dose == after_dose:
        summary = f"the proposed maintenance dose is unchanged ({'none' if after_dose is None else f'{after_dose:g} mg/day'})"
    else:
        summary = (f"the proposed maintenance dose changed from {'none' if before_dose is None else f'{before_dose:g} mg/day'} "
                   f"to {'none' if after_dose is None else f'{after_dose:g} mg/day'}")
    why = (f"the individual PK was re-estimated with {len(new_samples)} new sample(s): the predicted troughs moved by "
           f"{steps[0]['change_pct']:+.0f}% at every step (the models are linear in dose)" if steps else "")
    return {"n_new_samples": len(new_samples), "new_samples": lines, "maintenance_dose_before_mg": before_dose,
            "maintenance_dose_after_mg": after_dose, "summary": summary, "why": why, "steps": steps}


def _taper_block(taper) -> dict:
    return {"rows": [dict(r) for r in (taper or [])], "entered": bool(taper),
            "note": ("The steroid taper as entered by the clinician; rashrisk never chooses steroid doses." if taper else
                     "No steroid taper was entered. The taper is the clinician's: rashrisk never chooses steroid doses.")}


def build_rechallenge_plan(patient_id: str, cohort, *, skin, onset_day: int | None = None,
                           onset_trough_ng_ml: float | None = None, new_tdm: pd.DataFrame | None = None,
                           taper: list[dict] | None = None, config: RechallengeConfig | None = None,
                           trough_threshold=None, prior: str = "cohort", pk_model: PopPKModel | None = None,
                           prior_description: str | None = None, generated_on: str | None = None) -> dict:
    """The re-challenge plan of ``patient_id`` as a JSON-able dict (the API returns it as is).

    ``cohort``: a :class:`rashrisk.contract.cohort.Cohort` (folder or one-patient document; outcomes
    give the onset day unless ``onset_day``). ``skin``: the checked skin record (dict) or None.
    ``new_tdm``: new samples already checked by the contract (:func:`rashrisk.rechallenge.new_samples.check_new_samples`):
    the plan is made with and without them and ``changes`` says what moved and why. ``taper``: the
    clinician's steroid taper rows, shown as entered. ``trough_threshold``: 1100 or 760 (default the
    configuration's). ``prior``: ``cohort`` (the default model of the patient's ancestry re-estimated on
    the cohort's patients of that ancestry, as ``rashrisk pk fit`` does; published below 100 patients
    with samples) or ``published``; ``pk_model`` (with ``prior_description``) overrides both, e.g. a
    prior already re-estimated for many plans. Raises :class:`RechallengeRefused` (module docstring).
    """
    patient_id = str(patient_id)
    config = config or default_config()
    if trough_threshold is not None:
        config = config.with_threshold(trough_threshold)
    patient = _patient(cohort, patient_id)
    skin_state = _screen(skin)
    onset = _onset_day(cohort, patient_id, onset_day)
    old = history.patient_samples(cohort.tdm, patient_id)
    new = history.patient_samples(new_tdm, patient_id) if new_tdm is not None else old.iloc[0:0]
    samples = pd.concat([old, new], ignore_index=True).sort_values("hours_from_start", kind="stable").reset_index(drop=True)
    if _usable(samples).empty:
        raise RechallengeRefused(f"patient {patient_id!r}: the TDM history holds no usable sample ({len(samples)} sample(s), "
                                 "none with a measured concentration above the LOQ); the individual PK cannot be estimated")
    labelled = history.label_phases(samples, onset)
    onset_row = history.onset_sample(labelled, onset, config)
    onset_source = "given (--onset-trough)"
    if onset_trough_ng_ml is None:
        if onset_row is None:
            raise RechallengeRefused(f"patient {patient_id!r}: no usable sample within {config.onset_window_days_before} days "
                                     f"before the onset day {onset}; give the onset trough (--onset-trough NG_ML)")
        onset_trough_ng_ml = history.onset_trough_from_sample(onset_row, config)
        if onset_trough_ng_ml is None:
            low, high = config.correctable_hours
            raise RechallengeRefused(f"patient {patient_id!r}: the onset sample was taken {onset_row['hours_after_dose']:.1f} h "
                                     f"after the dose, outside {low:g}-{high:g} h, so it cannot be read as a trough; "
                                     "give the onset trough (--onset-trough NG_ML)")
        onset_source = (f"the sample on day {onset_row['day_on_treatment']:.1f} ({onset_row['concentration_ng_ml']:,.0f} ng/mL "
                        f"{onset_row['hours_after_dose']:.1f} h after {onset_row['dose_mg']:g} mg), projected to 24 h "
                        "(log-linear, Wang 2009, ke 0.041/h)")
    onset_trough_ng_ml = float(onset_trough_ng_ml)
    if not np.isfinite(onset_trough_ng_ml) or onset_trough_ng_ml <= 0:
        raise RechallengeRefused(f"onset trough {onset_trough_ng_ml!r}: expected a concentration above 0 ng/mL")

    covariates = estimate.patient_covariates(cohort, patient_id)
    if pk_model is None:
        model, prior_description = prior_mod.prior_for(cohort, patient_id, prior)
    else:
        model, prior_description = pk_model, prior_description or "given"
    hist, est, steps, dose, reason = _plan_core(covariates, samples, onset, onset_trough_ng_ml, config, model)
    changes = None
    if len(new):
        _, before_est, before_steps, before_dose, _ = _plan_core(covariates, old, onset, onset_trough_ng_ml, config, model)
        changes = _changes(before_steps, before_dose, steps, dose, new, before_est)

    warnings = []
    if skin_state["rash_grade"] is not None and skin_state["rash_grade"] >= 2:
        warnings.append(f"the current rash grade is {skin_state['rash_grade']}: re-introduction is usually considered once "
                        "the rash has settled to grade 1 or less (source study: interrupt until grade <= 1)")
    mismatch = setting_mismatch(patient.get("setting"), config.threshold)
    if mismatch:
        warnings.append(mismatch)
    simulated = str(patient.get("data_origin", "")).strip().lower() == "simulated"
    ceiling = config.ceiling_ng_ml(onset_trough_ng_ml)
    data = {
        "patient_id": patient_id,
        "generated_on": generated_on or _dt.date.today().isoformat(),
        "rashrisk_version": __version__,
        "simulated_data": simulated,
        "disclaimer": DISCLAIMER + (" " + SIMULATED if simulated else ""),
        "onset_day": onset,
        "onset_trough_ng_ml": onset_trough_ng_ml,
        "onset_trough_source": onset_source,
        "ceiling_ng_ml": ceiling,
        "margin_pct": config.margin_pct,
        "threshold": config.threshold.to_dict(),
        "levels": {"min_p_below_onset": config.min_p_below_onset, "min_p_effective": config.min_p_effective},
        "steps": steps,
        "maintenance_dose_mg": dose,
        "reason": reason,
        "tradeoff": ladder.tradeoff(steps),
        "pk_model": _pk_block(model, est),
        "samples": _sample_records(hist.samples, new["sample_time"] if len(new) else (),
                                   None if onset_row is None else onset_row["sample_time"]),
        "n_doses_rebuilt": len(hist.dose_history),
        "changes": changes,
        "taper": _taper_block(taper),
        "skin": {"rash_grade": skin_state["rash_grade"], "red_flags": skin_state["red_flags"],
                 "screen_complete": skin_state["screen_complete"]},
        "warnings": warnings,
        "basis": basis(config),
        "config": config.to_dict(),
    }
    data["pk_model"]["prior"] = prior_description
    data["chart"] = chart.chart_data(model, est.params, steps, onset_trough_ng_ml, ceiling, config)
    return json_safe(data)


def basis(config: RechallengeConfig) -> list[dict]:
    """The basis of each statement of the plan, in words."""
    return [
        {"statement": "Predicted troughs", "basis": (
            "24-h steady-state troughs of this patient's MAP individual PK (population model named above, every TDM sample "
            "with the dose history rebuilt from the samples; the models are linear, so troughs scale with dose). The 90% "
            "interval and both probabilities come from the Laplace approximation of the posterior of the patient's "
            "parameters: they include the uncertainty of the parameters given the samples, not the assay and timing "
            "error of a future sample, not day-to-day (inter-occasion) variability and not a drift of exposure over months.")},
        {"statement": "Ceiling", "basis": (
            f"The onset trough minus {config.margin_pct:g}%: the source study's troughs after desensitisation were lower "
            "than at rash onset (P < 0.001); staying below the exposure at which the rash appeared is the aim of the "
            "gradual re-escalation. The margin is a setting, not a published figure.")},
        {"statement": "Efficacy threshold", "basis": config.threshold.context()},
        {"statement": "Maintenance dose", "basis": (
            f"The highest ladder step with P(below the ceiling) >= {config.min_p_below_onset:.0%} and "
            f"P(at or above the threshold) >= {config.min_p_effective:.0%} (settings). An option, not an order.")},
        {"statement": "Pathway", "basis": (
            "Source study (The Oncologist 2025, doi 10.1093/oncolo/oyaf176): interrupt imatinib, systemic steroids, then "
            "TDM-guided gradual re-escalation while the steroid is tapered to zero; 50 of 54 patients (92.6%) resumed "
            "imatinib. Grade 3 patients ended on lower doses (P = 0.010). Re-check the red flags at every step.")},
        {"statement": "Red-flag screen", "basis": (
            "The imatinib product information lists SJS/TEN, DRESS and bullous eruptions, for which re-challenge is not an "
            "option: no plan is made while a red flag is present or not recorded.")},
    ]

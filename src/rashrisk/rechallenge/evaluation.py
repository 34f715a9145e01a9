"""Evaluation of the planner on simulated severe cases with known PK truth (``bench/bench_rechallenge.py``).

For each resumed severe case two plans are made through :func:`build_rechallenge_plan` (the product
path): from the history up to the onset (every sample on or before the onset day: the plan made
before re-introduction), and updated with every re-escalation sample taken before the final dose
(the plan re-made before the last step, as ``--tdm`` does). Each ladder step's predicted trough is
compared with the true 24-h steady-state trough at that dose, and so is the dose-proportional rule of
thumb a pharmacist would otherwise use: the onset trough (the onset sample projected to 24 h, as the
plan reads it) times dose / onset dose. The "maintenance step" is the dose the case really ended on.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from rashrisk.rechallenge.config import default_config
from rashrisk.rechallenge.plan import RechallengeRefused, build_rechallenge_plan
from rashrisk.rechallenge.prior import _ancestry_key, cohort_priors, patient_ancestry
from rashrisk.reports.skin import RED_FLAGS

CLEAR_SKIN = {"rash_grade": 1, "recurrent": False, **dict.fromkeys(RED_FLAGS, False)}


def _view(cohort, pid: str, tdm: pd.DataFrame):
    return SimpleNamespace(name=cohort.name, patients=cohort.patients, genotypes=cohort.genotypes, tdm=tdm,
                           outcomes=cohort.outcomes, input_rows={}, ancestry=cohort.ancestry)


def evaluate_cases(cohort, truth: pd.DataFrame, *, late_factor: float = 1.0, config=None,
                   prior: str = "published") -> tuple[pd.DataFrame, dict]:
    """One row per case and ladder dose, and the count of cases planned / refused (with the reasons).

    ``truth``: ``patient_id, true_trough_per_mg, final_dose_mg`` (the true 24-h steady-state trough per
    mg at the onset, the final dose); after onset the true exposure is ``late_factor`` times that.
    ``prior``: ``published``, or ``cohort`` (the default model per ancestry re-estimated once on the
    whole cohort, every sample, as the CLI does for a cohort folder)."""
    config = config or default_config()
    models = cohort_priors(cohort) if prior == "cohort" else None
    rows, refused = [], {}
    tdm = cohort.tdm.copy()
    tdm["patient_id"] = tdm["patient_id"].astype(str)
    outcomes = cohort.outcomes.set_index(cohort.outcomes["patient_id"].astype(str))
    by_patient = dict(tuple(tdm.groupby("patient_id", sort=False)))
    for t in truth.itertuples(index=False):
        pid = str(t.patient_id)
        onset = int(outcomes.loc[pid, "rash_onset_day"])
        samples = by_patient.get(pid, tdm.iloc[0:0])
        day = np.floor(samples["day_on_treatment"].to_numpy(dtype=float))
        before = samples[day <= onset]
        after = samples[day > onset]
        updated = pd.concat([before, after[after["dose_mg"] < t.final_dose_mg]])
        try:
            model, text = (models[_ancestry_key(patient_ancestry(cohort, pid))] if models else (None, None))
            kwargs = dict(skin=CLEAR_SKIN, config=config, prior="published", pk_model=model, prior_description=text)
            plan = build_rechallenge_plan(pid, _view(cohort, pid, before), **kwargs)
            again = build_rechallenge_plan(pid, _view(cohort, pid, updated), **kwargs)
        except RechallengeRefused as exc:
            reason = str(exc).split(":", 1)[-1].split(";")[0].strip()
            refused[reason] = refused.get(reason, 0) + 1
            continue
        onset_dose = float(before.iloc[-1]["dose_mg"]) if len(before) else np.nan
        onset_sample = [s for s in plan["samples"] if s["phase"] == "onset"]
        onset_dose = float(onset_sample[0]["dose_mg"]) if onset_sample else onset_dose
        true_onset = t.true_trough_per_mg * onset_dose
        rot_per_mg = plan["onset_trough_ng_ml"] / onset_dose
        ceiling = plan["ceiling_ng_ml"]
        rot_ok = [s["dose_mg"] for s in plan["steps"] if rot_per_mg * s["dose_mg"] < ceiling]
        rot_both = [d for d in rot_ok if rot_per_mg * d >= config.threshold.value_ng_ml]
        rot_dose = (rot_both or rot_ok or [np.nan])[-1]
        for step, step_again in zip(plan["steps"], again["steps"]):
            dose = step["dose_mg"]
            rows.append({"patient_id": pid, "dose_mg": dose, "final_dose_mg": t.final_dose_mg,
                         "true_ng_ml": t.true_trough_per_mg * late_factor * dose, "true_onset_ng_ml": true_onset,
                         "map_ng_ml": step["predicted_trough_ng_ml"], "map_updated_ng_ml": step_again["predicted_trough_ng_ml"],
                         "rule_ng_ml": rot_per_mg * dose, "low": step["trough_low_ng_ml"], "high": step["trough_high_ng_ml"],
                         "map_maintenance_mg": plan["maintenance_dose_mg"], "rule_maintenance_mg": rot_dose,
                         "n_samples_onset": plan["pk_model"]["n_samples"], "n_samples_updated": again["pk_model"]["n_samples"]})
    return pd.DataFrame(rows), {"planned": len({r["patient_id"] for r in rows}), "refused": refused}


def _err(pred, true) -> tuple[float, float]:
    ratio = np.asarray(pred, dtype=float) / np.asarray(true, dtype=float)
    return 100.0 * float(np.median(np.abs(ratio - 1.0))), 100.0 * float(np.median(ratio - 1.0))


def summarise(rows: pd.DataFrame, threshold_ng_ml: float = 1100.0) -> dict:
    """MdAPE and median bias (%) per ladder dose and at the maintenance step; plan outcome shares."""
    out = {"per_dose": [], "maintenance": {}, "plans": {}}
    for dose, g in rows.groupby("dose_mg"):
        out["per_dose"].append({"dose_mg": dose, "n": len(g), "map": _err(g["map_ng_ml"], g["true_ng_ml"]),
                                "map_updated": _err(g["map_updated_ng_ml"], g["true_ng_ml"]),
                                "rule": _err(g["rule_ng_ml"], g["true_ng_ml"]),
                                "coverage": float(((g["true_ng_ml"] >= g["low"]) & (g["true_ng_ml"] <= g["high"])).mean())})
    m = rows[rows["dose_mg"] == rows["final_dose_mg"]]
    out["maintenance"] = {"n": len(m), "map": _err(m["map_ng_ml"], m["true_ng_ml"]),
                          "map_updated": _err(m["map_updated_ng_ml"], m["true_ng_ml"]), "rule": _err(m["rule_ng_ml"], m["true_ng_ml"])}
    cases = rows.drop_duplicates("patient_id")
    for who, column in (("planner", "map_maintenance_mg"), ("rule of thumb", "rule_maintenance_mg")):
        chosen = rows[rows["dose_mg"] == rows[column]]
        out["plans"][who] = {"n_cases": len(cases), "n_with_dose": len(chosen),
                             "share_below_onset": float((chosen["true_ng_ml"] < chosen["true_onset_ng_ml"]).mean()) if len(chosen) else float("nan"),
                             "share_effective": float((chosen["true_ng_ml"] >= threshold_ng_ml).mean()) if len(chosen) else float("nan"),
                             "share_both": float(((chosen["true_ng_ml"] < chosen["true_onset_ng_ml"]) & (chosen["true_ng_ml"] >= threshold_ng_ml)).mean()) if len(chosen) else float("nan")}
    return out

"""The escalation ladder as data: each step's dose, days and predicted trough with its probabilities,
and the proposed maintenance dose (the highest step passing both probability levels)."""

from __future__ import annotations

from rashrisk.rechallenge import probabilities
from rashrisk.rechallenge.config import RechallengeConfig


def step_days(index: int, config: RechallengeConfig) -> tuple[int, int]:
    """(first day on the step's dose, day of its trough sample), plan day 1 = the first re-introduced dose."""
    day = 1 + index * config.days_between_steps
    return day, day + config.days_between_steps - config.tdm_days_before_step


def ladder_steps(trough_per_mg: float, sd_log: float, onset_trough_ng_ml: float, config: RechallengeConfig,
                 measured: dict[float, list[dict]] | None = None) -> list[dict]:
    """One record per ladder dose: the predicted 24-h steady-state trough, its 5-95% interval,
    ``p_below_onset`` (P(trough < ceiling)) and ``p_effective`` (P(trough >= threshold)), and whether
    both reach their levels; ``measured``: dose -> the samples already measured at it after onset
    (``concentration_ng_ml``, ``hours_after_dose``: a raw concentration, a trough only near 24 h)."""
    ceiling = config.ceiling_ng_ml(onset_trough_ng_ml)
    threshold = config.threshold.value_ng_ml
    measured = measured or {}
    steps = []
    for i, dose in enumerate(config.doses_mg):
        trough = trough_per_mg * dose
        low, high = probabilities.interval(trough, sd_log)
        p_below = probabilities.p_below(ceiling, trough, sd_log)
        p_eff = probabilities.p_at_least(threshold, trough, sd_log)
        day, tdm_day = step_days(i, config)
        steps.append({
            "step": i + 1, "dose_mg": dose, "day": day, "tdm_day": tdm_day,
            "predicted_trough_ng_ml": trough, "trough_low_ng_ml": low, "trough_high_ng_ml": high,
            "p_below_onset": p_below, "p_effective": p_eff,
            "passes_ceiling": p_below >= config.min_p_below_onset, "passes_efficacy": p_eff >= config.min_p_effective,
            "status": "measured" if dose in measured else "planned",
            "measured_samples": [dict(m) for m in measured.get(dose, [])],
        })
    return steps


def maintenance(steps: list[dict], config: RechallengeConfig, ceiling_ng_ml: float | None = None) -> tuple[float | None, str]:
    """(the proposed maintenance dose or None, the reason in words)."""
    passing = [s for s in steps if s["passes_ceiling"] and s["passes_efficacy"]]
    below = f"P(trough below the ceiling) >= {config.min_p_below_onset:.0%}"
    effective = f"P(trough >= {config.threshold.label()}) >= {config.min_p_effective:.0%}"
    if passing:
        best = passing[-1]
        return best["dose_mg"], (f"{best['dose_mg']:g} mg/day is the highest step with both {below} "
                                 f"({best['p_below_onset']:.0%}) and {effective} ({best['p_effective']:.0%}).")
    if ceiling_ng_ml is not None and ceiling_ng_ml <= config.threshold.value_ng_ml:
        why = (f"the ceiling ({ceiling_ng_ml:,.0f} ng/mL, the onset trough minus {config.margin_pct:g}%) is not above the "
               f"threshold ({config.threshold.label()}): no dose can both stay below the onset exposure and reach it")
    elif not any(s["passes_ceiling"] for s in steps):
        why = f"no step has {below}: even {steps[0]['dose_mg']:g} mg/day is predicted near or above the ceiling"
    elif not any(s["passes_efficacy"] for s in steps):
        why = f"no step has {effective}: the ladder's doses are predicted to stay below the threshold"
    else:
        why = (f"the steps that stay below the ceiling ({below}) do not reach the threshold ({effective}), and "
               "those that reach it exceed the ceiling")
    return None, f"No maintenance dose is proposed: {why}. The trade-off of each step is shown below; the choice is the clinician's."


def tradeoff(steps: list[dict]) -> list[str]:
    return [f"{s['dose_mg']:g} mg/day: {s['p_below_onset']:.0%} probability of staying below the ceiling, "
            f"{s['p_effective']:.0%} of reaching the threshold" for s in steps]

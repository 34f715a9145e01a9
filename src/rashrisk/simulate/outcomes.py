"""Rash outcomes: severe rash from a logistic model whose intercept is solved to the target
incidence, severe grade, milder rash, onset days, management of severe cases and follow-up.

The linear predictor (natural-log odds)::

    logit P(severe) = b0 + log(OR_IL6R) * g(risk alleles) + log(OR_female) * female
                      + log(OR_doubling) * log2(trough_ss / reference trough)

``g`` codes the risk-allele count under the configured genetic model. ``b0`` is solved so that the
mean of P(severe) over a large reference population drawn from the same configuration (its own
fixed seed) equals the configured incidence: the intercept is a property of the configuration, not
of the simulated sample.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.special import expit

from rashrisk.errors import ConfigError
from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.genotype.coding import code_genotype, risk_allele_count
from rashrisk.simulate.baseline import simulate_exposure_only
from rashrisk.simulate.config import SimulationConfig
from rashrisk.simulate.rng import choice, stream


def il6r_risk_is_alt(cfg: SimulationConfig) -> bool:
    """Whether the configured IL6R risk allele is the catalogue's ALT allele (else the REF)."""
    rsid = cfg.get("outcome", "il6r", "rsid")
    allele = str(cfg.get("outcome", "il6r", "risk_allele")).upper()
    cat = load_catalogue().set_index("rsid")
    if rsid not in cat.index:
        raise ConfigError(f"{cfg.source}: [outcome.il6r.rsid] = {rsid!r} is not in the variant catalogue")
    ref, alt = cat.loc[rsid, "ref"], cat.loc[rsid, "alt"]
    if allele not in (ref, alt):
        raise ConfigError(f"{cfg.source}: [outcome.il6r.risk_allele] = {allele!r}; {rsid} alleles are {ref}>{alt}")
    return allele == alt


def linear_predictor(cfg: SimulationConfig, sex: np.ndarray, il6r_alt_count: np.ndarray, trough_ng_ml: np.ndarray) -> np.ndarray:
    """Log-odds of severe rash without the intercept."""
    oc = cfg.get("outcome")
    risk_allele = "alt" if il6r_risk_is_alt(cfg) else "ref"
    coding = code_genotype(risk_allele_count(il6r_alt_count, risk_allele), oc["il6r"]["genetic_model"])
    female = (np.asarray(sex) == "F").astype(float)
    ref = float(oc["exposure"]["reference_trough_ng_ml"])
    log2_exposure = np.log2(np.maximum(np.asarray(trough_ng_ml, dtype=float), 1.0) / ref)
    return (
        np.log(float(oc["il6r"]["odds_ratio"])) * coding
        + np.log(float(oc["sex"]["female_odds_ratio"])) * female
        + np.log(float(oc["exposure"]["odds_ratio_per_doubling_trough"])) * log2_exposure
    )


def solve_intercept(linear_pred: np.ndarray, incidence: float) -> float:
    """The b0 for which mean(expit(b0 + linear_pred)) == incidence (bisection on a monotone function)."""
    from scipy.optimize import brentq

    return float(brentq(lambda b0: expit(b0 + linear_pred).mean() - incidence, -30.0, 30.0, xtol=1e-10))


@lru_cache(maxsize=8)
def _reference_intercept(fingerprint: str, cfg_holder: tuple) -> float:
    cfg = cfg_holder[0]
    n = int(cfg.number("outcome", "intercept_reference_n"))
    seed = int(cfg.number("outcome", "intercept_reference_seed"))
    ref = simulate_exposure_only(cfg, n, seed)
    lp = linear_predictor(cfg, ref["sex"], ref["il6r_alt_count"], ref["trough_ss_start_ng_ml"])
    return solve_intercept(lp, cfg.probability("outcome", "severe_incidence"))


def reference_intercept(cfg: SimulationConfig) -> float:
    """The configuration's intercept (solved once per configuration and cached)."""
    return _reference_intercept(cfg.fingerprint(), (cfg,))


def _lognormal_days(rng, median, sd_log, low, high, size) -> np.ndarray:
    days = np.exp(np.log(median) + sd_log * rng.standard_normal(size))
    return np.clip(np.rint(days), low, high).astype(np.int64)


def simulate_outcomes(cfg: SimulationConfig, linear_pred: np.ndarray, start_dose_mg: np.ndarray, seed: int) -> pd.DataFrame:
    """Per-patient outcome truth: risk, grades, onset, management of severe cases, follow-up."""
    oc = cfg.get("outcome")
    n = len(linear_pred)
    rng = stream(seed, "outcomes")
    b0 = reference_intercept(cfg)
    risk = expit(b0 + linear_pred)
    severe = rng.random(n) < risk
    grade3 = severe & (rng.random(n) < cfg.probability("outcome", "grade3_share_of_severe"))
    recurrent2 = severe & ~grade3
    u = rng.random(n)
    p1 = cfg.probability("outcome", "mild", "grade1_probability")
    p2 = cfg.probability("outcome", "mild", "grade2_probability")
    mild_grade = np.where(u < p1, 1, np.where(u < p1 + p2, 2, 0))
    grade = np.where(grade3, 3, np.where(recurrent2, 2, np.where(severe, 0, mild_grade)))

    onset = oc["onset"]
    lo, hi = cfg.pair("outcome", "onset", "onset_day_limits")
    d3 = _lognormal_days(rng, onset["grade3_median_day"], onset["grade3_sd_log"], lo, hi, n)
    d2 = _lognormal_days(rng, onset["recurrent_grade2_median_day"], onset["recurrent_grade2_sd_log"], lo, hi, n)
    dm = _lognormal_days(rng, onset["mild_median_day"], onset["mild_sd_log"], lo, hi, n)
    onset_day = np.where(grade3, d3, np.where(recurrent2, d2, np.where(grade > 0, dm, -1)))

    mg = oc["management"]
    resumed = severe & (rng.random(n) < cfg.probability("outcome", "management", "resumed_fraction"))
    i_lo, i_hi = cfg.pair("outcome", "management", "interruption_days")
    interruption_days = rng.integers(int(i_lo), int(i_hi) + 1, n)
    fractions, p_g3 = cfg.distribution(("outcome", "management", "final_dose_fraction"),
                                       ("outcome", "management", "final_dose_probability_grade3"))
    _, p_r2 = cfg.distribution(("outcome", "management", "final_dose_fraction"),
                               ("outcome", "management", "final_dose_probability_recurrent_grade2"))
    frac = np.where(grade3, choice(rng, fractions, p_g3, n), choice(rng, fractions, p_r2, n))
    start = int(mg["escalation_start_dose_mg"])
    final_dose = np.maximum(np.rint(np.asarray(start_dose_mg) * frac / 100.0) * 100.0, start)
    final_dose = np.where(resumed, final_dose, np.nan)

    fu = cfg.get("followup")
    f_lo, f_hi = cfg.pair("followup", "limits_days")
    followup = _lognormal_days(rng, fu["median_days"], fu["sd_log"], f_lo, f_hi, n)
    return pd.DataFrame(
        {
            "true_risk": risk,
            "severe_rash": severe,
            "rash_max_grade": grade.astype(np.int64),
            "recurrent_grade2": recurrent2,
            "rash_onset_day": onset_day,
            "resumed": resumed,
            "interruption_days": np.where(severe, interruption_days, -1),
            "final_dose_mg": final_dose,
            "followup_days": followup,
        }
    )

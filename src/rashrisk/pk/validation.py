"""Simulation checks of the PK engine, and the figures in docs/pk.md.

``python -m rashrisk.pk.validation`` prints (Markdown) the steady-state trough distribution each
model gives for a Chinese-GIST-like population at 400 and 600 mg, and the MAP validation: on
patients simulated from a model (IIV and residual error) with one sample 16-30 h after the dose,
the median absolute percentage error (MdAPE) of MAP, of the raw concentration and of the Wang
log-linear correction against the true 24-h trough; then the coverage of the a priori 5-95%
interval, the foreign-generator band tables (:mod:`rashrisk.pk.foreign`: MAP, log-linear and raw
against a PK truth that is none of the shipped models, per sampling band) and the dose-history
example quoted in docs/pk.md.

The virtual population follows the Jiang 2023 cohort summary (54% male, weight 58.6 +/- 9.6 kg,
median age 57 y) with ABCG2 rs2231142 T frequency 0.34 (Hardy-Weinberg). Covariates without a
published distribution here (RBC count, albumin, AGP) are left missing, so they take each model's
reference value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.pk.apriori import predict_trough
from rashrisk.pk.foreign import (COHORT_PRIOR_LABEL, FOREIGN_A, FOREIGN_B, cohort_priors, fit_models, foreign_validation,
                                 format_band_table, meets_targets, prior_mismatch)
from rashrisk.pk.loglinear import loglinear_trough_ng_ml
from rashrisk.pk.map import map_estimate
from rashrisk.pk.model import MODEL_NAMES, PopPKModel, default_pk_model, load_pk_model

OBSERVED_CHINESE_GIST_400MG = ("mean 1,246 +/- 491 ng/mL, 17 of 37 below 1,100 (Sichuan adjuvant, 400 mg subgroup); "
                               "1,327 +/- 623 in patients without myelosuppression (Zhuang 2018, n = 122)")


def chinese_gist_covariates(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Covariates of a Chinese-GIST-like virtual population (see the module docstring)."""
    return pd.DataFrame(
        {
            "patient_id": [f"V{i:06d}" for i in range(n)],
            "sex": np.where(rng.random(n) < 0.54, "M", "F"),
            "age_years": np.clip(rng.normal(57.0, 11.0, n), 20.0, 88.0),
            "weight_kg": np.clip(rng.normal(58.6, 9.6, n), 38.0, 110.0),
            "rs2231142_alt_count": rng.binomial(2, 0.34, n).astype(float),
        }
    )


def trough_distribution(model: PopPKModel, *, n: int = 20_000, seed: int = 0, doses_mg=(400.0, 600.0)) -> dict:
    """Mean, SD and share below 1,100 ng/mL of simulated observed steady-state troughs per dose."""
    rng = np.random.default_rng(seed)
    cov = chinese_gist_covariates(n, rng)
    params = model.individual_parameters(cov, model.sample_etas(n, rng))
    noise = rng.standard_normal(n)
    out = {"model": model.name}
    for dose in doses_mg:
        true = model.trough_ss_ng_ml(params, dose)
        obs = np.maximum(true * (1.0 + model.residual_proportional * noise), 0.0)
        out[f"mean_{dose:g}mg"] = float(obs.mean())
        out[f"sd_{dose:g}mg"] = float(obs.std(ddof=1))
        out[f"below_1100_{dose:g}mg"] = float((obs < 1100.0).mean())
    return out


def map_validation(model: PopPKModel, *, n: int = 300, seed: int = 0, window_h=(16.0, 30.0), dose_mg: float = 400.0, return_data: bool = False, fit_model: PopPKModel | None = None) -> dict:
    """MdAPE (%) of MAP, raw and log-linear troughs on simulated off-trough samples.

    Patients are simulated from ``model`` and fitted with ``fit_model`` (default: the same model;
    another one measures robustness to a misspecified prior). With ``return_data`` the dict also holds ``data``: a DataFrame of the true trough, the three
    estimates and the sampling time per virtual patient.
    """
    rng = np.random.default_rng(seed)
    cov = chinese_gist_covariates(n, rng)
    params = model.individual_parameters(cov, model.sample_etas(n, rng))
    hours = rng.uniform(*window_h, n)
    observed = model.add_residual_error(model.concentration_ng_ml(params, dose_mg, hours), rng)
    true = model.trough_ss_ng_ml(params, dose_mg)
    samples = pd.DataFrame({"patient_id": cov["patient_id"], "concentration_ng_ml": observed, "hours_after_dose": hours, "dose_mg": dose_mg})
    fit = map_estimate(cov, samples, model=fit_model or model)
    est = fit["trough_ng_ml"].to_numpy()

    def mdape(x):
        return float(np.median(np.abs(np.asarray(x) / true - 1.0)) * 100.0)

    inside = (true >= fit["trough_low_ng_ml"].to_numpy()) & (true <= fit["trough_high_ng_ml"].to_numpy())
    extra = {}
    if return_data:
        extra["data"] = pd.DataFrame(
            {"hours_after_dose": hours, "true_trough_ng_ml": true, "map_ng_ml": est, "raw_ng_ml": observed,
             "loglinear_ng_ml": loglinear_trough_ng_ml(observed, hours)}
        )
    return {
        **extra,
        "model": model.name,
        "fit_model": (fit_model or model).name,
        "n": n,
        "mdape_map": mdape(est),
        "mdape_raw": mdape(observed),
        "mdape_loglinear": mdape(loglinear_trough_ng_ml(observed, hours)),
        "interval_coverage": float(inside.mean()),
        "converged": float(fit["converged"].mean()),
    }


def apriori_interval_coverage(model: PopPKModel | None = None, *, dose_mg: float = 400.0, n: int = 20_000, seed: int = 99,
                              n_sim: int = 4000, interval_seed: int = 1) -> dict:
    """Share of ``n`` simulated observed steady-state troughs of one patient (a 60 kg, 55-year-old
    woman; default model widmer2006) inside :func:`predict_trough`'s 5-95% interval (target 90%)."""
    model = model or load_pk_model("widmer2006")
    one = pd.DataFrame({"sex": ["F"], "age_years": [55.0], "weight_kg": [60.0]})
    interval = predict_trough(one, dose_mg, model=model, n_sim=n_sim, seed=interval_seed).iloc[0]
    rng = np.random.default_rng(seed)
    params = model.individual_parameters(pd.concat([one] * n, ignore_index=True), model.sample_etas(n, rng))
    observed = model.add_residual_error(model.trough_ss_ng_ml(params, dose_mg), rng)
    inside = (observed >= interval["trough_p05_ng_ml"]) & (observed <= interval["trough_p95_ng_ml"])
    return {"model": model.name, "n": n, "coverage": float(np.mean(inside))}


def dose_history_example(model: PopPKModel | None = None) -> dict:
    """MAP after a dosing interruption, with and without the actual dosing history.

    One patient (woman, 60 y, 55 kg; default model widmer2006, true etas 0.4 and 0.3): 20 days of
    400 mg, 6 days off, one 300 mg dose on re-introduction, samples 2, 8 and 23 h after it (no
    residual error). Returns the relative error of the MAP CL/F with the history and when steady
    state at 300 mg is assumed.
    """
    model = model or load_pk_model("widmer2006")
    cov = pd.DataFrame({"patient_id": ["b"], "sex": ["F"], "age_years": [60.0], "weight_kg": [55.0]})
    times = np.concatenate([np.arange(20) * 24.0, [26 * 24.0]])
    doses = np.concatenate([np.full(20, 400.0), [300.0]])
    true = model.individual_parameters(cov, np.array([[0.4, 0.3]]))
    t_start = 26 * 24.0 + np.array([2.0, 8.0, 23.0])
    conc = model.history_concentration_ng_ml({k: true[k].to_numpy() for k in true}, times[None, :], doses[None, :], t_start[None, :])[0]
    samples = pd.DataFrame({"patient_id": "b", "concentration_ng_ml": conc, "hours_after_dose": t_start - 26 * 24.0,
                            "dose_mg": 300.0, "hours_from_start": t_start})
    history = pd.DataFrame({"patient_id": "b", "hours_from_start": times, "dose_mg": doses})
    with_history = map_estimate(cov, samples, model=model, dose_history=history).iloc[0]
    steady_state = map_estimate(cov, samples.drop(columns="hours_from_start"), model=model).iloc[0]
    true_cl = float(true["cl_l_h"].iloc[0])
    return {"model": model.name, "true_cl_l_h": true_cl,
            "cl_error_with_history": float(with_history.cl_l_h / true_cl - 1.0),
            "cl_error_steady_state": float(steady_state.cl_l_h / true_cl - 1.0)}


def plot_map_validation(path, *, model_name: str = "jiang2023", n: int = 2000, seed: int = 1) -> dict:
    """Save the MAP validation figure (percentage error vs sampling time, per method) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    result = map_validation(load_pk_model(model_name), n=n, seed=seed, return_data=True)
    data = result["data"]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True)
    for ax, (col, label) in zip(axes, [("raw_ng_ml", "raw concentration"), ("loglinear_ng_ml", "log-linear (Wang 2009)"), ("map_ng_ml", "Bayesian MAP")]):
        err = 100.0 * (data[col] / data["true_trough_ng_ml"] - 1.0)
        ax.scatter(data["hours_after_dose"], err, s=4, alpha=0.35)
        ax.axhline(0.0, color="black", lw=0.8)
        ax.set_title(f"{label}: MdAPE {np.median(np.abs(err)):.1f}%")
        ax.set_xlabel("hours after dose")
    axes[0].set_ylabel("error vs true 24-h trough (%)")
    axes[0].set_ylim(-100, 150)
    fig.suptitle(f"Trough estimates from one sample 16-30 h after the dose ({n} patients simulated from {model_name}, seed {seed})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return result


# further foreign cohorts (new draws of the same truths): the seed-to-seed spread of every figure
FIRST_SEED = 2026
SEEDS_AGAIN = (2027, 2028, 2029)


def print_target_cells(table: pd.DataFrame) -> tuple[int, int]:
    """Print, and return, how many cells of the re-estimated default in a band table meet all three targets."""
    ok = meets_targets(table[table["fit_model"] == COHORT_PRIOR_LABEL])
    print(f"\nRe-estimated default, cells meeting all three targets (unrounded figures): {int(ok.sum())} of {len(ok)}\n")
    return int(ok.sum()), len(ok)


def print_target_total(seeds, counts) -> None:
    """The per-seed counts of :func:`print_target_cells` summed over ``seeds``."""
    print(f"All seeds {', '.join(map(str, seeds))}: {sum(c[0] for c in counts)} of {sum(c[1] for c in counts)} "
          "cells meet all three targets\n")


def print_foreign_seeds(seeds) -> list[tuple[int, int]]:  # pragma: no cover - prints the doc tables
    """For each seed, the band table of both foreign truths (the default re-estimated and as published,
    and the oracle) and its count of cells meeting the targets; returns the counts."""
    counts = []
    for seed in seeds:
        table = pd.concat([foreign_validation(t, n=3000, seed=seed, models_to_fit=fit_models(t, shipped=False))
                           for t in (FOREIGN_A, FOREIGN_B)], ignore_index=True)
        print(f"Seed {seed}, the default re-estimated and as published, and the oracle:\n")
        print(format_band_table(table))
        counts.append(print_target_cells(table))
    return counts


def main() -> None:  # pragma: no cover - prints the doc tables
    print(f"Observed 400 mg troughs in Chinese GIST: {OBSERVED_CHINESE_GIST_400MG}\n")
    print("| model | mean 400 mg | SD 400 mg | % < 1,100 at 400 mg | mean 600 mg | 600/400 |")
    print("|---|---|---|---|---|---|")
    rows = [(name, load_pk_model(name)) for name in MODEL_NAMES]
    rows.append(("default for EAS: jiang2023, IIV CL 0.30", default_pk_model("EAS")))
    # the simulator's tuned Jiang model (pipelines/simulate-*.toml at the time of writing)
    tuned = load_pk_model("jiang2023").with_overrides(typical={"cl_l_h": 9.3}, iiv_sd={"cl_l_h": 0.30}, reason="simulator tuning")
    rows.append(("jiang2023, CL/F 9.3 L/h, IIV CL 0.30 (simulator)", tuned))
    narrower = load_pk_model("jiang2023").with_overrides(typical={"cl_l_h": 9.2}, iiv_sd={"cl_l_h": 0.25}, reason="alternative tuning")
    rows.append(("jiang2023, CL/F 9.2 L/h, IIV CL 0.25", narrower))
    for label, model in rows:
        r = trough_distribution(model)
        print(
            f"| {label} | {r['mean_400mg']:,.0f} | {r['sd_400mg']:,.0f} | {100 * r['below_1100_400mg']:.0f}% | "
            f"{r['mean_600mg']:,.0f} | {r['mean_600mg'] / r['mean_400mg']:.2f} |"
        )
    print("\n| simulated from | n | MdAPE MAP | MdAPE raw | MdAPE log-linear | 90% interval coverage |")
    print("|---|---|---|---|---|---|")
    published = load_pk_model("jiang2023")
    cases = [(load_pk_model(name), None, name) for name in MODEL_NAMES]
    # misspecified priors: the truth has more IIV than the fitted model, or is another model
    cases += [
        (tuned, published, "jiang2023 tuned (CL/F 9.3, IIV 0.30), fitted with published jiang2023"),
        (load_pk_model("widmer2006"), published, "widmer2006, fitted with published jiang2023"),
        (tuned, default_pk_model("EAS"), "jiang2023 tuned, fitted with the EAS default (IIV 0.30)"),
        (published, default_pk_model("EAS"), "published jiang2023, fitted with the EAS default"),
        (load_pk_model("widmer2006"), default_pk_model("EAS"), "widmer2006, fitted with the EAS default"),
    ]
    for truth, fit_model, label in cases:
        r = map_validation(truth, n=2000, seed=1, fit_model=fit_model)
        print(
            f"| {label} | {r['n']} | {r['mdape_map']:.1f}% | {r['mdape_raw']:.1f}% | {r['mdape_loglinear']:.1f}% | "
            f"{100 * r['interval_coverage']:.0f}% |"
        )
    c = apriori_interval_coverage()
    print(f"\nA priori 5-95% interval ({c['model']}, 400 mg, a 60 kg 55-year-old woman): covers "
          f"{100 * c['coverage']:.1f}% of {c['n']:,} simulated observed troughs")
    print("\nForeign generator (rashrisk.pk.foreign: its own PK truth, IIV, covariates, natural-scale residual and "
          "sampling days 2-60, 12-30 h after the dose; n = 3,000, seed 2026; errors against the true steady-state "
          "24-h trough at the dose; bias = median(est/true - 1), MAE = median |est/true - 1|):\n")
    first = []
    for truth in (FOREIGN_A, FOREIGN_B):
        first.append(foreign_validation(truth, n=3000, seed=FIRST_SEED))
        print(format_band_table(first[-1]))
        print()
    counts = [print_target_cells(pd.concat(first, ignore_index=True))] + print_foreign_seeds(SEEDS_AGAIN)
    print_target_total((FIRST_SEED,) + SEEDS_AGAIN, counts)
    print("\nPrior against foreign truth (default model per ancestry): median typical/true steady-state trough; "
          "between-patient SD of log trough, truth and prior:\n")
    print("| truth | ancestry | model | typical / true | log-SD truth | log-SD prior |")
    print("|---|---|---|---|---|---|")
    for truth in (FOREIGN_A, FOREIGN_B):
        for r in prior_mismatch(truth).itertuples(index=False):
            print(f"| {truth.name} | {r.ancestry} | {r.model} | {r.typical_over_true:.2f} | {r.log_sd_true:.2f} | {r.log_sd_prior:.2f} |")
    print("\nThe default prior re-estimated on each foreign cohort (seed 2026; rashrisk.pk.cohort_prior):\n")
    for truth in (FOREIGN_A, FOREIGN_B):
        for ancestry, line in cohort_priors(truth, n=3000, seed=2026).items():
            print(f"- {truth.name}, {ancestry}: {line}")
    print()
    h = dose_history_example()
    print(f"Dose history ({h['model']}; 20 days 400 mg, 6 days off, one 300 mg dose, samples 2/8/23 h after it): "
          f"MAP CL/F error {100 * h['cl_error_with_history']:+.0f}% with the history, "
          f"{100 * h['cl_error_steady_state']:+.0f}% assuming steady state")


if __name__ == "__main__":  # pragma: no cover
    import sys

    if len(sys.argv) > 2 and sys.argv[1] == "--figure":
        plot_map_validation(sys.argv[2])
    elif len(sys.argv) > 2 and sys.argv[1] == "--foreign-seeds":  # held-out draws, e.g. --foreign-seeds 2030 2031
        held_out = [int(s) for s in sys.argv[2:]]
        print_target_total(held_out, print_foreign_seeds(held_out))
    else:
        main()

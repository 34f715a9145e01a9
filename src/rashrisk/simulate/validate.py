"""Validate the simulator against the source study and the observed trough tables.

``python -m rashrisk.simulate.validate [--cohorts 200] [--n 712] [--seed 1] [--config FILE]``

1. Replicates the source study (712 patients) ``--cohorts`` times and reports the IL6R
   association (power at P < 0.05, median OR and its spread, additive and dominant), incidence,
   and the median p-values of the clinical-course comparisons.
2. Trough distribution at 400 mg (true steady-state troughs and measured early TDM troughs of a
   large cohort) against the observed Chinese GIST figures, and the 600/400 mg ratio.
3. The standard error of the IL6R log-OR implied by the published 95% CI, against the expected
   standard error of an additive and of a dominant coding in a study of the source's size.
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from rashrisk.analysis import analyze_tables
from rashrisk.analysis.logistic import Z_975
from rashrisk.pk.loglinear import loglinear_trough_ng_ml
from rashrisk.simulate.cohort import simulate_cohort
from rashrisk.simulate.config import load_config
from rashrisk.simulate.outcomes import il6r_risk_is_alt
from rashrisk.simulate.tables import as_cohort_tables, tdm_table

OBSERVED_TROUGHS = (
    ("Chinese GIST n=307 (Cancer 2020)", "1315 +/- 716", "-", "2117 / 1315 = 1.61"),
    ("Sichuan adjuvant GIST, 400 mg subgroup n=37 (of 79)", "1246 +/- 491", "46% (17/37)", "-"),
    ("Chinese GIST n=122", "1327 +/- 623", "-", "-"),
)
SOURCE_STUDY = {"severe_percent": 7.6, "grade3_percent": 5.2, "recurrent_grade2_percent": 2.4, "odds_ratio": 1.966,
                "ci": "1.143-3.380", "ci_low": 1.143, "ci_high": 3.380, "p_value": 0.015}


def replicate_study(cfg, n_cohorts: int, n: int, seed: int) -> dict:
    """Summary over ``n_cohorts`` simulated cohorts of ``n`` patients (seeds seed .. seed+n_cohorts-1)."""
    rsid = cfg.get("outcome", "il6r", "rsid")
    allele = cfg.get("outcome", "il6r", "risk_allele")
    rows = []
    for k in range(n_cohorts):
        sim = simulate_cohort(cfg, n, seed + k)
        r = analyze_tables(**as_cohort_tables(sim), rsid=rsid, risk_allele=allele)
        inc = {row["outcome"]: row["percent"] for row in r["incidence"]["rows"]}
        add, dom = r["association"]
        rows.append([inc["severe_rash"], inc["grade_3_or_more"], inc["recurrent_grade_2"], inc["any_rash"],
                     _nan(add["odds_ratio"]), _nan(add["p_value"]), _nan(dom["odds_ratio"]), _nan(dom["p_value"]),
                     _nan(r["onset_day_by_grade"]["p_value"]), _nan(r["final_dose_by_grade"]["p_value"]),
                     _nan(r["troughs_onset_vs_reescalation"]["p_value"])])
    a = np.asarray(rows, dtype=float)

    def q(col):
        x = a[:, col][~np.isnan(a[:, col])]
        return {"median": float(np.median(x)), "p2_5": float(np.percentile(x, 2.5)), "p97_5": float(np.percentile(x, 97.5))}

    return {
        "n_cohorts": n_cohorts, "n_patients": n,
        "severe_percent": q(0), "grade3_percent": q(1), "recurrent_grade2_percent": q(2), "any_rash_percent": q(3),
        "additive": {"power_p_lt_0_05": float(np.mean(a[:, 5] < 0.05)), "odds_ratio": q(4)},
        "dominant": {"power_p_lt_0_05": float(np.mean(a[:, 7] < 0.05)), "odds_ratio": q(6)},
        "onset_grade3_vs_recurrent2": {"share_p_lt_0_05": float(np.mean(a[:, 8] < 0.05)), "p_value": q(8)},
        "final_dose_grade3_vs_recurrent2": {"share_p_lt_0_05": float(np.nanmean(a[:, 9] < 0.05)), "p_value": q(9)},
        "troughs_onset_vs_reescalation": {"share_p_lt_0_05": float(np.nanmean(a[:, 10] < 0.05)), "p_value": q(10)},
    }


def _nan(x):
    return float("nan") if x is None else float(x)


def trough_table(cfg, n: int, seed: int) -> dict:
    """Trough distribution at 400 mg and the 600/400 ratio in one large cohort."""
    sim = simulate_cohort(cfg, n, seed)
    truth = sim.truth
    tdm = tdm_table(sim)
    kind = sim.tdm["sample_kind"].to_numpy()

    def describe(x):
        x = np.asarray(x, dtype=float)
        return {"n": int(len(x)), "mean": float(x.mean()), "sd": float(x.std(ddof=1)), "percent_below_1100": float(100 * np.mean(x < 1100))}

    true400 = truth.loc[truth["start_dose_mg"] == 400, "trough_ss_start_ng_ml"]
    true600 = truth.loc[truth["start_dose_mg"] == 600, "trough_ss_start_ng_ml"]
    near = (kind == "routine") & (tdm["hours_after_dose"].between(22, 26)).to_numpy()
    measured = loglinear_trough_ng_ml(tdm["concentration_ng_ml"].to_numpy(), tdm["hours_after_dose"].to_numpy())
    m400 = measured[near & (tdm["dose_mg"].to_numpy() == 400)]
    m600 = measured[near & (tdm["dose_mg"].to_numpy() == 600)]
    return {
        "n_patients": n,
        "true_ss_trough_400mg": describe(true400),
        "measured_trough_400mg": describe(m400),
        "ratio_600_400_true": float(true600.mean() / true400.mean()),
        "ratio_600_400_measured": float(m600.mean() / m400.mean()),
    }


def il6r_risk_allele_frequency(cfg) -> float:
    """Frequency of the configured IL6R risk allele in the configured ancestry (from the haplotype block)."""
    block = cfg.get("genotypes", "il6r_block")
    j = block["rsids"].index(cfg.get("outcome", "il6r", "rsid"))
    freqs = block["frequency"][cfg.get("cohort", "ancestry")]
    alt = float(sum(f for haplotype, f in zip(block["haplotypes"], freqs) if haplotype[j] == 1))
    return alt if il6r_risk_is_alt(cfg) else 1.0 - alt


def standard_errors(n: int, risk_allele_frequency: float) -> dict:
    """The IL6R log-OR standard error implied by the published 95% CI, and the expected standard
    error of a univariable logistic regression near OR 1 with the source's incidence:
    1 / sqrt(n p (1 - p) Var(x)), x the coded genotype in Hardy-Weinberg equilibrium
    (additive: Var = 2q(1 - q); dominant: c(1 - c), c = 1 - (1 - q)^2 the carrier frequency)."""
    cases = round(n * SOURCE_STUDY["severe_percent"] / 100.0)
    p = cases / n
    q = risk_allele_frequency
    carrier = 1.0 - (1.0 - q) ** 2
    weight = n * p * (1.0 - p)
    return {
        "n_patients": n, "n_cases": cases, "risk_allele_frequency": q,
        "published": (math.log(SOURCE_STUDY["ci_high"]) - math.log(SOURCE_STUDY["ci_low"])) / (2.0 * Z_975),
        "additive": 1.0 / math.sqrt(weight * 2.0 * q * (1.0 - q)),
        "dominant": 1.0 / math.sqrt(weight * carrier * (1.0 - carrier)),
    }


def format_report(study: dict, troughs: dict, config_source: str, ses: dict | None = None) -> str:
    s = study
    lines = [f"# Simulator validation (config {config_source})", "",
             f"## Source study replicated: {s['n_cohorts']} cohorts of {s['n_patients']} patients", "",
             "| figure | source study | simulated: median (2.5-97.5 percentile) |", "|---|---|---|"]

    def r(d, fmt=".1f"):
        return f"{d['median']:{fmt}} ({d['p2_5']:{fmt}}-{d['p97_5']:{fmt}})"

    lines += [
        f"| severe rash, % | {SOURCE_STUDY['severe_percent']} | {r(s['severe_percent'])} |",
        f"| grade >= 3, % | {SOURCE_STUDY['grade3_percent']} | {r(s['grade3_percent'])} |",
        f"| recurrent grade 2, % | {SOURCE_STUDY['recurrent_grade2_percent']} | {r(s['recurrent_grade2_percent'])} |",
        f"| any rash, % | - (other cohorts 24-34) | {r(s['any_rash_percent'])} |",
        f"| IL6R OR per allele (additive) | {SOURCE_STUDY['odds_ratio']} ({SOURCE_STUDY['ci']}) | {r(s['additive']['odds_ratio'], '.2f')} |",
        f"| power, additive P < 0.05 | P = {SOURCE_STUDY['p_value']} | {100 * s['additive']['power_p_lt_0_05']:.1f}% |",
        f"| IL6R OR carriers (dominant) | not reported | {r(s['dominant']['odds_ratio'], '.2f')} |",
        f"| power, dominant P < 0.05 | - | {100 * s['dominant']['power_p_lt_0_05']:.1f}% |",
        f"| onset grade 3 vs recurrent grade 2, P | 0.004 | median {s['onset_grade3_vs_recurrent2']['p_value']['median']:.2g}; P < 0.05 in {100 * s['onset_grade3_vs_recurrent2']['share_p_lt_0_05']:.0f}% |",
        f"| final dose grade 3 vs recurrent grade 2, P | 0.010 | median {s['final_dose_grade3_vs_recurrent2']['p_value']['median']:.2g}; P < 0.05 in {100 * s['final_dose_grade3_vs_recurrent2']['share_p_lt_0_05']:.0f}% |",
        f"| troughs onset vs after re-escalation, P | < 0.001 | median {s['troughs_onset_vs_reescalation']['p_value']['median']:.2g}; P < 0.05 in {100 * s['troughs_onset_vs_reescalation']['share_p_lt_0_05']:.0f}% |",
        "", f"## Troughs at 400 mg once daily ({troughs['n_patients']} simulated patients)", "",
        "| cohort | mean +/- SD (ng/mL) | % < 1,100 | 600/400 mg |", "|---|---|---|---|",
    ]
    for name, mean_sd, below, ratio in OBSERVED_TROUGHS:
        lines.append(f"| observed: {name} | {mean_sd} | {below} | {ratio} |")
    for key, label, ratio_key in (("true_ss_trough_400mg", "simulated: true steady-state trough", "ratio_600_400_true"),
                                  ("measured_trough_400mg", "simulated: measured early TDM, 22-26 h, log-linear to 24 h", "ratio_600_400_measured")):
        d = troughs[key]
        lines.append(f"| {label} (n={d['n']}) | {d['mean']:.0f} +/- {d['sd']:.0f} | {d['percent_below_1100']:.1f}% | {troughs[ratio_key]:.2f} |")
    if ses is not None:
        lines += ["", f"## Standard error of the IL6R log-OR ({ses['n_patients']} patients, {ses['n_cases']} cases, "
                      f"risk-allele frequency {ses['risk_allele_frequency']:.2f})", "",
                  "| source | SE of log-OR |", "|---|---|",
                  f"| published 95% CI {SOURCE_STUDY['ci']} | {ses['published']:.2f} |",
                  f"| expected, additive (per allele) coding | {ses['additive']:.2f} |",
                  f"| expected, dominant (carrier) coding | {ses['dominant']:.2f} |"]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rashrisk.simulate.validate", description=__doc__.splitlines()[0])
    parser.add_argument("--cohorts", type=int, default=200)
    parser.add_argument("--n", type=int, default=712)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trough-n", type=int, default=50000)
    parser.add_argument("--config", default=None)
    args = parser.parse_args(argv)

    cfg = load_config(args.config)
    study = replicate_study(cfg, args.cohorts, args.n, args.seed)
    troughs = trough_table(cfg, args.trough_n, args.seed + 100000)
    print(format_report(study, troughs, cfg.source, standard_errors(args.n, il6r_risk_allele_frequency(cfg))))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

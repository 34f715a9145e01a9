"""The re-challenge planner on simulated severe cases with known PK truth (issue 13, item 4).

Two generators: the project's simulator (`rashrisk simulate`: its severe cases' onset and
re-escalation samples, written to a cohort folder and read back through the contract) and the
foreign PK truths A and B of `rashrisk.pk.foreign`, whose onset and re-escalation samples
`rashrisk.rechallenge.foreign_cases` writes. Every case goes through `build_rechallenge_plan` (the
CLI's path) twice: from the history up to onset, and updated with the escalation samples before the
final dose. Printed: MdAPE and median bias of the predicted 24-h trough against the true steady-state
trough, per ladder dose and at the maintenance step (the dose the case ended on), for the planner and
for the dose-proportional rule of thumb; the 90% interval's coverage; the share of proposed
maintenance doses whose true trough is below the true onset trough and at or above 1,100 ng/mL.

    .venv/bin/python bench/bench_rechallenge.py [--n-sim 3000] [--n-foreign 300] [--seed 2026]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk.contract.cohort import Cohort
from rashrisk.contract.loader import load_cohort
from rashrisk.pk.foreign import FOREIGN_A, FOREIGN_B
from rashrisk.rechallenge.evaluation import evaluate_cases, summarise
from rashrisk.rechallenge.foreign_cases import simulate_foreign_cases
from rashrisk.simulate.config import load_config
from rashrisk.simulate.cohort import simulate_cohort
from rashrisk.simulate.writer import write_cohort

TDM_COLUMNS = ["patient_id", "sample_time", "last_dose_time", "dose_mg", "concentration", "unit", "below_loq"]


def simulator_cases(n: int, seed: int, folder: Path):
    cfg = load_config()
    sim = simulate_cohort(cfg, n, seed)
    write_cohort(sim, folder)
    cohort = load_cohort(folder)
    truth = sim.truth
    cases = truth[truth["severe_rash"].astype(bool) & truth["resumed"].astype(bool)]
    late = cfg.number("pk", "exposure_drift", "late_exposure_factor")
    table = pd.DataFrame({"patient_id": cases["patient_id"].astype(str),
                          "true_trough_per_mg": cases["trough_ss_400mg_ng_ml"] / 400.0,
                          "final_dose_mg": cases["final_dose_mg"]})
    rejected = sum(r.rows_rejected for r in cohort.report.files.values())
    return cohort, table, late, f"{len(truth)} simulated patients, {len(table)} resumed severe cases; rows rejected by the loader: {rejected}"


def foreign(truth, n: int, seed: int):
    c = simulate_foreign_cases(truth, n=n, seed=seed)
    cohort = Cohort.from_frames(c.patients, c.genotypes, c.tdm[TDM_COLUMNS], c.outcomes, name="foreign")
    rejected = sum(r.rows_rejected for r in cohort.report.files.values())
    return cohort, c.truth, 1.0, f"{n} foreign cases, {len(c.tdm)} TDM rows; rows rejected by the loader: {rejected}"


def _pct(pair) -> str:
    return f"{pair[0]:.1f}% / {pair[1]:+.1f}%"


def report(name: str, results: dict, note: str, seconds: float) -> None:
    """``results``: prior -> (rows, counts)."""
    counts = results["cohort"][1]
    print(f"\n## {name}\n{note}; planned {counts['planned']}, refused {sum(counts['refused'].values())} "
          f"({'; '.join(f'{k}: {v}' for k, v in counts['refused'].items()) or 'none'}); {seconds:.0f} s")
    print("\nMdAPE / median bias of the predicted 24-h trough against the true steady-state trough (every method and the "
          "truth are linear in dose, so every ladder step gives the figures of the first):\n")
    print("| estimate | n | any ladder step, plan at onset | 90% coverage | maintenance step, plan at onset | "
          "maintenance step, plan updated before the final step |")
    print("|---|---|---|---|---|---|")
    rule = None
    for prior, (rows, _) in results.items():
        s = summarise(rows)
        d, m = s["per_dose"][0], s["maintenance"]
        print(f"| planner, {prior} prior | {d['n']} | {_pct(d['map'])} | {100 * d['coverage']:.0f}% | {_pct(m['map'])} | "
              f"{_pct(m['map_updated'])} (n {m['n']}) |")
        rule = (d, m)
    d, m = rule
    print(f"| rule of thumb (onset trough x dose / onset dose) | {d['n']} | {_pct(d['rule'])} | | {_pct(m['rule'])} | "
          f"{_pct(m['rule'])} (the rule does not use later samples) |")
    print("\n| who chose the maintenance dose | cases | with a dose | true trough < true onset trough | >= 1,100 ng/mL | both |")
    print("|---|---|---|---|---|---|")
    for prior, (rows, _) in results.items():
        s = summarise(rows)
        items = [(f"planner, {prior} prior", s["plans"]["planner"])] + ([("rule of thumb", s["plans"]["rule of thumb"])]
                                                                      if prior == "cohort" else [])
        for who, p in items:
            print(f"| {who} | {p['n_cases']} | {p['n_with_dose']} | {100 * p['share_below_onset']:.0f}% | "
                  f"{100 * p['share_effective']:.0f}% | {100 * p['share_both']:.0f}% |")


def _run(cohort, truth, late):
    return {prior: evaluate_cases(cohort, truth, late_factor=late, prior=prior) for prior in ("published", "cohort")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-sim", type=int, default=3000)
    parser.add_argument("--n-foreign", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(f"bench_rechallenge: simulator n={args.n_sim}, foreign n={args.n_foreign} per truth, seed {args.seed}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        cohort, truth, late, note = simulator_cases(args.n_sim, args.seed, Path(tmp) / "sim")
        report(f"rashrisk simulator (default configuration; exposure x {late:g} after re-escalation)", _run(cohort, truth, late),
               note, time.perf_counter() - t0)
    for truth_def in (FOREIGN_A, FOREIGN_B):
        t0 = time.perf_counter()
        cohort, truth, late, note = foreign(truth_def, args.n_foreign, args.seed)
        report(truth_def.name, _run(cohort, truth, late), note, time.perf_counter() - t0)


if __name__ == "__main__":
    main()

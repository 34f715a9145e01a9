"""The logistic family along its penalty path: what cross-validation picks and what each penalty gives on new patients.

    .venv/bin/python bench/penalty_path.py [--generators rashrisk foreign] [--sizes 712 2000] [--seeds 1 ... 12]
        [--stages start tdm] [--unpenalised tdm_day] [--folds 5] [--json out.jsonl]

For each generator, training size and seed (cohorts as in bench/quality.py, the same single test cohort
of 40,000 patients, seed 777), the tuning cross-validation of ``rashrisk.models.selection.tune`` is run
on a wide grid (C = 0.01 ... 1e4, plus the XGBoost candidates), and every candidate is refitted on all
training rows and scored on the test cohort. Printed per generator, size and stage, mean over seeds:
CV log-loss, test log-loss, test calibration slope and AUROC per candidate; how often CV (on the
default grid and on the wide one) and the test cohort (wide grid) put the optimum at each C; and the
calibration slope of the model the default rule selects (one-SE rule across families, default grid).
``--unpenalised ''`` penalises every coefficient (the configuration before the landmark day was left
out of the penalty). Nothing is hard-coded: every figure is measured in this run.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))

WIDE = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0, 1e4)


def measure(args):
    import quality as Q
    from threadpoolctl import threadpool_limits

    from rashrisk.contract.loader import load_cohort
    from rashrisk.features.frame import build_model_frame
    from rashrisk.models.calibration import expit, fit_platt
    from rashrisk.models.candidates import FittedCandidate, candidate_grid
    from rashrisk.models.config import LogisticGrid, TrainingConfig
    from rashrisk.models.metrics import auroc, calibration_intercept_slope, log_loss
    from rashrisk.models.selection import best, tune

    base = TrainingConfig()
    config = base.with_overrides(logistic=LogisticGrid(C=WIDE, unpenalised=tuple(args.unpenalised)))
    work = Path(tempfile.mkdtemp(prefix="bench_penalty_"))
    records = []
    with threadpool_limits(limits=1):
        for generator in args.generators:
            Q.write_cohort(generator, work / f"{generator}-test", args.n_test, args.test_seed)
            test_cohort = load_cohort(work / f"{generator}-test")
            tests = {stage: build_model_frame(test_cohort, stage) for stage in args.stages}
            for size in args.sizes:
                for seed in args.seeds:
                    folder = work / f"{generator}-{size}-{seed}"
                    Q.write_cohort(generator, folder, size, seed)
                    cohort = load_cohort(folder)
                    for stage in args.stages:
                        frame = build_model_frame(cohort, stage)
                        X, y = frame.X, frame.y.to_numpy(dtype=int)
                        rows, oof = tune(candidate_grid(config), config, stage, X, y, seed=config.seed,
                                         n_splits=args.folds, n_repeats=config.cv_repeats)
                        default_rows = [r for r in rows if r["name"] != "logistic" or r["params"]["C"] in base.logistic.C]
                        y_test = tests[stage].y.to_numpy(dtype=int)
                        record = {"generator": generator, "size": size, "seed": seed, "stage": stage, "n": len(y),
                                  "events": int(y.sum()), "chosen_default": best(default_rows)["candidate"].label,
                                  "candidates": {}}
                        for row in rows:
                            candidate = row["candidate"]
                            fitted = FittedCandidate(candidate, config, stage, seed=config.seed, exact=True).fit(X, y)
                            raw = fitted.raw_logit(tests[stage].X)
                            if candidate.family in base.platt_families:
                                a, b = fit_platt(oof[candidate], y)
                                raw = a + b * raw
                            p = expit(raw)
                            record["candidates"][candidate.label] = {
                                "family": candidate.family, "C": candidate.param_dict.get("C"),
                                "cv_logloss": row["cv_logloss_mean"], "test_logloss": log_loss(y_test, p),
                                "test_slope": calibration_intercept_slope(y_test, p)[1], "test_auroc": auroc(y_test, p)}
                        records.append(record)
                        print(f"  {generator} n={size} seed {seed} {stage}: {len(y)} patients, {int(y.sum())} events; "
                              f"default rule picks {record['chosen_default']}", flush=True)
    return records


def summarise(records):
    groups = collections.defaultdict(list)
    for r in records:
        groups[(r["generator"], r["size"], r["stage"])].append(r)
    for (generator, size, stage), rs in groups.items():
        events = np.mean([r["events"] for r in rs])
        print(f"\n### {generator}, n = {size}, {stage}: {len(rs)} seeds, {events:.1f} events on average")
        print("| candidate | CV log-loss | test log-loss | test calibration slope (SD) | test AUROC |")
        print("|---|---|---|---|---|")
        for label in rs[0]["candidates"]:
            v = {k: np.array([r["candidates"][label][k] for r in rs], dtype=float)
                 for k in ("cv_logloss", "test_logloss", "test_slope", "test_auroc")}
            print(f"| {label} | {v['cv_logloss'].mean():.5f} | {v['test_logloss'].mean():.5f} | "
                  f"{np.nanmean(v['test_slope']):.3f} ({np.nanstd(v['test_slope'], ddof=1):.3f}) | {v['test_auroc'].mean():.4f} |")
        logistic = [k for k, c in rs[0]["candidates"].items() if c["family"] == "logistic"]
        default_grid = [k for k in logistic if rs[0]["candidates"][k]["C"] in (0.1, 0.3, 1.0)]
        for name, pool, key in (("CV optimum, default grid", default_grid, "cv_logloss"),
                                ("CV optimum, wide grid", logistic, "cv_logloss"),
                                ("test optimum, wide grid", logistic, "test_logloss")):
            count = collections.Counter(rs[0]["candidates"][min(pool, key=lambda k: r["candidates"][k][key])]["C"] for r in rs)
            print(f"{name}: " + ", ".join(f"C={c:g} in {n}" for c, n in sorted(count.items())))
        slopes = [r["candidates"][r["chosen_default"]]["test_slope"] for r in rs]
        aurocs = [r["candidates"][r["chosen_default"]]["test_auroc"] for r in rs]
        families = collections.Counter(r["candidates"][r["chosen_default"]]["family"] for r in rs)
        print(f"default rule: calibration slope per seed {np.round(slopes, 2).tolist()}, mean {np.mean(slopes):.3f} "
              f"(SD {np.std(slopes, ddof=1):.3f}), AUROC {np.mean(aurocs):.4f}; families {dict(families)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generators", nargs="+", choices=["rashrisk", "foreign"], default=["rashrisk", "foreign"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[712, 2000])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(1, 13)))
    parser.add_argument("--stages", nargs="+", choices=["start", "tdm"], default=["start", "tdm"])
    parser.add_argument("--unpenalised", nargs="*", default=["tdm_day"],
                        help="clinical factors left out of the penalty ('' or nothing: every coefficient penalised)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--n-test", type=int, default=40_000)
    parser.add_argument("--test-seed", type=int, default=777)
    parser.add_argument("--json", type=Path, help="also write the per-seed records (JSON lines)")
    args = parser.parse_args(argv)
    args.unpenalised = [u for u in args.unpenalised if u]
    print(f"bench/penalty_path.py {' '.join(sys.argv[1:])}\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    t0 = time.perf_counter()
    records = measure(args)
    if args.json:
        args.json.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    summarise(records)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

"""Benchmark: train both stages with full validation on simulated cohorts; prints the figures.

    .venv/bin/python bench/bench_train.py [--n 712 100000] [--seed 20261128] [--config FILE]

Targets (issue 4): both stages with full validation (tuning, nested CV, calibration, interval
ensemble, 200-resample optimism bootstrap) on 712 patients in < 60 s, on 100,000 in < 10 min, on
2 cores. Cohort simulation and loading are timed separately and are not part of the target.
By default the two stages train in two processes (``--jobs 2``, as ``rashrisk train --jobs 2``);
``--jobs 1`` trains them one after the other and also prints the CPU seconds (on a machine shared
with other jobs the CPU time shows the work done, the wall time what a user waits).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def bench_one(n: int, seed: int, config, workdir: Path, jobs: int) -> None:
    from rashrisk.contract.loader import load_cohort
    from rashrisk.models.train import train_stages
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    out = workdir / f"sim{n}"
    t0 = time.perf_counter()
    write_cohort(simulate_cohort(load_config(None), n, seed), out)
    cohort = load_cohort(out)
    t_data = time.perf_counter() - t0
    print(f"n={n}: simulate + write + load {t_data:.1f} s")
    wall0, cpu0 = time.perf_counter(), time.process_time()
    results = train_stages(cohort, ("start", "tdm"), config, n_jobs=jobs)
    wall = time.perf_counter() - wall0
    for result in results:
        s = result.summary()
        steps = ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items())
        print(f"  {result.stage}: {s['seconds_total']:.1f} s in the stage ({steps}); patients {s['n']}, "
              f"events {s['events']}, selected {s['selected']}, corrected AUROC {s['auroc'][0]:.3f}, "
              f"nested-CV AUROC {s['nested_cv_auroc']:.3f}")
    cpu = "" if jobs > 1 else f", {time.process_time() - cpu0:.1f} s CPU"
    print(f"  both stages with full validation ({jobs} process(es)): {wall:.1f} s wall{cpu}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[712, 100_000])
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--jobs", type=int, default=2, help="stages trained in parallel processes (1 = sequential)")
    args = parser.parse_args()

    import os

    from rashrisk.models.config import TrainingConfig

    config = TrainingConfig.from_toml(args.config) if args.config else TrainingConfig()
    print(f"bench_train: {os.cpu_count()} CPUs visible; validation_bootstrap={config.validation_bootstrap}, "
          f"cv {config.cv_splits}x{config.cv_repeats}, nested {config.nested_outer_splits}x{config.nested_inner_splits}")
    with tempfile.TemporaryDirectory(prefix="rashrisk-bench-train-") as tmp:
        for n in args.n:
            bench_one(n, args.seed, config, Path(tmp), args.jobs)


if __name__ == "__main__":
    main()

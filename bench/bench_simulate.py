"""Benchmark: simulate and write a cohort of N patients (default 1,000,000); prints the figures.

    .venv/bin/python bench/bench_simulate.py [--n 1000000] [--seed 1] [--out /tmp/rashrisk-bench]

Target (issue 3): one million patients in under 60 s (simulation + writing every file). The
configuration's intercept is solved once per process on its reference population; that cost is
included in the first figure and reported separately.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    t0 = time.perf_counter()
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.outcomes import reference_intercept
    from rashrisk.simulate.writer import write_cohort

    cfg = load_config()
    t_import = time.perf_counter()
    reference_intercept(cfg)
    t_intercept = time.perf_counter()
    sim = simulate_cohort(cfg, args.n, args.seed)
    t_sim = time.perf_counter()
    out = args.out or Path(tempfile.mkdtemp(prefix="rashrisk-bench-"))
    paths = write_cohort(sim, out)
    t_write = time.perf_counter()

    sizes = {p.name: p.stat().st_size for p in paths.values()}
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"patients: {args.n:,}  TDM samples: {len(sim.tdm):,}  seed: {args.seed}")
    print(f"imports + config:            {t_import - t0:6.2f} s")
    print(f"intercept (reference pop.):  {t_intercept - t_import:6.2f} s")
    print(f"simulate:                    {t_sim - t_intercept:6.2f} s")
    print(f"write files:                 {t_write - t_sim:6.2f} s")
    print(f"total (end to end):          {t_write - t0:6.2f} s   (target < 60 s)")
    print(f"peak memory:                 {peak_mb:,.0f} MB")
    for name, size in sizes.items():
        print(f"  {name:<18} {size / 1e6:8.1f} MB")
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()

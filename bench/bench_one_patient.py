"""In-process time of one patient's /v1/score work, start and TDM stage, in one run (no HTTP).

The same bodies as ``bench/bench_service.py`` (the docs/service.md example patient; TDM with one
sample) and the same functions the endpoint calls: ``single_input`` (the cohort contract on the
document) then ``score_input`` and ``table_records``. Prints median and p95 of the whole, and of the
scoring alone (the ScoringInput already built), per stage, and the load average. Ratios between runs
matter more than absolute figures on a shared machine.

``--profile start|tdm`` prints a cProfile of the whole instead (top functions by cumulative time).
``--stages start|tdm`` prints the wall time per request of the main steps (:data:`STAGES`, timed by
wrapping each function where the pipeline imported it): cProfile inflates the many small pandas
calls several-fold, so this is where the time really goes. Nested steps are included in their callers.

Run: .venv/bin/python bench/bench_one_patient.py [--repeats 200] [--profile start] [--stages tdm]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_service import scenarios  # noqa: E402

BODIES = {"start": "score start, 1 patient", "tdm": "score tdm, 1 patient (1 sample)"}
# module -> functions timed by --stages
STAGES = {
    "rashrisk.contract.pipeline": ["check_cohort"],
    "rashrisk.contract.checking": ["check_table"],
    "rashrisk.contract.rules": ["apply_rules"],
    "rashrisk.contract.derive": ["canonical", "patients", "tdm"],
    "rashrisk.contract.genotypes": ["load_genotypes", "_accepted_calls", "_qc"],
    "rashrisk.genotype.table": ["complete_genotype_table"],
    "rashrisk.features.frame": ["build_model_frame", "_apriori", "_add_landmark"],
    "rashrisk.features.landmark": ["select_landmark_samples"],
    "rashrisk.pk.map": ["map_estimate", "_fit"],
    "rashrisk.scoring.score": ["score_frame", "not_scored_reasons", "served_risk"],
    "rashrisk.explanations.local": ["explain_factors", "top_factor_columns"],
    "rashrisk.scoring.warnings": ["pk_domain_warnings", "patient_warnings"],
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered) + 0.5)) - 1)]


def one_patient(stage: str):
    """A function doing the endpoint's work for the stage's body, and the body."""
    from rashrisk.models.bundle import load_default_model
    from rashrisk.scoring.output import table_records
    from rashrisk.scoring.score import score_input
    from rashrisk.service.inputs import single_input

    body = scenarios()[BODIES[stage]]
    model = load_default_model(stage)

    def contract():
        return single_input(body["patient"])

    def scoring(found):
        return table_records(score_input(found, stage, model))

    return contract, scoring


def time_stages(stage: str, repeats: int) -> None:
    """Wall time per request of each function of :data:`STAGES` (wrapped in every rashrisk module
    that holds it), and of the whole."""
    import functools
    import importlib

    spent: dict[str, float] = {}

    def timed(label, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0
        return wrapper

    contract, scoring = one_patient(stage)  # imports the pipeline first
    for module_name, names in STAGES.items():
        module = importlib.import_module(module_name)
        for name in names:
            function = getattr(module, name)
            wrapper = timed(f"{module_name.removeprefix('rashrisk.')}.{name}", function)
            for holder in [m for m in list(sys.modules.values()) if getattr(m, "__name__", "").startswith("rashrisk")]:
                if getattr(holder, name, None) is function:
                    setattr(holder, name, wrapper)
    for _ in range(5):
        scoring(contract())
    spent.clear()
    t0 = time.perf_counter()
    for _ in range(repeats):
        scoring(contract())
    whole = (time.perf_counter() - t0) / repeats * 1e3
    print(f"load average {os.getloadavg()[0]:.2f}; {stage} stage, {repeats} requests; whole {whole:.2f} ms per request "
          "(with the timing wrappers); nested steps are included in their callers\n")
    for label, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"{seconds / repeats * 1e3:8.2f} ms  {label}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--profile", choices=sorted(BODIES))
    parser.add_argument("--stages", choices=sorted(BODIES))
    args = parser.parse_args(argv)
    if args.stages:
        time_stages(args.stages, args.repeats)
        return
    if args.profile:
        contract, scoring = one_patient(args.profile)
        for _ in range(5):
            scoring(contract())
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(50):
            scoring(contract())
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
        return
    print(f"load average {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; {args.repeats} repeats per stage")
    print(f"{'stage':6} {'whole p50 ms':>12} {'whole p95 ms':>12} {'scoring p50':>12} {'scoring p95':>12}")
    for stage in BODIES:
        contract, scoring = one_patient(stage)
        for _ in range(5):
            scoring(contract())
        whole, alone = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            found = contract()
            t1 = time.perf_counter()
            scoring(found)
            t2 = time.perf_counter()
            whole.append((t2 - t0) * 1e3)
            alone.append((t2 - t1) * 1e3)
        print(f"{stage:6} {statistics.median(whole):12.1f} {p95(whole):12.1f} {statistics.median(alone):12.1f} "
              f"{p95(alone):12.1f}", flush=True)


if __name__ == "__main__":
    main()

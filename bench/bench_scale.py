"""Benchmark the Dask engine: a partitioned virtual cohort simulated and scored on a local cluster.

For each N (default 1,000,000 and 10,000,000): `simulate --engine dask` (partitions of
``--rows-per-partition`` patients, Parquet tables and a VCF each) and `score --engine dask` with the
embedded default model of ``--stage`` on a local cluster of ``--workers`` worker processes of one
thread each. Prints wall time, throughput (patients per second, in total and per worker), each
worker's peak resident memory (``ru_maxrss`` of the worker process, read with ``Client.run`` at the
end of the run), and the driver's peak. Before the cluster, the single-process figure: one partition
(``part-00000``) scored in this process by the same function (:func:`rashrisk.scale.score.score_partition`)
after a warm-up, for the ratio of a worker's throughput to one process's.

Memory is bounded by the partition size, not by N: a task reads one partition and writes its own
output file; the driver only holds per-partition counts. Figures go to docs/benchmarks.md by hand.

Run: nice .venv/bin/python bench/bench_scale.py [--n 1000000 10000000] [--workers 2] [--stage tdm]
     [--rows-per-partition 100000] [--dir /tmp/rashrisk-bench-scale] [--keep]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path


def rss_mib() -> float:
    from rashrisk.scale.score import peak_rss_mib

    return peak_rss_mib()


def single_process(part: Path, stage: str, model, out: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and rows of scoring one partition in this process (after one warm-up run)."""
    from rashrisk.scale.score import score_partition

    score_partition(part, out, stage, model, cohort_name=part.parent.name)  # warm-up (imports, caches)
    result = score_partition(part, out, stage, model, cohort_name=part.parent.name)
    return result.seconds, result.cpu_seconds, result.rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--stage", default="tdm", choices=("start", "tdm"))
    parser.add_argument("--rows-per-partition", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/rashrisk-bench-scale"))
    parser.add_argument("--keep", action="store_true", help="keep the simulated cohorts and scores")
    parser.add_argument("--single-partition", type=Path, help=argparse.SUPPRESS)  # the single-process child
    args = parser.parse_args()
    if args.single_partition:
        from rashrisk.tracking.model_source import resolve_model

        model, _ = resolve_model(args.stage, "default")
        seconds, cpu, rows = single_process(args.single_partition, args.stage, model, args.dir / "one-scores.parquet")
        print(seconds, cpu, rows, rss_mib())
        return

    from rashrisk.scale.engine import dask_client, dask_mapper
    from rashrisk.scale.run import score_partitioned, simulate_partitioned
    from rashrisk.scale.score import peak_rss_mib
    from rashrisk.simulate.config import load_config
    from rashrisk.tracking.model_source import resolve_model

    cfg = load_config(None)
    model, source = resolve_model(args.stage, "default")
    print(f"bench/bench_scale.py --n {' '.join(map(str, args.n))} --workers {args.workers} --stage {args.stage} "
          f"--rows-per-partition {args.rows_per_partition}")
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}")
    print(f"model: {model.label} ({source})\n")
    args.dir.mkdir(parents=True, exist_ok=True)

    # single-process figure: one partition, scored by a fresh process (so that this driver's peak is its own)
    one = args.dir / "one"
    shutil.rmtree(one, ignore_errors=True)
    simulate_partitioned(cfg, args.rows_per_partition, args.seed, one, rows_per_partition=args.rows_per_partition)
    line = subprocess.run([sys.executable, __file__, "--single-partition", str(one / "part-00000"), "--stage", args.stage,
                           "--dir", str(args.dir)], check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    seconds, cpu, rows, peak = (float(v) for v in line.split())
    single_rate, single_cpu_rate = rows / seconds, rows / cpu
    print(f"single process, one partition of {rows:,.0f} patients (load, score, write; a fresh process, after one "
          f"warm-up run): {seconds:.1f} s wall, {cpu:.1f} s CPU; {single_rate:,.0f} patients/s wall, "
          f"{single_cpu_rate:,.0f} per CPU second; peak RSS {peak:,.0f} MiB\n")
    shutil.rmtree(one, ignore_errors=True)

    print("wall = elapsed time of the step (cluster start not included); per worker = patients/s / workers; "
          "task CPU = the CPU seconds the partition tasks spent (load-independent), so per CPU second = patients / task "
          "CPU; ratio = per CPU second of a worker / the single process's per CPU second\n")
    print("| N | step | partitions | wall s | patients/s | per worker (wall) | task wall s mean (min-max) | task CPU s "
          "total | per CPU s | ratio to single process | peak RSS per worker (MiB) | driver peak RSS (MiB) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    sys.stdout.flush()
    for n in args.n:
        cohort, scores = args.dir / f"cohort-{n}", args.dir / f"scores-{n}"
        for path in (cohort, scores):
            shutil.rmtree(path, ignore_errors=True)
        for step in ("simulate", "score"):
            with dask_client(None, n_workers=args.workers) as client:
                mapper = dask_mapper(client)
                if step == "simulate":
                    summary = simulate_partitioned(cfg, n, args.seed, cohort, rows_per_partition=args.rows_per_partition,
                                                   mapper=mapper)
                else:
                    summary = score_partitioned(cohort, scores, args.stage, model, mapper=mapper)
                peaks = client.run(peak_rss_mib)
            rate = summary.rows / summary.seconds
            workers = max(1, len(peaks))
            tasks, cpu = summary.details["task_seconds"], summary.details["task_cpu_seconds"]
            cpu_rate = summary.rows / sum(cpu)
            ratio = f"{cpu_rate / single_cpu_rate:.2f}" if step == "score" else ""
            label = (f"score ({summary.done:,} scored, {summary.rows - summary.done:,} not scored, "
                     f"{summary.rescored} partitions re-scored)" if step == "score" else "simulate")
            print(f"| {n:,} | {label} | {summary.partitions} | {summary.seconds:,.0f} | {rate:,.0f} | {rate / workers:,.0f} | "
                  f"{sum(tasks) / len(tasks):.1f} ({min(tasks):.1f}-{max(tasks):.1f}) | {sum(cpu):,.0f} | {cpu_rate:,.0f} | "
                  f"{ratio} | {', '.join(f'{v:,.0f}' for v in sorted(peaks.values()))} | {rss_mib():,.0f} |")
            sys.stdout.flush()
        if not args.keep:
            shutil.rmtree(cohort, ignore_errors=True)
            shutil.rmtree(scores, ignore_errors=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

"""Scoring and simulating a partitioned cohort, partition by partition, on a *mapper*: the in-process
loop (:func:`local_mapper`, the single-process engine) or a Dask cluster
(:func:`rashrisk.scale.engine.dask_mapper`). The driver only ever holds per-partition counts: each
task reads its partition and writes its own output file, so memory stays that of one partition per
worker however large the cohort.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from rashrisk.atomic import atomic_folder
from rashrisk.contract.genotypes import low_call_rate_messages
from rashrisk.genotype.qc import LowCallRateWarning
from rashrisk.scale.duplicates import local_duplicate_ids, reasons_by_partition
from rashrisk.scale.partitions import is_partition_output, partition_folders, partition_name, write_manifest
from rashrisk.scale.score import (PartitionScores, cohort_call_rates, flags_low_call_rate, needs_rescore,
                                  predictor_rsids, rate_counts, score_partition)
from rashrisk.scale.simulate import DEFAULT_ROWS_PER_PARTITION, partition_seeds, partition_sizes, simulate_partition

# a mapper runs fn(**job) for every job (any order) and yields (job index, result) as they finish
Mapper = Callable[[Callable, list[dict], dict], Iterator[tuple[int, object]]]


def local_mapper(fn: Callable, jobs: list[dict], shared: dict) -> Iterator[tuple[int, object]]:
    """The single-process engine: the jobs one after the other in this process."""
    for i, job in enumerate(jobs):
        yield i, fn(**job, **shared)


@dataclass
class RunSummary:
    partitions: int
    rows: int
    done: int  # scored patients, or simulated patients
    seconds: float
    rescored: int = 0
    peak_rss_mib: list[float] = field(default_factory=list)  # per partition task: its worker's peak so far
    details: dict = field(default_factory=dict)


def score_partitioned(cohort, out, stage: str, model, *, mapper: Mapper = local_mapper, explanations: bool = False,
                      model_source: str = "") -> RunSummary:
    """Score every partition of the partitioned cohort ``cohort`` into ``out``/part-NNNNN.parquet (one
    file per input partition, rows in input order; concatenated in partition order they are the input's
    patients in order), plus ``partitions.json``. Every patient read is a row: scored or not_scored
    with its reason, as in the single-process output."""
    cohort = Path(cohort).absolute()
    parts = partition_folders(cohort)
    started = time.perf_counter()
    with atomic_folder(Path(out), is_partition_output, what="--out") as tmp:
        tmp = tmp.absolute()
        jobs = [{"part": part, "out_file": tmp / f"{part.name}.parquet",
                 "explanations_file": tmp / f"{part.name}.explanations.parquet" if explanations else None,
                 "duplicates": None}
                for part in parts]
        duplicates = getattr(mapper, "duplicate_ids", local_duplicate_ids)(parts)
        by_partition = reasons_by_partition(duplicates)  # only the partitions holding a repeated id
        for job in jobs:
            job["duplicates"] = by_partition.get(job["part"].name)
        shared = {"stage": stage, "model": model, "cohort_name": cohort.name}
        results: list[PartitionScores | None] = [None] * len(jobs)
        for i, result in mapper(_score_job, jobs, shared):
            results[i] = result
        rates = cohort_call_rates(cohort.name, results, predictor_rsids(model))
        summary_duplicates = len(duplicates)
        again = [i for i, r in enumerate(results) if needs_rescore(r, rates)]
        if again:  # the explanations do not depend on the call rates: written once, in the first pass
            rescore = [{**jobs[i], "explanations_file": None} for i in again]
            for i, result in mapper(_score_job, rescore, {**shared, "cohort_rates": rates}):
                results[again[i]] = result
        if flags_low_call_rate(rates.n_patients, rate_counts(rates.rates)):
            for message in low_call_rate_messages(None, [], rates=rates.rates, name=rates.name):
                warnings.warn(message + "; the model imputes this genotype for every patient without a call",
                              LowCallRateWarning, stacklevel=2)
        summary = RunSummary(partitions=len(parts), rows=sum(r.rows for r in results),
                             done=sum(r.scored for r in results), seconds=time.perf_counter() - started,
                             rescored=len(again), peak_rss_mib=[r.peak_rss_mib for r in results],
                             details={"task_seconds": [r.seconds for r in results],
                                      "task_cpu_seconds": [r.cpu_seconds for r in results],
                                      "ids_in_several_partitions": summary_duplicates})
        write_manifest(tmp, kind="scores", stage=stage, model=model.label, model_source=model_source,
                       cohort=cohort.name, partitions=len(parts), rows=summary.rows, scored=summary.done,
                       not_scored=summary.rows - summary.done, explanations=bool(explanations),
                       ids_in_several_partitions=summary_duplicates,
                       files=[f"{p.name}.parquet" for p in parts])
    return summary


def _score_job(part, out_file, explanations_file, duplicates, stage, model, cohort_name, cohort_rates=None):
    return score_partition(part, out_file, stage, model, cohort_name=cohort_name, cohort_rates=cohort_rates,
                           duplicates=duplicates, explanations_file=explanations_file)


def simulate_partitioned(cfg, n: int, seed: int, out, *, rows_per_partition: int = DEFAULT_ROWS_PER_PARTITION,
                         mapper: Mapper = local_mapper) -> RunSummary:
    """Simulate a partitioned virtual cohort of ``n`` patients into ``out`` (see :mod:`rashrisk.scale.simulate`)."""
    sizes = partition_sizes(n, rows_per_partition)
    seeds = partition_seeds(seed, len(sizes))
    firsts = [sum(sizes[:k]) for k in range(len(sizes))]
    started = time.perf_counter()
    with atomic_folder(Path(out), is_partition_output, what="--out") as tmp:
        tmp = tmp.absolute()
        jobs = [{"part": tmp / partition_name(k), "n": sizes[k], "seed": seeds[k], "first": firsts[k]}
                for k in range(len(sizes))]
        results = [None] * len(jobs)
        for i, result in mapper(_simulate_job, jobs, {"cfg": cfg, "n_total": int(n)}):
            results[i] = result
        write_manifest(tmp, kind="virtual cohort", patients=int(n), seed=int(seed), partitions=len(sizes),
                       rows_per_partition=int(rows_per_partition), config=str(cfg.source),
                       config_fingerprint=cfg.fingerprint(),
                       seeds="numpy.random.SeedSequence(seed).spawn(partitions), one 64-bit state each")
    return RunSummary(partitions=len(sizes), rows=int(n), done=sum(r.patients for r in results),
                      seconds=time.perf_counter() - started, peak_rss_mib=[r.peak_rss_mib for r in results],
                      details={"task_seconds": [r.seconds for r in results],
                               "task_cpu_seconds": [r.cpu_seconds for r in results],
                               "severe_rash": sum(r.severe_rash for r in results),
                               "tdm_samples": sum(r.tdm_samples for r in results)})


def _simulate_job(part, n, seed, first, cfg, n_total):
    return simulate_partition(cfg, part, n=n, seed=seed, first=first, n_total=n_total)


def iter_partition_files(folder) -> Iterable[Path]:
    """The part-NNNNN.parquet files of a partitioned output, in partition order."""
    return sorted(Path(folder).glob("part-*[0-9].parquet"))

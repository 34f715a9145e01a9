"""One partition of a partitioned virtual cohort: :func:`rashrisk.simulate.cohort.simulate_cohort` on
the partition's patients with the partition's own seed, written as a cohort folder (Parquet tables,
a VCF of the partition's samples, ``truth.parquet``).

Reproducible whatever the number of workers: the partition sizes depend only on ``n`` and
``rows_per_partition`` (:func:`partition_sizes`), partition ``k``'s seed is the ``k``-th child of
``numpy.random.SeedSequence(seed)`` (:func:`partition_seeds`), and patient ids are numbered over the
whole cohort (``SIM00000001`` ... in partition order). A partitioned cohort of ``n`` is *not* the
cohort of ``rashrisk simulate --n n`` with the same seed: the single-process simulator draws each
quantity for all its patients from one named stream per cohort (:mod:`rashrisk.simulate.rng`), so
patient ``i``'s values depend on how many patients share the stream; the partitions draw from
their own streams. Both are draws from the same configured population (same intercept, same
distributions); a one-partition cohort differs from ``simulate --n`` only by the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rashrisk.simulate.cohort import SimulatedCohort, simulate_cohort
from rashrisk.simulate.writer import _write_vcf, outcomes_table, patients_table, tdm_table, truth_table

PARTITION_FILES = ("patients.parquet", "genotypes.vcf", "tdm.parquet", "outcomes.parquet", "truth.parquet")
DEFAULT_ROWS_PER_PARTITION = 100_000


def partition_sizes(n: int, rows_per_partition: int) -> list[int]:
    """Patients per partition: full partitions of ``rows_per_partition``, the last one the rest."""
    if n < 1 or rows_per_partition < 1:
        raise ValueError("n and rows_per_partition must be positive")
    full, rest = divmod(int(n), int(rows_per_partition))
    return [int(rows_per_partition)] * full + ([rest] if rest else [])


def partition_seeds(seed: int, n_partitions: int) -> list[int]:
    """One 64-bit seed per partition, spawned from ``seed`` (independent streams, same for any worker count)."""
    children = np.random.SeedSequence(int(seed)).spawn(int(n_partitions))
    return [int(c.generate_state(1, dtype=np.uint64)[0]) for c in children]


@dataclass(frozen=True)
class PartitionSimulated:
    """What a simulation task returns (counts only)."""

    partition: str
    patients: int
    severe_rash: int
    tdm_samples: int
    peak_rss_mib: float
    seconds: float = float("nan")
    cpu_seconds: float = float("nan")


def renumber(sim: SimulatedCohort, first: int, n_total: int, prefix: str) -> SimulatedCohort:
    """Patient ids numbered over the whole cohort: ``first`` is this partition's first patient (0-based)."""
    width = max(6, len(str(n_total)))
    ids = np.char.add(prefix, np.char.zfill(np.arange(first + 1, first + sim.n_patients + 1).astype(str), width))
    ids = ids.astype(object)
    sim.patients["patient_id"] = ids
    sim.tdm["patient_id"] = ids[sim.tdm["patient_index"].to_numpy()]
    sim.truth_columns["patient_id"] = ids
    return sim


def simulate_partition(cfg, part: Path, *, n: int, seed: int, first: int, n_total: int) -> PartitionSimulated:
    """Simulate and write one partition folder ``part`` (created; files written then renamed in place)."""
    import time

    import pyarrow.parquet as pq

    from rashrisk.scale.score import peak_rss_mib

    started, cpu_started = time.perf_counter(), time.process_time()

    sim = renumber(simulate_cohort(cfg, n, seed), first, n_total, cfg.get("cohort", "patient_id_prefix"))
    part = Path(part)
    part.mkdir(parents=True, exist_ok=True)
    for name, build in (("patients", patients_table), ("tdm", tdm_table), ("outcomes", outcomes_table),
                        ("truth", truth_table)):
        tmp = part / f".{name}.parquet.tmp"
        pq.write_table(build(sim), tmp)
        tmp.replace(part / f"{name}.parquet")
    tmp = part / ".genotypes.vcf.tmp"
    _write_vcf(sim, tmp, gzip_vcf=False)
    tmp.replace(part / "genotypes.vcf")
    return PartitionSimulated(partition=part.name, patients=sim.n_patients,
                              severe_rash=int(sim.outcomes["severe_rash"].sum()), tdm_samples=len(sim.tdm),
                              peak_rss_mib=peak_rss_mib(), seconds=time.perf_counter() - started,
                              cpu_seconds=time.process_time() - cpu_started)


__all__ = ["partition_sizes", "partition_seeds", "simulate_partition"]

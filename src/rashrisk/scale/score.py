"""One partition scored: the single-process scoring path (:func:`rashrisk.scoring.score.score_input`)
on the partition's whole patients, written as one Parquet file of the partitioned output.

Cohort-wide figures are the only thing a partition cannot know alone: the genotype predictors' call
rates (a warning when a predictor is called in too few of the cohort's patients). A partition task
returns its own counts; the engine sums them and re-scores, with the whole cohort's rates
(:class:`~rashrisk.scoring.score.CohortCallRates`), any partition whose call-rate verdict differs
from the cohort's (see :func:`needs_rescore`). In the usual case (every rate above the minimum, in
every partition and in the cohort) each partition is scored once.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk.atomic import write_with
from rashrisk.contract.genotypes import predictor_call_rates
from rashrisk.explanations.local import explanation_table
from rashrisk.genotype.qc import MIN_PREDICTOR_CALL_RATE, LowCallRateWarning
from rashrisk.scale.partitions import load_partition
from rashrisk.scoring.inputs import scoring_input_from_cohort
from rashrisk.scoring.score import (MIN_PATIENTS_FOR_CALL_RATE, CohortCallRates, build_frame, not_scored_rows,
                                   score_input)


@dataclass
class PartitionScores:
    """What a partition task returns to the driver (counts only: no patient data)."""

    partition: str
    rows: int  # output rows = patients read (scored + not scored)
    scored: int
    n_patients: int  # accepted patients (the call rates' denominator)
    call_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # rsid -> (called, patients)
    low_call_rate: bool = False  # the partition's own rates gave a call-rate warning
    peak_rss_mib: float = float("nan")
    seconds: float = float("nan")  # the task's own time: load, score, write
    cpu_seconds: float = float("nan")  # the CPU time of it (the worker's process; load-independent)


def predictor_rsids(model) -> list[str]:
    return list(model.card.genotype_coding.genotypes)


def flags_low_call_rate(n_patients: int, counts: dict[str, tuple[int, int]], *,
                        minimum: float = MIN_PREDICTOR_CALL_RATE) -> bool:
    """Whether :func:`rashrisk.scoring.score.call_rate_warnings` warns for these counts."""
    if n_patients < MIN_PATIENTS_FOR_CALL_RATE:
        return False
    return any(not n or called / n < minimum for called, n in counts.values())


def cohort_call_rates(name: str, results: list[PartitionScores], rsids: list[str]) -> CohortCallRates:
    """The whole cohort's call rates: the partitions' counts summed."""
    rows = []
    for rsid in rsids:
        called = sum(r.call_counts.get(rsid, (0, 0))[0] for r in results)
        n = sum(r.call_counts.get(rsid, (0, 0))[1] for r in results)
        rows.append({"rsid": rsid, "n_called": called, "n_patients": n, "call_rate": called / n if n else float("nan")})
    table = pd.DataFrame(rows, columns=["rsid", "n_called", "n_patients", "call_rate"])
    return CohortCallRates(name=name, n_patients=sum(r.n_patients for r in results), rates=table)


def needs_rescore(result: PartitionScores, cohort: CohortCallRates) -> bool:
    """A partition scored with its own call rates must be scored again with the cohort's when either
    verdict warns (the warning's text carries the rate, so only two silent verdicts agree)."""
    return result.low_call_rate or flags_low_call_rate(cohort.n_patients, rate_counts(cohort.rates))


def rate_counts(rates: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """rsid -> (called, patients) of a :func:`~rashrisk.contract.genotypes.predictor_call_rates` table."""
    return {r.rsid: (int(r.n_called), int(r.n_patients)) for r in rates.itertuples(index=False)}


def score_partition(part: Path, out_file: Path, stage: str, model, *, cohort_name: str,
                    cohort_rates: CohortCallRates | None = None, duplicates: dict[str, str] | None = None,
                    explanations_file: Path | None = None) -> PartitionScores:
    """Load the partition ``part`` (the single-process loader), score it (the single-process scorer) and
    write its table to ``out_file`` (Parquet, atomically). Returns the counts the driver needs.
    ``duplicates``: patient id -> reason, for ids also in another partition (:mod:`rashrisk.scale.duplicates`):
    their rows are not_scored with that reason. ``explanations_file``: also write the per-factor
    explanations of the patients (as ``rashrisk explain``), from the same loaded partition."""
    started, cpu_started = time.perf_counter(), time.process_time()
    part = Path(part)
    cohort = load_partition(part, cohort_name)
    scoring_input = scoring_input_from_cohort(cohort)
    with warnings.catch_warnings():
        # the low-call-rate warning is given once by the driver for the whole cohort, not per partition
        warnings.simplefilter("ignore", LowCallRateWarning)
        table = score_input(scoring_input, stage, model, cohort_rates=cohort_rates)
    if duplicates:
        table = reject_duplicates(table, model, duplicates)
    write_with(Path(out_file), lambda handle: table.to_parquet(handle, index=False))
    if explanations_file is not None:
        frame, _ = build_frame(scoring_input.cohort, stage, model)
        explained = explanation_table(model, frame.X)
        write_with(Path(explanations_file), lambda handle: explained.to_parquet(handle, index=False))
    rsids = predictor_rsids(model)
    counts = rate_counts(predictor_call_rates(cohort, rsids)) if rsids else {}
    return PartitionScores(partition=part.name, rows=len(table), scored=int((table["status"] == "scored").sum()),
                           n_patients=cohort.n_patients, call_counts=counts,
                           low_call_rate=flags_low_call_rate(cohort.n_patients, counts), peak_rss_mib=peak_rss_mib(),
                           seconds=time.perf_counter() - started, cpu_seconds=time.process_time() - cpu_started)


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB: Linux's ``VmHWM`` (the high-water mark of this
    process's own memory; ``ru_maxrss`` would carry over the parent's peak into a spawned worker),
    else ``ru_maxrss``."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reject_duplicates(table: pd.DataFrame, model, duplicates: dict[str, str]) -> pd.DataFrame:
    """``table`` with the rows of the ids in ``duplicates`` made not_scored with their reason (in place of
    a risk, or before the reason they already had), order kept."""
    hit = table["patient_id"].isin(list(duplicates)).to_numpy()
    if not hit.any():
        return table
    table = table.copy()
    reasons = {}
    for i in np.flatnonzero(hit):
        pid, earlier = table.at[i, "patient_id"], table.at[i, "reason"]
        reasons[i] = duplicates[pid] + (f"; {earlier}" if earlier and earlier not in duplicates[pid] else "")
    replacement = not_scored_rows(model, {str(i): r for i, r in reasons.items()})
    replacement["patient_id"] = table.loc[hit, "patient_id"].to_numpy()
    replacement.index = np.flatnonzero(hit)
    table.loc[hit, list(replacement.columns)] = replacement
    return table

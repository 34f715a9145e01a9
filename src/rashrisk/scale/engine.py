"""The Dask engine: the only module of rashrisk that imports dask (the ``scale`` extra).

:func:`dask_client` connects to a scheduler (``--scheduler tcp://host:8786``) or starts a local
cluster of worker processes (two workers of one thread each by default: one partition per core);
:func:`dask_mapper` runs partition tasks on it and yields their small results as they finish. The
model is sent to every worker once (``Client.scatter(..., broadcast=True)``), and the partitions'
paths travel as task arguments: workers read and write the files themselves, so the cohort and the
outputs must be on storage every worker sees at the same path (one machine, or a shared file system).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rashrisk.errors import RashriskError

# Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536 (to give memory back to the OS). Any
# fixed trim threshold turns off glibc's dynamic mmap threshold, and then every large array of the
# scoring path is a fresh mmap with its page faults: a partition took 1.6-1.7 times the CPU of the
# same call in a plain process (25,000 patients, tdm: 3.1-3.4 s against 1.8-1.9 s; 2.7-2.9 s with
# a 32 MiB threshold). Unset (None) it is glibc's default, as in a plain process. `dask worker`
# started by hand reads the same setting from a Dask config file (docs/deploy.md).
WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}

INSTALL_HINT = "the Dask engine needs the scale extra: pip install 'rashrisk[scale]' (dask[dataframe,distributed])"


def _distributed():
    try:
        import distributed
    except ImportError:  # pragma: no cover - the test extra installs it
        raise RashriskError(INSTALL_HINT) from None
    return distributed


@contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int = 2, threads_per_worker: int = 1,
                memory_limit: str = "auto", processes: bool = True):
    """A ``distributed.Client``: to ``scheduler`` when given, else to a new local cluster (closed at the end)."""
    distributed = _distributed()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise RashriskError(f"--scheduler {scheduler}: cannot connect to a Dask scheduler ({exc}); start one "
                                "with `dask scheduler` and workers with `dask worker ADDRESS` (docs/deploy.md)") from None
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    with dask.config.set(WORKER_ENVIRON):
        cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker,
                                           processes=processes, memory_limit=memory_limit,
                                           dashboard_address=":0")  # any free port: clusters side by side
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def dask_mapper(client) -> Callable:
    """A mapper (:data:`rashrisk.scale.run.Mapper`) running each job as one task on ``client``'s cluster.
    Shared arguments (the model, the configuration) are scattered to every worker once."""
    distributed = _distributed()

    def mapper(fn: Callable, jobs: list[dict], shared: dict) -> Iterator[tuple[int, object]]:
        scattered = {key: client.scatter(value, broadcast=True) for key, value in shared.items()
                     if not isinstance(value, (str, int, float, type(None)))}
        arguments = {**shared, **scattered}
        futures = {client.submit(fn, **job, **arguments, pure=False): i for i, job in enumerate(jobs)}
        try:
            for future in distributed.as_completed(futures):
                result = future.result()  # a task's error is raised here, with its own message
                index = futures[future]
                future.release()
                yield index, result
        finally:
            for future in futures:
                future.cancel()

    mapper.duplicate_ids = lambda parts: dask_duplicate_ids(client, parts)
    return mapper


def dask_duplicate_ids(client, parts) -> dict[str, list[str]]:
    """Ids in more than one partition, found on the cluster: each partition's distinct ids
    (:func:`rashrisk.scale.duplicates.partition_ids`), counted by a shuffle; only the repeated ids
    come back to the driver."""
    import dask.dataframe as dd

    from rashrisk.scale.duplicates import duplicate_reasons, partition_ids

    meta = {"patient_id": "object", "partition": "object"}
    frame = dd.from_map(partition_ids, [str(p) for p in parts], meta=meta, enforce_metadata=False)
    counts = frame["patient_id"].value_counts(split_out=max(1, len(parts) // 16))
    repeated = counts[counts > 1].index.compute(scheduler=client).tolist()
    if not repeated:
        return {}
    found = frame[frame["patient_id"].isin(repeated)].compute(scheduler=client)
    return duplicate_reasons(found)


def worker_count(client) -> int:
    return len(client.scheduler_info().get("workers", {}))

"""``--engine local|dask`` of `rashrisk score` and `rashrisk simulate`: which mapper runs the partitions."""

from __future__ import annotations

from contextlib import contextmanager

ENGINES = ("local", "dask")


def check_engine(engine: str, scheduler: str | None) -> str:
    from rashrisk.errors import RashriskError

    if engine not in ENGINES:
        raise RashriskError(f"--engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if scheduler and engine != "dask":
        raise RashriskError("--scheduler needs --engine dask")
    return engine


@contextmanager
def partition_mapper(engine: str, scheduler: str | None, workers: int):
    """The in-process loop (``local``), or a Dask client: to ``scheduler``, else a local cluster of
    ``workers`` processes of one thread each."""
    if engine == "local":
        from rashrisk.scale.run import local_mapper

        yield local_mapper, "in this process"
        return
    from rashrisk.scale.engine import dask_client, dask_mapper, worker_count

    with dask_client(scheduler, n_workers=workers) as client:
        where = f"Dask scheduler {scheduler}" if scheduler else "local Dask cluster"
        yield dask_mapper(client), f"{where}, {worker_count(client)} worker(s)"

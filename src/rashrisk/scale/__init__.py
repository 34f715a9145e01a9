"""Partitioned cohorts and the Dask engine: a cohort too large for one process, as partitions of whole
patients, scored and simulated partition by partition with the single-process functions.

- :mod:`rashrisk.scale.partitions`: the partitioned cohort folder (``part-00000/`` ...), finding and
  writing partitions, splitting an existing cohort folder by patient (no Dask);
- :mod:`rashrisk.scale.score`: one partition scored by :func:`rashrisk.scoring.score.score_input`;
- :mod:`rashrisk.scale.simulate`: one partition of a virtual cohort by
  :func:`rashrisk.simulate.cohort.simulate_cohort`, its seed spawned from the cohort's seed;
- :mod:`rashrisk.scale.engine`: the only module importing dask (the ``scale`` extra): a cluster
  (a scheduler address, or a local cluster) and the partition tasks on it.
"""

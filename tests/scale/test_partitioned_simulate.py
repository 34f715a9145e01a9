"""A partitioned virtual cohort: the same seed gives the same files whatever runs the partitions (the
in-process loop, or two Dask workers), ids are unique over the cohort, each partition loads as a
valid cohort, and partitions draw from their own spawned streams."""

from __future__ import annotations

import pandas as pd
import pytest

from rashrisk.scale.partitions import partition_folders, read_manifest
from rashrisk.scale.run import local_mapper, simulate_partitioned
from rashrisk.scale.simulate import PARTITION_FILES, partition_seeds, partition_sizes
from rashrisk.simulate.config import load_config

pytest.importorskip("distributed")


def test_partition_sizes_and_seeds():
    assert partition_sizes(2500, 1000) == [1000, 1000, 500]
    assert partition_sizes(2000, 1000) == [1000, 1000]
    seeds = partition_seeds(7, 4)
    assert len(set(seeds)) == 4 and seeds == partition_seeds(7, 4) and seeds[:2] == partition_seeds(7, 2)
    assert partition_seeds(8, 4) != seeds


def test_same_seed_same_cohort_whatever_the_workers(tmp_path):
    from rashrisk.scale.engine import dask_client, dask_mapper

    cfg = load_config(None)
    simulate_partitioned(cfg, 1250, 11, tmp_path / "loop", rows_per_partition=500, mapper=local_mapper)
    with dask_client(None, n_workers=2) as client:
        simulate_partitioned(cfg, 1250, 11, tmp_path / "dask", rows_per_partition=500, mapper=dask_mapper(client))
    loop, dask = partition_folders(tmp_path / "loop"), partition_folders(tmp_path / "dask")
    assert [p.name for p in loop] == [p.name for p in dask] == ["part-00000", "part-00001", "part-00002"]
    for a, b in zip(loop, dask):
        for name in PARTITION_FILES:
            if name.endswith(".parquet"):
                pd.testing.assert_frame_equal(pd.read_parquet(a / name), pd.read_parquet(b / name))
            else:
                assert (a / name).read_bytes() == (b / name).read_bytes()
    assert read_manifest(tmp_path / "loop") == read_manifest(tmp_path / "dask")

    ids = pd.concat([pd.read_parquet(p / "patients.parquet")["patient_id"] for p in loop])
    assert len(ids) == 1250 and ids.is_unique and ids.iloc[0] == "SIM000001" and ids.iloc[-1] == "SIM001250"
    tdm_ids = set(pd.read_parquet(loop[1] / "tdm.parquet")["patient_id"])
    assert tdm_ids <= set(pd.read_parquet(loop[1] / "patients.parquet")["patient_id"])  # whole patients
    # different streams per partition: partition 0 and 1 do not repeat each other's draws
    w0 = pd.read_parquet(loop[0] / "patients.parquet")["weight_kg"].to_numpy()
    w1 = pd.read_parquet(loop[1] / "patients.parquet")["weight_kg"].to_numpy()
    assert (w0 != w1).mean() > 0.9


def test_each_partition_is_a_valid_cohort(tmp_path):
    from rashrisk.scale.partitions import load_partition

    simulate_partitioned(load_config(None), 600, 3, tmp_path / "sim", rows_per_partition=400)
    for part in partition_folders(tmp_path / "sim"):
        cohort = load_partition(part, "sim")
        assert not cohort.report.errors, [f.message for f in cohort.report.errors][:3]
        assert cohort.n_patients == len(pd.read_parquet(part / "patients.parquet"))
        assert cohort.genotypes["called"].mean() > 0.8


def test_cli_simulate_partitioned(run_cli, tmp_path):
    code, out, _ = run_cli("simulate", "--n", "300", "--seed", "4", "--rows-per-partition", "200",
                           "--out", tmp_path / "sim")
    assert code == 0 and "2 partition(s)" in out
    manifest = read_manifest(tmp_path / "sim")
    assert manifest["patients"] == 300 and manifest["seed"] == 4 and manifest["partitions"] == 2
    code, _, err = run_cli("simulate", "--n", "300", "--seed", "4", "--scheduler", "tcp://127.0.0.1:1",
                           "--out", tmp_path / "other")
    assert code == 2 and "--scheduler needs --engine dask" in err

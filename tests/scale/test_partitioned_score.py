"""A partitioned cohort scored on Dask gives the single-process output of the same patients: the same
risks, intervals, bands, factors and warnings, the same not_scored rows with the same reasons; the
reasons and warnings name the partition's file and the partition's own line.

The reference is `score_input` on the cohort as one folder; the partitioned cohort is that folder
split by patient (``split_cohort``, every cell as written) into three partitions, scored by the Dask
engine on a local cluster of two worker processes (one cluster for the module)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from rashrisk.genotype.qc import LowCallRateWarning
from rashrisk.scale.partitions import split_cohort
from rashrisk.scale.run import iter_partition_files, local_mapper, score_partitioned
from rashrisk.scoring.inputs import load_scoring_input
from rashrisk.scoring.score import score_input

pytest.importorskip("distributed")

N_PATIENTS = 150
N_PARTITIONS = 3
FILE = re.compile(r"(?:part-\d{5}/)?(patients|tdm|genotypes|outcomes)\.(?:csv|parquet)")
LINE = re.compile(r"\b(lines?) \d+")


@pytest.fixture(scope="module")
def client():
    from rashrisk.scale.engine import dask_client

    with dask_client(None, n_workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def cohort_folder(tmp_path_factory):
    """A simulated cohort with bad rows: an invalid sex (patient row rejected), an age past the hard limit,
    a duplicated patient id, a TDM row with an unknown unit and a soft-limit age warning."""
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    folder = tmp_path_factory.mktemp("whole") / "registry"
    write_cohort(simulate_cohort(load_config(None), N_PATIENTS, 77), folder, gzip_vcf=False)
    patients = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
    patients.loc[3, "sex"] = "X"  # rejected
    patients.loc[60, "age_years"] = "150"  # rejected (hard limit)
    patients.loc[110, "age_years"] = "95"  # kept, with a warning
    patients.loc[120, "patient_id"] = patients.loc[121, "patient_id"]  # a duplicate: both rows rejected
    patients.to_csv(folder / "patients.csv", index=False)
    tdm = pd.read_csv(folder / "tdm.csv", dtype=str, keep_default_na=False)
    tdm.loc[tdm.index[5], "unit"] = "g/L"  # rejected TDM row
    tdm.to_csv(folder / "tdm.csv", index=False)
    return folder


def normalised(text: str) -> str:
    """A reason or warning without its file location (the whole folder's line vs the partition's)."""
    return LINE.sub(r"\1 #", FILE.sub(r"\1", text))


def reference(folder, stage, model) -> pd.DataFrame:
    return score_input(load_scoring_input(folder), stage, model)


def partitioned_table(out) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(f) for f in iter_partition_files(out)], ignore_index=True)


def assert_same_scores(whole: pd.DataFrame, parts: pd.DataFrame) -> None:
    assert list(parts["patient_id"]) == list(whole["patient_id"])  # every patient, in input order
    assert list(parts["status"]) == list(whole["status"])
    for column in ("risk", "risk_low", "risk_high", "baseline_risk"):
        np.testing.assert_array_equal(parts[column].to_numpy(), whole[column].to_numpy(), err_msg=column)
    for column in ("band", "factor_1", "factor_2", "factor_3", "model"):
        assert list(parts[column]) == list(whole[column]), column
    assert [normalised(r) for r in parts["reason"]] == [normalised(r) for r in whole["reason"]]
    assert [normalised(w) for w in parts["warnings"]] == [normalised(w) for w in whole["warnings"]]


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_dask_scores_equal_single_process(cohort_folder, tmp_path, client, models, stage):
    from rashrisk.scale.engine import dask_mapper

    whole = reference(cohort_folder, stage, models[stage])
    split_cohort(cohort_folder, tmp_path / "parts", N_PARTITIONS)
    summary = score_partitioned(tmp_path / "parts", tmp_path / "scores", stage, models[stage],
                                mapper=dask_mapper(client))
    parts = partitioned_table(tmp_path / "scores")
    assert_same_scores(whole, parts)
    assert summary.rows == len(whole) and summary.done == int((whole["status"] == "scored").sum())
    assert (whole["status"] == "not_scored").sum() >= 3  # the rejected rows are there, with reasons
    assert len(list(iter_partition_files(tmp_path / "scores"))) == N_PARTITIONS


def test_reasons_name_the_partition_file_and_its_line(cohort_folder, tmp_path, models):
    parts_dir = tmp_path / "parts"
    split_cohort(cohort_folder, parts_dir, N_PARTITIONS)
    score_partitioned(parts_dir, tmp_path / "scores", "start", models["start"], mapper=local_mapper)
    parts = partitioned_table(tmp_path / "scores")
    patients = pd.read_csv(cohort_folder / "patients.csv", dtype=str, keep_default_na=False)
    bad = patients.loc[3, "patient_id"]  # row 3 of the whole file: partition 0, line 5 of its file
    reason = parts.loc[parts["patient_id"] == bad, "reason"].item()
    assert "part-00000/patients.parquet, column sex, line 5" in reason, reason
    late = patients.loc[60, "patient_id"]  # row 60: partition 1 (rows 50-99), its row 10 = line 12
    reason = parts.loc[parts["patient_id"] == late, "reason"].item()
    assert "part-00001/patients.parquet" in reason and "line 12" in reason and "150" in reason, reason
    old = patients.loc[110, "patient_id"]  # row 110: partition 2 (rows 100-149), line 12, a warning
    warning = parts.loc[parts["patient_id"] == old, "warnings"].item()
    assert "part-00002/patients.parquet" in warning and "line 12" in warning, warning


def test_cohort_call_rates_not_the_partitions(cohort_folder, tmp_path, models):
    """A genotype predictor missing for the first 40% of patients: partition 0 alone has call rate 0
    and the cohort 0.6; both warn, and the partitioned output carries the cohort's rate, as the
    single-process output does (partition 0 is scored again with the cohort's rates)."""
    import shutil

    folder = tmp_path / "registry"
    shutil.copytree(cohort_folder, folder)
    lines = (folder / "genotypes.vcf").read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("#CHROM"))
    n_samples = len(lines[header].split("\t")) - 9
    dropped = set(range(9, 9 + int(0.4 * n_samples)))
    lines = lines[:header] + ["\t".join(c for j, c in enumerate(line.split("\t")) if j not in dropped)
                              for line in lines[header:]]
    (folder / "genotypes.vcf").write_text("\n".join(lines) + "\n")
    model = models["start"]
    with pytest.warns(LowCallRateWarning):
        whole = reference(folder, "start", model)
    split_cohort(folder, tmp_path / "parts", N_PARTITIONS)
    with pytest.warns(LowCallRateWarning):
        summary = score_partitioned(tmp_path / "parts", tmp_path / "scores", "start", model, mapper=local_mapper)
    assert summary.rescored == N_PARTITIONS
    parts = partitioned_table(tmp_path / "scores")
    assert_same_scores(whole, parts)
    assert parts["warnings"].str.contains("called in too few of the cohort's patients").any()


def test_partitioned_folder_errors_name_the_partition(tmp_path, cohort_folder, models):
    from rashrisk.errors import CohortError
    from rashrisk.scale.partitions import partition_folders

    with pytest.raises(CohortError, match="has a patients file of its own"):
        partition_folders(cohort_folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CohortError, match="no partition folder"):
        partition_folders(tmp_path / "empty")
    split_cohort(cohort_folder, tmp_path / "parts", 2)
    (tmp_path / "parts" / "part-00001" / "patients.parquet").write_bytes(b"not parquet")
    with pytest.raises(CohortError, match=r"part-00001/patients\.parquet: not a readable Parquet file"):
        score_partitioned(tmp_path / "parts", tmp_path / "scores", "start", models["start"], mapper=local_mapper)
    assert not (tmp_path / "scores").exists()  # nothing half-written


def test_task_error_reaches_the_driver_through_dask(tmp_path, cohort_folder, client, models):
    from rashrisk.errors import CohortError
    from rashrisk.scale.engine import dask_mapper

    split_cohort(cohort_folder, tmp_path / "parts", 2)
    (tmp_path / "parts" / "part-00000" / "tdm.parquet").write_bytes(b"")
    with pytest.raises(CohortError, match=r"part-00000/tdm\.parquet"):
        score_partitioned(tmp_path / "parts", tmp_path / "scores", "tdm", models["tdm"], mapper=dask_mapper(client))


def test_cli_engine_dask_refuses_a_plain_folder(run_cli, cohort_folder, tmp_path):
    code, _, err = run_cli("score", cohort_folder, "--stage", "start", "--model", "default", "--engine", "dask",
                           "--out", tmp_path / "scores")
    assert code == 2 and "not a partitioned cohort" in err


def test_cli_scores_a_partitioned_cohort_in_process(run_cli, cohort_folder, tmp_path):
    split_cohort(cohort_folder, tmp_path / "parts", 2)
    with warnings.catch_warnings():
        code, out, _ = run_cli("score", tmp_path / "parts", "--stage", "start", "--model", "default",
                               "--out", tmp_path / "scores")
    assert code == 0 and "2 partition(s)" in out
    manifest = (tmp_path / "scores" / "partitions.json").read_text()
    assert '"not_scored"' in manifest and '"stage": "start"' in manifest


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_an_id_in_two_partitions_is_not_scored_in_either(cohort_folder, tmp_path, client, models, engine):
    """As in one folder (both rows of a repeated id rejected), a patient id found in two partitions is
    not_scored in both, with a reason naming them; every other row is unchanged."""
    from rashrisk.scale.engine import dask_mapper

    parts_dir = tmp_path / "parts"
    split_cohort(cohort_folder, parts_dir, N_PARTITIONS)
    first = pd.read_parquet(parts_dir / "part-00000" / "patients.parquet")
    last = pd.read_parquet(parts_dir / "part-00002" / "patients.parquet")
    repeated, replaced = first.loc[10, "patient_id"], last.loc[7, "patient_id"]
    last.loc[7, "patient_id"] = repeated  # the id of another patient of partition 0
    last.to_parquet(parts_dir / "part-00002" / "patients.parquet", index=False)
    mapper = local_mapper if engine == "local" else dask_mapper(client)
    summary = score_partitioned(parts_dir, tmp_path / "scores", "start", models["start"], mapper=mapper)
    assert summary.details["ids_in_several_partitions"] == 1
    parts = partitioned_table(tmp_path / "scores")
    rows = parts[parts["patient_id"] == repeated]
    assert len(rows) == 2 and set(rows["status"]) == {"not_scored"} and rows["risk"].isna().all()
    assert replaced not in set(parts["patient_id"])
    assert all("is in partitions part-00000, part-00002" in r for r in rows["reason"])
    whole = reference(cohort_folder, "start", models["start"]).set_index("patient_id")
    other = parts[parts["patient_id"] != repeated].set_index("patient_id")
    np.testing.assert_array_equal(other["risk"].to_numpy(), whole.loc[other.index, "risk"].to_numpy())
    assert (other["status"] == "scored").sum() == summary.done


def test_explanations_equal_single_process(cohort_folder, tmp_path, models):
    from rashrisk.explanations.local import explanation_table
    from rashrisk.scoring.score import build_frame

    model = models["tdm"]
    frame, _ = build_frame(load_scoring_input(cohort_folder).cohort, "tdm", model)
    whole = explanation_table(model, frame.X)
    split_cohort(cohort_folder, tmp_path / "parts", N_PARTITIONS)
    score_partitioned(tmp_path / "parts", tmp_path / "scores", "tdm", model, mapper=local_mapper, explanations=True)
    files = sorted((tmp_path / "scores").glob("part-*.explanations.parquet"))
    assert len(files) == N_PARTITIONS
    parts = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    pd.testing.assert_frame_equal(parts, whole.reset_index(drop=True), check_dtype=False)


def test_cli_engine_dask_equals_engine_local(run_cli, cohort_folder, tmp_path):
    split_cohort(cohort_folder, tmp_path / "parts", 2)
    outputs = {}
    for engine in ("local", "dask"):
        code, out, err = run_cli("score", tmp_path / "parts", "--stage", "tdm", "--model", "default", "--engine", engine,
                                 "--workers", "1", "--out", tmp_path / engine)
        assert code == 0, err
        assert f"engine: {engine}" in err and "2 partition(s)" in out
        outputs[engine] = partitioned_table(tmp_path / engine)
    pd.testing.assert_frame_equal(outputs["dask"], outputs["local"])


def test_cli_validate_a_partitioned_cohort(run_cli, cohort_folder, tmp_path):
    import json

    split_cohort(cohort_folder, tmp_path / "parts", N_PARTITIONS)
    code, out, _ = run_cli("validate", tmp_path / "parts")
    assert code == 2  # the bad rows of the fixture
    assert "part-00000/patients.parquet" in out and "Partitioned cohort parts: 3 partition(s)" in out
    first = pd.read_parquet(tmp_path / "parts" / "part-00000" / "patients.parquet")
    last = pd.read_parquet(tmp_path / "parts" / "part-00002" / "patients.parquet")
    last.loc[7, "patient_id"] = first.loc[10, "patient_id"]
    last.to_parquet(tmp_path / "parts" / "part-00002" / "patients.parquet", index=False)
    code, out, _ = run_cli("validate", tmp_path / "parts", "--json")
    data = json.loads(out)
    assert code == 2 and not data["valid"] and len(data["partitions"]) == N_PARTITIONS
    assert [p["partition"] for p in data["partitions"]] == ["part-00000", "part-00001", "part-00002"]
    assert len(data["ids_in_several_partitions"]) == 1
    assert "part-00000, part-00002" in data["ids_in_several_partitions"][0]
    errors = [e["message"] for p in data["partitions"] for e in p["errors"]]
    assert any(m.startswith("part-00000/patients.parquet, column sex, line 5") for m in errors), errors[:3]

"""A patient id in two partitions: the one check across partitions of a partitioned cohort.

In one folder, rows sharing a patient_id are all rejected (the contract's unique-id rule). Partitions
are loaded one by one, so an id repeated in two partitions would be scored twice, silently; it is
found before scoring and every row of it, in every partition, is not_scored with a reason naming
the partitions (:data:`REASON`).

Bounded memory: a pass over the patients files' ``patient_id`` column only. The in-process engine
keeps one 64-bit hash per patient (80 MB for 10 million); the Dask engine finds them with a
shuffle on the cluster (:func:`rashrisk.scale.engine.dask_duplicate_ids`), and the driver only
receives the repeated ids.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk.contract.readers import find_table
from rashrisk.contract.schema import PATIENTS

REASON = ("input rejected: patient_id {pid!r} is in partitions {parts} ... expected each patient in one "
          "partition (all of a patient's rows in the same partition folder)")


def partition_ids(part: Path) -> pd.DataFrame:
    """The distinct non-empty patient ids (stripped, as the loader reads them) of a partition's patients
    file, with the partition's name: columns ``patient_id, partition``."""
    from rashrisk.scale.partitions import read_text_table

    path = find_table(Path(part), PATIENTS.stem)
    try:
        ids = read_text_table(path)["patient_id"].astype(str).str.strip()
    except (KeyError, ValueError, OSError):  # unreadable or no id column: the partition's load reports it
        ids = pd.Series([], dtype=object)
    ids = ids[ids != ""].drop_duplicates()
    return pd.DataFrame({"patient_id": ids.to_numpy(object), "partition": Path(part).name})


def duplicate_reasons(found: pd.DataFrame) -> dict[str, list[str]]:
    """patient id -> the partitions holding it, from the (patient_id, partition) rows of the repeated ids
    (hash collisions, one partition only, dropped)."""
    out = {}
    for pid, group in found.groupby("patient_id", sort=True):
        parts = sorted(set(group["partition"]))
        if len(parts) > 1:
            out[str(pid)] = parts
    return out


def reasons_by_partition(repeated: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """partition name -> {patient id: reason} for the ids of ``repeated`` that partition holds."""
    out: dict[str, dict[str, str]] = {}
    for pid, parts in repeated.items():
        reason = REASON.format(pid=pid, parts=", ".join(parts))
        for part in parts:
            out.setdefault(part, {})[pid] = reason
    return out


def local_duplicate_ids(parts: list[Path]) -> dict[str, list[str]]:
    """Ids in more than one partition, in this process: hashes first, the ids of repeated hashes after."""
    hashes = [pd.util.hash_array(partition_ids(p)["patient_id"].to_numpy(object)) for p in parts]
    if not hashes:
        return {}
    values, counts = np.unique(np.concatenate(hashes), return_counts=True)
    repeated = values[counts > 1]
    if not len(repeated):
        return {}
    rows = []
    for part, h in zip(parts, hashes):
        if np.isin(h, repeated).any():
            ids = partition_ids(part)
            rows.append(ids[np.isin(pd.util.hash_array(ids["patient_id"].to_numpy(object)), repeated)])
    return duplicate_reasons(pd.concat(rows, ignore_index=True))

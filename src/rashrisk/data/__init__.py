"""Data shipped with rashrisk: the example cohort (a small, hand-written contract-v1 folder)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def example_cohort_path() -> Path:
    """Folder of the example cohort shipped as package data (16 patients, VCF, TDM, outcomes).

    Returned as a real path (the package is installed as files, not zipped).
    """
    return Path(str(resources.files("rashrisk.data").joinpath("example_cohort")))

"""rashrisk: severe skin rash risk for GIST patients starting imatinib.

Decision support for research use. The friendly top-level API is imported lazily so that
``import rashrisk`` stays light:

- :func:`load_cohort` reads and validates a cohort folder (contract v1).
- :func:`train` trains the start and/or TDM-landmark model (``rashrisk.models.train.train``).
"""

from __future__ import annotations

from rashrisk._version import __version__

__all__ = ["load_cohort", "train", "__version__"]


def __getattr__(name: str):
    if name == "load_cohort":
        from rashrisk.contract.loader import load_cohort

        return load_cohort
    if name == "train":
        from rashrisk.models.train import train

        return train
    raise AttributeError(f"module 'rashrisk' has no attribute {name!r}")

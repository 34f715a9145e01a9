"""rashrisk: severe skin rash risk for GIST patients starting imatinib.

Decision support for research use. The friendly top-level API is imported lazily so that
``import rashrisk`` stays light:

- :func:`load_cohort` reads and validates a cohort folder (contract v1).
- :class:`Cohort` the validated cohort; ``Cohort.from_frames(patients, genotypes, tdm, outcomes)``
  checks DataFrames in the contract's file layout with the same rules and messages.
- :func:`train` trains the start and/or TDM-landmark model (``rashrisk.models.train.train``).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Cohort", "load_cohort", "train", "__version__"]


def __getattr__(name: str):
    if name == "load_cohort":
        from rashrisk.contract.loader import load_cohort

        return load_cohort
    if name == "Cohort":
        from rashrisk.contract.cohort import Cohort

        return Cohort
    if name == "train":
        from rashrisk.models.train import train

        return train
    raise AttributeError(f"module 'rashrisk' has no attribute {name!r}")

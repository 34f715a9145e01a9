"""rashrisk: severe skin rash risk for GIST patients starting imatinib.

Decision support for research use. The friendly top-level API is imported lazily so that
``import rashrisk`` stays light:

- :func:`load_cohort` reads and validates a cohort folder (contract v1).
- :class:`Cohort` the validated cohort; ``Cohort.from_frames(patients, genotypes, tdm, outcomes)``
  checks DataFrames in the contract's file layout with the same rules and messages.
- :func:`train` trains the start and/or TDM-landmark model (``rashrisk.models.train.train``).
"""

from __future__ import annotations

from rashrisk._version import __version__

__all__ = ["Cohort", "load_cohort", "train", "RashriskClassifier", "__version__"]

# public name -> module that defines it (imported on first use)
_LAZY = {"Cohort": "rashrisk.contract.cohort", "load_cohort": "rashrisk.contract.loader", "train": "rashrisk.models.train",
         "RashriskClassifier": "rashrisk.models.classifier"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rashrisk' has no attribute {name!r}")

"""rashrisk: severe skin rash risk for GIST patients starting imatinib.

Decision support for research use. The friendly top-level API is imported lazily so that
``import rashrisk`` stays light:

- :func:`load_cohort` reads and validates a cohort folder (contract v1).
- :class:`Cohort` the validated cohort; ``Cohort.from_frames(patients, genotypes, tdm, outcomes)``
  checks DataFrames in the contract's file layout with the same rules and messages.
- :func:`model_frame` the model frame of a stage; :class:`RashriskClassifier` the scikit-learn
  classifier of one stage; :func:`train` trains, validates and cards the start and/or TDM model
  (always a mapping stage -> result).
- :func:`load_model`, :func:`score`, :func:`explain`, :func:`report`: what ``rashrisk score``,
  ``explain`` and ``report`` do, from Python (docs/api.md).
"""

from __future__ import annotations

from rashrisk._version import __version__

# public name -> module that defines it (imported on first use)
_LAZY = {"Cohort": "rashrisk.contract.cohort", "load_cohort": "rashrisk.contract.loader",
         "model_frame": "rashrisk.front.scoring", "RashriskClassifier": "rashrisk.models.classifier",
         "train": "rashrisk.models.train", "load_model": "rashrisk.front.scoring", "score": "rashrisk.front.scoring",
         "explain": "rashrisk.front.scoring", "report": "rashrisk.front.report"}
__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rashrisk' has no attribute {name!r}")

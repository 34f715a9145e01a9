"""MLflow tracking and model registry: the only place in rashrisk that imports mlflow.

mlflow is imported lazily inside the functions (it takes about a second), so importing this
package is cheap. Public functions:

- :func:`tracking_uri` where runs go: ``MLFLOW_TRACKING_URI`` or the per-user
  ``sqlite:///$XDG_DATA_HOME/rashrisk/mlruns/mlflow.db`` (``~/.local/share/...``)
- :func:`log_training` one run per training (nested runs per candidate), the model registered
  as ``rashrisk-start`` / ``rashrisk-tdm`` with the ``champion`` alias rule
- :func:`load_registered_model`, :func:`champion_model`, :func:`list_registered`
- :func:`run_validation_report` the validation report (``validation/report.json``) of the run
  behind a registry URI (decision curve, subgroups for the model report)

See docs/tracking.md.
"""

from __future__ import annotations

from rashrisk.tracking.registry import champion_model, list_registered, load_registered_model, run_validation_report
from rashrisk.tracking.runs import log_training
from rashrisk.tracking.store import artifact_root, tracking_uri

__all__ = ["tracking_uri", "artifact_root", "log_training", "load_registered_model", "champion_model", "list_registered",
           "run_validation_report"]

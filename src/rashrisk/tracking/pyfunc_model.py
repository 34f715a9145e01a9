"""The code MLflow logs for a registered rashrisk model ("models from code": MLflow copies this file
and runs it when the model is loaded, so no Python object is pickled). The fitted model itself is
the ``bundle`` artifact, data only (docs/tracking.md)."""

import mlflow

from rashrisk.tracking.pyfunc import RiskModelPyfunc

mlflow.models.set_model(RiskModelPyfunc())

"""Two trainings creating the same experiment at once: the loser uses the winner's experiment."""

import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INTERNAL_ERROR, RESOURCE_ALREADY_EXISTS

from rashrisk.tracking.store import experiment_id


class _Experiment:
    experiment_id = "7"
    lifecycle_stage = "active"


class _RacingClient:
    """get_experiment_by_name misses once (the other writer has not committed yet), then finds it."""

    def __init__(self, error_code=RESOURCE_ALREADY_EXISTS):
        self.lookups, self.error_code = 0, error_code

    def get_experiment_by_name(self, name):
        self.lookups += 1
        return None if self.lookups == 1 else _Experiment()

    def create_experiment(self, name, artifact_location=None):
        raise MlflowException(f"Experiment(name={name}) already exists", error_code=self.error_code)


def test_an_experiment_created_concurrently_is_used():
    assert experiment_id(_RacingClient(), "server-test") == "7"


def test_any_other_failure_to_create_it_is_raised():
    with pytest.raises(MlflowException):
        experiment_id(_RacingClient(error_code=INTERNAL_ERROR), "server-test")

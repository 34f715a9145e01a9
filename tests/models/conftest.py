"""A small simulated cohort (the project's simulator) and a fast training configuration."""

import pytest

from rashrisk.features.preprocess import FeatureSpec
from rashrisk.models.config import LogisticGrid, TrainingConfig, XGBoostGrid


def fast_config(**overrides) -> TrainingConfig:
    """Small grids and few resamples: the same code paths as the default, in seconds."""
    base = TrainingConfig(
        cv_splits=3, cv_repeats=1, nested_outer_splits=3, nested_inner_splits=2, interval_bootstrap=5,
        validation_bootstrap=10, logistic=LogisticGrid(C=(0.1, 1.0), splines=(False,)),
        xgboost=XGBoostGrid(n_estimators=(30,), max_depth=(1,)), features=FeatureSpec(),
    )
    return base.with_overrides(**overrides)


@pytest.fixture(scope="session")
def simulated_cohort(tmp_path_factory):
    from rashrisk.contract.loader import load_cohort
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    out = tmp_path_factory.mktemp("sim1500")
    write_cohort(simulate_cohort(load_config(None), 1500, 11), out)
    return load_cohort(out)


@pytest.fixture(scope="session")
def fast():
    """``fast(**overrides)`` -> a fast TrainingConfig."""
    return fast_config

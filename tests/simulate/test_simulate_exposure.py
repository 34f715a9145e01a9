"""Individual PK parameters come from the PK engine, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from rashrisk.simulate.cohort import simulate_cohort
from rashrisk.simulate.exposure import pk_covariates, pk_model
from rashrisk.simulate.rng import stream


@pytest.mark.parametrize("ancestry", ["EAS", "EUR"])
def test_deduplicated_covariate_evaluation_equals_the_engine_row_by_row(default_config, ancestry):
    cfg = default_config.with_values(**{"cohort.ancestry": ancestry, "outcome.intercept_reference_n": 5000})
    sim = simulate_cohort(cfg, 1500, 4)
    model = pk_model(cfg)
    etas = model.sample_etas(1500, stream(4, "pk_etas"))
    direct = model.individual_parameters(pk_covariates(sim.patients, sim.genotypes["rs2231142"]), etas)
    for column in ("cl_l_h", "v_l", "ka_per_h"):
        np.testing.assert_array_equal(direct[column].to_numpy(), sim.pk[column].to_numpy())


def test_abcg2_genotype_lowers_clearance_as_in_jiang_2023(large_cohort):
    cl = large_cohort.pk["cl_l_h"].to_numpy()
    g = large_cohort.genotypes["rs2231142"]
    ratio = np.median(cl[g == 1]) / np.median(cl[g == 0])
    assert 0.82 < ratio < 0.94  # published GT multiplier 0.879

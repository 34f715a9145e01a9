"""Riley minimum sample size against the pmsampsize example and a simulation."""

import math

import numpy as np
import pytest

from rashrisk.errors import RashriskError
from rashrisk.models.metrics import expit, fit_logistic
from rashrisk.models.sample_size import max_r2_cs, r2_cs_from_c_statistic, riley_minimum_sample_size


def test_pmsampsize_binary_example():
    # pmsampsize documentation example (binary): Cox-Snell R2 0.288, 24 parameters, prevalence 0.174
    # -> criteria 623 / 662 / 221 participants, minimum 662 (about 115 events, EPP 4.8)
    r = riley_minimum_sample_size(24, 0.174, r2_cs=0.288)
    assert [c["n"] for c in r["criteria"]] == [623, 662, 221]
    assert r["minimum_n"] == 662
    assert r["events_per_parameter"] == pytest.approx(4.8, abs=0.01)
    assert r["expected_shrinkage"] == pytest.approx(0.905, abs=0.001)


def test_max_r2_cs_formula():
    assert max_r2_cs(0.5) == pytest.approx(0.75)
    assert max_r2_cs(0.174) == pytest.approx(1 - (0.174**0.174 * 0.826**0.826) ** 2)


def test_c_statistic_conversion_matches_a_large_simulation():
    # Riley 2021: normal linear predictors (unit variance) in events and non-events; R2cs of the fitted logistic model
    c, prevalence, n = 0.75, 0.1, 200_000
    rng = np.random.default_rng(0)
    mu = math.sqrt(2) * 0.6744897501960817  # Phi^-1(0.75)
    events = rng.random(n) < prevalence
    lp = rng.normal(np.where(events, mu, 0.0), 1.0)
    design = np.column_stack([np.ones(n), lp])
    coef, ok = fit_logistic(design, events.astype(float))
    assert ok
    eta = design @ coef
    loglik = np.sum(events * eta - np.logaddexp(0, eta))
    phi = events.mean()
    loglik0 = n * (phi * math.log(phi) + (1 - phi) * math.log(1 - phi))
    simulated = 1 - math.exp(-2 * (loglik - loglik0) / n)
    assert r2_cs_from_c_statistic(c, prevalence) == pytest.approx(simulated, abs=0.004)


def test_higher_c_statistic_needs_fewer_patients_and_conservative_default():
    low = riley_minimum_sample_size(10, 0.076, c_statistic=0.70)
    high = riley_minimum_sample_size(10, 0.076, c_statistic=0.85)
    assert high["minimum_n"] < low["minimum_n"]
    default = riley_minimum_sample_size(10, 0.076)
    assert default["r2_cs"] == pytest.approx(0.15 * max_r2_cs(0.076))


@pytest.mark.parametrize("kwargs, fragment", [
    ({"n_parameters": 0, "prevalence": 0.1}, "n_parameters=0"),
    ({"n_parameters": 5, "prevalence": 1.2}, "prevalence=1.2"),
    ({"n_parameters": 5, "prevalence": 0.1, "c_statistic": 0.4}, "c_statistic=0.4"),
    ({"n_parameters": 5, "prevalence": 0.1, "r2_cs": 0.9}, "outside (0,"),
])
def test_bad_inputs_raise_user_errors(kwargs, fragment):
    with pytest.raises(RashriskError) as info:
        riley_minimum_sample_size(**kwargs)
    assert fragment in str(info.value)

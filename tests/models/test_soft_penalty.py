"""The soft choice of the logistic penalty ([logistic] soft_penalty; rashrisk.models.selection)."""

import numpy as np
import pandas as pd
import pytest

from rashrisk.models.candidates import Candidate, candidate_grid
from rashrisk.models.config import LogisticGrid, TrainingConfig
from rashrisk.models.selection import best, soft_penalty_candidates, tune


def _grid(*Cs):
    return [Candidate("logistic", (("C", C), ("splines", False))) for C in Cs]


def test_equal_cv_losses_give_the_geometric_mean_of_the_grid():
    grid = _grid(0.1, 0.3, 1.0)
    soft = soft_penalty_candidates(grid, {c: [0.15, 0.15] for c in grid}, n=712)
    [(candidate, weights)] = soft.items()
    assert candidate.param_dict == {"C": pytest.approx(0.3107, abs=1e-4), "splines": False}
    assert weights == {"0.1": pytest.approx(1 / 3, abs=1e-4), "0.3": pytest.approx(1 / 3, abs=1e-4),
                       "1": pytest.approx(1 / 3, abs=1e-4)}


def test_the_weights_follow_the_out_of_fold_log_likelihood():
    """A lead of 1/n in mean log-loss is a likelihood ratio of e; a large lead takes all the weight."""
    grid = _grid(0.1, 0.3, 1.0)
    n = 1000
    soft = soft_penalty_candidates(grid, {grid[0]: [0.150], grid[1]: [0.150 + 1 / n], grid[2]: [0.2]}, n=n)
    [(candidate, weights)] = soft.items()
    assert weights["0.1"] / weights["0.3"] == pytest.approx(np.e, rel=1e-3)
    assert weights["1"] < 1e-20
    expected = np.exp((np.log(0.1) * np.e + np.log(0.3)) / (np.e + 1))
    assert candidate.param_dict["C"] == pytest.approx(expected, rel=1e-3)


def test_one_grid_value_or_another_family_gives_no_soft_candidate():
    xgb = Candidate("xgboost", (("max_depth", 1),))
    assert soft_penalty_candidates([*_grid(0.3), xgb], {c: [0.15] for c in [*_grid(0.3), xgb]}, n=712) == {}


def _cohort(seed=3, n=600):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age_years": rng.normal(60, 10, n), "sex": rng.choice(["F", "M"], n),
                      "apriori_trough_ng_ml": np.exp(rng.normal(7.0, 0.4, n)),
                      "rs4129267_alt_count": rng.integers(0, 3, n).astype(float)})
    logit = -2.6 + 0.5 * X["rs4129267_alt_count"] + 0.4 * (X["sex"] == "F")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int).to_numpy()
    return X, y


@pytest.mark.parametrize("soft_penalty", [True, False])
def test_tune_adds_the_soft_candidate_and_best_serves_it(soft_penalty):
    X, y = _cohort()
    config = TrainingConfig().with_overrides(candidates=("logistic",),
                                             logistic=LogisticGrid(soft_penalty=soft_penalty))
    rows, oof = tune(candidate_grid(config), config, "start", X, y, seed=1, n_splits=5, n_repeats=1)
    soft = [r for r in rows if "soft_weights" in r]
    chosen = best(rows)
    if soft_penalty:
        assert len(soft) == 1 and chosen is soft[0]
        assert chosen["params"]["C"] not in config.logistic.C
        assert 0.1 <= chosen["params"]["C"] <= 1.0 and sum(chosen["soft_weights"].values()) == pytest.approx(1.0, abs=1e-3)
        assert chosen["cv_folds"] == 5 and len(oof[chosen["candidate"]]) == len(y)
    else:
        assert soft == [] and chosen["params"]["C"] in config.logistic.C
        assert chosen is min(rows, key=lambda r: r["cv_logloss_mean"])
    again, _ = tune(candidate_grid(config), config, "start", X, y, seed=1, n_splits=5, n_repeats=1)
    assert [r["params"] for r in again] == [r["params"] for r in rows]  # deterministic


def test_a_soft_penalty_on_a_grid_value_is_served_as_that_row(monkeypatch):
    """When the weighted mean lands on a grid value (here forced to 0.3 while 0.1 has the lowest CV
    log-loss), that grid row is the logistic family's candidate, not the argmin."""
    import rashrisk.models.selection as selection

    def on_the_grid(candidates, losses, n):
        [c03] = [c for c in candidates if c.param_dict["C"] == 0.3]
        return {c03: {"0.1": 0.5, "0.3": 0.25, "1": 0.25}}

    monkeypatch.setattr(selection, "soft_penalty_candidates", on_the_grid)
    X, y = _cohort()
    config = TrainingConfig().with_overrides(candidates=("logistic",), logistic=LogisticGrid(soft_penalty=True))
    rows, _ = tune(candidate_grid(config), config, "start", X, y, seed=1, n_splits=5, n_repeats=1)
    assert len(rows) == 3 and best(rows)["params"]["C"] == 0.3

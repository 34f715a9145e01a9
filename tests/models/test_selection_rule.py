"""The one-standard-error rule across model families (rashrisk.models.selection.best)."""

from rashrisk.models.selection import best


def _row(family, label, mean, sd, folds=10):
    return {"name": family, "label": label, "cv_logloss_mean": mean, "cv_logloss_sd": sd, "cv_folds": folds}


def test_logistic_is_kept_when_xgboost_only_ties_within_one_standard_error():
    # SE of the best = 0.0124 / sqrt(10) = 0.0039; logistic is 0.0020 worse: a tie
    rows = [_row("logistic", "C=0.03", 0.2754, 0.0111), _row("logistic", "C=1", 0.2828, 0.0170),
            _row("xgboost", "depth=1", 0.2734, 0.0124)]
    assert best(rows)["label"] == "C=0.03"


def test_xgboost_is_chosen_when_it_is_better_by_more_than_one_standard_error():
    rows = [_row("logistic", "C=0.03", 0.2854, 0.0111), _row("xgboost", "depth=1", 0.2734, 0.0124)]
    assert best(rows)["label"] == "depth=1"


def test_within_a_family_the_lowest_mean_wins():
    rows = [_row("logistic", "C=0.03", 0.280, 0.01), _row("logistic", "C=0.1", 0.279, 0.01),
            _row("xgboost", "depth=1", 0.270, 0.01)]
    assert best(rows, "logistic")["label"] == "C=0.1"
    assert best(rows)["label"] == "depth=1"  # 0.279 - 0.270 = 0.009 > 0.01 / sqrt(10)

"""Tuning and nested selection.

Tuning: every candidate is scored by repeated stratified K-fold cross-validation on log-loss
(preprocessing fitted once per fold per preprocessing variant, on the training part only). The
family is chosen by the one-standard-error rule (simplest family within one SE of the best mean
log-loss), then its candidate with the lowest mean log-loss; its out-of-fold raw log-odds (averaged over
repeats) feed the Platt calibration when its family is recalibrated (``platt_families``).

Nested CV: the whole procedure (tune on inner folds, select, calibrate on inner out-of-fold logits,
refit) runs inside each outer training split and is scored on the outer test split, so that the
reported performance of the selection procedure is not the tuned score.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedKFold

from rashrisk.features.preprocess import used_columns
from rashrisk.models.calibration import apply_platt, calibrate, expit
from rashrisk.models.candidates import Candidate, FittedCandidate, column_factors, fit_estimator, make_preprocess
from rashrisk.models.metrics import log_loss as _log_loss

# Tuning clips risks to [1e-12, 1 - 1e-12] (as it always has); the metric itself is metrics.log_loss.
_TUNING_EPS = 1e-12


def log_loss(y: np.ndarray, p: np.ndarray) -> float:
    return _log_loss(y, p, eps=_TUNING_EPS)


def fold_raw_logits(candidates, config, stage, X, y, train_idx, test_idx, *, seed) -> dict:
    """{candidate: raw log-odds on X[test_idx]} after fitting on X[train_idx]."""
    out = {}
    groups: dict[tuple, list[Candidate]] = {}
    for candidate in candidates:
        groups.setdefault(candidate.preprocess_key, []).append(candidate)
    columns = used_columns(config.features, stage, X.columns)
    X_train, X_test = X.iloc[train_idx][columns], X.iloc[test_idx][columns]
    y_train = y[train_idx]
    for members in groups.values():
        preprocess = make_preprocess(members[0], config.features, stage, columns)
        m_train = preprocess.fit_transform(X_train)
        m_test = preprocess.transform(X_test)
        names = list(preprocess.get_feature_names_out())
        factors = column_factors(preprocess)
        for candidate in members:
            estimator, leaves = fit_estimator(candidate, config, m_train, y_train, names, factors, seed=seed)
            out[candidate] = candidate.model_family.raw_logit(estimator, leaves, m_test)
    return out


def _cross_validate(candidates, config, stage, X, y, folds, *, seed, losses, oof_sum, progress=None) -> None:
    """Fold losses and summed out-of-fold raw log-odds of ``candidates`` on ``folds`` (added to the dicts)."""
    for k, (train_idx, test_idx) in enumerate(folds):
        logits = fold_raw_logits(candidates, config, stage, X, y, train_idx, test_idx, seed=seed + k)
        for candidate, raw in logits.items():
            losses.setdefault(candidate, []).append(log_loss(y[test_idx], expit(raw)))
            oof_sum.setdefault(candidate, np.zeros(len(y)))[test_idx] += raw
        if progress:
            progress(k + 1, len(folds))


def soft_penalty_candidates(candidates, losses: dict, n: int) -> dict:
    """The soft choice of the logistic L2 penalty: per preprocessing variant (``splines``) with two or
    more grid values of ``C``, the candidate whose ``log C`` is the mean of the grid's ``log C`` weighted
    by pseudo-BMA weights (Yao, Vehtari, Simpson and Gelman 2018), ``w_k ~ exp(-n x mean CV log-loss_k)``:
    the exponentiated out-of-fold log-likelihood of each value, relative to the best. Returns
    ``{candidate: {C as text: weight}}``. Picking the grid value with the lowest CV log-loss snaps to the
    strongest penalty whenever it wins by a hair, which with ~20 events it does in most samples
    (docs/benchmarks.md); the weighted mean moves off the grid's end only as far as the CV evidence allows."""
    groups: dict[tuple, list] = {}
    for c in candidates:
        if c.family == "logistic":
            groups.setdefault(tuple((k, v) for k, v in c.params if k != "C"), []).append(c)
    out = {}
    for rest, members in groups.items():
        if len(members) < 2:
            continue
        mean_loss = np.array([np.mean(losses[c]) for c in members])
        weights = np.exp(-n * (mean_loss - mean_loss.min()))
        weights /= weights.sum()
        log_c = float(np.sum(weights * np.log([c.param_dict["C"] for c in members])))
        C = float(f"{np.exp(log_c):.4g}")  # a readable label; the same data give the same value
        soft = Candidate("logistic", tuple(sorted((*rest, ("C", C)))))
        out[soft] = {f"{c.param_dict['C']:g}": round(float(w), 4) for c, w in zip(members, weights)}
    return out


def tune(candidates, config, stage, X, y, *, seed, n_splits, n_repeats, progress=None):
    """Repeated stratified CV. Returns (rows, oof_raw) where rows are dicts per candidate
    (cv_logloss_mean, cv_logloss_sd over folds) and oof_raw maps candidate -> OOF raw log-odds
    averaged over repeats. With ``[logistic] soft_penalty`` the soft-penalty candidates
    (:func:`soft_penalty_candidates`) are then cross-validated on the same folds and added, their rows
    carrying ``soft_weights``; :func:`best` picks the logistic family's candidate among them."""
    y = np.asarray(y, dtype=int)
    splitter = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed)
    losses, oof_sum = {}, {}
    folds = list(splitter.split(np.zeros(len(y)), y))
    _cross_validate(candidates, config, stage, X, y, folds, seed=seed, losses=losses, oof_sum=oof_sum, progress=progress)
    soft = soft_penalty_candidates(candidates, losses, len(y)) if config.logistic.soft_penalty else {}
    added = [c for c in soft if c not in losses]  # a weighted mean that lands on a grid value is that grid row
    _cross_validate(added, config, stage, X, y, folds, seed=seed, losses=losses, oof_sum=oof_sum)
    rows = [
        {"candidate": c, "name": c.family, "label": c.label, "params": c.param_dict,
         "cv_logloss_mean": float(np.mean(losses[c])), "cv_logloss_sd": float(np.std(losses[c], ddof=1)),
         "cv_folds": len(losses[c]), **({"soft_weights": soft[c]} if c in soft else {})}
        for c in [*candidates, *added]
    ]
    return rows, {c: oof_sum[c] / n_repeats for c in [*candidates, *added]}


# Candidate families from simplest to most flexible (one-standard-error rule below).
FAMILY_ORDER = ("logistic", "xgboost")


def best(rows, family: str | None = None) -> dict:
    """The selected candidate.

    Within one family (``family`` given): the lowest mean CV log-loss (first in grid order on ties);
    for the logistic family with soft-penalty rows (:func:`tune`), the lowest among those.
    Across families: the one-standard-error rule (Hastie, Tibshirani and Friedman, ESL 7.10) applied
    to model families. Each family's candidate is chosen as above; the simplest family whose candidate's
    mean log-loss is within one standard error (fold SD / sqrt(folds)) of the best of them is chosen. With ~50 events
    a more flexible model that merely ties the penalised logistic regression is noise, and it cost
    held-out discrimination on an independently generated cohort (docs/training.md, section 9).
    """
    if family is not None:
        pool = [r for r in rows if r["name"] == family]
        soft = [r for r in pool if "soft_weights" in r]  # the soft penalty choice replaces the grid's argmin
        return min(soft or pool, key=lambda r: r["cv_logloss_mean"])
    rank = {name: i for i, name in enumerate(FAMILY_ORDER)}
    family_bests = [best(rows, name) for name in sorted({r["name"] for r in rows}, key=lambda n: rank.get(n, len(rank)))]
    overall = min(family_bests, key=lambda r: r["cv_logloss_mean"])
    tolerance = overall["cv_logloss_sd"] / np.sqrt(max(overall["cv_folds"], 1))
    for family_best in family_bests:
        if family_best["cv_logloss_mean"] <= overall["cv_logloss_mean"] + tolerance:
            return family_best
    return overall  # reached only when the SE is undefined (a single fold)


def nested_cv(candidates, config, stage, X, y, *, seed, progress=None) -> dict:
    """Outer-fold calibrated probabilities of the whole procedure, overall and per family."""
    y = np.asarray(y, dtype=int)
    outer = StratifiedKFold(n_splits=config.nested_outer_splits, shuffle=True, random_state=seed + 7)
    families = sorted({c.family for c in candidates})
    proba = {name: np.full(len(y), np.nan) for name in ["selection", *families]}
    chosen = []
    splits = list(outer.split(np.zeros(len(y)), y))
    for k, (train_idx, test_idx) in enumerate(splits):
        X_train, y_train = X.iloc[train_idx], y[train_idx]
        rows, oof = tune(candidates, config, stage, X_train, y_train, seed=seed + 100 * (k + 1),
                         n_splits=config.nested_inner_splits, n_repeats=1)
        winner = best(rows)["candidate"]
        chosen.append(winner.label)
        for family in families:
            pick = best(rows, family)["candidate"]
            intercept, slope = calibrate(pick.family, config.platt_families, oof[pick], y_train)
            fitted = FittedCandidate(pick, config, stage, seed=seed).fit(X_train, y_train)
            p = expit(apply_platt(fitted.raw_logit(X.iloc[test_idx]), intercept, slope))
            proba[family][test_idx] = p
            if pick == winner:
                proba["selection"][test_idx] = p
        if progress:
            progress(k + 1, len(splits))
    return {"proba": proba, "chosen": chosen}

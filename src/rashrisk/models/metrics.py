"""Performance of predicted risks against observed binary outcomes.

Pure functions of ``y`` (0/1 outcomes) and ``p`` (predicted probabilities), numpy only, so that
the bootstrap can call them hundreds of times. Definitions (see docs/validation.md):

- AUROC: probability that a random event has a higher risk than a random non-event (ties 1/2),
  computed from mid-ranks (Mann-Whitney).
- AUPRC: average precision, sum over distinct thresholds of (recall step) x precision.
- Brier: mean squared error of ``p``; scaled Brier = 1 - Brier / Brier of predicting the
  observed prevalence for everyone.
- Calibration intercept (calibration-in-the-large): ``a`` in logit P(y) = a + logit(p) (logit(p)
  as an offset); calibration slope: ``b`` in logit P(y) = a + b logit(p). Ideal 0 and 1.
- ICI / E50 / E90 (Austin & Steyerberg, Stat Med 2019): mean / median / 90th percentile of
  |p - smoothed observed risk|, the smoothed risk being a logistic regression of y on a restricted
  cubic spline of logit(p) (3 knots by default).
- log-loss: mean negative log-likelihood (p clipped to [1e-15, 1 - 1e-15]).

Undefined quantities (one class only, a separated calibration fit) are NaN, never an exception:
the bootstrap meets such resamples. Malformed input raises :class:`RashriskError`.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy.special import expit  # the one inverse logit (stable, no overflow warning)

from rashrisk.errors import RashriskError

METRIC_NAMES = (
    "auroc",
    "auprc",
    "brier",
    "scaled_brier",
    "calibration_intercept",
    "calibration_slope",
    "ici",
    "e50",
    "e90",
    "log_loss",
)
# direction of "better" for each metric (+1 higher is better, -1 lower is better, 0 closer to ideal)
HIGHER_IS_BETTER = {"auroc": 1, "auprc": 1, "scaled_brier": 1, "brier": -1, "log_loss": -1,
                    "ici": -1, "e50": -1, "e90": -1, "calibration_intercept": 0, "calibration_slope": 0}

DEFAULT_RISK_THRESHOLDS = (0.05, 0.10, 0.15, 0.20)
DEFAULT_DECISION_THRESHOLDS = tuple(np.round(np.arange(0.01, 0.3001, 0.01), 2))
_EPS = 1e-15
# knot quantiles for restricted cubic splines (Harrell, Regression Modeling Strategies, table 2.3)
_KNOT_QUANTILES = {3: (0.10, 0.50, 0.90), 4: (0.05, 0.35, 0.65, 0.95), 5: (0.05, 0.275, 0.50, 0.725, 0.95)}


def check_outcomes_and_risks(y, p, *, what: str = "predictions") -> tuple[np.ndarray, np.ndarray]:
    """Return ``y`` as float 0/1 and ``p`` as float arrays, or raise a RashriskError saying what is wrong."""
    y_arr = np.asarray(y)
    p_arr = np.asarray(p, dtype=float)
    if y_arr.ndim != 1 or p_arr.ndim != 1:
        raise RashriskError(f"{what}: outcomes and risks must be one-dimensional, got shapes {y_arr.shape} and {p_arr.shape}")
    if len(y_arr) != len(p_arr):
        raise RashriskError(f"{what}: {len(y_arr)} outcomes but {len(p_arr)} predicted risks; expected one risk per outcome")
    if y_arr.dtype == object or pd.isna(y_arr).any():
        bad = [i for i, v in enumerate(y_arr) if v is None or (isinstance(v, float) and np.isnan(v))]
        if bad:
            raise RashriskError(f"{what}: outcome missing at position(s) {bad[:5]}; expected 0/1 or True/False for every patient")
    try:
        y_float = y_arr.astype(float)
    except (TypeError, ValueError):
        raise RashriskError(f"{what}: outcome values such as {y_arr[0]!r} are not numeric; expected 0/1 or True/False") from None
    bad = np.flatnonzero((y_float != 0) & (y_float != 1))
    if bad.size:
        raise RashriskError(f"{what}: outcome value {y_arr[bad[0]].item()!r} at position {int(bad[0])}; expected 0/1 or True/False")
    bad = np.flatnonzero(~np.isfinite(p_arr) | (p_arr < 0) | (p_arr > 1))
    if bad.size:
        raise RashriskError(
            f"{what}: predicted risk {p_arr[bad[0]].item()!r} at position {int(bad[0])} ({bad.size} such); expected a probability in [0, 1]"
        )
    return y_float, p_arr


def logit(p) -> np.ndarray:
    """log(p / (1 - p)) with p clipped away from 0 and 1."""
    q = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    return np.log(q) - np.log1p(-q)


def fit_logistic(design: np.ndarray, y: np.ndarray, offset: np.ndarray | None = None, *,
                 start: np.ndarray | None = None, max_iter: int = 60) -> tuple[np.ndarray, bool]:
    """Maximum-likelihood logistic regression by Newton-Raphson with step halving.

    ``design`` includes its own intercept column. Returns (coefficients, converged); a fit that
    diverges (separation) or whose information matrix is singular returns converged=False.
    """
    n, k = design.shape
    off = np.zeros(n) if offset is None else np.asarray(offset, dtype=float)
    beta = np.zeros(k) if start is None else np.asarray(start, dtype=float).copy()
    eta = off + design @ beta
    ll = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    for _ in range(max_iter):
        mu = expit(eta)
        w = mu * (1 - mu)
        grad = design.T @ (y - mu)
        info = design.T @ (design * w[:, None])
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            return beta, False
        if not np.all(np.isfinite(step)):
            return beta, False
        t = 1.0
        for _ in range(30):
            cand = beta + t * step
            eta_cand = off + design @ cand
            ll_cand = float(np.sum(y * eta_cand - np.logaddexp(0.0, eta_cand)))
            if ll_cand >= ll - 1e-10:
                break
            t /= 2
        beta, eta, ll = cand, eta_cand, ll_cand
        if np.max(np.abs(t * step)) < 1e-7:
            return beta, bool(np.all(np.abs(beta) < 50))
    return beta, False


def calibration_intercept_slope(y, p) -> tuple[float, float]:
    """Calibration-in-the-large (offset model) and calibration slope; NaN when not estimable."""
    y, p = check_outcomes_and_risks(y, p)
    if y.min() == y.max():
        return float("nan"), float("nan")
    lp = logit(p)
    ones = np.ones((len(y), 1))
    coef, ok = fit_logistic(ones, y, offset=lp)
    intercept = float(coef[0]) if ok else float("nan")
    coef, ok = fit_logistic(np.column_stack([np.ones(len(y)), lp]), y, start=np.array([0.0, 1.0]))
    slope = float(coef[1]) if ok else float("nan")
    return intercept, slope


def rcs_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Restricted cubic spline basis (linear beyond the outer knots): x plus k-2 nonlinear terms."""
    x = np.asarray(x, dtype=float)
    t = np.asarray(knots, dtype=float)
    k = len(t)
    scale = (t[-1] - t[0]) ** 2
    cols = [x]
    for j in range(k - 2):
        term = (np.clip(x - t[j], 0, None) ** 3
                - np.clip(x - t[k - 2], 0, None) ** 3 * (t[k - 1] - t[j]) / (t[k - 1] - t[k - 2])
                + np.clip(x - t[k - 1], 0, None) ** 3 * (t[k - 2] - t[j]) / (t[k - 1] - t[k - 2]))
        cols.append(term / scale)
    return np.column_stack(cols)


def spline_knots(lp: np.ndarray, n_knots: int = 3) -> np.ndarray | None:
    """Knots at Harrell's quantiles of ``lp``; None when ``lp`` has too few distinct values."""
    if n_knots not in _KNOT_QUANTILES:
        raise RashriskError(f"calibration smoother: n_knots={n_knots!r}; expected one of {sorted(_KNOT_QUANTILES)}")
    knots = np.quantile(lp, _KNOT_QUANTILES[n_knots])
    if len(np.unique(np.round(knots, 12))) < n_knots:
        return None
    return knots


class CalibrationSmoother:
    """Smoothed observed risk as a function of predicted risk (logistic on an RCS of logit(p)).

    Falls back to a linear logistic recalibration when logit(p) has too few distinct values for
    the knots. ``ok`` is False when even that fit fails (one class, separation).
    """

    def __init__(self, y: np.ndarray, p: np.ndarray, n_knots: int = 3):
        lp = logit(p)
        self.knots = spline_knots(lp, n_knots)
        design = self._design(lp)
        start = np.zeros(design.shape[1])
        start[1] = 1.0  # identity calibration: a good first guess
        self.coef, self.ok = fit_logistic(design, y, start=start) if y.min() != y.max() else (start, False)

    def _design(self, lp: np.ndarray) -> np.ndarray:
        basis = lp[:, None] if self.knots is None else rcs_basis(lp, self.knots)
        return np.column_stack([np.ones(len(lp)), basis])

    def observed(self, p_grid) -> np.ndarray:
        if not self.ok:
            return np.full(len(np.atleast_1d(p_grid)), np.nan)
        return expit(self._design(logit(np.atleast_1d(p_grid))) @ self.coef)


def calibration_errors(y, p, *, n_knots: int = 3) -> dict:
    """ICI, E50, E90 and Emax: summaries of |p - smoothed observed risk| over the patients."""
    y, p = check_outcomes_and_risks(y, p)
    smoother = CalibrationSmoother(y, p, n_knots)
    diff = np.abs(p - smoother.observed(p))
    if not smoother.ok:
        return {"ici": float("nan"), "e50": float("nan"), "e90": float("nan"), "emax": float("nan")}
    return {"ici": float(diff.mean()), "e50": float(np.median(diff)), "e90": float(np.quantile(diff, 0.9)),
            "emax": float(diff.max())}


def midranks(values) -> np.ndarray:
    """1-based ranks with ties sharing their average rank."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.r_[True, sorted_values[1:] != sorted_values[:-1]]
    block = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:], len(values)] - 1
    ranks = np.empty(len(values))
    ranks[order] = (first[block] + last[block]) / 2.0 + 1.0
    return ranks


def auroc(y, p) -> float:
    """Area under the ROC curve (Mann-Whitney with mid-ranks); NaN with a single class."""
    y, p = check_outcomes_and_risks(y, p)
    n1 = y.sum()
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = midranks(p)
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def auroc_delong(y, p, *, level: float = 0.95) -> dict:
    """AUROC with DeLong's standard error and a CI computed on the logit scale (stays in [0, 1])."""
    y, p = check_outcomes_and_risks(y, p)
    pos, neg = p[y == 1], p[y == 0]
    n1, n0 = len(pos), len(neg)
    if n1 < 2 or n0 < 2:
        return {"auroc": float("nan"), "se": float("nan"), "ci_low": float("nan"), "ci_high": float("nan")}
    r_all = midranks(np.concatenate([pos, neg]))
    v10 = (r_all[:n1] - midranks(pos)) / n0  # per event: share of non-events ranked below
    v01 = 1.0 - (r_all[n1:] - midranks(neg)) / n1  # per non-event: share of events ranked above
    auc = float(v10.mean())
    se = float(np.sqrt(v10.var(ddof=1) / n1 + v01.var(ddof=1) / n0))
    z = NormalDist().inv_cdf(0.5 + level / 2)
    if auc <= 0 or auc >= 1 or se == 0:
        return {"auroc": auc, "se": se, "ci_low": auc, "ci_high": auc}
    centre = np.log(auc / (1 - auc))
    half = z * se / (auc * (1 - auc))
    return {"auroc": auc, "se": se, "ci_low": float(expit(np.array([centre - half]))[0]),
            "ci_high": float(expit(np.array([centre + half]))[0])}


def average_precision(y, p) -> float:
    """Area under the precision-recall curve as average precision (step interpolation)."""
    y, p = check_outcomes_and_risks(y, p)
    n1 = y.sum()
    if n1 == 0:
        return float("nan")
    order = np.argsort(-p, kind="mergesort")
    p_sorted, y_sorted = p[order], y[order]
    tp = np.cumsum(y_sorted)
    # keep the last position of each block of tied risks: one point per distinct threshold
    last = np.r_[np.flatnonzero(np.diff(p_sorted) != 0), len(p_sorted) - 1]
    tp_at, flagged_at = tp[last], last + 1.0
    precision = tp_at / flagged_at
    recall = tp_at / n1
    recall_step = np.diff(np.r_[0.0, recall])
    return float(np.sum(recall_step * precision))


def brier_scores(y, p) -> tuple[float, float]:
    """Brier score and scaled Brier (1 - Brier / Brier of the prevalence); scaled is NaN with one class."""
    y, p = check_outcomes_and_risks(y, p)
    brier = float(np.mean((p - y) ** 2))
    prevalence = y.mean()
    null = prevalence * (1 - prevalence)
    return brier, (float(1 - brier / null) if null > 0 else float("nan"))


def log_loss(y, p, *, eps: float = _EPS) -> float:
    """Mean negative log-likelihood of the outcomes under ``p`` (clipped to [eps, 1 - eps])."""
    y, p = check_outcomes_and_risks(y, p)
    q = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log1p(-q)))


def performance_metrics(y, p, *, n_knots: int = 3) -> dict:
    """All headline metrics as a flat dict of floats (keys in :data:`METRIC_NAMES`)."""
    y, p = check_outcomes_and_risks(y, p)
    brier, scaled = brier_scores(y, p)
    intercept, slope = calibration_intercept_slope(y, p)
    errors = calibration_errors(y, p, n_knots=n_knots)
    return {
        "auroc": auroc(y, p),
        "auprc": average_precision(y, p),
        "brier": brier,
        "scaled_brier": scaled,
        "calibration_intercept": intercept,
        "calibration_slope": slope,
        "ici": errors["ici"],
        "e50": errors["e50"],
        "e90": errors["e90"],
        "log_loss": log_loss(y, p),
    }


def calibration_curve(y, p, *, n_boot: int = 200, seed: int = 0, n_points: int = 50, level: float = 0.95,
                      n_knots: int = 3) -> pd.DataFrame:
    """Smoothed calibration curve with a bootstrap percentile band.

    Columns: ``predicted`` (grid from the 1st to the 99th percentile of ``p``), ``observed``
    (smoothed observed risk), ``observed_low`` / ``observed_high`` (pointwise percentile band from
    ``n_boot`` resamples of the patients, refitting the smoother each time).
    """
    y, p = check_outcomes_and_risks(y, p, what="calibration curve")
    lo, hi = np.quantile(p, [0.01, 0.99])
    grid = np.linspace(lo, hi, n_points) if hi > lo else np.array([lo])
    observed = CalibrationSmoother(y, p, n_knots).observed(grid)
    rng = np.random.default_rng(seed)
    draws = np.full((n_boot, len(grid)), np.nan)
    for b in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        smoother = CalibrationSmoother(y[idx], p[idx], n_knots)
        draws[b] = smoother.observed(grid)
    alpha = (1 - level) / 2
    ok = ~np.isnan(draws).all(axis=1)
    if ok.any():
        low = np.nanquantile(draws[ok], alpha, axis=0)
        high = np.nanquantile(draws[ok], 1 - alpha, axis=0)
    else:
        low = high = np.full(len(grid), np.nan)
    return pd.DataFrame({"predicted": grid, "observed": observed, "observed_low": low, "observed_high": high})


def decision_curve(y, p, thresholds=DEFAULT_DECISION_THRESHOLDS) -> pd.DataFrame:
    """Net benefit of the model, of treating everyone and of treating no one.

    Net benefit at threshold pt = TP/n - FP/n * pt / (1 - pt), a patient being "treated" (flagged)
    when p >= pt (Vickers & Elkin 2006). Treat-all: prevalence - (1 - prevalence) * pt / (1 - pt).
    """
    y, p = check_outcomes_and_risks(y, p, what="decision curve")
    pts = np.asarray(thresholds, dtype=float)
    if np.any((pts <= 0) | (pts >= 1)):
        raise RashriskError(f"decision curve: thresholds {pts.tolist()}; expected probabilities strictly between 0 and 1")
    n = len(y)
    prevalence = y.mean()
    odds = pts / (1 - pts)
    flagged = p[None, :] >= pts[:, None]
    tp = (flagged & (y[None, :] == 1)).sum(axis=1)
    fp = (flagged & (y[None, :] == 0)).sum(axis=1)
    return pd.DataFrame({
        "threshold": pts,
        "net_benefit_model": tp / n - fp / n * odds,
        "net_benefit_treat_all": prevalence - (1 - prevalence) * odds,
        "net_benefit_treat_none": np.zeros(len(pts)),
    })


def threshold_table(y, p, thresholds=DEFAULT_RISK_THRESHOLDS) -> pd.DataFrame:
    """Classification at each risk threshold (flagged when p >= threshold), with counts.

    Columns: threshold, n, n_flagged, share_flagged, tp, fp, fn, tn, sensitivity, specificity,
    ppv, npv. A ratio with an empty denominator is NaN.
    """
    y, p = check_outcomes_and_risks(y, p, what="threshold table")
    rows = []
    for t in thresholds:
        flagged = p >= t
        tp = int(np.sum(flagged & (y == 1)))
        fp = int(np.sum(flagged & (y == 0)))
        fn = int(np.sum(~flagged & (y == 1)))
        tn = int(np.sum(~flagged & (y == 0)))
        rows.append({
            "threshold": float(t), "n": len(y), "n_flagged": tp + fp, "share_flagged": (tp + fp) / len(y),
            "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
            "ppv": _ratio(tp, tp + fp), "npv": _ratio(tn, tn + fn),
        })
    return pd.DataFrame(rows)


def _ratio(num: int, den: int) -> float:
    return num / den if den else float("nan")

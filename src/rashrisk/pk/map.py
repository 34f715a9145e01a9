"""Bayesian maximum a posteriori (MAP) estimation of individual PK parameters from TDM samples.

For each patient the etas minimise the negative log posterior

    sum_j L_j(eta) + eta' Omega^-1 eta / 2,

L_j the log-normal residual likelihood of :mod:`rashrisk.pk.likelihood` (the model's combined
proportional + additive error mapped to the log scale; a below-LOQ sample enters censored, M3),
plus the IIV prior. All patients
are fitted at once: a batched Fisher-scoring (Gauss-Newton) iteration with a per-patient
backtracking line search, the Jacobian by central differences on the analytic concentrations.
The interval of the 24-h trough is the Laplace approximation: the inverse Fisher information at
the optimum as the covariance of eta, propagated to log(trough) by the delta method, giving a
5-95% interval of the individual's true trough (parameter uncertainty, no residual error).

Dosing per sample: when an actual ``dose_history`` is given for the patient, superposition of
those doses at the sample's ``hours_from_start``; otherwise steady state at the sample's ``dose_mg`` when ``day_on_treatment``
is absent/NaN or >= 5 days; otherwise the same daily dose since the start, with
``floor((24 day_on_treatment - hours_after_dose) / 24) + 1`` doses taken. Below-LOQ samples
(``below_loq`` true, or a concentration of 0) enter as censored at the LOQ (Beal's M3,
``log P(C < LOQ)``), LOQ being the reported concentration when positive and ``default_loq_ng_ml``
otherwise; they are never replaced by LOQ/2 or 0.

Each sample is also checked against the model before fitting (:mod:`rashrisk.pk.sample_checks`):
its standardised residual under the prior predictive, and a flag when it is improbable or below
the LOQ; the flags are returned in ``sample_flags``.
Troughs at other doses scale linearly with dose (the models are linear).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.errors import ModelError
from rashrisk.pk import likelihood, sample_checks
from rashrisk.pk.apriori import imputed_names
from rashrisk.pk.model import PopPKModel, default_pk_model

STEADY_STATE_AFTER_DAYS = 5.0
_Z95 = 1.6448536269514722
_STEP_H = 1e-5  # finite-difference step on eta
_REQUIRED = ("patient_id", "concentration_ng_ml", "hours_after_dose", "dose_mg")


def _layout(rows: np.ndarray, n_patients: int):
    """For rows sorted by patient (``rows``: patient index of each), the count per patient, each
    row's column and the shape (patients x width, width >= 1) of the padded arrays."""
    counts = np.bincount(rows, minlength=n_patients)
    col = np.arange(len(rows)) - (np.cumsum(counts) - counts)[rows]
    return counts, col, (n_patients, max(1, int(counts.max(initial=0))))


def _pad(values, rows: np.ndarray, col: np.ndarray, shape: tuple, fill=0.0) -> np.ndarray:
    """A ``shape`` array of ``fill`` with ``values`` at (``rows``, ``col``)."""
    out = np.full(shape, fill)
    out[rows, col] = values
    return out


def _numbers(column: pd.Series) -> np.ndarray:
    """A column as float (anything but a number NaN); a float column as it is."""
    if column.dtype.kind == "f":
        return column.to_numpy(dtype=float)
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)


def _sample_arrays(samples: pd.DataFrame, patient_ids: list, default_loq_ng_ml: float):
    """Pad samples into (n_patients, max_samples) arrays (numpy on the columns: no frame copied)."""
    missing = [c for c in _REQUIRED if c not in samples.columns]
    if missing:
        raise ModelError(f"map_estimate: samples lack column(s) {', '.join(missing)}; expected {', '.join(_REQUIRED)}")
    pid = samples["patient_id"].astype(str).to_numpy(dtype=object)
    unknown = sorted(set(pid) - set(patient_ids))
    if unknown:
        raise ModelError(f"map_estimate: samples for patient_id {', '.join(unknown[:5])} that have no covariate row")
    conc, t, dose = (_numbers(samples[c]) for c in ("concentration_ng_ml", "hours_after_dose", "dose_mg"))
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(np.isnan(t) | (t < 0) | np.isnan(dose) | (dose <= 0) | (conc < 0))
    if len(bad):
        i = bad[0]
        raise ModelError(
            f"map_estimate: sample of patient {pid[i]} has hours_after_dose={t[i]:g}, "
            f"dose_mg={dose[i]:g}, concentration_ng_ml={conc[i]:g}; expected hours_after_dose >= 0, "
            "dose_mg > 0 and concentration_ng_ml >= 0"
        )
    keep = ~np.isnan(conc)
    flagged = (samples["below_loq"].astype(object).eq(True).to_numpy(dtype=bool)[keep] if "below_loq" in samples.columns
               else False)
    day = _numbers(samples["day_on_treatment"]) if "day_on_treatment" in samples.columns else np.full(len(pid), np.nan)
    t_start = _numbers(samples["hours_from_start"]) if "hours_from_start" in samples.columns else None
    pid, conc, t, dose, day = pid[keep], conc[keep], t[keep], dose[keep], day[keep]
    blq = (conc == 0) | flagged
    log_y = np.log(np.where(blq, np.where(conc > 0, conc, default_loq_ng_ml), conc))
    early = np.isfinite(day) & (day < STEADY_STATE_AFTER_DAYS)
    n_doses = np.where(early, np.maximum(1.0, np.floor((24.0 * np.where(early, day, 0.0) - t) / 24.0) + 1.0), np.inf)
    order = np.where(np.isfinite(day), day, 0.0)
    pos = {p: i for i, p in enumerate(patient_ids)}
    row_of = np.array([pos[p] for p in pid], dtype=int)
    by_order = np.argsort(order, kind="stable")  # by patient, then day, ties in input order
    sort = by_order[np.argsort(row_of[by_order], kind="stable")]
    rows = row_of[sort]
    pid, conc, t, dose, log_y, blq, n_doses = (a[sort] for a in (pid, conc, t, dose, log_y, blq, n_doses))
    counts, col, shape = _layout(rows, len(patient_ids))
    arrays = {
        "log_y": _pad(log_y, rows, col, shape),
        "censored": _pad(blq, rows, col, shape, False),
        "t": _pad(t, rows, col, shape, 24.0),
        "dose": _pad(dose, rows, col, shape, 1.0),
        "n_doses": _pad(n_doses, rows, col, shape, np.inf),
        "t_start": _pad(np.nan if t_start is None else t_start[keep][sort], rows, col, shape, np.nan),
    }
    mask = _pad(True, rows, col, shape, False)
    last_dose = np.full(len(patient_ids), np.nan)
    has = counts > 0
    last_dose[has] = dose[(np.cumsum(counts) - 1)[has]]  # latest sample per patient
    meta = pd.DataFrame({"patient_id": pid, "concentration_ng_ml": conc, "below_loq": blq, "hours_after_dose": t,
                         "row": rows, "col": col})
    return arrays, mask, counts, last_dose, meta


def _history_arrays(dose_history: pd.DataFrame, patient_ids: list, arrays: dict, mask: np.ndarray) -> dict:
    """Pad a dosing history into (n_patients, max_doses) arrays; check the samples can use it."""
    needed = ("patient_id", "hours_from_start", "dose_mg")
    missing = [c for c in needed if c not in dose_history.columns]
    if missing:
        raise ModelError(f"map_estimate: dose_history lacks column(s) {', '.join(missing)}; expected {', '.join(needed)}")
    h = dose_history[list(needed)].copy()
    h["patient_id"] = h["patient_id"].astype(str)
    h["hours_from_start"] = pd.to_numeric(h["hours_from_start"], errors="coerce")
    h["dose_mg"] = pd.to_numeric(h["dose_mg"], errors="coerce")
    bad = h[h["hours_from_start"].isna() | h["dose_mg"].isna() | (h["dose_mg"] < 0)]
    if len(bad):
        row = bad.iloc[0]
        raise ModelError(f"map_estimate: dose_history row for patient {row['patient_id']} has hours_from_start={row['hours_from_start']!r}, "
                         f"dose_mg={row['dose_mg']!r}; expected a time in hours and a dose >= 0 mg")
    pos = {pid: i for i, pid in enumerate(patient_ids)}
    h = h[h["patient_id"].isin(pos)]
    h["row"] = h["patient_id"].map(pos)
    h = h.sort_values(["row", "hours_from_start"], kind="stable")
    rows = h["row"].to_numpy(dtype=int)
    counts, col, shape = _layout(rows, len(patient_ids))
    times = _pad(h["hours_from_start"].to_numpy(dtype=float), rows, col, shape)
    doses = _pad(h["dose_mg"].to_numpy(dtype=float), rows, col, shape)
    has = counts > 0
    lacking = has & (mask & ~np.isfinite(arrays["t_start"])).any(axis=1)
    if lacking.any():
        raise ModelError(f"map_estimate: patient {patient_ids[int(np.flatnonzero(lacking)[0])]} has a dose_history but a sample "
                         "without hours_from_start (the sample time on the history's clock, h)")
    return {"hist_times": times, "hist_doses": doses, "has_hist": has}


class _Posterior:
    """Batched objective, gradient and Fisher information over patients."""

    def __init__(self, model: PopPKModel, typical: pd.DataFrame, arrays: dict, mask: np.ndarray):
        self.model = model
        self.typical = {p: typical[p].to_numpy()[:, None] for p in model.parameter_names}
        self.a = arrays
        self.mask = mask
        self.omega_inv = np.linalg.inv(model.omega)

    def subset(self, rows: np.ndarray) -> _Posterior:
        """The same posterior restricted to patients ``rows`` (index array)."""
        sub = object.__new__(_Posterior)
        sub.model, sub.omega_inv = self.model, self.omega_inv
        sub.typical = {p: v[rows] for p, v in self.typical.items()}
        sub.a = {k: v[rows] for k, v in self.a.items()}
        sub.mask = self.mask[rows]
        return sub

    def params(self, eta):
        out = dict(self.typical)
        for j, p in enumerate(self.model.iiv_parameters):
            out[p] = self.typical[p] * np.exp(eta[:, j : j + 1])
        return out

    def predict(self, eta):
        a = self.a
        params = self.params(eta)
        f = self.model.concentration_ng_ml(params, a["dose"], a["t"], n_doses=a["n_doses"])
        if "has_hist" in a and a["has_hist"].any():
            h = a["has_hist"]
            sub = {p: v[h, 0] for p, v in params.items()}
            f = f.copy()
            f[h] = self.model.history_concentration_ng_ml(sub, a["hist_times"][h], a["hist_doses"][h], np.nan_to_num(a["t_start"][h]))
        return f

    def log_predict(self, eta):
        return likelihood.clipped_log(self.predict(eta))

    def _terms(self, eta):
        return likelihood.sample_terms(self.model, self.a["log_y"], self.log_predict(eta), self.a["censored"])

    def objective(self, eta):
        nll = self._terms(eta)[0]
        data = np.where(self.mask, nll, 0.0).sum(axis=1)
        return data + 0.5 * np.einsum("pi,ij,pj->p", eta, self.omega_inv, eta)

    def jacobian(self, eta, fn):
        cols = []
        for j in range(eta.shape[1]):
            step = np.zeros_like(eta)
            step[:, j] = _STEP_H
            cols.append((fn(eta + step) - fn(eta - step)) / (2 * _STEP_H))
        return np.stack(cols, axis=-1)

    def gradient_and_fisher(self, eta):
        _, d, w = self._terms(eta)
        jac = self.jacobian(eta, self.log_predict)  # (P, S, K), d log f / d eta
        w_grad = np.where(self.mask, d, 0.0)
        w_info = np.where(self.mask, w, 0.0)
        # einsum, not BLAS matmul: a patient's gradient must not depend on how many patients share the batch
        grad = np.einsum("ps,psk->pk", w_grad, jac) + np.einsum("pi,ij->pj", eta, self.omega_inv)
        info = np.einsum("ps,psk,psl->pkl", w_info, jac, jac) + self.omega_inv
        return grad, info


def _fit(post: _Posterior, n_patients: int, k: int, max_iter: int = 100, tol: float = 1e-8, eta0: np.ndarray | None = None):
    """Fisher scoring with backtracking, iterating only on patients not yet converged (from ``eta0``, default 0)."""
    eta = np.zeros((n_patients, k)) if eta0 is None else np.array(eta0, dtype=float).reshape(n_patients, k)
    if k == 0:  # a model without IIV: nothing to estimate
        return eta, np.zeros((n_patients, 0, 0)), np.ones(n_patients, dtype=bool)
    active = np.arange(n_patients)
    for _ in range(max_iter):
        if active.size == 0:
            break
        sub = post.subset(active)
        e = eta[active]
        obj = sub.objective(e)
        grad, info = sub.gradient_and_fisher(e)
        direction = -np.linalg.solve(info, grad[..., None])[..., 0]
        slope = np.einsum("pk,pk->p", grad, direction)
        alpha = np.ones(active.size)
        todo = np.ones(active.size, dtype=bool)
        new = e.copy()
        for _ in range(30):
            trial = e + alpha[:, None] * direction
            trial_obj = sub.objective(trial)
            ok = todo & np.isfinite(trial_obj) & (trial_obj <= obj + 1e-4 * alpha * slope)
            new[ok] = trial[ok]
            todo &= ~ok
            if not todo.any():
                break
            alpha[todo] *= 0.5
        eta[active] = new
        moved = np.abs(new - e).max(axis=1)
        active = active[(moved > tol) & ~todo & (-slope > tol**2)]
    grad, info = post.gradient_and_fisher(eta)
    # converged: the Newton decrement g' H^-1 g (expected objective decrease x 2) is negligible
    decrement = np.einsum("pk,pk->p", grad, np.linalg.solve(info, grad[..., None])[..., 0])
    return eta, info, decrement < 1e-6


def _sample_flags(post: _Posterior, meta: pd.DataFrame, n_patients: int, bound: float):
    """Per patient, the joined flags of its samples and the largest |z| of its measured samples."""
    k = post.model.n_eta
    eta0 = np.zeros((n_patients, k))
    log_pred0 = post.log_predict(eta0)
    jac0 = post.jacobian(eta0, post.log_predict) if k else np.zeros((*log_pred0.shape, 0))
    z = sample_checks.prior_predictive_z(post.model, post.a["log_y"], log_pred0, jac0)
    rows, cols = meta["row"].to_numpy(), meta["col"].to_numpy()
    z_sample = z[rows, cols]
    flags = [[] for _ in range(n_patients)]
    max_abs = np.full(n_patients, np.nan)
    for r, c_ng, h, blq, zs in zip(rows, meta["concentration_ng_ml"], meta["hours_after_dose"], meta["below_loq"], z_sample):
        message = sample_checks.flag_messages(float(c_ng), float(h), bool(blq), float(zs), bound)
        if message:
            flags[r].append(message)
        if not blq:
            max_abs[r] = np.fmax(max_abs[r], abs(zs))
    return ["; ".join(f) for f in flags], max_abs


def _covariate_frame(covariates: pd.DataFrame) -> pd.DataFrame:
    """The covariates with ``patient_id`` as a str column (from the column or the index), ids unique."""
    cov = covariates.reset_index(drop=True) if "patient_id" in covariates.columns else covariates.rename_axis("patient_id").reset_index()
    cov["patient_id"] = cov["patient_id"].astype(str)
    if cov["patient_id"].duplicated().any():
        dup = cov.loc[cov["patient_id"].duplicated(), "patient_id"].iloc[0]
        raise ModelError(f"map_estimate: patient_id {dup} appears more than once in the covariates")
    return cov


def marginal_objective(covariates: pd.DataFrame, samples: pd.DataFrame, model: PopPKModel, *,
                       default_loq_ng_ml: float = 10.0, eta0: np.ndarray | None = None):
    """Minus the log marginal likelihood of the patients' samples under ``model`` (Laplace), and the etas.

    Per patient with samples, ``-log p(y) ~ objective(eta_hat) + log det(I) / 2 + log det(Omega) / 2``
    (constants dropped), ``I`` the Fisher information of the posterior at its mode: the population
    objective of a first-order conditional (Laplace) estimation, used to re-estimate a prior on a
    cohort (:mod:`rashrisk.pk.cohort_prior`). ``eta0`` warm-starts the fits (same patient order as
    the returned etas: ``covariates`` order, patients without samples left out).
    """
    cov = _covariate_frame(covariates)
    sampled = set(samples["patient_id"].astype(str))
    cov = cov[cov["patient_id"].isin(sampled)].reset_index(drop=True)
    ids = cov["patient_id"].tolist()
    arrays, mask, _, _, _ = _sample_arrays(samples, ids, default_loq_ng_ml)
    post = _Posterior(model, model.typical_parameters(cov), arrays, mask)
    eta, info, _ = _fit(post, len(ids), model.n_eta, tol=1e-6, eta0=eta0)
    value = float(post.objective(eta).sum())
    if model.n_eta:
        value += 0.5 * float(np.linalg.slogdet(info)[1].sum()) + 0.5 * len(ids) * float(np.linalg.slogdet(model.omega)[1])
    return value, eta


def map_estimate(
    covariates: pd.DataFrame,
    samples: pd.DataFrame,
    *,
    model: PopPKModel | None = None,
    doses_mg=(300, 400, 600),
    tau_h: float = 24.0,
    default_loq_ng_ml: float = 10.0,
    dose_history: pd.DataFrame | None = None,
    improbable_abs_z: float | None = None,
) -> pd.DataFrame:
    """MAP individual parameters and 24-h steady-state troughs, one row per patient.

    ``covariates``: one row per patient with ``patient_id`` (column or index) and the model's
    covariate columns (missing -> reference). ``samples``: ``patient_id, concentration_ng_ml,
    hours_after_dose, dose_mg`` and optionally ``day_on_treatment`` and ``below_loq``. Patients
    without samples get their typical parameters (``n_samples`` 0) and, as current dose, their
    ``start_dose_mg`` when given. ``dose_history`` (optional): ``patient_id, hours_from_start,
    dose_mg``, one row per dose actually taken; for the patients it lists, every sample needs
    ``hours_from_start`` on the same clock and is predicted by superposition of those doses.

    ``sample_flags`` holds, per patient, the "; "-joined flags of samples that are below the LOQ or
    improbable under the prior predictive (|z| > ``improbable_abs_z``, default from
    ``pk/defaults.toml``); ``max_abs_z`` the largest |z| of the patient's measured samples.
    """
    model = model or default_pk_model()
    improbable_abs_z = sample_checks.improbable_abs_z() if improbable_abs_z is None else float(improbable_abs_z)
    cov = _covariate_frame(covariates)
    ids = cov["patient_id"].tolist()
    arrays, mask, counts, dose_now, meta = _sample_arrays(samples, ids, default_loq_ng_ml)
    if "start_dose_mg" in cov.columns:
        dose_now = np.where(np.isnan(dose_now), pd.to_numeric(cov["start_dose_mg"], errors="coerce").to_numpy(dtype=float), dose_now)

    if dose_history is not None:
        arrays.update(_history_arrays(dose_history, ids, arrays, mask))

    typical, imputed = model.typical_and_imputed(cov)
    post = _Posterior(model, typical, arrays, mask)
    flags, z_by_sample = _sample_flags(post, meta, len(ids), improbable_abs_z)
    eta, info, converged = _fit(post, len(ids), model.n_eta)
    params = model.apply_etas(typical, eta)

    def log_trough(e):
        return np.log(model.trough_ss_ng_ml(post.params(e), 1.0, tau_h=tau_h))[:, 0]

    log_t = log_trough(eta)
    grad = post.jacobian(eta, lambda e: log_trough(e)[:, None])[:, 0, :] if model.n_eta else np.zeros((len(ids), 0))
    cov_eta = np.linalg.inv(info)
    sd = np.sqrt(np.einsum("pk,pkl,pl->p", grad, cov_eta, grad))
    trough_per_mg = np.exp(log_t)

    out = {"patient_id": ids, "dose_mg": dose_now}  # the columns in order, then one frame
    for p in model.parameter_names:
        out[p] = params[p].to_numpy()
    out["trough_ng_ml"] = trough_per_mg * dose_now
    out["trough_low_ng_ml"] = np.exp(log_t - _Z95 * sd) * dose_now
    out["trough_high_ng_ml"] = np.exp(log_t + _Z95 * sd) * dose_now
    for d in doses_mg:
        out[f"trough_{d:g}mg_ng_ml"] = trough_per_mg * float(d)
    out["n_samples"] = counts
    out["converged"] = converged
    for j, p in enumerate(model.iiv_parameters):
        out[f"eta_{p}"] = eta[:, j]
    out["imputed_covariates"] = imputed_names(imputed)
    out["sample_flags"] = flags
    out["max_abs_z"] = z_by_sample
    out["domain_warnings"] = ["; ".join(w) for w in model.domain_warnings_by_row(cov)]
    out = pd.DataFrame(out)
    return out

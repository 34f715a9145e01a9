"""A published PK prior re-estimated on the cohort it is applied to (empirical Bayes).

A published model's typical values describe its own population (Widmer 2006: 59 Swiss CML and GIST
patients), not the cohort at hand; on a cohort whose exposure differs, MAP troughs are pulled toward
the wrong typical value (docs/pk.md, "Validation": -15% to +15% median bias on the foreign
generator with the published defaults). With enough patients the cohort's own samples tell how far
off the prior is. :func:`adapt_to_cohort` keeps the model's structure, covariate equations,
correlations and residual error, and re-estimates three factors by maximising the Laplace
marginal likelihood of all the cohort's samples (:func:`rashrisk.pk.map.marginal_objective`):

- ``cl``: on the typical CL/F (every term of its covariate equation, so the covariate effects keep
  their relative size),
- ``v``: on the typical V/F, likewise,
- ``iiv``: one common factor on every IIV SD.

Each factor is bounded to ``[1 / max_factor, max_factor]``; below ``min_patients`` patients with
samples the published prior is kept and the reason says so. Both bounds come from
``[cohort_prior]`` in ``pk/defaults.toml``. The re-estimated model records the factors and the
number of patients in its ``overrides`` (so its sha256 differs from the published one's), and
:meth:`CohortPrior.describe` says it in one line. It is then used like any model: the MAP fit of
each patient is unchanged.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from rashrisk.pk.map import marginal_objective
from rashrisk.pk.model import PopPKModel, default_pk_model, pk_defaults

FACTORS = ("cl", "v", "iiv")
_PARAMETER = {"cl": "cl_l_h", "v": "v_l"}


def settings() -> dict:
    """``[cohort_prior]`` of ``pk/defaults.toml``: ``min_patients`` and ``max_factor``."""
    table = pk_defaults().get("cohort_prior", {})
    return {"min_patients": int(table.get("min_patients", 100)), "max_factor": float(table.get("max_factor", 3.0))}


class CohortPrior(NamedTuple):
    """The outcome of :func:`adapt_to_cohort`."""

    model: PopPKModel  # the model to fit with (the published one when not re-estimated)
    published: PopPKModel
    factors: dict  # FACTORS -> multiplier (all 1.0 when not re-estimated)
    n_patients: int  # patients with samples
    re_estimated: bool
    reason: str  # why not re-estimated ("" when it was)

    def describe(self) -> str:
        """One line for a CLI or a report."""
        if not self.re_estimated:
            return f"published {self.published.name} (not re-estimated: {self.reason})"
        f = self.factors
        return (f"{self.published.name} re-estimated on this cohort's {self.n_patients} patients with samples: "
                f"typical CL/F x {f['cl']:.2f}, V/F x {f['v']:.2f}, IIV SDs x {f['iiv']:.2f} (Laplace marginal likelihood)")


def scaled_model(model: PopPKModel, factors: dict, *, reason: str) -> PopPKModel:
    """``model`` with its typical CL/F and V/F (whole covariate equations) and IIV SDs multiplied by ``factors``."""
    typical = dict(model.typical)
    effects = []
    by_parameter = {_PARAMETER[k]: float(factors.get(k, 1.0)) for k in ("cl", "v")}
    for p, factor in by_parameter.items():
        typical[p] = model.typical[p] * factor
    for e in model.effects:
        factor = by_parameter.get(e.parameter, 1.0)
        if e.additive and factor != 1.0:  # (typical + additive terms) x multipliers: scale every additive term
            e = dataclasses.replace(e, coefficient=e.coefficient * factor, value=e.value * factor,
                                    levels={k: v * factor for k, v in e.levels.items()})
        effects.append(e)
    iiv = float(factors.get("iiv", 1.0))
    return model.with_overrides(reason=reason, typical=typical, effects=tuple(effects),
                                iiv_sd=tuple(sd * iiv for sd in model.iiv_sd))


def adapt_to_cohort(model: PopPKModel, covariates: pd.DataFrame, samples: pd.DataFrame, *,
                    min_patients: int | None = None, max_factor: float | None = None) -> CohortPrior:
    """Re-estimate ``model``'s typical CL/F, V/F and IIV scale on a cohort's TDM samples (module docstring).

    ``covariates`` and ``samples`` as for :func:`rashrisk.pk.map.map_estimate`. Deterministic: the
    same data give the same factors. Patients without samples take no part.
    """
    conf = settings()
    min_patients = conf["min_patients"] if min_patients is None else int(min_patients)
    max_factor = conf["max_factor"] if max_factor is None else float(max_factor)
    n = int(samples.loc[pd.to_numeric(samples["concentration_ng_ml"], errors="coerce").notna(), "patient_id"].astype(str).nunique())
    unit = dict.fromkeys(FACTORS, 1.0)
    if n < min_patients:
        return CohortPrior(model, model, unit, n, False, f"{n} patient(s) with samples, fewer than the {min_patients} needed")
    missing = [p for p in _PARAMETER.values() if p not in model.typical]
    if missing or model.n_eta == 0:
        return CohortPrior(model, model, unit, n, False, f"{model.name} has no typical {', '.join(missing) or 'IIV'} to re-estimate")

    warm = {}

    def objective(log_factors):
        candidate = scaled_model(model, dict(zip(FACTORS, np.exp(log_factors))), reason="candidate")
        value, eta = marginal_objective(covariates, samples, candidate, eta0=warm.get("eta"))
        warm["eta"] = eta
        return value / n

    bound = np.log(max_factor)
    result = minimize(objective, np.zeros(len(FACTORS)), method="L-BFGS-B", bounds=[(-bound, bound)] * len(FACTORS),
                      options={"eps": 1e-3, "maxiter": 60})
    factors = {k: float(np.exp(x)) for k, x in zip(FACTORS, result.x)}
    reason = (f"re-estimated on a cohort of {n} patients with TDM samples (Laplace marginal likelihood): "
              f"typical CL/F x {factors['cl']:.3f}, V/F x {factors['v']:.3f}, IIV SDs x {factors['iiv']:.3f}")
    return CohortPrior(scaled_model(model, factors, reason=reason), model, factors, n, True, "")


def adapt_by_ancestry(covariates: pd.DataFrame, samples: pd.DataFrame, ancestry: pd.Series,
                      keys=None) -> dict[str, CohortPrior]:
    """Per ancestry code ('' = unknown), the default model of that ancestry re-estimated on its own
    patients (:func:`adapt_to_cohort`). ``ancestry``: one code per row of ``covariates``; ``keys``: the
    codes wanted (default: every code present)."""
    codes = pd.Series(ancestry, index=covariates.index).fillna("").astype(str)
    ids = covariates["patient_id"].astype(str)
    sample_ids = samples["patient_id"].astype(str)
    out = {}
    for key in sorted(set(codes) if keys is None else set(keys)):
        group = covariates[(codes == key).to_numpy()]
        out[key] = adapt_to_cohort(default_pk_model(key or None), group.drop(columns=["ancestry"], errors="ignore"),
                                   samples[sample_ids.isin(set(ids[(codes == key).to_numpy()])).to_numpy()])
    return out

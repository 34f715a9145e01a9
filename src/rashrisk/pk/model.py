"""Population-PK models as data: :class:`PopPKModel` built from a TOML file under ``pk/models/``.

The engine knows structures (one compartment with first- or zero-order absorption) and the kinds
of covariate effects (:mod:`rashrisk.pk.covariates`); each published model is only a parameter
set. Inter-individual variability is exponential (``P_i = P_typ * exp(eta_i)``, eta ~ N(0, Omega),
Omega from the declared SDs and correlations); residual error is combined
(``C_obs = C * (1 + eps_prop) + eps_add``).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

from rashrisk.errors import ModelError
from rashrisk.pk import concentration as conc
from rashrisk.pk.covariates import CovariateEffect, CovariateSpec, domain_warnings, resolve_covariates

# structure -> (parameter names, multiple-dose function(dose, tau, n_doses, t, *params),
#               steady-state trough function(dose, *params, tau_h=),
#               dose-history function(dose_times, doses, t, *params))
STRUCTURES = {
    "one_cmt_first_order": (("cl_l_h", "v_l", "ka_per_h"), conc.multiple_dose_ng_ml, conc.trough_ss_ng_ml, conc.dose_history_ng_ml),
    "one_cmt_zero_order": (
        ("cl_l_h", "v_l", "d1_h"),
        conc.multiple_dose_zero_order_ng_ml,
        conc.trough_ss_zero_order_ng_ml,
        conc.dose_history_zero_order_ng_ml,
    ),
}
MODEL_NAMES = ("widmer2006", "jiang2023", "petain2008")
# smallest typical value a covariate equation may give, as a fraction of the population typical
_MIN_FRACTION_OF_TYPICAL = 0.05


@dataclass(frozen=True)
class PopPKModel:
    """A published one-compartment population-PK model of oral imatinib, declared as data."""

    name: str
    citation: str
    population: str
    structure: str
    typical: dict
    effects: tuple[CovariateEffect, ...]
    covariates: dict  # column -> CovariateSpec
    iiv_parameters: tuple[str, ...]
    iiv_sd: tuple[float, ...]
    iiv_correlation: tuple[tuple[float, ...], ...]
    residual_proportional: float
    residual_additive_ng_ml: float = 0.0
    notes: str = ""
    overrides: tuple[str, ...] = field(default=())  # documented reasons for with_overrides()

    # ---- construction ------------------------------------------------------------------------

    @classmethod
    def from_toml(cls, text: str, source: str = "<toml>") -> PopPKModel:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ModelError(f"{source}: not valid TOML ({exc})") from exc
        for key in ("name", "citation", "population", "structure", "typical", "iiv", "residual"):
            if key not in data:
                raise ModelError(f"{source}: missing top-level key {key!r}")
        iiv = data["iiv"]
        params = tuple(iiv.get("parameters", ()))
        sd = tuple(float(x) for x in iiv.get("sd", ()))
        corr = iiv.get("correlation", np.eye(len(params)).tolist())
        model = cls(
            name=data["name"],
            citation=data["citation"],
            population=data["population"],
            structure=data["structure"],
            typical={k: float(v) for k, v in data["typical"].items()},
            effects=tuple(CovariateEffect.from_dict(e, source) for e in data.get("effects", ())),
            covariates={c: CovariateSpec.from_dict(c, s, source) for c, s in data.get("covariates", {}).items()},
            iiv_parameters=params,
            iiv_sd=sd,
            iiv_correlation=tuple(tuple(float(x) for x in row) for row in corr),
            residual_proportional=float(data["residual"].get("proportional", 0.0)),
            residual_additive_ng_ml=float(data["residual"].get("additive_ng_ml", 0.0)),
            notes=data.get("notes", ""),
        )
        model._validate(source)
        return model

    def to_dict(self) -> dict:
        """Every field as JSON-able data (the model exactly as used, overrides included):
        :meth:`from_dict` rebuilds an equal model."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, data: dict, source: str = "PK model record") -> PopPKModel:
        """The model recorded by :meth:`to_dict` (e.g. in a model card), validated again."""
        expected = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(data, dict) or set(data) != expected:
            got = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ModelError(f"{source}: a PK model record needs exactly the fields {sorted(expected)}; got {got}")
        try:
            covariates = {}
            for column, spec in data["covariates"].items():
                spec = dict(spec)
                spec["levels"] = tuple(spec["levels"])
                spec["soft"] = None if spec["soft"] is None else tuple(spec["soft"])
                spec["hard"] = None if spec["hard"] is None else tuple(spec["hard"])
                covariates[column] = CovariateSpec(**spec)
            model = cls(
                name=data["name"], citation=data["citation"], population=data["population"],
                structure=data["structure"], typical={k: float(v) for k, v in data["typical"].items()},
                effects=tuple(CovariateEffect(**e) for e in data["effects"]), covariates=covariates,
                iiv_parameters=tuple(data["iiv_parameters"]), iiv_sd=tuple(float(x) for x in data["iiv_sd"]),
                iiv_correlation=tuple(tuple(float(x) for x in row) for row in data["iiv_correlation"]),
                residual_proportional=float(data["residual_proportional"]),
                residual_additive_ng_ml=float(data["residual_additive_ng_ml"]), notes=data["notes"],
                overrides=tuple(data["overrides"]))
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise ModelError(f"{source}: not a valid PK model record ({exc})") from None
        model._validate(source)
        return model

    @property
    def content_sha256(self) -> str:
        """sha256 of the canonical JSON of :meth:`to_dict`: two models with the same hash predict alike."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _validate(self, source: str) -> None:
        if self.structure not in STRUCTURES:
            raise ModelError(f"{source}: structure {self.structure!r}; expected one of {', '.join(STRUCTURES)}")
        names = self.parameter_names
        if set(self.typical) != set(names):
            raise ModelError(f"{source}: typical values {sorted(self.typical)} do not match {self.structure} parameters {list(names)}")
        for e in self.effects:
            if e.parameter not in names:
                raise ModelError(f"{source}: effect on unknown parameter {e.parameter!r}; expected one of {', '.join(names)}")
            if e.covariate is not None and e.covariate not in self.covariates:
                raise ModelError(f"{source}: effect uses covariate {e.covariate!r} that is not declared under [covariates]")
        k = len(self.iiv_parameters)
        if any(p not in names for p in self.iiv_parameters) or len(self.iiv_sd) != k:
            raise ModelError(f"{source}: [iiv] parameters {list(self.iiv_parameters)} and sd {list(self.iiv_sd)} must match model parameters")
        corr = np.asarray(self.iiv_correlation, dtype=float)
        corr = corr.reshape(k, k) if corr.size == k * k else corr
        if corr.shape != (k, k) or not np.allclose(corr, corr.T) or np.any(np.linalg.eigvalsh(corr) <= 0):
            raise ModelError(f"{source}: [iiv] correlation must be a symmetric positive-definite {k}x{k} matrix")
        if self.residual_proportional < 0 or self.residual_additive_ng_ml < 0:
            raise ModelError(f"{source}: residual error SDs must be >= 0")

    def with_overrides(self, *, reason: str, **changes) -> PopPKModel:
        """A new model with ``changes`` applied; ``reason`` is recorded in ``overrides``.

        ``typical`` and ``iiv_sd`` may be given as partial dicts (``{"cl_l_h": 0.4}``) merged into
        the declared values; other fields are replaced.
        """
        if not reason:
            raise ModelError("with_overrides needs a reason (it is recorded with the model)")
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ModelError(f"with_overrides: unknown field(s) {', '.join(sorted(unknown))}")
        if isinstance(changes.get("typical"), dict):
            changes["typical"] = {**self.typical, **changes["typical"]}
        if isinstance(changes.get("iiv_sd"), dict):
            sd = dict(zip(self.iiv_parameters, self.iiv_sd))
            extra = set(changes["iiv_sd"]) - set(sd)
            if extra:
                raise ModelError(f"with_overrides: iiv_sd for {sorted(extra)} but the model has IIV on {list(self.iiv_parameters)} only")
            changes["iiv_sd"] = tuple({**sd, **changes["iiv_sd"]}[p] for p in self.iiv_parameters)
        changes["overrides"] = (*self.overrides, f"{', '.join(sorted(changes))}: {reason}")
        new = dataclasses.replace(self, **changes)
        new._validate(f"{self.name} with overrides")
        return new

    # ---- parameters ----------------------------------------------------------------------------

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return STRUCTURES[self.structure][0]

    @property
    def n_eta(self) -> int:
        return len(self.iiv_parameters)

    @property
    def omega(self) -> np.ndarray:
        """IIV covariance matrix of eta (log scale)."""
        sd = np.asarray(self.iiv_sd, dtype=float)
        return np.asarray(self.iiv_correlation, dtype=float).reshape(sd.size, sd.size) * np.outer(sd, sd)

    def imputed_covariates(self, covariates: pd.DataFrame) -> pd.DataFrame:
        """DataFrame[bool]: which of the model's covariates were missing and took the reference."""
        return resolve_covariates(self.covariates, covariates, self.name)[1]

    def typical_parameters(self, covariates: pd.DataFrame) -> pd.DataFrame:
        """Typical (eta = 0) parameters per row of ``covariates`` from the covariate equations."""
        return self.typical_and_imputed(covariates)[0]

    def typical_and_imputed(self, covariates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """:meth:`typical_parameters` and :meth:`imputed_covariates` from one resolution of the covariates."""
        values, imputed = resolve_covariates(self.covariates, covariates, self.name)
        n = len(covariates)
        out = {}
        for p in self.parameter_names:
            add = np.full(n, self.typical[p])
            mult = np.ones(n)
            for e in self.effects:
                if e.parameter != p:
                    continue
                term = np.broadcast_to(e.term(values[e.covariate] if e.covariate else None), (n,))
                if e.additive:
                    add = add + term
                else:
                    mult = mult * term
            out[p] = np.maximum(add * mult, _MIN_FRACTION_OF_TYPICAL * self.typical[p])
        return pd.DataFrame(out, index=covariates.index), imputed

    def sample_etas(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``(n, n_eta)`` draws of eta ~ N(0, Omega)."""
        if self.n_eta == 0:
            return np.zeros((n, 0))
        chol = np.linalg.cholesky(self.omega)
        return rng.standard_normal((n, self.n_eta)) @ chol.T

    def individual_parameters(self, covariates: pd.DataFrame, etas) -> pd.DataFrame:
        """Individual parameters ``typical * exp(eta)`` (``etas``: ``(len(covariates), n_eta)``)."""
        params = self.typical_parameters(covariates)
        return self.apply_etas(params, etas)

    def apply_etas(self, typical: pd.DataFrame, etas) -> pd.DataFrame:
        """Multiply typical parameters by ``exp(eta)`` (helper shared with MAP)."""
        etas = np.asarray(etas, dtype=float).reshape(len(typical), self.n_eta)
        out = typical.copy()
        for j, p in enumerate(self.iiv_parameters):
            out[p] = typical[p].to_numpy() * np.exp(etas[:, j])
        return out

    def add_residual_error(self, conc_ng_ml, rng: np.random.Generator) -> np.ndarray:
        """Observed concentrations ``C (1 + eps_prop) + eps_add``, truncated at 0 (ng/mL)."""
        c = np.asarray(conc_ng_ml, dtype=float)
        noisy = c * (1.0 + self.residual_proportional * rng.standard_normal(c.shape))
        if self.residual_additive_ng_ml > 0:
            noisy = noisy + self.residual_additive_ng_ml * rng.standard_normal(c.shape)
        return np.maximum(noisy, 0.0)

    # ---- concentrations ------------------------------------------------------------------------

    def concentration_ng_ml(self, params, dose_mg, time_after_dose_h, *, n_doses=np.inf, tau_h=24.0):
        """Concentration ``time_after_dose_h`` after the last of ``n_doses`` doses (inf = steady state).

        ``params`` is a DataFrame or mapping of the structure's parameters (arrays broadcast).
        """
        names, fn, _, _ = STRUCTURES[self.structure]
        args = [np.asarray(params[p], dtype=float) for p in names]
        return fn(dose_mg, tau_h, n_doses, time_after_dose_h, *args)

    def history_concentration_ng_ml(self, params, dose_times_h, doses_mg, t_h):
        """Concentrations at ``t_h`` after an actual dosing history (superposition).

        Shapes as :func:`rashrisk.pk.concentration.dose_history_ng_ml`; ``params`` values scalar
        or one per patient.
        """
        names, _, _, fn = STRUCTURES[self.structure]
        return fn(dose_times_h, doses_mg, t_h, *[np.asarray(params[p], dtype=float) for p in names])

    def trough_ss_ng_ml(self, params, dose_mg, *, tau_h=24.0):
        """Steady-state trough ``tau_h`` after the dose."""
        names, _, trough, _ = STRUCTURES[self.structure]
        return trough(dose_mg, *[np.asarray(params[p], dtype=float) for p in names], tau_h=tau_h)

    # ---- validity domain -----------------------------------------------------------------------

    def domain_warnings_by_row(self, covariates: pd.DataFrame) -> list[list[str]]:
        return domain_warnings(self.covariates, covariates, self.name)

    def check_domain(self, covariates) -> list[str]:
        """Warnings for covariates outside the model's validity domain (name, value, domain).

        ``covariates``: one patient (dict or Series) or a DataFrame (messages then start with
        the row label).
        """
        if isinstance(covariates, pd.DataFrame):
            rows = self.domain_warnings_by_row(covariates)
            if len(covariates) == 1:
                return rows[0]
            return [f"row {label}: {w}" for label, ws in zip(covariates.index, rows) for w in ws]
        return self.domain_warnings_by_row(pd.DataFrame([dict(covariates)]))[0]


def load_pk_model(name: str) -> PopPKModel:
    """Load a shipped model by name (``widmer2006``, ``jiang2023``, ``petain2008``)."""
    path = resources.files("rashrisk.pk").joinpath("models", f"{name}.toml")
    if name not in available_models() or not path.is_file():
        raise ModelError(f"unknown PK model {name!r}; expected one of {', '.join(available_models())}")
    return PopPKModel.from_toml(path.read_text(encoding="utf-8"), source=f"pk/models/{name}.toml")


def available_models() -> tuple[str, ...]:
    folder = resources.files("rashrisk.pk").joinpath("models")
    return tuple(sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml")))


@functools.cache
def pk_defaults() -> dict:
    """``pk/defaults.toml`` parsed once: the default model per ancestry and ``[sample_checks]``."""
    return tomllib.loads(resources.files("rashrisk.pk").joinpath("defaults.toml").read_text(encoding="utf-8"))


def default_pk_model(ancestry: str | None = None) -> PopPKModel:
    """The default model for a cohort's ancestry, as declared in ``pk/defaults.toml``.

    East Asian (``EAS``) -> jiang2023 with a wider IIV of CL/F (recorded in ``overrides``);
    any other or unknown ancestry -> widmer2006. docs/pk.md gives the justification.
    """
    table = pk_defaults()
    key = str(ancestry).strip().upper() if ancestry else "*"
    entry = dict(table.get(key, table["*"]))
    model = load_pk_model(entry.pop("model"))
    reason = entry.pop("reason", "")
    return model.with_overrides(reason=reason, **entry) if entry else model

"""The preprocessing step built from configuration: clinical model frame ``X`` -> numeric matrix.

A :class:`~rashrisk.features.columns.ClinicalColumns` of the three clinical encoders, whose output
names stay clinical (``age_years``,
``sex_M``, ``rs4129267_alt_count``, ``albumin_g_l_missing``, ``map_trough_ng_ml_log``).
:func:`feature_factors` maps every output feature back to its clinical factor for explanations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rashrisk.errors import ConfigError
from rashrisk.features.columns import ClinicalColumns

GENOTYPE_SUFFIX = "_alt_count"
EVERY_VARIANT = "*"  # FeatureSpec.factors: genotypes = [] uses every catalogue variant


@dataclass(frozen=True)
class FeatureSpec:
    """Which clinical columns enter the model and how (from ``[features]`` in the TOML config)."""

    # Pre-specified predictors (few events: each parameter must earn its place). Sex, dose and exposure
    # have published associations with imatinib rash; age and weight are standard adjusters. Ancestry,
    # setting and albumin have none and are left to the config (docs/training.md).
    categorical: tuple[str, ...] = ("sex",)
    # exposure enters only through the PK trough (the a priori trough is a function of dose and weight)
    continuous: tuple[str, ...] = ("age_years", "apriori_trough_ng_ml")
    tdm_continuous: tuple[str, ...] = ("tdm_day", "map_trough_ng_ml", "trough_ratio_to_apriori")
    # start-stage columns left out at the tdm stage: log ratio = log MAP - log a priori (at an unchanged
    # dose), so with the ratio and the MAP trough the a priori trough would be a third, collinear term
    tdm_exclude: tuple[str, ...] = ("apriori_trough_ng_ml",)
    log: tuple[str, ...] = ("apriori_trough_ng_ml", "map_trough_ng_ml", "trough_ratio_to_apriori")
    genotypes: tuple[str, ...] = ("rs4129267",)  # pre-specified rsIDs; empty = every catalogue variant
    genotype_model: str = "additive"
    risk_allele: dict = field(default_factory=lambda: {"rs4129267": "alt"})  # rsid -> "alt" | "ref" (default "alt")
    n_knots: int = 4
    # expected direction of each clinical factor's contrast (rashrisk.models.effects): "raises" | "lowers" |
    # "none" (no expectation). sex: female vs male; exposure: doubled; start dose: +200 mg/day. A genotype
    # not listed raises (its risk allele); any other factor not listed: none. A table in the config replaces this one.
    expected_direction: dict = field(default_factory=lambda: {
        "sex": "raises", "apriori_trough_ng_ml": "raises", "map_trough_ng_ml": "raises",
        "trough_ratio_to_apriori": "raises", "start_dose_mg": "raises"})

    @classmethod
    def from_dict(cls, data: dict) -> "FeatureSpec":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"[features]: unknown keys {sorted(unknown)}; expected some of {sorted(known)}")
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        for factor, direction in dict(kwargs.get("expected_direction") or {}).items():
            if direction not in ("raises", "lowers", "none"):
                raise ConfigError(f"[features.expected_direction] {factor} = {direction!r}; expected \"raises\", "
                                  "\"lowers\" or \"none\"")
        return cls(**kwargs)

    def factors(self) -> frozenset:
        """The clinical factors some stage may use: the declared columns and the pre-specified rsIDs
        (:data:`EVERY_VARIANT` when ``genotypes`` is empty: every catalogue variant)."""
        return frozenset((*self.categorical, *self.continuous, *self.tdm_continuous, *(self.genotypes or (EVERY_VARIANT,))))

    def columns_for(self, stage: str, available) -> dict[str, list[str]]:
        """The columns of each kind used at ``stage`` among ``available`` (the frame's columns)."""
        available = list(available)
        continuous = list(self.continuous)
        if stage == "tdm":
            continuous = [c for c in continuous if c not in self.tdm_exclude] + list(self.tdm_continuous)
        return {
            "categorical": [c for c in self.categorical if c in available],
            "continuous": [c for c in continuous if c in available],
            "genotype": [c for c in available if c.endswith(GENOTYPE_SUFFIX)
                         and (not self.genotypes or c[: -len(GENOTYPE_SUFFIX)] in self.genotypes)],
        }


def used_columns(spec: FeatureSpec, stage: str, available) -> list[str]:
    """The frame columns the model reads at ``stage`` (its input contract), in a fixed order."""
    cols = spec.columns_for(stage, available)
    return cols["categorical"] + cols["continuous"] + cols["genotype"]


def build_preprocess(spec: FeatureSpec, stage: str, available, *, splines: bool = False) -> ClinicalColumns:
    """An unfitted :class:`ClinicalColumns` for ``stage`` over the ``available`` frame columns."""
    cols = spec.columns_for(stage, available)
    risk_allele = {f"{rsid}{GENOTYPE_SUFFIX}": allele for rsid, allele in spec.risk_allele.items()}
    spline_columns = tuple(c for c in cols["continuous"] if splines and c not in ("tdm_day",))
    return ClinicalColumns(categorical=tuple(cols["categorical"]), continuous=tuple(cols["continuous"]),
                           genotype=tuple(cols["genotype"]),
                           log_columns=tuple(c for c in spec.log if c in cols["continuous"]),
                           spline_columns=spline_columns, n_knots=spec.n_knots, genotype_model=spec.genotype_model,
                           risk_allele=risk_allele)


def _encoders(preprocess: ClinicalColumns):
    """(kind, fitted encoder) pairs of a fitted preprocess: 'categorical', 'continuous', 'genotype'."""
    return [(name, t) for name, t, _ in preprocess.transformers_]


def feature_factors(preprocess: ClinicalColumns) -> dict[str, str]:
    """Fitted preprocess -> {model feature name: clinical factor name}."""
    out: dict[str, str] = {}
    for _, transformer in _encoders(preprocess):
        out.update(transformer.factor_of())
    return out


def feature_kinds(preprocess: ClinicalColumns) -> dict[str, str]:
    """Fitted preprocess -> {model feature name: encoder kind ('categorical', 'continuous', 'genotype')}."""
    return {str(feature): kind for kind, transformer in _encoders(preprocess)
            for feature in transformer.get_feature_names_out()}

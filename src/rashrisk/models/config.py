"""Training configuration: declared as data (dataclass defaults mirror pipelines/train-default.toml,
checked by a test) and read from TOML with one error message per bad key or value."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from rashrisk.errors import ConfigError
from rashrisk.models.validation import SUPPRESS_EVENTS, SUPPRESS_PATIENTS
from rashrisk.features.preprocess import EVERY_VARIANT, FeatureSpec
from rashrisk.genotype.coding import GENETIC_MODELS, RISK_ALLELES

FAMILIES = ("logistic", "xgboost")
SETTING = {"setting": True}  # field metadata: a family setting, not a dimension of its hyperparameter grid


@dataclass(frozen=True)
class LogisticGrid:
    # inverse L2 penalty on standardised features = prior variance of each standardised log-odds ratio
    C: tuple[float, ...] = (0.1, 0.3, 1.0)
    splines: tuple[bool, ...] = (False,)  # (False, True) adds B-splines of the continuous inputs
    # clinical factors whose coefficients may not be negative (bounded fit)
    nonnegative: tuple[str, ...] = field(default=(), metadata=SETTING)
    # clinical factors whose coefficients are left out of the L2 penalty: design variables whose effect the
    # design implies, not candidate risk factors (the TDM landmark day: the later a patient is still
    # rash-free, the less severe-rash risk remains; docs/training.md section 3)
    unpenalised: tuple[str, ...] = field(default=("tdm_day",), metadata=SETTING)
    # the penalty served: the grid's C with the lowest CV log-loss (false), or the mean of the grid's log C
    # weighted by pseudo-BMA weights of their CV log-loss (true; rashrisk.models.selection.soft_penalty_candidates;
    # evaluated, not the default: docs/benchmarks.md)
    soft_penalty: bool = field(default=False, metadata=SETTING)


@dataclass(frozen=True)
class XGBoostGrid:
    n_estimators: tuple[int, ...] = (100,)
    max_depth: tuple[int, ...] = (1, 2)
    learning_rate: tuple[float, ...] = (0.1,)
    min_child_weight: tuple[float, ...] = (5.0,)
    reg_lambda: tuple[float, ...] = (5.0,)
    # clinical factors whose risk may only rise with the value (risk-allele count, exposure)
    monotone_increasing: tuple[str, ...] = field(default=("rs4129267", "apriori_trough_ng_ml", "map_trough_ng_ml",
                                                    "trough_ratio_to_apriori"), metadata=SETTING)


@dataclass(frozen=True)
class TrainingConfig:
    seed: int = 20261128
    candidates: tuple[str, ...] = FAMILIES
    cv_splits: int = 5  # tuning: repeated stratified K-fold on log-loss
    cv_repeats: int = 2
    nested_outer_splits: int = 5  # nested CV: the whole selection inside each outer fold
    nested_inner_splits: int = 3
    landmark_first_day: float = 7.0
    landmark_last_day: float = 42.0
    interval_bootstrap: int = 30  # refits with the chosen hyperparameters for predict_interval
    validation_bootstrap: int = 200  # optimism bootstrap of the (fixed-hyperparameter) procedure
    # Platt families only: 0 keeps the Platt map fixed in resamples; k >= 2 refits it on k-fold logits
    validation_calibration_folds: int = 0
    # families recalibrated by Platt scaling on out-of-fold log-odds; the others are served as fitted
    platt_families: tuple[str, ...] = ("xgboost",)
    min_events: int = 10
    # validation subgroups: a level with fewer patients or fewer events (or non-events) than these shows
    # counts rounded and no metrics ("suppressed"): small cells identify patients and estimate nothing
    min_subgroup_patients: int = SUPPRESS_PATIENTS
    min_subgroup_events: int = SUPPRESS_EVENTS
    low_below: float = 0.05  # risk bands stated in the model card
    high_from: float = 0.15
    features: FeatureSpec = field(default_factory=FeatureSpec)
    logistic: LogisticGrid = field(default_factory=LogisticGrid)
    xgboost: XGBoostGrid = field(default_factory=XGBoostGrid)

    @property
    def landmark(self) -> tuple[float, float]:
        return (self.landmark_first_day, self.landmark_last_day)

    def to_dict(self) -> dict:
        return asdict(self)

    def with_overrides(self, **kwargs) -> "TrainingConfig":
        return replace(self, **kwargs)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "config") -> "TrainingConfig":
        data = dict(data)
        training = data.pop("training", {})
        sections = {"features": FeatureSpec, "logistic": LogisticGrid, "xgboost": XGBoostGrid}
        unknown = set(data) - set(sections)
        if unknown:
            raise ConfigError(f"{source}: unknown section(s) {sorted(unknown)}; expected [training], "
                              f"{', '.join(f'[{s}]' for s in sections)}")
        kwargs = _checked(cls, training, f"{source} [training]", skip=set(sections))
        for name, section_cls in sections.items():
            if name in data:
                if section_cls is FeatureSpec:
                    try:
                        kwargs[name] = FeatureSpec.from_dict(data[name])
                    except TypeError as exc:
                        raise ConfigError(f"{source} [features]: {exc}") from None
                else:
                    kwargs[name] = section_cls(**_checked(section_cls, data[name], f"{source} [{name}]"))
        config = cls(**kwargs)
        config.check(source)
        _check_factor_lists(config, data, source)
        return config

    @classmethod
    def from_toml(cls, path) -> "TrainingConfig":
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"training configuration {path} not found")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        return cls.from_dict(data, source=str(path))

    def check(self, source: str = "config") -> None:
        bad = [c for c in self.candidates if c not in FAMILIES]
        if bad or not self.candidates:
            raise ConfigError(f"{source} [training] candidates: {bad or '[]'} not allowed; expected some of {FAMILIES}")
        bad = [c for c in self.platt_families if c not in FAMILIES]
        if bad:
            raise ConfigError(f"{source} [training] platt_families: {bad} not allowed; expected some of {FAMILIES}")
        rules = [
            ("cv_splits", self.cv_splits >= 2, ">= 2"),
            ("cv_repeats", self.cv_repeats >= 1, ">= 1"),
            ("nested_outer_splits", self.nested_outer_splits >= 2, ">= 2"),
            ("nested_inner_splits", self.nested_inner_splits >= 2, ">= 2"),
            ("landmark_last_day", self.landmark_first_day < self.landmark_last_day, "> landmark_first_day"),
            ("interval_bootstrap", self.interval_bootstrap >= 2, ">= 2"),
            ("validation_bootstrap", self.validation_bootstrap >= 1, ">= 1"),
            ("min_subgroup_patients", self.min_subgroup_patients >= 1, ">= 1"),
            ("min_subgroup_events", self.min_subgroup_events >= 1, ">= 1"),
            ("validation_calibration_folds", self.validation_calibration_folds in (0,) or
             self.validation_calibration_folds >= 2, "0 (reuse the fitted calibration) or >= 2"),
            ("high_from", 0 < self.low_below < self.high_from < 1, "0 < low_below < high_from < 1"),
        ]
        for name, ok, expected in rules:
            if not ok:
                raise ConfigError(f"{source} [training] {name} = {getattr(self, name)!r}; expected {expected}")
        if self.features.genotype_model not in GENETIC_MODELS:
            raise ConfigError(f"{source} [features] genotype_model = {self.features.genotype_model!r}; "
                              f"expected {', '.join(GENETIC_MODELS[:-1])} or {GENETIC_MODELS[-1]}")
        for rsid, allele in self.features.risk_allele.items():
            if allele not in RISK_ALLELES:
                raise ConfigError(f"{source} [features.risk_allele] {rsid} = {allele!r}; expected 'alt' or 'ref'")


FACTOR_LISTS = (("logistic", "nonnegative"), ("logistic", "unpenalised"), ("xgboost", "monotone_increasing"))


def _check_factor_lists(config: TrainingConfig, data: dict, source: str) -> None:
    """Every name a configuration file writes in a constraint list (:data:`FACTOR_LISTS`) is a clinical
    factor of its ``[features]`` (``FeatureSpec.factors``; any rsID when every catalogue variant is used):
    a misspelt or unused one would constrain nothing, silently. Built-in lists are not checked: they
    name the default factors, and one the features do not use is ignored."""
    factors = config.features.factors()
    every_variant = EVERY_VARIANT in factors
    for section, key in FACTOR_LISTS:
        if key not in data.get(section, {}):
            continue
        unknown = [n for n in getattr(getattr(config, section), key)
                   if n not in factors and not (every_variant and n.startswith("rs") and n[2:].isdigit())]
        if unknown:
            raise ConfigError(f"{source} [{section}] {key}: {unknown} is no clinical factor of [features]; expected some of "
                              f"{sorted(factors - {EVERY_VARIANT})}" + (" or a catalogue rsID" if every_variant else ""))


def _checked(cls, values: dict, where: str, skip=frozenset()) -> dict:
    known = {f.name: f for f in fields(cls) if f.name not in skip}
    unknown = set(values) - set(known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; expected some of {sorted(known)}")
    out = {}
    for key, value in values.items():
        default = getattr(cls(), key) if not callable(getattr(cls, key, None)) else None
        if isinstance(default, tuple):
            if not isinstance(value, list):
                raise ConfigError(f"{where} {key} = {value!r}; expected a list")
            value = tuple(value)
        elif isinstance(default, bool) and not isinstance(value, bool):
            raise ConfigError(f"{where} {key} = {value!r}; expected true or false")
        elif isinstance(default, (int, float)) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{where} {key} = {value!r}; expected a number")
            if isinstance(default, int) and not float(value).is_integer():
                raise ConfigError(f"{where} {key} = {value!r}; expected a whole number")
            value = type(default)(value)
        out[key] = value
    return out

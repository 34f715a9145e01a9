"""The simulator's configuration: a TOML file (``pipelines/simulate-*.toml``) read into a checked dict.

Every number the simulator uses comes from this file; the code holds no clinical constants. The
default file ships inside the package (``rashrisk/simulate/simulate-default.toml``, the same file
as ``pipelines/simulate-default.toml``) so that it is found once installed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from rashrisk.errors import ConfigError
from rashrisk.genotype.coding import GENETIC_MODELS
from rashrisk.units import normalise_unit

SCHEMA = "rashrisk-simulate-v1"
ANCESTRIES = ("EAS", "EUR")
DEFAULT_CONFIG_NAME = "simulate-default.toml"


class SimulationConfig:
    """A validated simulation configuration. ``cfg["outcome"]["il6r"]["odds_ratio"]`` style access."""

    def __init__(self, data: dict, *, source: str) -> None:
        self.data = data
        self.source = source

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def get(self, *keys: str) -> Any:
        """Nested value at ``keys``; a missing key is a :class:`ConfigError` naming the path."""
        node: Any = self.data
        for i, key in enumerate(keys):
            if not isinstance(node, dict) or key not in node:
                path = ".".join(keys[: i + 1])
                raise ConfigError(f"{self.source}: missing setting [{path}]; see pipelines/simulate-default.toml")
            node = node[key]
        return node

    def number(self, *keys: str, low: float | None = None, high: float | None = None) -> float:
        value = self.get(*keys)
        path = ".".join(keys)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{self.source}: [{path}] = {value!r} is not a number")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(f"{self.source}: [{path}] = {value!r} is outside the allowed range [{low}, {high}]")
        return float(value)

    def probability(self, *keys: str) -> float:
        return self.number(*keys, low=0.0, high=1.0)

    def pair(self, *keys: str) -> tuple[float, float]:
        value = self.get(*keys)
        path = ".".join(keys)
        if not isinstance(value, list) or len(value) != 2 or not value[0] <= value[1]:
            raise ConfigError(f"{self.source}: [{path}] = {value!r}; expected [low, high] with low <= high")
        return float(value[0]), float(value[1])

    def distribution(self, values_key: tuple[str, ...], prob_key: tuple[str, ...]) -> tuple[list, list[float]]:
        """Categories and their probabilities (same length, non-negative, summing to 1 within 1e-6)."""
        values = self.get(*values_key)
        probs = self.get(*prob_key)
        path = ".".join(prob_key)
        if not isinstance(values, list) or not isinstance(probs, list) or len(values) != len(probs) or not values:
            raise ConfigError(f"{self.source}: [{path}] must be a list as long as [{'.'.join(values_key)}]")
        if (not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in probs)
                or any(p < 0 for p in probs) or abs(sum(probs) - 1.0) > 1e-6):
            raise ConfigError(f"{self.source}: [{path}] = {probs!r}; probabilities must be >= 0 and sum to 1")
        return list(values), [float(p) for p in probs]

    def with_values(self, **dotted: Any) -> "SimulationConfig":
        """A copy with settings replaced, keys as dotted paths: ``with_values(**{"cohort.ancestry": "EUR"})``."""
        data = copy.deepcopy(self.data)
        for dotted_key, value in dotted.items():
            keys = dotted_key.split(".")
            node = data
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = value
        return validate_config(data, source=f"{self.source} (modified)")

    def fingerprint(self) -> str:
        """A stable hash of the settings (used to cache the solved intercept)."""
        return hashlib.sha256(json.dumps(self.data, sort_keys=True, default=str).encode()).hexdigest()[:16]


# Every numeric setting, declared with its allowed range (checked before simulating, so that a typo
# gives a ConfigError naming the setting rather than a NumPy error or a huge allocation later). The
# simulation code reads these values without re-checking them: this table is their only range.
_RANGES: tuple[tuple[str, float, float], ...] = (
    ("cohort.vcf_gzip_from_n", 1, float("inf")),
    ("demographics.male_fraction", 0, 1),
    ("demographics.weight_kg_mean.M", 20, 250), ("demographics.weight_kg_mean.F", 20, 250),
    ("demographics.weight_kg_sd.M", 0, 100), ("demographics.weight_kg_sd.F", 0, 100),
    ("demographics.age_years_median", 0, 120), ("demographics.age_years_sd", 0, 60),
    ("demographics.height_cm_mean.M", 100, 230), ("demographics.height_cm_mean.F", 100, 230),
    ("demographics.height_cm_sd.M", 0, 50), ("demographics.height_cm_sd.F", 0, 50),
    ("demographics.albumin_g_l_mean", 5, 80), ("demographics.albumin_g_l_sd", 0, 30),
    ("demographics.rbc_10e12_l_mean.M", 0.5, 10), ("demographics.rbc_10e12_l_mean.F", 0.5, 10),
    ("demographics.rbc_10e12_l_sd.M", 0, 5), ("demographics.rbc_10e12_l_sd.F", 0, 5),
    ("setting.adjuvant_fraction", 0, 1),
    ("pk.exposure_drift.late_exposure_factor", 0.1, 2.0),
    ("tdm.sampled_fraction", 0, 1), ("tdm.near_trough_fraction", 0, 1),
    ("tdm.near_trough_hours_mean", 0, 48), ("tdm.near_trough_hours_sd", 0, 24),
    ("tdm.dose_clock_hours_mean", 0, 24), ("tdm.dose_clock_hours_sd", 0, 12),
    ("tdm.second_sample_fraction", 0, 1), ("tdm.residual_sd", 0, 3),
    ("outcome.severe_incidence", 1e-4, 0.99), ("outcome.grade3_share_of_severe", 0, 1),
    ("outcome.intercept_reference_n", 1000, 5_000_000), ("outcome.intercept_reference_seed", 0, 2**63 - 1),
    ("outcome.il6r.odds_ratio", 1e-3, 1e3), ("outcome.sex.female_odds_ratio", 1e-3, 1e3),
    ("outcome.exposure.odds_ratio_per_doubling_trough", 1e-3, 1e3),
    ("outcome.exposure.reference_trough_ng_ml", 1, 1e5),
    ("outcome.onset.grade3_median_day", 1, 3650), ("outcome.onset.grade3_sd_log", 0, 5),
    ("outcome.onset.recurrent_grade2_median_day", 1, 3650), ("outcome.onset.recurrent_grade2_sd_log", 0, 5),
    ("outcome.onset.mild_median_day", 1, 3650), ("outcome.onset.mild_sd_log", 0, 5),
    ("outcome.mild.grade1_probability", 0, 1), ("outcome.mild.grade2_probability", 0, 1),
    ("outcome.management.resumed_fraction", 0, 1), ("outcome.management.escalation_start_dose_mg", 1, 2000),
    ("followup.median_days", 1, 36500), ("followup.sd_log", 0, 5),
)
_PAIRS = ("demographics.weight_kg_limits", "demographics.age_years_limits", "demographics.albumin_g_l_limits",
          "demographics.rbc_10e12_l_limits", "tdm.sample_day_range", "tdm.near_trough_hours_limits",
          "tdm.off_trough_hours_limits", "tdm.second_sample_gap_days", "outcome.onset.onset_day_limits",
          "outcome.management.interruption_days", "outcome.management.escalation_step_days",
          "outcome.management.maintenance_samples", "followup.limits_days")
_TEXTS = ("cohort.patient_id_prefix", "outcome.il6r.rsid", "outcome.il6r.risk_allele")
_INTEGERS = ("cohort.vcf_gzip_from_n", "outcome.intercept_reference_n", "outcome.intercept_reference_seed",
             "outcome.management.escalation_start_dose_mg")


def _check_settings(cfg: SimulationConfig, source: str) -> None:
    for dotted, low, high in _RANGES:
        cfg.number(*dotted.split("."), low=low, high=high)
    for dotted in _INTEGERS:
        if not float(cfg.get(*dotted.split("."))).is_integer():
            raise ConfigError(f"{source}: [{dotted}] = {cfg.get(*dotted.split('.'))!r}; expected a whole number")
    for dotted in _PAIRS:
        keys = dotted.split(".")
        value = cfg.get(*keys)
        if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{source}: [{dotted}] = {value!r}; expected [low, high] (two numbers)")
        cfg.pair(*keys)
    for dotted in _TEXTS:
        value = cfg.get(*dotted.split("."))
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{source}: [{dotted}] = {value!r}; expected a non-empty text")
    for dotted in ("cohort.start_date_first", "cohort.start_date_last"):
        value = cfg.get(*dotted.split("."))
        try:
            date.fromisoformat(str(value))
        except ValueError:
            raise ConfigError(f"{source}: [{dotted}] = {value!r}; expected a date YYYY-MM-DD") from None
    if str(cfg.get("cohort", "start_date_first")) > str(cfg.get("cohort", "start_date_last")):
        raise ConfigError(f"{source}: [cohort.start_date_first] is after [cohort.start_date_last]")
    for name, value in cfg.get("missing").items():
        if name != "source":
            cfg.probability("missing", name)
    for rsid, by_ancestry in cfg.get("genotypes", "alt_frequency").items():
        if not isinstance(by_ancestry, dict):
            raise ConfigError(f"{source}: [genotypes.alt_frequency.{rsid}] = {by_ancestry!r}; expected {{ EAS = p, EUR = p }}")
        for anc in by_ancestry:
            cfg.probability("genotypes", "alt_frequency", rsid, anc)
    for model_name, override in (cfg.get("pk").get("overrides") or {}).items():
        for group, low, high in (("typical", 1e-6, 1e6), ("iiv_sd", 1e-6, 3)):
            for key in (override.get(group) or {}) if isinstance(override, dict) else ():
                cfg.number("pk", "overrides", model_name, group, key, low=low, high=high)
    for dotted in ("dose.start_dose_mg", "outcome.management.final_dose_fraction"):
        value = cfg.get(*dotted.split("."))
        if not isinstance(value, list) or not value or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value):
            raise ConfigError(f"{source}: [{dotted}] = {value!r}; expected a list of positive numbers")

    unknown = [u for u in cfg.get("tdm", "unit") if normalise_unit(u) is None]
    if unknown:
        raise ConfigError(f"{source}: [tdm.unit] has unknown unit(s) {unknown}; expected concentration units such as ng/mL")
    final = ("outcome", "management", "final_dose_fraction")
    cfg.distribution(final, ("outcome", "management", "final_dose_probability_grade3"))
    cfg.distribution(final, ("outcome", "management", "final_dose_probability_recurrent_grade2"))


def _check_il6r_block(block, source: str) -> None:
    rsids, haplotypes = block.get("rsids"), block.get("haplotypes")
    if not isinstance(rsids, list) or not rsids or not all(isinstance(r, str) for r in rsids):
        raise ConfigError(f"{source}: [genotypes.il6r_block.rsids] = {rsids!r}; expected a list of rsIDs")
    if not isinstance(haplotypes, list) or not haplotypes or not all(
            isinstance(h, list) and len(h) == len(rsids) and all(a in (0, 1) for a in h) for h in haplotypes):
        raise ConfigError(f"{source}: [genotypes.il6r_block.haplotypes] = {haplotypes!r}; expected lists of "
                          f"{len(rsids)} alleles (0 = REF, 1 = ALT), one per rsID")
    frequency = block.get("frequency", {})
    if not isinstance(frequency, dict):
        raise ConfigError(f"{source}: [genotypes.il6r_block.frequency] = {frequency!r}; expected EAS = [...], EUR = [...]")
    for anc, freqs in frequency.items():
        if not isinstance(freqs, list) or not all(isinstance(f, (int, float)) and not isinstance(f, bool) and f >= 0
                                                  for f in freqs):
            raise ConfigError(f"{source}: [genotypes.il6r_block.frequency.{anc}] = {freqs!r}; expected a list of frequencies")


def validate_config(data: dict, *, source: str) -> SimulationConfig:
    """Check the parts whose errors would otherwise surface deep inside the simulation."""
    cfg = SimulationConfig(data, source=source)
    if data.get("schema") != SCHEMA:
        raise ConfigError(f"{source}: schema = {data.get('schema')!r}; expected {SCHEMA!r}")
    ancestry = cfg.get("cohort", "ancestry")
    if ancestry not in ANCESTRIES:
        raise ConfigError(f"{source}: [cohort.ancestry] = {ancestry!r}; expected one of {', '.join(ANCESTRIES)}")
    model = cfg.get("outcome", "il6r", "genetic_model")
    if model not in GENETIC_MODELS:
        raise ConfigError(f"{source}: [outcome.il6r.genetic_model] = {model!r}; expected one of {', '.join(GENETIC_MODELS)}")
    cfg.distribution(("dose", "start_dose_mg"), ("dose", "probability"))
    cfg.distribution(("tdm", "unit"), ("tdm", "unit_probability"))
    block = cfg.get("genotypes", "il6r_block")
    if not isinstance(block, dict):
        raise ConfigError(f"{source}: [genotypes.il6r_block] must be a table with rsids, haplotypes and frequency")
    _check_il6r_block(block, source)
    _check_settings(cfg, source)
    for anc in ANCESTRIES:
        freqs = block.get("frequency", {}).get(anc)
        if freqs is None:
            continue
        if len(freqs) != len(block["haplotypes"]) or abs(sum(freqs) - 1.0) > 1e-6:
            raise ConfigError(
                f"{source}: [genotypes.il6r_block.frequency.{anc}] must give one frequency per haplotype, summing to 1"
            )
    if ancestry not in block.get("frequency", {}):
        raise ConfigError(f"{source}: no IL6R haplotype frequencies for ancestry {ancestry!r}")
    return cfg


def _merge(base: dict, changes: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read(path: Path | None, depth: int = 0) -> tuple[dict, str]:
    if path is None:
        text = resources.files("rashrisk.simulate").joinpath(DEFAULT_CONFIG_NAME).read_text(encoding="utf-8")
        source = DEFAULT_CONFIG_NAME
    else:
        if not path.is_file():
            raise ConfigError(f"simulation config {path} does not exist (expected a TOML file like pipelines/simulate-default.toml)")
        text = path.read_text(encoding="utf-8")
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    parent = data.pop("extends", None)
    if parent is not None:
        if depth >= 5:
            raise ConfigError(f"{source}: 'extends' chain deeper than 5 files")
        if parent == DEFAULT_CONFIG_NAME:
            base, _ = _read(None, depth + 1)
        else:
            base, _ = _read((path.parent if path else Path.cwd()) / parent, depth + 1)
        data = _merge(base, data)
    return data, source


def load_config(path: str | Path | None = None) -> SimulationConfig:
    """Read a simulation TOML file; ``None`` reads the packaged default.

    A file may start with ``extends = "simulate-default.toml"`` (the packaged default, or a path
    relative to the file): its settings then replace those of the base, table by table.
    """
    data, source = _read(None if path is None else Path(path))
    return validate_config(data, source=source)

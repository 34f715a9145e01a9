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
from importlib import resources
from pathlib import Path
from typing import Any

from rashrisk.errors import ConfigError

SCHEMA = "rashrisk-simulate-v1"
ANCESTRIES = ("EAS", "EUR")
GENETIC_MODELS = ("additive", "dominant", "recessive")
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
        if any(p < 0 for p in probs) or abs(sum(probs) - 1.0) > 1e-6:
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
    cfg.probability("outcome", "severe_incidence")
    cfg.probability("outcome", "grade3_share_of_severe")
    cfg.number("outcome", "il6r", "odds_ratio", low=1e-3)
    cfg.probability("demographics", "male_fraction")
    cfg.distribution(("dose", "start_dose_mg"), ("dose", "probability"))
    cfg.distribution(("tdm", "unit"), ("tdm", "unit_probability"))
    block = cfg.get("genotypes", "il6r_block")
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

"""The planner's settings (``rechallenge.toml``, package data) as a checked, frozen record."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from importlib import resources

from rashrisk.errors import ConfigError, RashriskError
from rashrisk.reports.thresholds import TroughThreshold, trough_threshold


@dataclass(frozen=True)
class RechallengeConfig:
    doses_mg: tuple[float, ...]
    days_between_steps: int
    tdm_days_before_step: int
    onset_window_days_before: int
    correctable_hours: tuple[float, float]
    margin_pct: float
    min_p_below_onset: float
    min_p_effective: float
    threshold: TroughThreshold
    days_on_first_dose_after_onset: int
    points_per_day: int
    source: str

    def ceiling_ng_ml(self, onset_trough_ng_ml: float) -> float:
        return onset_trough_ng_ml * (1.0 - self.margin_pct / 100.0)

    def with_threshold(self, value) -> RechallengeConfig:
        return replace(self, threshold=trough_threshold(value))

    def to_dict(self) -> dict:
        return {"doses_mg": list(self.doses_mg), "days_between_steps": self.days_between_steps,
                "tdm_days_before_step": self.tdm_days_before_step,
                "onset_window_days_before": self.onset_window_days_before,
                "margin_pct": self.margin_pct, "min_p_below_onset": self.min_p_below_onset,
                "min_p_effective": self.min_p_effective, "threshold_ng_ml": self.threshold.value_ng_ml,
                "days_on_first_dose_after_onset": self.days_on_first_dose_after_onset}


def _number(table: dict, key: str, where: str, low: float, high: float) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{where}: {key} = {value!r}; expected a number from {low:g} to {high:g}")
    return float(value)


def _threshold(value, where: str) -> TroughThreshold:
    try:
        return trough_threshold(value)
    except RashriskError as exc:
        raise ConfigError(f"{where}: threshold_ng_ml: {exc}") from None


def parse_config(text: str, source: str = "rechallenge.toml") -> RechallengeConfig:
    """The settings from TOML text; every value range-checked (a ConfigError names the key)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    try:
        ladder, onset, ceiling = raw["ladder"], raw["onset"], raw["ceiling"]
        prob, eff, hist, chart = raw["probability"], raw["efficacy"], raw["history"], raw["chart"]
    except KeyError as exc:
        raise ConfigError(f"{source}: section [{exc.args[0]}] is missing") from None
    doses = ladder.get("doses_mg")
    if (not isinstance(doses, list) or not doses or any(isinstance(d, bool) or not isinstance(d, (int, float)) or not 0 < d <= 1000
                                                        for d in doses) or list(doses) != sorted(set(doses))):
        raise ConfigError(f"{source} [ladder]: doses_mg = {doses!r}; expected increasing doses in mg, each above 0 and at most 1000")
    days = int(_number(ladder, "days_between_steps", f"{source} [ladder]", 1, 60))
    before = int(_number(ladder, "tdm_days_before_step", f"{source} [ladder]", 0, days - 1))
    hours = onset.get("correctable_hours")
    if not (isinstance(hours, list) and len(hours) == 2 and all(isinstance(h, (int, float)) for h in hours) and 0 <= hours[0] < hours[1] <= 48):
        raise ConfigError(f"{source} [onset]: correctable_hours = {hours!r}; expected [low, high] hours, 0 <= low < high <= 48")
    return RechallengeConfig(
        doses_mg=tuple(float(d) for d in doses), days_between_steps=days, tdm_days_before_step=before,
        onset_window_days_before=int(_number(onset, "window_days_before", f"{source} [onset]", 0, 30)),
        correctable_hours=(float(hours[0]), float(hours[1])),
        margin_pct=_number(ceiling, "margin_pct", f"{source} [ceiling]", 0, 90),
        min_p_below_onset=_number(prob, "min_p_below_onset", f"{source} [probability]", 0.5, 0.999),
        min_p_effective=_number(prob, "min_p_effective", f"{source} [probability]", 0.0, 0.999),
        threshold=_threshold(eff.get("threshold_ng_ml"), f"{source} [efficacy]"),
        days_on_first_dose_after_onset=int(_number(hist, "days_on_first_dose_after_onset", f"{source} [history]", 1, 60)),
        points_per_day=int(_number(chart, "points_per_day", f"{source} [chart]", 1, 48)),
        source=str(raw.get("source", "")),
    )


def default_config() -> RechallengeConfig:
    text = resources.files("rashrisk.rechallenge").joinpath("rechallenge.toml").read_text(encoding="utf-8")
    return parse_config(text)

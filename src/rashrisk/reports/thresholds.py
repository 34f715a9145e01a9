"""Trough efficacy thresholds as records: value, source, sampling day and treatment setting.

The report compares a trough (with its interval) with one of them; which one is configurable
(``rashrisk report --trough-threshold 1100|760``, ``rashrisk.report(trough_threshold=...)``).
Figures from the project's domain notes (imatinib.md), cited in our own words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rashrisk.errors import RashriskError


@dataclass(frozen=True)
class TroughThreshold:
    """A trough below ``value_ng_ml`` was associated with worse outcome in ``setting`` GIST."""

    value_ng_ml: float
    source: str
    day: str  # when the troughs behind the threshold were sampled, as a phrase
    setting: str  # "advanced" | "adjuvant": the GIST setting the threshold was derived in
    finding: str
    reference: str  # key of the source in reports.options.REFERENCES

    def label(self) -> str:
        return f"{self.value_ng_ml:,.0f} ng/mL"

    def context(self) -> str:
        return (f"The {self.label()} threshold comes from {self.finding} ({self.source}; "
                f"{self.day}, {self.setting} GIST). It has not been established for {self.other_setting()} treatment, nor for samples "
                "taken before steady state or outside 24 +/- 3 h after the dose.")

    def other_setting(self) -> str:
        return "adjuvant" if self.setting == "advanced" else "advanced"

    def to_dict(self) -> dict:
        return {**asdict(self), "label": self.label(), "context": self.context()}


THRESHOLDS: dict[int, TroughThreshold] = {
    1100: TroughThreshold(
        value_ng_ml=1100.0, source="Demetri et al., J Clin Oncol 2009 (B2222 trial)", day="troughs sampled on day 29",
        setting="advanced",
        finding="the B2222 trial, where patients in the lowest trough quartile (below about 1,110 ng/mL, rounded to "
                "1,100) had a shorter time to progression (11.3 months against more than 30)",
        reference="demetri_2009"),
    760: TroughThreshold(
        value_ng_ml=760.0, source="Bouchet et al., French advanced-GIST cohort (n = 96)",
        day="sampling day not stated in the sources the project holds", setting="advanced",
        finding="a French cohort of 96 patients with advanced GIST, where 760 ng/mL separated progression-free "
                "survival",
        reference="bouchet"),
}
DEFAULT_THRESHOLD_NG_ML = 1100


def trough_threshold(value=None) -> TroughThreshold:
    """The threshold record for ``value`` (1100 or 760; None = the default, 1,100 ng/mL)."""
    if value is None:
        return THRESHOLDS[DEFAULT_THRESHOLD_NG_ML]
    if isinstance(value, TroughThreshold):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number not in THRESHOLDS:
        raise RashriskError(f"trough threshold {value!r}: expected one of "
                            f"{', '.join(str(k) for k in THRESHOLDS)} (ng/mL)")
    return THRESHOLDS[int(number)]


def verdict(low: float | None, high: float | None, threshold_ng_ml: float) -> str | None:
    """'below', 'at or above' or 'cannot tell' (the interval spans the threshold); None without an interval."""
    if low is None or high is None:
        return None
    if high < threshold_ng_ml:
        return "below"
    if low >= threshold_ng_ml:
        return "at or above"
    return "cannot tell"


def setting_mismatch(patient_setting, threshold: TroughThreshold) -> str | None:
    """A warning when the patient's treatment setting differs from the threshold's (None if it matches or is unknown)."""
    if patient_setting is None or str(patient_setting).strip().lower() in ("", "nan", "none"):
        return None
    setting = str(patient_setting).strip().lower()
    if setting == threshold.setting:
        return None
    return (f"This patient is treated in the {setting} setting; the {threshold.label()} threshold comes from "
            f"{threshold.setting} GIST ({threshold.source}) and has not been validated for {setting} treatment.")

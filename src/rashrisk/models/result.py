"""What one training run returns (consumed by the CLI, MLflow tracking and the model report)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from rashrisk.models.candidates import candidate_label


@dataclass
class TrainingResult:
    stage: str
    model: object  # RiskModel
    frame: object  # ModelFrame
    candidates: list[dict]  # name, label, params, cv_logloss_mean, cv_logloss_sd, nested_cv
    selected: str  # family of the selected candidate ('logistic' | 'xgboost')
    oof_proba: np.ndarray  # out-of-fold risks of the selected candidate, through the served calibration map
    y: np.ndarray
    validation: dict  # rashrisk.models.validation.validate_model(...)
    fingerprint: dict  # file sha256 hashes and row counts; never patient identifiers
    config: dict
    seconds: dict = field(default_factory=dict)
    nested_cv: dict = field(default_factory=dict)  # metrics of the whole selection procedure

    @property
    def selected_label(self) -> str:

        return candidate_label(self.model.family, self.model.params)

    def summary(self) -> dict:
        """Headline figures for a summary table (JSON-able)."""
        metrics = self.validation.get("metrics", {}) if self.validation else {}

        def corrected(name):
            m = metrics.get(name, {})
            return m.get("corrected"), m.get("ci_low"), m.get("ci_high")

        y = np.asarray(self.y, dtype=float)
        return {
            "stage": self.stage,
            "model": self.model.name,
            "version": self.model.version,
            "selected": self.selected_label,
            "n": int(len(y)),
            "events": int(y.sum()),
            "events_per_parameter": self.validation.get("events_per_parameter") if self.validation else None,
            "auroc": corrected("auroc"),
            "calibration_slope": corrected("calibration_slope"),
            "brier": corrected("brier"),
            "nested_cv_auroc": self.nested_cv.get("selection", {}).get("auroc"),
            "instability_mape": ((self.validation or {}).get("instability") or {}).get("mape_mean"),
            "seconds_total": float(sum(self.seconds.values())),
        }

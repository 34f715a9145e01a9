"""Global explanations of a served model on a set of patients (for the training run's artifacts).

``global_explanation(model, X) -> (summary dict, {file name: PNG bytes})``: the mean absolute
contribution per clinical factor (calibrated log-odds, largest first; as data and as a bar chart), a beeswarm of every
patient's factor contributions, and the dependence of the predicted risk on the trough by IL6R
rs4129267 genotype. Plots are matplotlib (Agg) and returned as bytes so the caller decides where
they go (MLflow artifacts, a report, a file).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from rashrisk.explanations.local import explain_factors
from rashrisk.models.calibration import expit
from rashrisk.explanations.factors import factor_inputs
from rashrisk.explanations.phrases import PLAIN_NAMES, genotype_with_count, variant_alleles

DEPENDENCE_GENOTYPE = "rs4129267"


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def _factor_label(factor: str) -> str:
    if factor == "early_trough":
        return "early trough (TDM)"
    gene = variant_alleles(factor)[0] if factor.startswith("rs") else ""
    return f"{gene} {factor}".strip() if gene else PLAIN_NAMES.get(factor, factor.replace("_", " "))


def _colour_values(X: pd.DataFrame, factor: str) -> np.ndarray:
    """The factor's main input as a 0-1 rank (NaN for missing), to colour the points."""
    inputs = factor_inputs(factor, X.columns)
    column = "map_trough_ng_ml" if factor == "early_trough" and "map_trough_ng_ml" in X.columns else \
        (inputs[0] if inputs else None)
    if column is None:
        return np.full(len(X), np.nan)
    values = X[column]
    if not pd.api.types.is_numeric_dtype(values):
        values = pd.Series(pd.factorize(values)[0], index=X.index).where(values.notna())
    return values.rank(pct=True).to_numpy(dtype=float)


def _importance_bars(importance: pd.Series) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = list(importance.index)
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * len(order) + 1.2))
    ax.barh(range(len(order)), importance.to_numpy()[::-1], color="#2b6cb0")
    ax.set_yticks(range(len(order)), [_factor_label(f) for f in reversed(order)])
    ax.set_xlabel("mean |contribution| to calibrated log-odds of severe rash")
    ax.set_title("Factor importance (exact SHAP, grouped to clinical factors)")
    return _png(fig)


def _beeswarm(contributions: pd.DataFrame, X: pd.DataFrame, order: list[str], seed: int) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(order) + 1.4))
    rows = np.arange(len(X))
    if len(rows) > 2000:
        rows = np.sort(rng.choice(rows, 2000, replace=False))
    points = None
    for k, factor in enumerate(reversed(order)):
        values = contributions[factor].to_numpy()[rows]
        colour = _colour_values(X, factor)[rows]
        spread = (rng.random(len(values)) - 0.5) * 0.6
        points = ax.scatter(values, k + spread, s=5, alpha=0.6, c=colour, cmap="coolwarm", vmin=0, vmax=1,
                            linewidths=0, plotnonfinite=True)
    ax.axvline(0, color="#555", lw=0.8)
    ax.set_yticks(range(len(order)), [_factor_label(f) for f in reversed(order)])
    ax.set_xlabel("contribution to calibrated log-odds of severe rash (per patient)")
    ax.set_title("Factor contributions (exact SHAP, grouped to clinical factors)")
    if points is not None:
        bar = fig.colorbar(points, ax=ax, fraction=0.03, pad=0.02)
        bar.set_label("value of the factor (rank: low to high)")
    return _png(fig)


def _dependence(model, X: pd.DataFrame, risk: np.ndarray) -> bytes | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trough = "map_trough_ng_ml" if "map_trough_ng_ml" in X.columns else "apriori_trough_ng_ml"
    if trough not in X.columns:
        return None
    genotype = f"{DEPENDENCE_GENOTYPE}_alt_count"
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    colours = {0: "#2f855a", 1: "#d69e2e", 2: "#c53030"}
    if genotype in X.columns:
        gene = variant_alleles(DEPENDENCE_GENOTYPE)[0]
        for count, colour in colours.items():
            rows = X[genotype].to_numpy() == count
            if rows.any():
                label = f"{gene} {DEPENDENCE_GENOTYPE} {genotype_with_count(DEPENDENCE_GENOTYPE, count)}"
                ax.scatter(X[trough].to_numpy()[rows], 100 * risk[rows], s=5, alpha=0.5, color=colour, label=label)
        ax.legend(markerscale=3, fontsize=8)
    else:
        ax.scatter(X[trough], 100 * risk, s=5, alpha=0.5, color="#2b6cb0")
    ax.axvline(1100, color="#555", lw=0.8, ls="--")
    ax.set_xlabel(("MAP early trough" if trough.startswith("map") else "a priori predicted trough") + " (ng/mL)")
    ax.set_ylabel("predicted risk of severe rash (%)")
    ax.set_title("Risk by trough and IL6R genotype")
    return _png(fig)


def global_explanation(model, X: pd.DataFrame, *, seed: int = 0, plots: bool = True,
                       patient_plots: bool = True) -> tuple[dict, dict[str, bytes]]:
    """Summary (JSON-able) and PNGs of the model's explanations on the clinical frame ``X``;
    ``patient_plots`` False leaves out the PNGs with one point per patient (beeswarm, risk by trough)."""
    contributions, attributions = explain_factors(model, X)
    importance = contributions.abs().mean(axis=0).sort_values(ascending=False)
    order = list(importance.index)
    summary = {
        "model": f"{model.name} {model.version}",
        "n_patients": int(len(X)),
        "unit": "calibrated log-odds",
        "base_value": float(attributions.base_value[0]) if len(X) else None,
        "mean_abs_contribution": {f: float(v) for f, v in importance.items()},
        "mean_contribution": {f: float(contributions[f].mean()) for f in order},
        "ranking": order,
        "max_additivity_error": attributions.additivity_error,
    }
    images: dict[str, bytes] = {}
    if plots and len(X):
        images["mean_abs_contribution.png"] = _importance_bars(importance)
    if plots and patient_plots and len(X):
        images["shap_beeswarm.png"] = _beeswarm(contributions, X, order, seed)
        risk = expit(attributions.model_logit)
        dependence = _dependence(model, X, risk)
        if dependence is not None:
            images["risk_by_trough_and_genotype.png"] = dependence
    return summary, images

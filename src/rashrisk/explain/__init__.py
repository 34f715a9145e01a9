"""Exact explanations of the served (calibrated) risk model; the only package importing shap.

- :func:`explain_log_odds` feature attributions in calibrated log-odds (additive to 1e-6 or better).
- :func:`explain_factors` the same summed to clinical factors; :func:`explanation_table` long table.
- :func:`counterfactuals` "with genotype C/C the risk would be 4.1% instead of 8.9%".
- :func:`global_explanation` mean |contribution| per factor, beeswarm and dependence PNGs.
"""

from __future__ import annotations

__all__ = ["explain_log_odds", "explain_factors", "explanation_table", "counterfactuals", "global_explanation"]


def __getattr__(name: str):
    if name == "explain_log_odds":
        from rashrisk.explain.attributions import explain_log_odds

        return explain_log_odds
    if name in ("explain_factors", "explanation_table"):
        from rashrisk.explain import local

        return getattr(local, name)
    if name == "counterfactuals":
        from rashrisk.explain.counterfactual import counterfactuals

        return counterfactuals
    if name == "global_explanation":
        from rashrisk.explain.global_importance import global_explanation

        return global_explanation
    raise AttributeError(f"module 'rashrisk.explain' has no attribute {name!r}")

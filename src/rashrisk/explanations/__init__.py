"""Exact explanations of the served (calibrated) risk model; the only package importing shap.

- :func:`explain_log_odds` feature attributions in calibrated log-odds (additive to 1e-6 or better).
- :func:`explain_factors` the same summed to clinical factors; :func:`explanation_table` long table.
- :func:`counterfactuals` "with genotype C/C the risk would be 4.1% instead of 8.9%".
- :func:`global_explanation` mean |contribution| per factor, beeswarm and dependence PNGs.
"""

from __future__ import annotations

from rashrisk.explanations.attributions import explain_log_odds
from rashrisk.explanations.counterfactual import counterfactuals
from rashrisk.explanations.global_importance import global_explanation
from rashrisk.explanations.local import explain_factors, explanation_table

__all__ = ["explain_log_odds", "explain_factors", "explanation_table", "counterfactuals", "global_explanation"]

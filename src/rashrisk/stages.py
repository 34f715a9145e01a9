"""The two prediction stages, defined once: ``start`` (at imatinib start: covariates, genotypes, a
priori trough) and ``tdm`` (after the first trough sample, at the landmark), and the name of each
stage's model (bundle and registry)."""

from __future__ import annotations

from rashrisk.errors import ModelError

STAGES = ("start", "tdm")


def model_name(stage: str) -> str:
    """The stage's model name, 'rashrisk-start' or 'rashrisk-tdm'."""
    if stage not in STAGES:
        raise ModelError(f"stage {stage!r}; expected one of {', '.join(STAGES)}")
    return f"rashrisk-{stage}"

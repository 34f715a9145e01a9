"""A genotype no-call served as missing information: the risk averaged over the genotypes the patient may carry.

For a patient whose model genotype is not called, the served risk is ``sum_g P(g) * risk(g)`` over
``g`` = 0, 1, 2 ALT alleles, ``P`` Hardy-Weinberg at the ALT-allele frequency of the patient's
ancestry as the model card records it (the genotype catalogue's, copied when the model was
trained; a card without them: the catalogue), else at the training cohort's frequency (the fitted
genotype encoder). Several no-calls: every combination, probabilities multiplied (independent
variants). The interval runs from the smallest genotype-specific lower bound to the largest upper
bound. A no-call is never a factor that raises or lowers risk: it is "not tested".
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rashrisk.errors import ModelError
from rashrisk.features.genotype import GenotypeEncoder, hardy_weinberg
from rashrisk.features.preprocess import GENOTYPE_SUFFIX

TRAINING_SOURCE = "training cohort"


@dataclass(frozen=True)
class NoCallGenotype:
    """One no-call of one patient: the frequency averaged over and the risk of each genotype."""

    rsid: str
    alt_allele_frequency: float
    source: str  # e.g. "EUR reference: gnomAD ..." or "training cohort"
    genotype_risks: tuple[float, float, float]  # with 0, 1, 2 ALT alleles (other no-calls averaged)


@dataclass(frozen=True)
class AveragedRisk:
    """The served risk of a patient with at least one genotype no-call."""

    risk: float
    risk_low: float
    risk_high: float
    genotypes: tuple[NoCallGenotype, ...]


def model_genotypes(model) -> list[str]:
    """The rsIDs whose ``<rsid>_alt_count`` column reaches a model feature."""
    factors = set(getattr(model, "feature_factor_", {}).values())
    columns = getattr(model, "input_columns_", None) or []
    return [c.removesuffix(GENOTYPE_SUFFIX) for c in columns
            if c.endswith(GENOTYPE_SUFFIX) and c.removesuffix(GENOTYPE_SUFFIX) in factors]


def _genotype_encoder(step):
    if isinstance(step, GenotypeEncoder):
        return step
    children = [s for _, s in getattr(step, "steps", [])] + [t for _, t, _ in getattr(step, "transformers_", [])]
    return next((e for e in map(_genotype_encoder, children) if e is not None), None)


def training_frequency(model, rsid: str) -> float:
    """ALT-allele frequency of ``rsid`` among the training cohort's called patients."""
    column = rsid + GENOTYPE_SUFFIX
    encoder = _genotype_encoder(getattr(model, "preprocess_", None))
    if encoder is not None and column in list(getattr(encoder, "feature_names_in_", [])):
        return float(encoder.training_alt_allele_frequency()[list(encoder.feature_names_in_).index(column)])
    mean = (getattr(model, "input_summary_", None) or {}).get(column, {}).get("mean")  # models without the encoder
    if mean is None or not math.isfinite(float(mean)):
        raise ModelError(f"{getattr(model, 'name', 'model')}: no training allele frequency for {rsid}; "
                         "expected a genotype encoder fitted by rashrisk train")
    return float(mean) / 2.0


def reference_frequencies(model, rsid: str) -> dict:
    """The card's reference frequencies of ``rsid`` (a card without them: the genotype catalogue's)."""
    recorded = getattr(model.card.genotype_coding, "allele_frequencies", None) or {}
    if rsid in recorded:
        return recorded[rsid]
    from rashrisk.genotype.catalogue import reference_allele_frequencies

    return reference_allele_frequencies([rsid]).get(rsid, {})


def frequency_for(model, rsid: str, ancestry) -> tuple[float, str]:
    """(ALT-allele frequency, its source) for a patient of ``ancestry`` (None/unknown: the training cohort's)."""
    reference = reference_frequencies(model, rsid)
    by_ancestry = reference.get("by_ancestry", {})
    if isinstance(ancestry, str) and ancestry in by_ancestry:
        return float(by_ancestry[ancestry]), f"{ancestry} reference: {reference.get('source', 'genotype catalogue')}"
    return training_frequency(model, rsid), TRAINING_SOURCE


def no_call_text(description: str, frequency: float, source: str) -> str:
    """The explanation of a no-call: 'IL6R rs4129267 not tested: risk averaged over ...'."""
    return (f"{description} not tested: risk averaged over the possible genotypes "
            f"(frequency {frequency:.2f}, {source})")


def average_over_no_calls(model, X: pd.DataFrame) -> dict[int, AveragedRisk]:
    """{row position in ``X``: :class:`AveragedRisk`} for the patients with a model genotype no-call
    (one batch re-scoring of every genotype combination)."""
    rsids = model_genotypes(model)
    if not rsids or len(X) == 0:
        return {}
    calls = X[[r + GENOTYPE_SUFFIX for r in rsids]].isna().to_numpy()
    ancestry = X["ancestry"].to_numpy(dtype=object) if "ancestry" in X.columns else np.full(len(X), None)
    plans, rows = [], []
    for i in np.flatnonzero(calls.any(axis=1)):
        missing = [rsids[j] for j in np.flatnonzero(calls[i])]
        found = [frequency_for(model, rsid, ancestry[i]) for rsid in missing]
        combos = list(itertools.product((0, 1, 2), repeat=len(missing)))
        weights = np.array([math.prod(hardy_weinberg(found[j][0])[g] for j, g in enumerate(c)) for c in combos])
        plans.append((i, missing, found, combos, weights, len(rows)))
        rows += [i] * len(combos)
    if not plans:
        return {}
    expanded = X.iloc[rows].copy()
    start = 0
    for _, missing, _, combos, _, _ in plans:
        for j, rsid in enumerate(missing):
            expanded.iloc[start:start + len(combos), expanded.columns.get_loc(rsid + GENOTYPE_SUFFIX)] = [
                float(c[j]) for c in combos]
        start += len(combos)
    risk = np.asarray(model.predict_proba(expanded)[:, 1], dtype=np.float64)
    low, high = (np.asarray(v, dtype=np.float64) for v in model.predict_interval(expanded))
    out = {}
    for i, missing, found, combos, weights, first in plans:
        part = slice(first, first + len(combos))
        p, lo, hi = risk[part], low[part], high[part]
        genotypes = []
        for j, rsid in enumerate(missing):
            by_count = []
            for g in (0, 1, 2):
                mask = np.array([c[j] == g for c in combos])
                by_count.append(float(np.dot(weights[mask], p[mask]) / weights[mask].sum()) if weights[mask].sum() > 0
                                else float(np.mean(p[mask])))
            genotypes.append(NoCallGenotype(rsid=rsid, alt_allele_frequency=found[j][0], source=found[j][1],
                                            genotype_risks=tuple(by_count)))
        out[int(i)] = AveragedRisk(risk=float(np.dot(weights, p) / weights.sum()), risk_low=float(lo.min()),
                                   risk_high=float(hi.max()), genotypes=tuple(genotypes))
    return out


def apply_averages(averaged: dict[int, AveragedRisk], risk, low, high):
    """(risk, low, high) with the rows of ``averaged`` replaced by their averaged risk and interval."""
    risk, low, high = (np.array(v, dtype=np.float64, copy=True) for v in (risk, low, high))
    for i, a in averaged.items():
        risk[i], low[i], high[i] = a.risk, a.risk_low, a.risk_high
    return risk, low, high


def testing_statement(averaged: AveragedRisk, genotype: NoCallGenotype, letters) -> str:
    """'genotyping rs4129267 would give C/C 0.6%, C/T 1.2% or T/T 2.2% (now 0.9%, averaged)';
    ``letters``: the genotype letters for 0, 1, 2 ALT alleles."""
    shown = [f"{letters[g]} {100 * r:.1f}%" for g, r in enumerate(genotype.genotype_risks)]
    return (f"genotyping {genotype.rsid} would give {shown[0]}, {shown[1]} or {shown[2]} "
            f"(now {100 * averaged.risk:.1f}%, averaged)")

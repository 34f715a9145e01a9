"""Genotypes: the IL6R block as haplotypes (strong LD), every other variant in Hardy-Weinberg
equilibrium, then the no-calls a genotyping run produces.

Genotypes are ALT-allele counts (int8: 0, 1, 2; -1 = no-call), the ALT allele being the variant
catalogue's (``rashrisk.genotype.catalogue``).
"""

from __future__ import annotations

import numpy as np

from rashrisk.errors import ConfigError
from rashrisk.simulate.config import SimulationConfig
from rashrisk.simulate.rng import choice, stream

NO_CALL = -1


def simulate_genotypes(cfg: SimulationConfig, n: int, seed: int) -> dict[str, np.ndarray]:
    """True ALT-allele counts per rsID (no no-calls), in configuration order: IL6R block first."""
    ancestry = cfg.get("cohort", "ancestry")
    rng = stream(seed, "genotypes")
    block = cfg.get("genotypes", "il6r_block")
    haplotypes = np.asarray(block["haplotypes"], dtype=np.int8)
    freqs = np.asarray(block["frequency"][ancestry], dtype=float)
    h1 = choice(rng, np.arange(len(freqs)), freqs, n)  # haplotype indices
    h2 = choice(rng, np.arange(len(freqs)), freqs, n)
    counts = haplotypes[h1] + haplotypes[h2]  # n x block size
    out: dict[str, np.ndarray] = {rsid: counts[:, j].astype(np.int8) for j, rsid in enumerate(block["rsids"])}
    for rsid, by_ancestry in cfg.get("genotypes", "alt_frequency").items():
        if ancestry not in by_ancestry:
            raise ConfigError(f"{cfg.source}: [genotypes.alt_frequency.{rsid}] has no frequency for ancestry {ancestry!r}")
        p = float(by_ancestry[ancestry])
        # Hardy-Weinberg: two independent alleles
        out[rsid] = ((rng.random(n) < p).astype(np.int8) + (rng.random(n) < p).astype(np.int8)).astype(np.int8)
    return out


def observed_genotypes(
    cfg: SimulationConfig, true_counts: dict[str, np.ndarray], seed: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Apply per-genotype no-calls; returns (counts with -1 for no-calls, in_vcf mask per patient)."""
    rng = stream(seed, "no_calls")
    n = len(next(iter(true_counts.values())))
    in_vcf = rng.random(n) >= cfg.probability("missing", "absent_from_vcf")
    rate = cfg.probability("missing", "genotype_no_call")
    observed = {}
    for rsid, counts in true_counts.items():
        called = rng.random(n) >= rate
        observed[rsid] = np.where(called & in_vcf, counts, NO_CALL).astype(np.int8)
    return observed, in_vcf


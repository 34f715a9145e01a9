"""Genotype strings: parse "C/T", "CT", "C|T" into two alleles, and count alleles.

A no-call (``''``, ``'./.'``, ``'.'``, ``'.|.'``, ``'NC'``, NaN/None) is ``None``, never the
reference genotype. Anything else that is not two single A/C/G/T letters raises ``ValueError``
with the offending text, so the caller can turn it into a finding naming file, column and line.
"""

from __future__ import annotations

import math

NO_CALL_SPELLINGS = frozenset({"", ".", "./.", ".|.", "NC", "--", "00"})
VALID_ALLELES = frozenset("ACGT")
COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


def _is_missing(text: object) -> bool:
    """None, float NaN, numpy NaN or pandas NA."""
    if text is None:
        return True
    if isinstance(text, float):
        return math.isnan(text)
    return type(text).__name__ == "NAType"


def parse_genotype(text: object) -> tuple[str, str] | None:
    """Two upper-case alleles from a genotype string, or None for a no-call.

    Accepts "C/T", "CT", "C|T" with any case and surrounding whitespace.
    """
    if _is_missing(text):
        return None
    if not isinstance(text, str):
        raise ValueError(f"genotype {text!r}: expected text like 'C/T', 'CT' or 'C|T'")
    cleaned = text.strip().upper()
    if cleaned in NO_CALL_SPELLINGS:
        return None
    if "/" in cleaned or "|" in cleaned:
        parts = cleaned.replace("|", "/").split("/")
        parts = [p.strip() for p in parts]
    else:
        parts = list(cleaned)
    if len(parts) != 2:
        raise ValueError(
            f"genotype {text!r}: expected exactly two alleles like 'C/T', 'CT' or 'C|T' "
            f"(found {len(parts)})"
        )
    for allele in parts:
        if allele not in VALID_ALLELES:
            raise ValueError(
                f"genotype {text!r}: allele {allele!r} is not one of A, C, G, T "
                "(no-calls are written '', './.' or 'NC')"
            )
    return parts[0], parts[1]


def allele_counts(
    alleles: tuple[str, str] | None, ref: str, alt: str
) -> tuple[int | None, int | None]:
    """(ref_count, alt_count) for two alleles; (None, None) for a no-call.

    Raises ValueError when an allele is neither ``ref`` nor ``alt`` (for example the other
    strand: the caller reports it and records a no-call; alleles are never flipped silently).
    """
    if alleles is None:
        return None, None
    ref_count = 0
    alt_count = 0
    for allele in alleles:
        if allele == ref:
            ref_count += 1
        elif allele == alt:
            alt_count += 1
        else:
            hint = ""
            if COMPLEMENT.get(allele) in (ref, alt):
                hint = " (it matches the other strand: check the strand of the genotyping assay)"
            raise ValueError(
                f"allele {allele!r} in genotype {'/'.join(alleles)!r} is neither the reference "
                f"{ref!r} nor the alternate {alt!r}{hint}"
            )
    return ref_count, alt_count

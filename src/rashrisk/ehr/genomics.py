"""Genotypes from HL7 Genomics Reporting IG Observations (profile "Variant", code 69548-6).

One Variant Observation describes one variant at one site: the dbSNP rsID as a ``variation-code``
component (81252-9 with the dbSNP system; STU1's 81255-2 "dbSNP ID" is read too), the reference and
alternate alleles (69547-8, 69551-0, VCF letters on the forward strand), the allelic state (53034-5:
heterozygous or homozygous) and the value: present, absent, no call or indeterminate (LL1971-2).

The genotype follows from them, in the letters of the contract's genotypes.csv:

| value | allelic state | genotype |
|---|---|---|
| present | heterozygous | ref/alt |
| present | homozygous | alt/alt |
| absent | (none) | ref/ref (the variant was looked for and not found) |
| no call, indeterminate | | no-call (``./.``) |

Anything that does not determine a genotype (present without allelic state, alleles that are not the
catalogue's two letters, e.g. the other strand, a hemizygous call on an autosome) is a no-call with a
problem: a no-call is never the reference genotype. Genotype (84413-4) and haplotype (84414-2)
Observations name star alleles or haplotypes; they are not mapped (reported with the reason).
"""

from __future__ import annotations

from dataclasses import dataclass

from rashrisk.ehr import codes as C


@dataclass(frozen=True)
class VariantCall:
    rsid: str | None        # None when the Observation names no dbSNP rsID
    genotype: str           # "C/T", or "./." for a no-call
    problem: str | None     # why it is a no-call (or None)


def _component(obs: dict, code: str) -> dict | None:
    for comp in obs.get("component") or []:
        if isinstance(comp, dict) and C.has_code(comp.get("code"), C.LOINC, {code}):
            return comp
    return None


def rsid_of(obs: dict) -> str | None:
    """The dbSNP rsID of a Variant Observation (its variation-code or STU1 dbSNP-id component)."""
    for code in (C.VARIATION_CODE, C.DBSNP_ID_STU1):
        for comp in obs.get("component") or []:
            if not isinstance(comp, dict) or not C.has_code(comp.get("code"), C.LOINC, {code}):
                continue
            for system, value in C.codings(comp.get("valueCodeableConcept")):
                if system == C.DBSNP and value.lower().startswith("rs"):
                    return "rs" + value[2:]
    return None


def _allele(obs: dict, code: str) -> str | None:
    comp = _component(obs, code)
    if comp is None:
        return None
    value = comp.get("valueString")
    if value is None and isinstance(comp.get("valueCodeableConcept"), dict):
        value = comp["valueCodeableConcept"].get("text")
    return str(value).strip().upper() if value is not None else None


def variant_call(obs: dict, catalogue: dict) -> VariantCall:
    """The genotype of one Variant Observation for a catalogue variant.

    ``catalogue``: rsid -> (ref, alt) letters of the rashrisk variant catalogue. An rsID outside it is
    returned with genotype "./." and a problem saying it is not a catalogue variant."""
    rsid = rsid_of(obs)
    if rsid is None:
        return VariantCall(None, "./.", "no dbSNP rsID: expected a component 81252-9 (variation-code) "
                                        f"with a coding in {C.DBSNP}")
    if rsid not in catalogue:
        return VariantCall(rsid, "./.", f"{rsid} is not a variant of the rashrisk catalogue "
                                        f"({', '.join(catalogue)}); not used")
    cat_ref, cat_alt = catalogue[rsid]
    value = obs.get("valueCodeableConcept")
    answer = C.has_code(value, C.LOINC, {C.PRESENT, C.ABSENT, C.NO_CALL, C.INDETERMINATE})
    if answer is None:
        return VariantCall(rsid, "./.", f"value {C.describe(value)}: expected LOINC LA9633-4 (present), "
                                        "LA9634-2 (absent), LA18198-4 (no call) or LA11884-6 (indeterminate); "
                                        "read as a no-call")
    if answer in (C.NO_CALL, C.INDETERMINATE):
        return VariantCall(rsid, "./.", None)
    ref = _allele(obs, C.REF_ALLELE)
    alt = _allele(obs, C.ALT_ALLELE)
    letters = {cat_ref, cat_alt}
    for name, allele in (("ref allele (69547-8)", ref), ("alt allele (69551-0)", alt)):
        if allele is not None and allele not in letters:
            return VariantCall(rsid, "./.", f"{name} {allele!r} is not one of the catalogue's alleles "
                                            f"{cat_ref}/{cat_alt} for {rsid} (forward strand, GRCh38); "
                                            "read as a no-call")
    if ref is not None and alt is not None and ref == alt:
        return VariantCall(rsid, "./.", f"ref and alt allele are both {ref!r}; read as a no-call")
    # the two letters of the site: a GRCh37 report may swap which is the reference (CYP3A5 rs776746)
    if alt is None and ref is None:
        ref, alt = cat_ref, cat_alt
        assumed = True
    else:
        assumed = False
        if alt is None:
            alt = (letters - {ref}).pop()
        if ref is None:
            ref = (letters - {alt}).pop()
    if answer == C.ABSENT:
        if assumed:
            return VariantCall(rsid, "./.", "value 'absent' without the alt allele (69551-0): cannot tell "
                                            "which allele was looked for; read as a no-call")
        return VariantCall(rsid, f"{ref}/{ref}", None)
    state = _component(obs, C.ALLELIC_STATE)
    zygosity = C.has_code(state.get("valueCodeableConcept"), C.LOINC, {C.HETEROZYGOUS, C.HOMOZYGOUS, C.HEMIZYGOUS}) \
        if state else None
    if assumed:
        return VariantCall(rsid, "./.", "value 'present' without the alt allele (69551-0): cannot tell which "
                                        "allele is present; read as a no-call")
    if zygosity == C.HETEROZYGOUS:
        return VariantCall(rsid, f"{ref}/{alt}", None)
    if zygosity == C.HOMOZYGOUS:
        return VariantCall(rsid, f"{alt}/{alt}", None)
    if zygosity == C.HEMIZYGOUS:
        return VariantCall(rsid, "./.", f"allelic state hemizygous for autosomal {rsid}; read as a no-call")
    return VariantCall(rsid, "./.", "value 'present' without an allelic state (53034-5: LA6706-1 heterozygous "
                                    "or LA6705-3 homozygous): read as a no-call")

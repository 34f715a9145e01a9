"""The codes rashrisk reads in FHIR resources, as data, each with where it was checked.

Sources (looked up in public text, November-December 2026; restated in our own words):

- LOINC body weight 29463-7, body weight measured 3141-9, body height 8302-2: FHIR R4 vital-signs
  profile and common EHR exports.
- LOINC albumin [mass/volume] in serum or plasma 1751-7, by bromocresol green 61151-7, by bromocresol
  purple 61152-5, by electrophoresis 2862-1: public LOINC lists used by laboratory mappers.
- LOINC imatinib [mass/volume] in serum or plasma 57844-3 (ARUP test 3000539, component "Imatinib"),
  imatinib 24 h post dose, LC/MS/MS, serum or plasma 103609-4 (a trough sample).
- LOINC erythrocytes [#/volume] in blood by automated count 789-8 (the rbc_10e12_l covariate of jiang2023).
- HL7 Genomics Reporting IG (profiles "Variant" 69548-6, "Genotype" 84413-4, "Haplotype" 84414-2): the
  component codes 81252-9 (variation-code, with dbSNP system http://www.ncbi.nlm.nih.gov/projects/SNP;
  STU1 used 81255-2 "dbSNP ID"), 48018-6 (gene studied), 69547-8 (ref allele), 69551-0 (alt allele),
  53034-5 (allelic state: LA6706-1 heterozygous, LA6705-3 homozygous, LA6707-9 hemizygous); value set
  LL1971-2: LA9633-4 present, LA9634-2 absent, LA18198-4 no call, LA11884-6 indeterminate.
- RxNorm: imatinib ingredient 282388 (RxNav name lookup); imatinib 100 MG Oral Tablet 403878 and 400 MG
  403879 (SCD), Gleevec 100 MG Oral Tablet 404588 and 400 MG 404589 (the RxNorm crosswalk of NDC 0078-0401).
  Codes we could not check against a text (the brand name, the mesylate precise ingredient, generic
  products of other labellers) are not listed: an order coded only with them is reported, not guessed.
"""

from __future__ import annotations

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DBSNP = "http://www.ncbi.nlm.nih.gov/projects/SNP"
UCUM = "http://unitsofmeasure.org"

# Observation codes -> the contract field they feed
WEIGHT_CODES = {"29463-7": "Body weight", "3141-9": "Body weight Measured"}
HEIGHT_CODES = {"8302-2": "Body height"}
ALBUMIN_CODES = {"1751-7": "Albumin [Mass/volume] in Serum or Plasma",
                 "61151-7": "Albumin [Mass/volume] in Serum or Plasma by Bromocresol green (BCG) dye binding method",
                 "61152-5": "Albumin [Mass/volume] in Serum or Plasma by Bromocresol purple (BCP) dye binding method",
                 "2862-1": "Albumin [Mass/volume] in Serum or Plasma by Electrophoresis"}
RBC_CODES = {"789-8": "Erythrocytes [#/volume] in Blood by Automated count"}
IMATINIB_LEVEL_CODES = {"57844-3": "Imatinib [Mass/volume] in Serum or Plasma",
                        "103609-4": "Imatinib [Mass/volume] in Serum or Plasma by LC/MS/MS --24 hours post dose"}

# field -> (codes, contract field, canonical unit, {unit spelling (UCUM code or unit text, lower case): factor})
MEASUREMENTS = {
    "weight_kg": (WEIGHT_CODES, "kg", {"kg": 1.0, "g": 0.001, "[lb_av]": 0.45359237, "lb": 0.45359237,
                                       "lbs": 0.45359237}),
    "height_cm": (HEIGHT_CODES, "cm", {"cm": 1.0, "m": 100.0, "mm": 0.1, "[in_i]": 2.54, "in": 2.54}),
    "albumin_g_l": (ALBUMIN_CODES, "g/L", {"g/l": 1.0, "g/dl": 10.0}),
    "rbc_10e12_l": (RBC_CODES, "10^12/L", {"10*12/l": 1.0, "10*6/ul": 1.0, "10^12/l": 1.0, "10^6/ul": 1.0,
                                           "/pl": 1.0, "m/ul": 1.0}),
}

# Genomics Reporting IG
VARIANT_CODE = "69548-6"
GENOTYPE_CODE = "84413-4"
HAPLOTYPE_CODE = "84414-2"
VARIATION_CODE = "81252-9"   # STU2 and later: the dbSNP rsID as a variation code
DBSNP_ID_STU1 = "81255-2"    # STU1: "dbSNP ID"
GENE_STUDIED = "48018-6"
REF_ALLELE = "69547-8"
ALT_ALLELE = "69551-0"
ALLELIC_STATE = "53034-5"
HETEROZYGOUS = "LA6706-1"
HOMOZYGOUS = "LA6705-3"
HEMIZYGOUS = "LA6707-9"
PRESENT = "LA9633-4"
ABSENT = "LA9634-2"
NO_CALL = "LA18198-4"
INDETERMINATE = "LA11884-6"

# RxNorm: code -> (name, mg per tablet or None for the ingredient)
IMATINIB_RXNORM = {
    "282388": ("imatinib (ingredient)", None),
    "403878": ("imatinib 100 MG Oral Tablet", 100.0),
    "403879": ("imatinib 400 MG Oral Tablet", 400.0),
    "404588": ("Gleevec 100 MG Oral Tablet", 100.0),
    "404589": ("Gleevec 400 MG Oral Tablet", 400.0),
}

# what an Observation status means for use
USABLE_OBSERVATION_STATUS = {"final", "amended", "corrected"}
# MedicationRequest statuses that describe an order that was or is to be taken
USABLE_REQUEST_STATUS = {"draft", "active", "completed", "on-hold"}


def codings(concept) -> list[tuple[str, str]]:
    """(system, code) of every coding of a CodeableConcept dict (empty strings when absent)."""
    if not isinstance(concept, dict):
        return []
    return [(str(c.get("system") or ""), str(c.get("code") or "")) for c in concept.get("coding") or []
            if isinstance(c, dict)]


def has_code(concept, system: str, codes) -> str | None:
    """The first code of ``concept`` in ``system`` that is one of ``codes``, else None."""
    for s, c in codings(concept):
        if s == system and c in codes:
            return c
    return None


def describe(concept) -> str:
    """A CodeableConcept in words for a message: 'http://loinc.org|1234-5' codes, else its text."""
    found = [f"{s}|{c}" if s else c for s, c in codings(concept)]
    if found:
        return ", ".join(found)
    text = concept.get("text") if isinstance(concept, dict) else None
    return repr(text) if text else "no code"


def imatinib_code(concept) -> str | None:
    """The RxNorm code of imatinib or one of its products in ``concept``, else None."""
    return has_code(concept, RXNORM, IMATINIB_RXNORM)

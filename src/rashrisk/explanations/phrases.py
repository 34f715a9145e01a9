"""Plain-language names and values of clinical factors, as a clinician would say them.

``describe_factor('rs4129267', row)`` -> "IL6R rs4129267 T/T (two risk alleles)";
``describe_factor('early_trough', row)`` -> "early trough 2,150 ng/mL on day 14, 60% above expected".
Numbers keep their units; missing values say so instead of showing a number.
"""

from __future__ import annotations

import math
from functools import lru_cache

from rashrisk.explanations.factors import EARLY_TROUGH
from rashrisk.genotype.catalogue import load_catalogue

ANCESTRY_WORDS = {"EAS": "East Asian", "EUR": "European", "AFR": "African", "SAS": "South Asian",
                  "AMR": "admixed American", "OTH": "other"}
COUNT_WORDS = {0: "no", 1: "one", 2: "two"}
PLAIN_NAMES = {"age_years": "age", "weight_kg": "weight", "height_cm": "height", "bsa_m2": "body surface area",
               "albumin_g_l": "albumin", "ancestry": "ancestry", "setting": "treatment setting",
               "start_dose_mg": "start dose", "apriori_trough_ng_ml": "predicted trough",
               "tdm_day": "day of the first trough sample"}


@lru_cache(maxsize=1)
def _catalogue() -> dict:
    table = load_catalogue()
    return {r.rsid: (r.gene, r.ref, r.alt) for r in table.itertuples()}


def variant_alleles(rsid: str) -> tuple[str, str, str]:
    """(gene, ref, alt) of a catalogue variant ('', 'ref', 'alt' when unknown)."""
    return _catalogue().get(rsid, ("", "ref", "alt"))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# numeric clinical inputs in words: factor -> (phrase with its unit, decimals)
NUMERIC_PHRASES = {
    "age_years": ("age {} years", 0),
    "weight_kg": ("weight {} kg", 0),
    "height_cm": ("height {} cm", 0),
    "bsa_m2": ("body surface area {} m²", 2),
    "albumin_g_l": ("albumin {} g/L", 0),
    "start_dose_mg": ("start dose {} mg/day", 0),
    "tdm_day": ("first trough sample on day {} of treatment", 0),
    "apriori_trough_ng_ml": ("predicted trough {} ng/mL at the start dose (population PK)", 0),
}


def _num(value, digits: int = 0) -> str:
    return f"{float(value):,.{digits}f}"


def genotype_text(rsid: str, alt_count, risk_allele: str = "alt") -> str:
    """e.g. 'IL6R rs4129267 T/T (two risk alleles)'; a no-call says so."""
    gene, ref, alt = variant_alleles(rsid)
    label = f"{gene} {rsid}".strip()
    if _missing(alt_count):
        return f"{label} not called (genotype no-call)"
    n_alt = int(round(float(alt_count)))
    genotype = "/".join([ref] * (2 - n_alt) + [alt] * n_alt)
    n_risk = n_alt if risk_allele == "alt" else 2 - n_alt
    noun = "risk allele" if n_risk == 1 else "risk alleles"
    return f"{label} {genotype} ({COUNT_WORDS.get(n_risk, str(n_risk))} {noun})"


def genotype_with_count(rsid: str, alt_count: int) -> str:
    """The genotype letters for an alt-allele count, e.g. 'C/C'."""
    _, ref, alt = variant_alleles(rsid)
    return "/".join([ref] * (2 - alt_count) + [alt] * alt_count)


def _early_trough(row) -> str:
    trough = row.get("map_trough_ng_ml")
    if _missing(trough):
        return "early trough not available"
    text = f"early trough {_num(trough)} ng/mL"
    day = row.get("tdm_day")
    if not _missing(day):
        text += f" on day {float(day):.0f}"
    ratio = row.get("trough_ratio_to_apriori")
    if not _missing(ratio):
        change = (float(ratio) - 1.0) * 100
        if abs(change) < 5:
            text += ", about as expected"
        else:
            text += f", {abs(change):.0f}% {'above' if change > 0 else 'below'} expected"
    return text


def describe_factor(factor: str, row, *, risk_alleles: dict | None = None) -> str:
    """Plain-language statement of ``factor``'s value for one patient (``row``: the clinical inputs)."""
    row = dict(row)
    if factor == EARLY_TROUGH:
        return _early_trough(row)
    if f"{factor}_alt_count" in row:
        return genotype_text(factor, row[f"{factor}_alt_count"], (risk_alleles or {}).get(factor, "alt"))
    value = row.get(factor)
    if factor == "sex":
        return {"F": "female sex", "M": "male sex"}.get(value, "sex not recorded")
    if _missing(value) or value == "":
        return f"{PLAIN_NAMES.get(factor, factor.replace('_', ' '))} not recorded"
    if factor in NUMERIC_PHRASES:
        template, digits = NUMERIC_PHRASES[factor]
        return template.format(_num(value, digits))
    if factor == "ancestry":
        return f"{ANCESTRY_WORDS.get(value, value)} ancestry"
    if factor == "setting":
        return {"adjuvant": "adjuvant treatment", "advanced": "advanced disease"}.get(value, f"setting {value}")
    if isinstance(value, float):
        return f"{factor.replace('_', ' ')} {value:,.3g}"
    return f"{factor.replace('_', ' ')} {value}"


EXPECTED_WORDS = {"raises": "to raise risk", "lowers": "to lower risk"}


def _interval(record: dict) -> str:
    return (f"{record['level']:.0%} interval of the effect of {record['contrast']}: "
            f"{record['low']:+.2f} to {record['high']:+.2f} log-odds")


def effect_direction(contribution: float, record: dict) -> str:
    """The direction column: :func:`direction_text` for an established factor, else its status."""
    if record.get("status") == "established":
        return direction_text(contribution)
    return "against expectation" if record.get("status") == "against expectation" else "not established"


def effect_statement(description: str, contribution: float, record: dict) -> str:
    """One factor of one patient in words, claiming only what the model established (``record``:
    :func:`rashrisk.models.effects.effect_of`). An established factor: "female sex: raises risk (+0.42
    log-odds; 90% interval of the effect of female vs male: +0.10 to +0.70 log-odds)". Any other says that
    the direction was not established and labels the contribution as the model's arithmetic, not an effect."""
    share = f"this patient's contribution {contribution:+.2f} log-odds, not an established effect"
    status = record.get("status")
    if status == "established":
        return f"{description}: {direction_text(contribution)} ({contribution:+.2f} log-odds; {_interval(record)})"
    if record.get("unknown"):
        return (f"{description}: direction not established (this model records no effect estimates; {share})")
    if record.get("contrast") is None:
        return f"{description}: direction not established (no contrast defined for this factor; {share})"
    if status == "against expectation":
        return (f"{description}: the model could not establish the direction of this factor's effect: its estimate "
                f"goes against the expected direction ({EXPECTED_WORDS.get(record['expected'], record['expected'])}; "
                f"{_interval(record)}; {share})")
    return (f"{description}: the model could not establish the direction of this factor's effect "
            f"({_interval(record)}; {share})")


def direction_text(contribution: float) -> str:
    """'raises risk' / 'lowers risk' / 'little effect' for a contribution in log-odds."""
    if abs(contribution) < 0.01:
        return "little effect"
    return "raises risk" if contribution > 0 else "lowers risk"

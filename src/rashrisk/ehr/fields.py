"""The steps of :func:`rashrisk.ehr.fhir.bundle_to_document` that turn classified resources into
document fields: the imatinib start, the age, the measurements, the TDM samples, the genotypes.

Each step writes its fields into ``document`` and accounts for each resource it was given through the
mapping record ``m`` (``m.use``: mapped or ignored with the reason; ``m.problem``: what was wrong).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from rashrisk.ehr import codes as C
from rashrisk.ehr import resources as R
from rashrisk.ehr.genomics import variant_call
from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.units import normalise_unit

_PREFERRED_UNIT = {"ng/ml": "ng/mL", "ug/ml": "ug/mL", "µg/ml": "ug/mL", "mg/l": "mg/L", "nmol/l": "nmol/L",
                   "umol/l": "umol/L", "µmol/l": "umol/L"}
# a measurement older than this before the start is used with a warning (height does not age)
STALE_AFTER_DAYS = {"weight_kg": 90, "albumin_g_l": 90, "rbc_10e12_l": 90}
_NG_PER_ML_ALIASES = {"ug/l": "ng/mL", "µg/l": "ng/mL", "mcg/l": "ng/mL"}  # 1 µg/L = 1 ng/mL


@lru_cache(maxsize=1)
def _catalogue_alleles() -> tuple[tuple[str, str, str], ...]:
    table = load_catalogue()
    return tuple(table[["rsid", "ref", "alt"]].itertuples(index=False, name=None))


def catalogue_alleles() -> dict[str, tuple[str, str]]:
    """rsid -> (ref, alt) of the variant catalogue, in catalogue order."""
    return {r: (ref, alt) for r, ref, alt in _catalogue_alleles()}


def age_years(birth: str, on: date) -> tuple[int | None, str | None]:
    """Completed years at ``on``; a partial birth date gives the age when it is the same for every
    possible day, else the lower one with a note."""
    parts = birth.split("-")
    try:
        year = int(parts[0])
        months = [int(parts[1])] if len(parts) > 1 else list(range(1, 13))
        days_known = len(parts) > 2
        if days_known:
            born = [date(year, months[0], int(parts[2]))]
        else:
            born = [date(year, m, 1) for m in months] + [date(year, m, 28) for m in months]
    except (ValueError, IndexError):
        return None, None
    ages = {on.year - b.year - ((on.month, on.day) < (b.month, b.day)) for b in born}
    if len(ages) == 1:
        return ages.pop(), None
    return min(ages), f"partial birth date {birth!r}: age {min(ages)} or {max(ages)} at {on}; used {min(ages)}"


def start_order(m, document: dict, requests: list, reference_date, order_ref, patient_ref: str) -> date | None:
    """``start_dose_mg`` and ``start_date`` from the earliest usable imatinib order; returns the start day."""
    starts = []
    for ref, res, code in requests:
        dosage = (res.get("dosageInstruction") or [{}])[0]
        when = None
        bounds = ((dosage.get("timing") or {}).get("repeat") or {}).get("boundsPeriod") or {}
        for element, text in (("dosageInstruction[0].timing.repeat.boundsPeriod.start", bounds.get("start")),
                              ("dispenseRequest.validityPeriod.start",
                               ((res.get("dispenseRequest") or {}).get("validityPeriod") or {}).get("start")),
                              ("authoredOn", res.get("authoredOn"))):
            when = R.parse_when(text)
            if when is not None:
                break
        starts.append((when.day if when else None, ref, res, code, dosage))
    if isinstance(reference_date, str):
        reference_date = date.fromisoformat(reference_date)
    start_day = None
    if not starts:
        m.problem(patient_ref, "MedicationRequest", "no usable imatinib MedicationRequest in the bundle",
                  "the imatinib order (RxNorm " + ", ".join(C.IMATINIB_RXNORM) + ") for start_dose_mg and start_date")
        document["start_dose_mg"] = None
        start_day = reference_date
    else:
        starts.sort(key=lambda s: (s[0] is None, s[0] or date.max))
        day, ref, res, code, dosage = starts[0]
        fields = ["start_dose_mg", "start_date"]
        if day is None:
            if reference_date is None:
                m.problem(ref, "authoredOn", "no start date (boundsPeriod, validityPeriod or authoredOn)",
                          "the date imatinib starts")
                fields.remove("start_date")
            elif ref != order_ref:  # the order being placed starts on the reference date (today) by design
                m.problem(ref, "authoredOn", "no start date", f"a start date; the reference date {reference_date} "
                          "was used", "warning")
            day = reference_date
        start_day = day
        if len(res.get("dosageInstruction") or []) > 1:
            m.problem(ref, "dosageInstruction", f"{len(res['dosageInstruction'])} dosage instructions",
                      "one; the first was read", "warning")
        dose = ((dosage.get("doseAndRate") or [{}])[0] or {}).get("doseQuantity")
        per_dose, why = R.dose_mg(dose, code)
        per_day, note = R.administrations_per_day(dosage)
        if per_dose is None:
            m.problem(ref, "dosageInstruction[0].doseAndRate[0].doseQuantity", why or "missing", "the dose in mg")
            document["start_dose_mg"] = None
            fields.remove("start_dose_mg")
        else:
            document["start_dose_mg"] = round(per_dose * per_day, 6)
            if note:
                m.problem(ref, "dosageInstruction[0].timing", note, "a timing with frequency and period", "warning")
        m.use(ref, "mapped", tuple(fields), "the imatinib start order")
        for later_day, later_ref, *_ in starts[1:]:
            m.use(later_ref, "ignored", reason=f"a later imatinib order (start {later_day}); the start is {ref}")
    document["start_date"] = start_day.isoformat() if start_day else None
    return start_day


def age(m, document: dict, patient_ref: str, patient: dict, start_day, patient_fields: list) -> None:
    """``age_years`` at the start day."""
    birth = patient.get("birthDate")
    if not birth:
        m.problem(patient_ref, "birthDate", "missing", "the birth date (age_years at the imatinib start)")
        document["age_years"] = None
    elif start_day is None:
        m.problem(patient_ref, "birthDate", birth, "a start date to compute the age at (no imatinib order)")
        document["age_years"] = None
    else:
        age_, note = age_years(str(birth), start_day)
        document["age_years"] = age_
        if age_ is None:
            m.problem(patient_ref, "birthDate", repr(birth), "a date YYYY-MM-DD")
        else:
            patient_fields.append("age_years")
            if note:
                m.problem(patient_ref, "birthDate", note, "a full birth date", "warning")
    m.use(patient_ref, "mapped", tuple(patient_fields), "the patient")


def measurements(m, document: dict, buckets: dict, start_day) -> None:
    """``weight_kg``, ``height_cm``, ``albumin_g_l``, ``rbc_10e12_l``: one Observation each."""
    for name, found in buckets.items():
        _, canonical, factors = C.MEASUREMENTS[name]
        read = []
        for ref, res in found:
            when, _ = R.effective(res)
            number, unit, comparator = R.quantity(res.get("valueQuantity"))
            if when is None:
                m.problem(ref, "effective[x]", "missing or unreadable", "the time of the measurement")
                m.use(ref, "ignored", reason="no effective time")
            elif number is None:
                m.problem(ref, "valueQuantity", repr(res.get("valueQuantity") or res.get("dataAbsentReason")),
                          f"a number in {canonical}")
                m.use(ref, "ignored", reason="no value")
            elif unit not in factors:
                m.problem(ref, "valueQuantity.unit", repr(R.unit_as_written(res.get("valueQuantity"))),
                          f"a unit of {name}: " + ", ".join(sorted(factors)))
                m.use(ref, "ignored", reason=f"inconsistent unit {unit!r}")
            elif comparator:
                m.problem(ref, "valueQuantity.comparator", repr(comparator), "an exact value")
                m.use(ref, "ignored", reason="not an exact value")
            else:
                read.append((when, ref, round(number * factors[unit], 6)))
        if not read:
            continue
        before = [r for r in read if start_day is None or r[0].day <= start_day]
        if before:
            chosen_key = max(r[0].key for r in before)
        else:
            chosen_key = min(r[0].key for r in read)
        chosen = [r for r in read if r[0].key == chosen_key]
        values = {r[2] for r in chosen}
        if len(values) > 1:
            for when, ref, value in chosen:
                m.problem(ref, "valueQuantity", f"{value:g} {canonical} at {when.text}",
                          f"one {name} at a time: " + " and ".join(r[1] for r in chosen) + " disagree; neither is used")
                m.use(ref, "ignored", reason=f"conflicting {name} at the same time")
        else:
            when, ref, value = chosen[0]
            document[name] = value
            m.use(ref, "mapped", (name,), f"measured {when.text}")
            if not before:
                m.problem(ref, "effective[x]", when.text, f"a {name} on or before the start ({start_day}); "
                          "the first one after it was used", "warning")
            elif name in STALE_AFTER_DAYS and start_day and (start_day - when.day).days > STALE_AFTER_DAYS[name]:
                m.problem(ref, "effective[x]", f"{when.text}, {(start_day - when.day).days} days before the start",
                          f"a {name} from the {STALE_AFTER_DAYS[name]} days before the start ({start_day}); "
                          "it was used", "warning")
            for _, other, _ in chosen[1:]:
                m.use(other, "ignored", reason=f"the same {name} as {ref}")
        for when, ref, value in read:
            if ref not in m.uses:
                m.use(ref, "ignored", reason=f"another {name} ({when.text}) than the one used")


def tdm_samples(m, document: dict, samples: list, administrations: list) -> None:
    """``tdm``: each imatinib level with the last imatinib dose before it."""
    doses = []
    for ref, res, code in administrations:
        when, _ = R.effective(res)
        per_dose, why = R.dose_mg((res.get("dosage") or {}).get("dose"), code)
        if when is None or not when.has_time:
            m.problem(ref, "effective[x]", "missing or without a time of day", "the time the dose was taken")
            m.use(ref, "ignored", reason="no dose time")
            continue
        doses.append((when, ref, per_dose, why))
    doses.sort(key=lambda d: d[0].key)
    used_doses = set()
    tdm = []
    for ref, res in samples:
        when, _ = R.effective(res)
        number, unit, comparator = R.quantity(res.get("valueQuantity"))
        if when is None or not when.has_time:
            m.problem(ref, "effectiveDateTime", "missing" if when is None else f"{when.text} (no time of day)",
                      "the sample's date and time")
            m.use(ref, "ignored", reason="no effective time")
            continue
        if number is None:
            m.problem(ref, "valueQuantity", repr(res.get("valueQuantity") or res.get("dataAbsentReason")),
                      "a concentration")
            m.use(ref, "ignored", reason="no value")
            continue
        if unit in _NG_PER_ML_ALIASES:
            unit_out = _NG_PER_ML_ALIASES[unit]
        elif normalise_unit(unit):
            unit_out = _PREFERRED_UNIT[normalise_unit(unit)]
        else:
            m.problem(ref, "valueQuantity.unit", repr(R.unit_as_written(res.get("valueQuantity"))), "a concentration unit: ng/mL, ug/L, ug/mL, mg/L, nmol/L "
                      "or umol/L")
            m.use(ref, "ignored", reason=f"inconsistent unit {unit!r}")
            continue
        if comparator not in (None, "<", "<="):
            m.problem(ref, "valueQuantity.comparator", repr(comparator), "an exact value or '<' (below the LOQ)")
            m.use(ref, "ignored", reason="not an exact value")
            continue
        prior = [d for d in doses if d[0].key <= when.key]
        if not prior:
            m.problem(ref, "effectiveDateTime", when.text, "an imatinib MedicationAdministration at or before the "
                      "sample (its time is the last dose time tdm.csv requires)")
            m.use(ref, "ignored", reason="no imatinib dose recorded before the sample")
            continue
        dose_when, dose_ref, dose_mg, why = prior[-1]
        if dose_mg is None:
            m.problem(dose_ref, "dosage.dose", why or "missing", "the dose in mg")
            m.use(ref, "ignored", reason=f"the last dose before it ({dose_ref}) has no dose in mg")
            continue
        sample = {"sample_time": R.iso_time(when), "last_dose_time": R.iso_time(dose_when), "dose_mg": dose_mg,
                  "concentration": number, "unit": unit_out}
        if comparator:
            sample["below_loq"] = True
        tdm.append(sample)
        used_doses.add(dose_ref)
        m.use(ref, "mapped", ("tdm",), f"sampled {when.text}, last dose {dose_ref}")
    for when, ref, _, _ in doses:
        if ref in used_doses:
            m.use(ref, "mapped", ("tdm",), "the last dose before a sample")
        else:
            m.use(ref, "ignored", reason="not the last dose before a concentration sample")
    if tdm:
        document["tdm"] = sorted(tdm, key=lambda s: s["sample_time"])


def genotypes_of(m, document: dict, variants: list) -> None:
    """``genotypes``: catalogue rsID -> genotype from the Variant Observations."""
    catalogue = catalogue_alleles()
    calls: dict[str, list[tuple[str, str]]] = {}
    for ref, res in variants:
        call = variant_call(res, catalogue)
        if call.rsid is None or call.rsid not in catalogue:
            if call.rsid is None:
                m.problem(ref, "component", "no dbSNP rsID", "a variation-code component (81252-9) with a dbSNP rsID")
            m.use(ref, "ignored", reason=call.problem or "not a catalogue variant")
            continue
        if call.problem:
            m.problem(ref, "component", call.problem, f"a called genotype of {call.rsid}")
        calls.setdefault(call.rsid, []).append((ref, call.genotype))
    genotypes = {}
    for rsid, found in calls.items():
        distinct = {g for _, g in found}
        if len(distinct) > 1:
            for ref, g in found:
                m.problem(ref, "component", f"{rsid} {g}", "one genotype per variant: " +
                          " and ".join(r for r, _ in found) + " disagree; read as a no-call")
                m.use(ref, "ignored", reason=f"conflicting genotypes of {rsid}")
            genotypes[rsid] = "./."
        else:
            genotypes[rsid] = distinct.pop()
            for ref, g in found:
                m.use(ref, "mapped", (f"genotypes.{rsid}",), f"{rsid} {g}")
    document["genotypes"] = {r: genotypes[r] for r in catalogue if r in genotypes}

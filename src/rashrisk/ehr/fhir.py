"""A FHIR R4 Bundle of one patient -> the one-patient JSON document of docs/reports.md.

:func:`bundle_to_document` reads Patient, Observations (weight, height, albumin, red-cell count,
imatinib concentration, Genomics Reporting IG variants), the imatinib MedicationRequest and imatinib
MedicationAdministrations, and returns a :class:`FhirMapping`: the document (what
``rashrisk.scoring.inputs.scoring_input_from_document`` accepts), every problem naming its resource by
reference, and an account of every resource in the bundle (mapped, ignored with the reason, or
invalid). The document's values are then checked by the cohort contract like any other input, so a
value outside the contract's limits is rejected there with the contract's message.

Rules (docs/ehr.md has the table):

- The reference date is the imatinib start date (the earliest usable imatinib order's start), else
  ``reference_date``. Age is in completed years at that date.
- A measurement is the latest one on or before the start date, else the first one after it (a
  warning). Two different values at the same time are a conflict: neither is used.
- A concentration needs its effective time (with the time of day) and an imatinib
  MedicationAdministration at or before it for the last dose; otherwise it is reported, not used.
- Only the contract's vocabulary is produced: catalogue rsIDs, units converted to kg, cm, g/L,
  10^12/L and (for concentrations) the contract's units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from rashrisk.ehr import codes as C
from rashrisk.ehr import resources as R
from rashrisk.ehr.genomics import variant_call
from rashrisk.ehr.validate import resource_errors
from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.units import normalise_unit

_PREFERRED_UNIT = {"ng/ml": "ng/mL", "ug/ml": "ug/mL", "µg/ml": "ug/mL", "mg/l": "mg/L", "nmol/l": "nmol/L",
                   "umol/l": "umol/L", "µmol/l": "umol/L"}
# a measurement older than this before the start is used with a warning (height does not age)
STALE_AFTER_DAYS = {"weight_kg": 90, "albumin_g_l": 90, "rbc_10e12_l": 90}
_NG_PER_ML_ALIASES = {"ug/l": "ng/mL", "µg/l": "ng/mL", "mcg/l": "ng/mL"}  # 1 µg/L = 1 ng/mL


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one resource: ``level`` 'error' (a value could not be used) or 'warning'
    (used with an assumption, or a resource not used)."""

    reference: str   # 'Observation/abc', 'Bundle'
    field: str       # the FHIR element or the contract field
    value: str
    expected: str
    level: str = "error"

    @property
    def message(self) -> str:
        return f"{self.reference}, {self.field}: {self.value} ... expected {self.expected}"

    def to_dict(self) -> dict:
        return {"reference": self.reference, "field": self.field, "value": self.value, "expected": self.expected,
                "level": self.level, "message": self.message}


@dataclass(frozen=True)
class ResourceUse:
    reference: str
    status: str                      # 'mapped', 'ignored', 'invalid'
    fields: tuple[str, ...] = ()     # the document fields it gave
    reason: str = ""

    def to_dict(self) -> dict:
        return {"reference": self.reference, "status": self.status, "fields": list(self.fields), "reason": self.reason}


@dataclass
class FhirMapping:
    document: dict | None                         # None when the bundle has no single usable Patient
    problems: list[Problem] = field(default_factory=list)
    resources: list[ResourceUse] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def has_samples(self) -> bool:
        return bool(self.document and self.document.get("tdm"))

    def to_dict(self) -> dict:
        return {"document": self.document, "problems": [p.to_dict() for p in self.problems],
                "resources": [r.to_dict() for r in self.resources]}


class _Mapper:
    def __init__(self):
        self.problems: list[Problem] = []
        self.uses: dict[str, ResourceUse] = {}
        self.order: list[str] = []
        self.rank: dict[str, int] = {}

    def problem(self, ref, field_, value, expected, level="error"):
        self.problems.append(Problem(ref, field_, str(value), expected, level))

    def use(self, ref, status, fields=(), reason=""):
        if ref not in self.uses:
            self.order.append(ref)
        self.uses[ref] = ResourceUse(ref, status, tuple(fields), reason)

    def result(self, document) -> FhirMapping:
        ordered = sorted(self.order, key=lambda r: self.rank.get(r, len(self.rank)))  # bundle order
        return FhirMapping(document, self.problems, [self.uses[r] for r in ordered])


@lru_cache(maxsize=1)
def _catalogue_alleles() -> tuple[tuple[str, str, str], ...]:
    table = load_catalogue()
    return tuple(table[["rsid", "ref", "alt"]].itertuples(index=False, name=None))


def _catalogue() -> dict[str, tuple[str, str]]:
    """rsid -> (ref, alt) of the variant catalogue, in catalogue order."""
    return {r: (ref, alt) for r, ref, alt in _catalogue_alleles()}


def _age_years(birth: str, on: date) -> tuple[int | None, str | None]:
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


def bundle_to_document(bundle, *, reference_date: date | str | None = None, patient_id: str | None = None,
                       order: dict | None = None, ancestry: str | None = None, setting: str | None = None) -> FhirMapping:
    """Map a FHIR R4 Bundle of one patient to the one-patient JSON document.

    ``reference_date``: the start date when no imatinib order gives one (e.g. today for a draft order).
    ``patient_id``: the document's pseudonym (default: the Patient's logical id).
    ``order``: an imatinib MedicationRequest to add (a CDS Hooks draft order not in the bundle).
    ``ancestry``, ``setting``: contract fields FHIR R4 has no standard element for (passed through).
    Never raises on content: problems are returned."""
    m = _Mapper()
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        got = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle).__name__
        m.problem("Bundle", "resourceType", repr(got), "a FHIR R4 Bundle (resourceType 'Bundle')")
        return m.result(None)
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        m.problem("Bundle", "entry", type(entries).__name__, "a list of entries")
        return m.result(None)

    # 1. validate each resource; index the valid ones
    valid: list[tuple[str, dict, dict]] = []   # (reference, resource, entry)
    full_urls: dict[str, str] = {}
    seen: dict[str, dict] = {}
    resources_in = [(e, e.get("resource") if isinstance(e, dict) else None, i) for i, e in enumerate(entries)]
    order_ref = None
    if order is not None:  # read first: it supersedes an older version of itself in the bundle
        order_ref = R.reference_of(order)
        resources_in.insert(0, ({}, order, None))
    for entry, resource, i in resources_in:
        ref = R.reference_of(resource or {}, entry if isinstance(entry, dict) else None, i)
        m.rank.setdefault(ref if resource is not None else f"Bundle.entry[{i}]", len(m.rank))
        if not isinstance(entry, dict) or resource is None:
            m.problem(f"Bundle.entry[{i}]", "resource", "missing", "an entry with a resource")
            m.use(f"Bundle.entry[{i}]", "invalid", reason="entry without a resource")
            continue
        if ref in seen:
            if seen[ref] == resource:
                continue  # the same resource twice (e.g. the draft order also prefetched)
            if ref == order_ref:
                m.problem(ref, "(resource)", "another version of the order being placed",
                          "the order itself; the draft order was read", "warning")
                continue
            m.problem(ref, "id", "two different resources with this reference", "each resource once")
            m.use(ref, "invalid", reason="two different resources share this reference: neither is used")
            valid = [v for v in valid if v[0] != ref]
            continue
        seen[ref] = resource
        errors = resource_errors(resource)
        if errors:
            for path, message in errors:
                rtype = resource.get("resourceType") if isinstance(resource, dict) else None
                m.problem(ref, path, message, f"valid FHIR R4 ({rtype if isinstance(rtype, str) and rtype else 'resource'})")
            m.use(ref, "invalid", reason=f"not valid FHIR R4 ({len(errors)} error{'s' if len(errors) > 1 else ''})")
            continue
        valid.append((ref, resource, entry))
        if entry.get("fullUrl"):
            full_urls[str(entry["fullUrl"])] = ref

    # 2. the patient
    patients = [(ref, res, entry) for ref, res, entry in valid if res["resourceType"] == "Patient"]
    if len(patients) != 1:
        what = "no valid Patient" if not patients else f"{len(patients)} Patients ({', '.join(p[0] for p in patients)})"
        m.problem("Bundle", "entry", what, "exactly one Patient: a bundle holds one patient's data")
        for ref, _, _ in valid:
            m.use(ref, "ignored", reason="the bundle has no single patient")
        return m.result(None)
    patient_ref, patient, patient_entry = patients[0]
    targets = {patient_ref} | ({str(patient_entry["fullUrl"])} if patient_entry.get("fullUrl") else set())
    document: dict = {"patient_id": patient_id or patient.get("id") or patient_ref}
    patient_fields = []
    gender = patient.get("gender")
    document["sex"] = {"female": "F", "male": "M"}.get(gender)
    if document["sex"] is None:
        m.problem(patient_ref, "gender", repr(gender), "'female' or 'male' (the contract's sex F or M)")
    else:
        patient_fields.append("sex")

    # 3. classify every other resource
    weights, heights, albumins, rbcs = [], [], [], []
    buckets = {"weight_kg": weights, "height_cm": heights, "albumin_g_l": albumins, "rbc_10e12_l": rbcs}
    samples, variants, requests, administrations = [], [], [], []
    medications = {ref: res for ref, res, _ in valid if res["resourceType"] == "Medication"}

    def product_code(res) -> tuple[str | None, str]:
        concept = res.get("medicationCodeableConcept")
        if concept is None and isinstance(res.get("medicationReference"), dict):
            target = str(res["medicationReference"].get("reference") or "")
            if target.startswith("#"):
                contained = {c.get("id"): c for c in res.get("contained") or [] if isinstance(c, dict)}
                concept = (contained.get(target[1:]) or {}).get("code")
            else:
                med_ref = full_urls.get(target) or "/".join(target.split("/")[-2:])
                if med_ref in medications:
                    concept = medications[med_ref].get("code")
                    m.use(med_ref, "mapped", ("start_dose_mg",), "the product of an imatinib order")
        return C.imatinib_code(concept), C.describe(concept) if concept is not None else "no medication code"

    for ref, res, _ in valid:
        rtype = res["resourceType"]
        if rtype in ("Patient", "Medication"):
            continue
        if rtype in ("Observation", "MedicationRequest", "MedicationAdministration"):
            subject = res.get("subject")
            if not R.refers_to(subject, targets):
                shown = subject.get("reference") if isinstance(subject, dict) else None
                m.problem(ref, "subject", repr(shown), f"a reference to the bundle's patient ({patient_ref})")
                m.use(ref, "ignored", reason="not about the bundle's patient")
                continue
        if rtype == "Observation":
            code = res.get("code")
            status = res.get("status")
            kind = next((f for f, (codes, _, _) in C.MEASUREMENTS.items() if C.has_code(code, C.LOINC, codes)), None)
            if C.has_code(code, C.LOINC, C.IMATINIB_LEVEL_CODES):
                kind = "tdm"
            elif C.has_code(code, C.LOINC, {C.VARIANT_CODE}):
                kind = "genotype"
            elif C.has_code(code, C.LOINC, {C.GENOTYPE_CODE, C.HAPLOTYPE_CODE}):
                m.use(ref, "ignored", reason="a genotype or haplotype call (star alleles) is not mapped: rashrisk "
                                             "reads Variant Observations (69548-6) with a dbSNP rsID")
                m.problem(ref, "code", C.describe(code), "a Variant Observation (LOINC 69548-6) per catalogue rsID; "
                          "genotype/haplotype names are not mapped", "warning")
                continue
            if kind is None:
                m.use(ref, "ignored", reason=f"unmapped code {C.describe(code)}")
                m.problem(ref, "code", C.describe(code), "one of the LOINC codes rashrisk reads (docs/ehr.md)", "warning")
                continue
            if status not in C.USABLE_OBSERVATION_STATUS:
                m.use(ref, "ignored", reason=f"status {status!r} is not a final result")
                m.problem(ref, "status", repr(status), "final, amended or corrected", "warning")
                continue
            if kind == "genotype":
                variants.append((ref, res))
            elif kind == "tdm":
                samples.append((ref, res))
            else:
                buckets[kind].append((ref, res))
        elif rtype in ("MedicationRequest", "MedicationAdministration"):
            code, shown = product_code(res)
            if code is None:
                text = shown.lower() + " " + str((res.get("medicationCodeableConcept") or {}).get("text") or "").lower()
                if any(name in text for name in ("imatinib", "gleevec", "glivec")):
                    m.problem(ref, "medicationCodeableConcept", shown,
                              "an RxNorm code of imatinib or one of its products (" + ", ".join(C.IMATINIB_RXNORM) + ")")
                m.use(ref, "ignored", reason=f"not an imatinib {rtype} ({shown})")
                continue
            status = res.get("status")
            usable = C.USABLE_REQUEST_STATUS if rtype == "MedicationRequest" else {"completed", "in-progress"}
            if status not in usable:
                m.use(ref, "ignored", reason=f"status {status!r}")
                m.problem(ref, "status", repr(status), "one of " + ", ".join(sorted(usable)), "warning")
                continue
            (requests if rtype == "MedicationRequest" else administrations).append((ref, res, code))
        else:
            m.use(ref, "ignored", reason=f"{rtype} is not read by rashrisk")

    # 4. the imatinib start: the earliest usable order
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

    # 5. age
    birth = patient.get("birthDate")
    if not birth:
        m.problem(patient_ref, "birthDate", "missing", "the birth date (age_years at the imatinib start)")
        document["age_years"] = None
    elif start_day is None:
        m.problem(patient_ref, "birthDate", birth, "a start date to compute the age at (no imatinib order)")
        document["age_years"] = None
    else:
        age, note = _age_years(str(birth), start_day)
        document["age_years"] = age
        if age is None:
            m.problem(patient_ref, "birthDate", repr(birth), "a date YYYY-MM-DD")
        else:
            patient_fields.append("age_years")
            if note:
                m.problem(patient_ref, "birthDate", note, "a full birth date", "warning")
    m.use(patient_ref, "mapped", tuple(patient_fields), "the patient")

    # 6. measurements
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

    # 7. TDM samples: concentration + the last imatinib dose before it
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

    # 8. genotypes
    catalogue = _catalogue()
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
    for key, value in (("ancestry", ancestry), ("setting", setting)):
        if value is not None:
            document[key] = value
    return m.result(document)

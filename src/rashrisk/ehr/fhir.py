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

from rashrisk.ehr import codes as C
from rashrisk.ehr import fields as F
from rashrisk.ehr import resources as R
from rashrisk.ehr.validate import resource_errors

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
    # the envelope (type, entry.fullUrl, ...) without the resources, which are validated one by one
    envelope = {**bundle, "entry": [{k: v for k, v in e.items() if k != "resource"} if isinstance(e, dict) else e
                                    for e in entries]}
    for path, message in resource_errors(envelope):
        if not path.startswith("entry[") or isinstance(entries[int(path[6:path.index("]")])], dict):
            m.problem("Bundle", path, message, "a valid FHIR R4 Bundle (the resources were still read)", "warning")

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

    # 4-8: the fields (rashrisk.ehr.fields)
    start_day = F.start_order(m, document, requests, reference_date, order_ref, patient_ref)
    F.age(m, document, patient_ref, patient, start_day, patient_fields)
    F.measurements(m, document, buckets, start_day)
    F.tdm_samples(m, document, samples, administrations)
    F.genotypes_of(m, document, variants)
    for ref in medications:
        if ref not in m.uses:
            m.use(ref, "ignored", reason="not the product of an imatinib order or dose")
    for key, value in (("ancestry", ancestry), ("setting", setting)):
        if value is not None:
            document[key] = value
    return m.result(document)

"""The clinician page's form: its fields, the one-patient JSON document they make, and the contract's
messages mapped back to the fields.

The form only *builds* the document (docs/reports.md, "One-patient JSON document"); every value is
checked by the contract itself: :func:`rashrisk.scoring.inputs.scoring_input_from_document` (the
cohort loader's rules through ``Cohort.from_frames``) and
:func:`rashrisk.scoring.patient_json.check_skin_record`. Their findings and messages are mapped back to
the form field they concern (:func:`check_form`); nothing here re-implements a rule. The only values
the form reads itself are its own conveniences: "hours after the dose" (turned into the last-dose time
the document takes) and a blank sample dose (the start dose).

Field names (the HTML ``name`` of each control) are the document's names where there is one:
``patient_id``, ``sex``, ``age_years``, ... ``start_date``; ``genotype_<rsid>`` per catalogue variant;
``tdm<k>_<field>`` for sample ``k`` (1-based: ``sample_time``, ``last_dose_time``, ``hours_after_dose``,
``dose_mg``, ``concentration``, ``unit``, ``below_loq``); ``skin_<field>`` for the skin record
(``rash_grade``, ``recurrent`` and the six red flags); ``stage`` and ``trough_threshold``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from rashrisk.errors import CohortError
from rashrisk.scoring.inputs import ScoringInput, scoring_input_from_document
from rashrisk.scoring.patient_json import SKIN_RED_FLAGS, check_patient_document, check_skin_record

FORM_SOURCE = "clinic form"  # how the contract's messages name the form: 'patients (clinic form), column ...'
TDM_SLOTS = 3  # sample rows shown on the form; blank rows are left out of the document
MAX_UPLOAD_BYTES = 1_000_000
NOT_TESTED = ""
COHORT_QC_RULES = ("genotype.",)  # genotype QC of a cohort (call rate, allele frequency, HWE): not shown for one patient  # the genotype choice "not tested": left out of the document, i.e. a no-call

PATIENT_LABELS = {
    "patient_id": "Pseudonym",
    "sex": "Sex",
    "age_years": "Age (years)",
    "weight_kg": "Weight (kg)",
    "height_cm": "Height (cm)",
    "albumin_g_l": "Albumin (g/L)",
    "rbc_10e12_l": "Red-cell count (10^12/L)",
    "ancestry": "Ancestry",
    "setting": "Treatment setting",
    "start_dose_mg": "Imatinib start dose (mg/day)",
    "start_date": "Imatinib start date",
}
# choices of the select fields, as the contract spells them ("" = not given)
SEX_CHOICES = (("F", "female"), ("M", "male"))
ANCESTRY_CHOICES = (("EAS", "East Asian"), ("EUR", "European"), ("AFR", "African"), ("SAS", "South Asian"),
                    ("AMR", "admixed American"), ("OTH", "other"))
SETTING_CHOICES = (("adjuvant", "adjuvant (after resection)"), ("advanced", "advanced or metastatic"))
UNIT_CHOICES = ("ng/mL", "ug/mL", "mg/L", "nmol/L", "umol/L")
TDM_LABELS = {
    "sample_time": "Sample taken at",
    "last_dose_time": "Last dose taken at",
    "hours_after_dose": "or hours after the last dose",
    "dose_mg": "Dose taken (mg)",
    "concentration": "Imatinib concentration",
    "unit": "Unit",
    "below_loq": "Below the limit of quantification",
}
SKIN_LABELS = {
    "rash_grade": "Current rash grade (CTCAE v5.0)",
    "recurrent": "Grade 2 rash that came back",
    "mucosal_involvement": "Mucosal involvement (mouth, eyes or genitals)",
    "blistering_or_detachment": "Blistering or skin detachment",
    "fever": "Fever",
    "facial_oedema": "Facial oedema",
    "lymphadenopathy": "Enlarged lymph nodes",
    "eosinophilia_or_organ_involvement": "Eosinophilia, or liver or kidney involvement",
}
GRADE_CHOICES = (("0", "0: no rash"), ("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"))
FLAG_CHOICES = (("present", "present"), ("absent", "checked, absent"), ("", "not recorded"))
RECURRENT_CHOICES = (("yes", "yes"), ("no", "no"), ("", "not recorded"))
STAGE_CHOICES = (("auto", "automatic: after the first trough when a sample is entered, else at imatinib start"),
                 ("start", "at imatinib start"), ("tdm", "after the first trough (TDM)"))
THRESHOLD_CHOICES = (("1100", "1,100 ng/mL (Demetri 2009, default)"), ("760", "760 ng/mL (Bouchet)"))
OTHER_LABELS = {"stage": "Estimate", "trough_threshold": "Trough threshold", "document": "One-patient JSON document"}


@dataclass(frozen=True)
class FieldMessage:
    """One message for the form: ``field`` is the control's name (None: the form as a whole)."""

    field: str | None
    label: str
    message: str
    level: str = "error"  # "error" (the patient cannot be scored as entered) | "warning"


@dataclass
class FormCheck:
    """What the submitted form (or uploaded document) gave: the document, the contract's messages per
    field, and the scoring input when no error stops it."""

    document: dict | None
    errors: list[FieldMessage] = field(default_factory=list)
    warnings: list[FieldMessage] = field(default_factory=list)
    scoring_input: ScoringInput | None = None
    skin: dict | None = None
    stage: str = "auto"
    trough_threshold: str = "1100"

    @property
    def ok(self) -> bool:
        return not self.errors and self.scoring_input is not None

    def by_field(self) -> dict[str, list[FieldMessage]]:
        found: dict[str, list[FieldMessage]] = {}
        for message in [*self.errors, *self.warnings]:
            if message.field:
                found.setdefault(message.field, []).append(message)
        return found


@lru_cache(maxsize=1)
def catalogue_variants() -> tuple[dict, ...]:
    """The variant catalogue as the form lists it: gene, rsID and the three genotypes (reference
    homozygote, heterozygote, alternate homozygote) in the catalogue's allele letters."""
    from rashrisk.genotype.catalogue import load_catalogue

    out = []
    for row in load_catalogue().itertuples(index=False):
        ref, alt = row.ref, row.alt
        verified = str(getattr(row, "coordinates_verified", "yes")).strip().lower() != "no"
        out.append({"rsid": row.rsid, "gene": row.gene, "ref": ref, "alt": alt,
                    "choices": (f"{ref}/{ref}", f"{ref}/{alt}", f"{alt}/{alt}"),
                    "field": f"genotype_{row.rsid}",
                    # the catalogue's own caveat: position and alleles not checked against two sources
                    "hint": None if verified else "alleles not verified: matched by rsID, counted by allele letter"})
    return tuple(out)


def field_label(name: str) -> str:
    """The label the page shows for the control ``name``."""
    if name in PATIENT_LABELS:
        return PATIENT_LABELS[name]
    if name in OTHER_LABELS:
        return OTHER_LABELS[name]
    if name.startswith("genotype_"):
        rsid = name.removeprefix("genotype_")
        gene = next((v["gene"] for v in catalogue_variants() if v["rsid"] == rsid), "")
        return f"{gene} {rsid} genotype".strip()
    found = re.fullmatch(r"tdm(\d+)_(\w+)", name)
    if found:
        return f"Sample {found.group(1)}: {TDM_LABELS.get(found.group(2), found.group(2))}"
    if name.startswith("skin_"):
        return f"Skin: {SKIN_LABELS.get(name.removeprefix('skin_'), name)}"
    return name


def _text(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    return "" if value is None else str(value).strip()


@dataclass
class _Built:
    document: dict
    errors: list[FieldMessage]
    genotype_rows: list[str]  # genotypes table row -> rsid
    tdm_slots: list[int]  # tdm table row -> form sample number
    hours_slots: set[int]  # samples whose last-dose time the form computed from hours after the dose
    unparsed_sample_slots: set[int]  # samples whose hours could not be applied: the sample time is not a date-time
    skin: dict | None


def _skin_value(value: str, choices: dict):
    return choices[value] if value in choices else value  # an unknown value goes to the contract as typed


def _skin_record(form: Mapping[str, str]) -> dict | None:
    """The skin record of the form; None when nothing at all is recorded (no record: the report shows the
    red-flag screen as a checklist)."""
    grade = _text(form, "skin_rash_grade")
    recurrent = _text(form, "skin_recurrent")
    flags = {flag: _text(form, f"skin_{flag}") for flag in SKIN_RED_FLAGS}
    if not grade and not recurrent and not any(flags.values()):
        return None
    record: dict = {"rash_grade": (int(grade) if grade.isdigit() else grade) if grade else None,
                    "recurrent": _skin_value(recurrent, {"yes": True, "no": False, "": None})}
    for flag, value in flags.items():
        record[flag] = _skin_value(value, {"present": True, "absent": False, "": None})
    return record


def _last_dose_from_hours(sample_time: str, hours_text: str, slot: int, errors: list) -> str | None:
    """The last-dose time ``hours_text`` hours before ``sample_time`` in the sample time's own form
    (None when it cannot be computed; a message is added only for the hours themselves)."""
    name = f"tdm{slot}_hours_after_dose"
    try:
        hours = float(hours_text.replace(",", "."))
    except ValueError:
        hours = math.nan
    if not math.isfinite(hours):
        errors.append(FieldMessage(name, field_label(name), f"{hours_text!r} ... expected a number of hours "
                                   "between the last dose and the sample (e.g. 24)"))
        return None
    try:
        sampled = dt.datetime.fromisoformat(sample_time)
    except ValueError:
        return None  # the contract names the sample time itself
    return (sampled - dt.timedelta(hours=hours)).isoformat(timespec="minutes")


def _build(form: Mapping[str, str]) -> _Built:
    errors: list[FieldMessage] = []
    document: dict = {}
    for name in PATIENT_LABELS:
        value = _text(form, name)
        if value:
            document[name] = value
    genotypes = {}
    for variant in catalogue_variants():
        value = _text(form, variant["field"])
        if value and value != NOT_TESTED:
            genotypes[variant["rsid"]] = value
    document["genotypes"] = genotypes
    samples, slots, hours_slots, unparsed = [], [], set(), set()
    for slot in range(1, TDM_SLOTS + 1):
        entered = {f: _text(form, f"tdm{slot}_{f}") for f in TDM_LABELS}
        if not any(entered[f] for f in ("sample_time", "last_dose_time", "hours_after_dose", "concentration")):
            continue  # a blank sample row (its dose and unit have defaults)
        sample = {"sample_time": entered["sample_time"], "last_dose_time": entered["last_dose_time"],
                  "dose_mg": entered["dose_mg"] or document.get("start_dose_mg", ""),
                  "concentration": entered["concentration"], "unit": entered["unit"]}
        if entered["hours_after_dose"]:
            name = f"tdm{slot}_hours_after_dose"
            if entered["last_dose_time"]:
                errors.append(FieldMessage(name, field_label(name), "give the last-dose time or the hours after the "
                                           "dose, not both"))
            else:
                hours_slots.add(slot)
                computed = _last_dose_from_hours(entered["sample_time"], entered["hours_after_dose"], slot, errors)
                if computed is None:
                    unparsed.add(slot)
                sample["last_dose_time"] = computed or ""
        if entered["below_loq"]:
            sample["below_loq"] = entered["below_loq"]
        samples.append(sample)
        slots.append(slot)
    if samples:
        document["tdm"] = samples
    skin = _skin_record(form)
    if skin is not None:
        document["skin"] = skin
    return _Built(document, errors, list(genotypes), slots, hours_slots, unparsed, skin)


def form_document(form: Mapping[str, str]) -> dict:
    """The one-patient JSON document the form's fields make (unchecked: :func:`check_form` checks it).
    Blank fields are left out; "not tested" genotypes are left out (a no-call); blank sample rows are
    left out; a blank sample dose is the start dose; hours after the dose become the last-dose time."""
    return _build(form).document


_FIELD_IN_MESSAGE = re.compile(r"field '(\w+)'")


def _shape_error(exc: CohortError, *, skin: bool = False) -> FieldMessage:
    """A shape error of the document or skin record (one message, naming its field) on that field."""
    message = str(exc)
    names = _FIELD_IN_MESSAGE.findall(message)
    name = None
    if names:
        key = names[-1]
        name = f"skin_{key}" if skin or (names[0] == "skin" and key != "skin") else key
        if name not in PATIENT_LABELS and not name.startswith("skin_"):
            name = None
    return FieldMessage(name, field_label(name) if name else "Form", message)


def _short(message: str, file: str) -> str:
    """The contract's message without its location ('<file>, column c, row 0: '), which the form shows by
    the field itself: what was given and what was expected, in the contract's words."""
    if message.startswith(file):
        head, sep, rest = message.partition(": ")
        if sep:
            return rest
    return message


def shown_findings(findings) -> list:
    """The findings worth showing for one patient: without the cohort's genotype QC (call rate, allele
    frequency, Hardy-Weinberg: nothing to say about one patient), and, when the patient's own row was
    rejected, without the consequences (no patient accepted; genotype and sample rows of a rejected patient)."""
    findings = list(findings)
    patient_rejected = any(f.level == "error" and f.file.startswith("patients") for f in findings)
    out = []
    for finding in findings:
        rule = finding.rule or ""
        if rule.startswith(COHORT_QC_RULES):
            continue
        if patient_rejected and (rule == "file.no_patients"
                                 or rule.endswith((".patient_id.accepted", ".patient_id.known"))):
            continue
        out.append(finding)
    return out


def _row_messages(cohort, table: str, row: int, finding) -> list[str]:
    """The contract's messages of ``finding``'s rule for one row of a table, each naming that row alone
    (the row record of ``Cohort.input_rows``); the finding's own message when it concerns that row only."""
    if len(finding.lines) <= 1:
        return [finding.message]
    rows = cohort.input_rows.get(table)
    if rows is None:
        return [finding.message]
    positions = rows.line.tolist()  # the DataFrame row position of each row read
    if row not in positions:
        return [finding.message]
    i = positions.index(row)
    if finding.level == "error":
        parts = re.split(rf"; (?={re.escape(rows.table)}, )", rows.reason(i)) if rows.reason(i) else []
    else:
        parts = list(rows.warnings.get(i, []))
    expected = finding.message.rpartition("expected ")[2]
    prefix = f"{rows.table}, column {finding.column}, "
    found = [p for p in parts if p.startswith(prefix) and p.endswith(expected)]
    return found or [finding.message]


def _map_findings(cohort, built: _Built, errors: list, warnings: list) -> None:
    """The cohort loader's findings on the form's tables, each on the field(s) it concerns."""
    seen = set()
    for finding in shown_findings(cohort.report.findings):
        table = finding.file.split(" ", 1)[0].split(".", 1)[0]
        out = errors if finding.level == "error" else warnings
        placed: list[tuple[str | None, str]] = []  # (field, message)
        skipped = False
        if table == "patients" and finding.column in PATIENT_LABELS:
            placed = [(finding.column, finding.message)]
        elif table == "genotypes" and finding.column in ("genotype", "rsid"):
            placed = [(f"genotype_{built.genotype_rows[i]}", m) for i in finding.lines
                      if 0 <= i < len(built.genotype_rows) for m in _row_messages(cohort, table, i, finding)]
        elif table == "tdm" and finding.column in TDM_LABELS:
            for i in finding.lines:
                if not 0 <= i < len(built.tdm_slots):
                    continue
                slot, column = built.tdm_slots[i], finding.column
                note = ""
                if column == "last_dose_time" and slot in built.hours_slots:
                    if slot in built.unparsed_sample_slots:
                        skipped = True
                        continue  # the sample time's own message says why no last-dose time could be computed
                    column, note = "hours_after_dose", "the last-dose time computed from the hours: "
                placed += [(f"tdm{slot}_{column}", note + _short(m, finding.file))
                           for m in _row_messages(cohort, table, i, finding)]
        if not placed and not skipped:
            placed = [(None, finding.message)]
        for name, message in placed:
            text = message if name is None else _short(message, finding.file)
            if (name, text) in seen:
                continue
            seen.add((name, text))
            out.append(FieldMessage(name, field_label(name) if name else "Form", text, finding.level))


def _checked(document: dict, built: _Built | None, *, name: str, source: str, stage: str, threshold: str,
             pre_errors: list[FieldMessage], document_field: str | None = None) -> FormCheck:
    check = FormCheck(document=document, errors=list(pre_errors), stage=stage, trough_threshold=threshold)
    skin = document.get("skin")
    body = dict(document)
    if skin is not None:
        try:
            check.skin = check_skin_record(skin, f"{source}: field 'skin'")
            body["skin"] = check.skin
        except CohortError as exc:
            message = _shape_error(exc, skin=built is not None)
            if built is not None:  # by its control: what was given and what was expected
                message = FieldMessage(message.field, message.label, message.message.rpartition("field 'skin': ")[2])
            if document_field:
                message = FieldMessage(document_field, field_label(document_field), message.message)
            check.errors.append(message)
            body.pop("skin")
    try:
        found = scoring_input_from_document(body, name=name, source=source)
    except CohortError as exc:
        message = _shape_error(exc) if built is not None else FieldMessage(document_field, field_label(document_field),
                                                                           str(exc))
        check.errors.append(message)
        return check
    if built is not None:
        _map_findings(found.cohort, built, check.errors, check.warnings)
    else:  # an uploaded document: its messages name its own fields and rows
        for finding in shown_findings(found.cohort.report.findings):
            target = check.errors if finding.level == "error" else check.warnings
            target.append(FieldMessage(document_field, field_label(document_field), finding.message, finding.level))
    if not check.errors:
        check.scoring_input = found
    return check


def check_form(form: Mapping[str, str]) -> FormCheck:
    """The form's fields -> the document, checked by the contract; messages on the fields they concern."""
    built = _build(form)
    return _checked(built.document, built, name="clinic", source=FORM_SOURCE, stage=_text(form, "stage") or "auto",
                    threshold=_text(form, "trough_threshold") or "1100", pre_errors=built.errors)


def read_upload(filename: str, data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> dict:
    """An uploaded one-patient JSON document, parsed and checked for shape; a CohortError naming the file
    (and where its JSON breaks) otherwise."""
    name = filename or "uploaded document"
    if not data:
        raise CohortError(f"{name}: no document was uploaded (the file is empty); expected a one-patient JSON document")
    if len(data) > max_bytes:
        raise CohortError(f"{name}: {len(data):,} bytes; expected a one-patient JSON document of at most "
                          f"{max_bytes:,} bytes")
    try:
        parsed = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CohortError(f"{name}: not UTF-8 text; expected a one-patient JSON document") from None
    except json.JSONDecodeError as exc:
        raise CohortError(f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return check_patient_document(parsed, name)


def check_upload(filename: str, data: bytes, *, stage: str = "auto", threshold: str = "1100",
                 max_bytes: int = MAX_UPLOAD_BYTES) -> FormCheck:
    """An uploaded document checked by the contract: messages name the file, and all go on the upload field."""
    name = filename or "uploaded document"
    try:
        document = read_upload(name, data, max_bytes=max_bytes)
    except CohortError as exc:
        return FormCheck(None, [FieldMessage("document", field_label("document"), str(exc))], stage=stage,
                         trough_threshold=threshold)
    stem = name.rsplit(".", 1)[0] or "patient"
    return _checked(document, None, name=stem, source=name, stage=stage, threshold=threshold, pre_errors=[],
                    document_field="document")


def check_document(document: dict, *, stage: str = "auto", threshold: str = "1100",
                   source: str = FORM_SOURCE) -> FormCheck:
    """A document the page built or received before (the download buttons send it back) checked again."""
    return _checked(document, None, name="clinic", source=source, stage=stage, threshold=threshold, pre_errors=[],
                    document_field="document")


def resolved_stage(check: FormCheck) -> str:
    """'start' or 'tdm': the form's choice, and for 'automatic' the TDM stage when a sample was entered."""
    if check.stage in ("start", "tdm"):
        return check.stage
    return "tdm" if (check.document or {}).get("tdm") else "start"

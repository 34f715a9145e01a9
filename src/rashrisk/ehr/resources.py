"""Small readers of FHIR R4 JSON elements shared by the mapping: references, times, quantities, doses.

Everything here works on the parsed JSON (dicts), after ``rashrisk.ehr.validate`` has checked the
structure, and returns values or a reason why not, never raising on bad content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from rashrisk.ehr import codes as C

_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def reference_of(resource: dict, entry: dict | None = None, index: int | None = None) -> str:
    """'Observation/abc' (type/id), else the entry's fullUrl, else 'Bundle.entry[i]'."""
    rtype = resource.get("resourceType") if isinstance(resource, dict) else None
    rid = resource.get("id") if isinstance(resource, dict) else None
    if rtype and rid:
        return f"{rtype}/{rid}"
    if entry and entry.get("fullUrl"):
        return str(entry["fullUrl"])
    return f"Bundle.entry[{index}]" if index is not None else str(rtype or "resource")


def refers_to(reference, targets: set[str]) -> bool:
    """Whether a Reference dict points at one of ``targets`` ('Patient/p1', a fullUrl): relative,
    absolute (``.../Patient/p1``, with or without ``/_history/n``) or the fullUrl itself."""
    if not isinstance(reference, dict):
        return False
    ref = str(reference.get("reference") or "")
    if not ref:
        return False
    if ref in targets:
        return True
    ref = re.sub(r"/_history/[^/]+$", "", ref)
    tail = "/".join(ref.rstrip("/").split("/")[-2:])
    return tail in targets


@dataclass(frozen=True)
class When:
    text: str               # as written
    day: date               # the local calendar day written
    key: datetime           # sort key: UTC when an offset is written, else the local time as naive UTC
    has_time: bool


def parse_when(text) -> When | None:
    """A FHIR date or dateTime ('2025-03-17', '2025-03-17T08:00:00+01:00'); None when unreadable.
    A partial date (year, year-month) is placed on its first day."""
    if not isinstance(text, str) or not text:
        return None
    if _DATE.match(text):
        parts = [int(p) for p in text.split("-")] + [1, 1]
        try:
            day = date(parts[0], parts[1], parts[2])
        except ValueError:
            return None
        return When(text, day, datetime(day.year, day.month, day.day), False)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    key = moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
    return When(text, moment.date(), key, True)


def effective(resource: dict) -> tuple[When | None, str]:
    """The effective time of an Observation or MedicationAdministration and the element it came from."""
    for name in ("effectiveDateTime", "effectiveInstant"):
        if resource.get(name):
            return parse_when(resource[name]), name
    period = resource.get("effectivePeriod")
    if isinstance(period, dict) and period.get("start"):
        return parse_when(period["start"]), "effectivePeriod.start"
    return None, ""


def iso_time(when: When) -> str:
    """The time as the contract's tdm.csv holds it: 'YYYY-MM-DDTHH:MM:SS' plus the offset when written."""
    moment = datetime.fromisoformat(when.text.replace("Z", "+00:00"))
    return moment.isoformat(timespec="seconds")


def unit_as_written(value) -> str:
    """The unit of a Quantity as the resource writes it (for messages)."""
    if not isinstance(value, dict):
        return ""
    return str(value.get("unit") or value.get("code") or "")


def quantity(value) -> tuple[float | None, str, str | None]:
    """(number, unit key in lower case (UCUM code when the system is UCUM, else the unit text), comparator)."""
    if not isinstance(value, dict):
        return None, "", None
    number = value.get("value")
    try:
        number = float(number) if number is not None and not isinstance(number, bool) else None
    except (TypeError, ValueError):
        number = None
    unit = value.get("code") if value.get("system") == C.UCUM and value.get("code") else (value.get("unit") or value.get("code") or "")
    return number, str(unit).strip().lower(), value.get("comparator")


# timing codes of HL7 v3 GTSAbbreviation that name a daily frequency
_TIMING_CODES = {"QD": 1.0, "BID": 2.0, "TID": 3.0, "QID": 4.0, "AM": 1.0, "PM": 1.0}
_PERIOD_DAYS = {"d": 1.0, "h": 1 / 24, "min": 1 / 1440, "wk": 7.0}
_TABLET_UNITS = {"tab", "tablet", "tablets", "{tbl}", "{tablet}", "{tablets}", "1"}


def dose_mg(dose, product_code: str | None) -> tuple[float | None, str | None]:
    """(mg per administration, why not) from a doseQuantity: mg, g, or tablets of a product whose
    strength the RxNorm code gives."""
    number, unit, _ = quantity(dose)
    if number is None:
        return None, f"dose {dose!r} has no number"
    if unit == "mg":
        return number, None
    if unit == "g":
        return number * 1000.0, None
    if unit in _TABLET_UNITS or (isinstance(dose, dict) and dose.get("code") == "TAB"):
        strength = C.IMATINIB_RXNORM.get(product_code or "", (None, None))[1]
        if strength is None:
            return None, (f"dose {number:g} {unit or 'tablets'} of a product without a known tablet strength "
                          f"(RxNorm {product_code}); expected the dose in mg or a coded tablet product")
        return number * strength, None
    return None, f"dose unit {unit!r}; expected mg (or tablets of a coded imatinib product)"


def administrations_per_day(dosage: dict) -> tuple[float, str | None]:
    """(administrations per day, an assumption made or None) from a Dosage's timing."""
    timing = dosage.get("timing") if isinstance(dosage, dict) else None
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    if isinstance(repeat, dict) and (repeat.get("frequency") or repeat.get("period")):
        frequency = float(repeat.get("frequency") or 1)
        period = float(repeat.get("period") or 1)
        unit = repeat.get("periodUnit") or "d"
        if period <= 0:
            return frequency, f"timing period {period:g} read as once per day"
        if unit not in _PERIOD_DAYS:
            return frequency, f"timing periodUnit {unit!r} read as once per day"
        return frequency / (period * _PERIOD_DAYS[unit]), None
    code = None
    if isinstance(timing, dict):
        for _, value in C.codings(timing.get("code")):
            code = value.upper()
            if code in _TIMING_CODES:
                return _TIMING_CODES[code], None
    return 1.0, ("no timing frequency: read as once daily (imatinib's usual regimen)" if code is None
                 else f"timing code {code!r} not read: taken as once daily")

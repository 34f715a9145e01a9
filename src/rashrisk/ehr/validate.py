"""FHIR R4 structural validation with ``fhir.resources`` (the only module that imports it).

``fhir.resources`` 8.x models FHIR R5 at its top level and R4B in ``fhir.resources.R4B``. R4B (4.3) is
R4 (4.0.1) with a few additions; the resources rashrisk reads (Bundle, Patient, Observation,
MedicationRequest, MedicationAdministration, Medication) have the same elements in both, so R4 payloads
validate against the R4B models. Using the R5 models instead would reject or drop R4 elements
(R4 ``MedicationRequest.medicationCodeableConcept`` is R5's ``medication``).

Each entry's resource is validated on its own, so that one broken resource does not hide the others and
every error names its resource by reference (``Observation/abc``). pydantic's errors become messages
naming the element path, the bad value and what was expected; nothing here raises.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=None)
def _model(resource_type: str):
    from fhir.resources.R4B import get_fhir_model_class  # heavy: imported on first use only

    try:
        return get_fhir_model_class(resource_type)
    except (ValueError, KeyError, AttributeError):
        return None


def _path(loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(resource)"


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def resource_errors(resource) -> list[tuple[str, str]]:
    """(element path, message) for every FHIR R4 validation error of one resource; [] when valid."""
    if not isinstance(resource, dict):
        return [("(resource)", f"expected a JSON object (a FHIR resource), got {type(resource).__name__}")]
    rtype = resource.get("resourceType")
    if not isinstance(rtype, str) or not rtype:
        return [("resourceType", "missing; expected a FHIR R4 resource type such as 'Observation'")]
    model = _model(rtype)
    if model is None:
        return [("resourceType", f"{_short(rtype)} is not a FHIR R4 resource type")]
    try:
        model.model_validate(resource)
    except Exception as exc:  # pydantic.ValidationError; anything else is reported the same way
        errors = getattr(exc, "errors", None)
        if not callable(errors):
            return [("(resource)", f"not valid FHIR R4: {exc}")]
        out = []
        for err in errors():
            path = _path(err.get("loc", ()))
            message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if err.get("type") == "extra_forbidden":
                message = "unknown element (not in FHIR R4)"
            elif err.get("type") == "missing":
                message = "required element missing"
            elif err.get("input") == "":
                message = "empty string (FHIR does not allow empty values: omit the element)"
            if "input" in err and err.get("type") not in ("missing",):
                message = f"{_short(err['input'])}: {message}"
            out.append((path, message))
        return out or [("(resource)", "not valid FHIR R4")]
    return []

"""CDS Hooks 2.0 services for imatinib orders, without a web framework.

A web route only has to call :func:`discovery` for ``GET {base}/cds-services`` and
:func:`cds_response` for ``POST {base}/cds-services/{id}``. The pieces:

- :func:`discovery`: the services ``rashrisk-imatinib-order-select`` (hook ``order-select``) and
  ``rashrisk-imatinib-order-sign`` (hook ``order-sign``) with their prefetch templates;
- :func:`imatinib_orders`: the imatinib MedicationRequests of ``context.draftOrders`` (RxNorm codes of
  imatinib and its products); no card is returned for any other drug;
- :func:`prefetch_bundle`: one FHIR Bundle from the request's prefetch, fetching what is missing from
  ``fhirServer`` with ``fhirAuthorization.access_token`` through an injected ``fetch`` (an ``urllib``
  fetcher with a timeout by default); :class:`PrefetchError` when it cannot;
- :func:`card`: the one card: summary (risk and band, at most 140 characters), indicator, Markdown
  detail (top factors, the basis, the simulated-data label), source, and a link to the full report.

The card is decision support: it carries no ``suggestions`` (nothing that would create or change an
order) and its words are "consider", never an instruction. Sources: CDS Hooks 2.0 (HL7, discovery,
request fields hook, hookInstance, fhirServer, fhirAuthorization, context, prefetch; card fields
summary < 140 characters, indicator info | warning | critical, detail in GitHub-flavoured Markdown,
source.label required, links with type absolute | smart); hooks order-select and order-sign
(context userId, patientId, encounterId, selections, draftOrders as a Bundle).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import date
from typing import Callable

from rashrisk.ehr import codes as C
from rashrisk.ehr.fhir import bundle_to_document
from rashrisk.errors import RashriskError

HOOKS = ("order-select", "order-sign")
SERVICE_IDS = {"order-select": "rashrisk-imatinib-order-select", "order-sign": "rashrisk-imatinib-order-sign"}
SUMMARY_MAX = 140
FETCH_TIMEOUT_S = 10.0
MAX_PAGES = 5
SOURCE_LABEL = "rashrisk (research use)"



def _CODES(codes) -> str:
    return ",".join(f"{C.LOINC}|{c}" for c in codes)


_MEASURED = {**C.WEIGHT_CODES, **C.HEIGHT_CODES, **C.ALBUMIN_CODES, **C.RBC_CODES}
_RXNORM_CODES = ",".join(f"{C.RXNORM}|{c}" for c in C.IMATINIB_RXNORM)

PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "measurements": "Observation?subject=Patient/{{context.patientId}}&code=" + _CODES(_MEASURED) + "&_count=100",
    "imatinibLevels": "Observation?subject=Patient/{{context.patientId}}&code=" + _CODES(C.IMATINIB_LEVEL_CODES)
                      + "&_count=100",
    "variants": "Observation?subject=Patient/{{context.patientId}}&code=" + _CODES([C.VARIANT_CODE]) + "&_count=100",
    "imatinibOrders": "MedicationRequest?subject=Patient/{{context.patientId}}&code=" + _RXNORM_CODES + "&_count=100",
    "imatinibDoses": "MedicationAdministration?subject=Patient/{{context.patientId}}&code=" + _RXNORM_CODES
                     + "&_count=100",
}


class CdsRequestError(RashriskError):
    """The request is not a CDS Hooks 2.0 request this service can answer (a route answers 400)."""


class PrefetchError(RashriskError):
    """The data the service needs is neither prefetched nor fetchable; :meth:`card` says why."""

    def card(self) -> dict:
        return error_card("rashrisk could not read the patient's data", str(self))


def discovery() -> dict:
    """The CDS Hooks discovery response (``GET {base}/cds-services``)."""
    description = ("Estimates the risk of severe skin rash on imatinib (GIST) when imatinib is ordered, "
                   "with the factors behind it and a link to the full report. Decision support for research "
                   "use; the model shipped with rashrisk was trained on simulated data.")
    return {"services": [
        {"hook": hook, "id": SERVICE_IDS[hook], "title": f"rashrisk: severe rash risk on imatinib ({hook})",
         "description": description, "prefetch": dict(PREFETCH),
         "usageRequirements": "Reads Patient, Observations (weight, height, albumin, red-cell count, imatinib "
                              "concentrations, Genomics Reporting IG variants), imatinib MedicationRequests and "
                              "MedicationAdministrations: prefetch them, or grant read access to them."}
        for hook in HOOKS]}


def imatinib_orders(draft_orders) -> list[dict]:
    """The imatinib MedicationRequests of ``context.draftOrders`` (a Bundle, or a list of resources),
    recognised by an RxNorm code of imatinib or one of its products (``rashrisk.ehr.codes.IMATINIB_RXNORM``,
    also through a contained Medication). Any other order is skipped."""
    if isinstance(draft_orders, dict) and draft_orders.get("resourceType") == "Bundle":
        entries = draft_orders.get("entry")
        resources = [e.get("resource") for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    elif isinstance(draft_orders, list):
        resources = draft_orders
    else:
        return []
    resources = [r for r in resources if isinstance(r, dict)]
    medications = {f"Medication/{r.get('id')}": r for r in resources if r.get("resourceType") == "Medication"}
    found = []
    for res in resources:
        if res.get("resourceType") != "MedicationRequest":
            continue
        concept = res.get("medicationCodeableConcept")
        reference = res.get("medicationReference")
        target = str(reference.get("reference") or "") if isinstance(reference, dict) else ""
        if concept is None and target.startswith("#"):
            contained = {c.get("id"): c for c in res.get("contained") or [] if isinstance(c, dict)} \
                if isinstance(res.get("contained"), list) else {}
            concept = (contained.get(target[1:]) or {}).get("code")
        elif concept is None and target:
            concept = (medications.get("/".join(target.split("/")[-2:])) or {}).get("code")
        if C.imatinib_code(concept):
            found.append(res)
    return found


def _context(request) -> dict:
    if not isinstance(request, dict):
        raise CdsRequestError(f"CDS Hooks request: expected a JSON object, got {type(request).__name__}")
    hook = request.get("hook")
    if hook not in HOOKS:
        raise CdsRequestError(f"CDS Hooks request, field 'hook': {hook!r}; expected one of {', '.join(HOOKS)}")
    if not isinstance(request.get("hookInstance"), str) or not request["hookInstance"]:
        raise CdsRequestError("CDS Hooks request, field 'hookInstance': missing; expected a UUID for this call")
    context = request.get("context")
    if not isinstance(context, dict):
        raise CdsRequestError("CDS Hooks request, field 'context': missing; expected the hook's context object")
    if not isinstance(context.get("patientId"), str) or not context["patientId"]:
        raise CdsRequestError("CDS Hooks request, field 'context.patientId': missing; expected the FHIR id of "
                              "the patient")
    if not isinstance(context.get("draftOrders"), dict) or context["draftOrders"].get("resourceType") != "Bundle":
        raise CdsRequestError("CDS Hooks request, field 'context.draftOrders': expected a FHIR Bundle of the "
                              f"draft orders ({hook} context)")
    auth = request.get("fhirAuthorization")
    if auth is not None and not request.get("fhirServer"):
        raise CdsRequestError("CDS Hooks request: 'fhirAuthorization' given without 'fhirServer' (cds-r-1)")
    return context


def _fill(template: str, context: dict) -> str:
    """A prefetch template with its ``{{context.x}}`` tokens replaced (values URL-quoted)."""
    out = template
    while "{{" in out:
        start = out.index("{{")
        end = out.index("}}", start)
        token = out[start + 2:end].strip()
        key = token.removeprefix("context.")
        if not token.startswith("context.") or not isinstance(context.get(key), str):
            raise PrefetchError(f"prefetch template token {{{{{token}}}}} cannot be filled from the request context")
        out = out[:start] + urllib.parse.quote(context[key], safe="") + out[end + 2:]
    return out


def _resource_type(path: str) -> str:
    """The FHIR resource type a URL path asks for ('Observation'), never the ids after it."""
    return next((seg for seg in path.split("/") if seg[:1].isupper()), "resource")


def urllib_fetch(url: str, headers: dict, *, timeout: float = FETCH_TIMEOUT_S) -> dict:
    """GET ``url`` and parse its JSON (the default fetcher). Only http(s); raises ``PrefetchError``
    naming the server, the resource type and the reason (never the token or a patient id)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise PrefetchError(f"FHIR server URL scheme {parts.scheme!r}: expected https")
    request = urllib.request.Request(url, headers=headers, method="GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (scheme checked)
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        exc.close()  # the error response holds the connection
        raise PrefetchError(f"FHIR server {parts.netloc} answered HTTP {exc.code} for a "
                            f"{_resource_type(parts.path)} request") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PrefetchError(f"FHIR server {parts.netloc} could not be reached ({reason})") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PrefetchError(f"FHIR server {parts.netloc} did not answer JSON for a "
                            f"{_resource_type(parts.path)} request") from None


def _resources(found, key: str) -> list[dict]:
    """The resources of one prefetch result: a resource, a searchset Bundle, or None (nothing)."""
    if found is None:
        return []
    if not isinstance(found, dict):
        raise PrefetchError(f"prefetch '{key}': expected a FHIR resource or Bundle, got {type(found).__name__}")
    if found.get("resourceType") == "Bundle":
        entries = found.get("entry") or []
        if not isinstance(entries, list):
            raise PrefetchError(f"prefetch '{key}': Bundle.entry is not a list")
        return [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                and not (isinstance(e.get("search"), dict) and e["search"].get("mode") == "outcome")]
    if found.get("resourceType") == "OperationOutcome":
        issues = "; ".join(str(i.get("diagnostics") or i.get("code")) for i in found.get("issue") or [] if isinstance(i, dict))
        raise PrefetchError(f"prefetch '{key}': the CDS client sent an OperationOutcome ({issues or 'no details'})")
    return [found]


def prefetch_bundle(request: dict, fetch: Callable[[str, dict], dict] | None = None) -> dict:
    """One FHIR ``collection`` Bundle with the patient's data for :func:`bundle_to_document`.

    Each of :data:`PREFETCH`'s keys comes from ``request["prefetch"]`` when present (a null value is
    "nothing there"); a missing key is fetched from ``request["fhirServer"]`` with the bearer token of
    ``fhirAuthorization.access_token`` through ``fetch(url, headers) -> dict`` (default
    :func:`urllib_fetch`, 10 s timeout), following up to 5 ``next`` pages. Raises ``PrefetchError``
    (whose ``.card()`` is the error card) when a key is missing and there is no FHIR server, when a
    fetch fails, or when there is no Patient."""
    context = _context(request)
    prefetch = request.get("prefetch") or {}
    if not isinstance(prefetch, dict):
        raise PrefetchError("field 'prefetch': expected an object of prefetch key -> FHIR resource or Bundle")
    server = str(request.get("fhirServer") or "").rstrip("/")
    auth = request.get("fhirAuthorization") or {}
    fetch = fetch or urllib_fetch
    missing = [key for key in PREFETCH if key not in prefetch]
    if missing and not server:
        raise PrefetchError(f"the request has no prefetch for {', '.join(missing)} and no fhirServer to fetch "
                            "them from; configure the CDS client to send this service's prefetch templates "
                            "or FHIR server access")
    headers = {"Accept": "application/fhir+json"}
    if isinstance(auth, dict) and auth.get("access_token"):
        headers["Authorization"] = f"{auth.get('token_type') or 'Bearer'} {auth['access_token']}"
    resources: list[dict] = []
    for key, template in PREFETCH.items():
        if key in prefetch:
            resources += _resources(prefetch[key], key)
            continue
        url = f"{server}/{_fill(template, context)}"
        for _ in range(MAX_PAGES):
            page = fetch(url, headers)
            resources += _resources(page, key)
            url = next((link.get("url") for link in (page or {}).get("link") or []
                        if isinstance(link, dict) and link.get("relation") == "next"), None)
            if not url:
                break
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    if not patients:
        raise PrefetchError("no Patient resource for context.patientId in the prefetch or on the FHIR server")
    if any(p.get("id") != context["patientId"] for p in patients):
        raise PrefetchError("the Patient resource received is not the patient of context.patientId; nothing was scored")
    entries, seen = [], set()
    for res in resources:
        key = (str(res.get("resourceType")), str(res.get("id")))
        if isinstance(res.get("id"), str) and key in seen:
            continue
        seen.add(key)
        entries.append({"resource": res})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _md(text) -> str:
    """Text for Markdown: characters Markdown would read as markup are escaped."""
    out = str(text)
    for ch in "\\`*[]<>#|":  # '_' stays: GitHub-flavoured Markdown does not read it inside words
        out = out.replace(ch, "\\" + ch)
    return out


def _percent(p) -> str:
    p = 100 * float(p)
    return f"{p:.1f}%" if p < 10 else f"{p:.0f}%"


def error_card(summary: str, detail: str, *, source_url: str | None = None) -> dict:
    """An info card saying why no risk could be given (never a warning about the patient)."""
    card = {"uuid": str(uuid.uuid4()), "summary": _short(summary, SUMMARY_MAX), "indicator": "info",
            "detail": _md(detail) + "\n\nNo risk estimate is shown. This is not a statement about the patient.",
            "source": {"label": SOURCE_LABEL}}
    if source_url:
        card["source"]["url"] = source_url
    return card


def card(score_row: dict, explanation=None, report_url: str | None = None, model_info: dict | None = None, *,
         stage: str = "start", problems=(), source_url: str | None = None) -> dict:
    """The one card for a scored (or not scored) patient.

    ``score_row``: a row of the score table as a dict (``status``, ``reason``, ``risk``, ``risk_low``,
    ``risk_high``, ``band``, ``baseline_risk``, ``factor_1..3``, ``warnings``, ``model``,
    ``simulated_data``). ``explanation``: None (the row's factor_1..3 are shown) or the report's factor
    list (dicts with ``statement``, strongest first). ``model_info``: the report's model block (``name``,
    ``version``, ``bundle_sha256``, ``simulated``, ``disclaimer``, ``intended_use``), or None.
    ``problems``: messages about the EHR data (the FHIR mapping's problems), listed in the detail.

    Indicator: ``warning`` for the high band, ``info`` otherwise (a model estimate is never
    ``critical``). The simulated-data label of the report's disclaimer is in the detail whenever the card
    or the row says the model was trained on simulated data."""
    model_info = model_info or {}
    simulated = bool(model_info.get("simulated", score_row.get("simulated_data", False)))
    label = ("**Research use only. This model was trained on simulated data: the numbers show how the method "
             "works, not the risk of a real patient.**") if simulated else "**Decision support for research use.**"
    model_name = model_info.get("name") and f"{model_info['name']} {model_info.get('version', '')}".strip()
    model_text = score_row.get("model") or model_name or "rashrisk model"  # the row names the model that scored
    if score_row.get("status") != "scored":
        reason = str(score_row.get("reason") or "no reason given")
        out = error_card("rashrisk: no rash-risk estimate for this order (see details)",
                         f"The patient could not be scored: {reason}", source_url=source_url)
        out["detail"] = label + "\n\n" + out["detail"] + _problems_md(problems)
        _link(out, report_url, "The data rashrisk read (report)")
        return out
    risk, band = float(score_row["risk"]), str(score_row.get("band") or "")
    interval = ""
    if score_row.get("risk_low") is not None and score_row.get("risk_high") is not None:
        interval = f" (95% interval {_percent(score_row['risk_low'])}-{_percent(score_row['risk_high'])})"
    when = "at imatinib start" if stage == "start" else "after the first trough"
    summary = f"Severe rash risk on imatinib {_percent(risk)}, {band} band{interval}"
    if simulated:
        summary += " - simulated-data model"
    if len(summary) > SUMMARY_MAX:
        summary = f"Severe rash risk on imatinib {_percent(risk)}, {band} band"
    factors = [f.get("statement") or f.get("description") for f in explanation or [] if isinstance(f, dict)][:3] \
        if explanation else [score_row.get(f"factor_{k}") for k in (1, 2, 3)]
    factors = [f for f in factors if f]
    lines = [label, "",
             f"Estimated risk of severe skin rash {when}: **{_percent(risk)}**{_md(interval)}, {_md(band)} band: "
             f"about {round(100 * risk)} of 100 similar patients."
             + (f" Training-cohort rate: {_percent(score_row['baseline_risk'])}."
                if score_row.get("baseline_risk") is not None else "")]
    if factors:
        lines += ["", "What drives the estimate:"] + [f"- {_md(f)}" for f in factors]
    warnings = [w for w in str(score_row.get("warnings") or "").split("; ") if w]
    if warnings:
        lines += ["", "Warnings:"] + [f"- {_md(w)}" for w in warnings]
    lines += ["", f"Basis: {_md(model_text)}"
              + (f" (bundle sha256 {_md(str(model_info['bundle_sha256'])[:12])})"
                 if model_info.get("bundle_sha256") and str(model_info["bundle_sha256"])[:12] not in model_text else "")
              + ", a calibrated model of the source study's predictors (The Oncologist 2025, doi:10.1093/oncolo/oyaf176).",
              "", "Options to consider are in the full report. This card is decision support, not an order: "
              "it changes nothing in the order."]
    if model_info.get("disclaimer"):
        lines += ["", _md(model_info["disclaimer"])]
    out = {"uuid": str(uuid.uuid4()), "summary": _short(summary, SUMMARY_MAX),
           "indicator": "warning" if band == "high" else "info",
           "detail": "\n".join(lines) + _problems_md(problems), "source": {"label": SOURCE_LABEL}}
    if source_url:
        out["source"]["url"] = source_url
    _link(out, report_url, "Full rashrisk report")
    return out


def _link(out: dict, url: str | None, label: str) -> None:
    if url:
        out["links"] = [{"label": label, "url": url, "type": "absolute"}]


def _problems_md(problems, limit: int = 5) -> str:
    problems = list(problems)
    if not problems:
        return ""
    lines = ["", "", f"EHR data not used or read with an assumption ({len(problems)}):"]
    lines += [f"- {_md(p)}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"- ... and {len(problems) - limit} more (in the full report's inputs)")
    return "\n".join(lines)


def cds_response(request: dict, score_document: Callable[[dict, str], dict], *,
                 model_info: dict | None = None, report_url: Callable[[dict, str], str] | None = None,
                 fetch: Callable[[str, dict], dict] | None = None, today: date | None = None,
                 source_url: str | None = None) -> dict:
    """The CDS Hooks response ``{"cards": [...]}`` to one service call; what a web route returns.

    Contract for the route:

    - ``request``: the parsed JSON body of ``POST {base}/cds-services/{id}`` (either service id of
      :func:`discovery`; the hook in the body decides). Raises :class:`CdsRequestError` (a
      ``RashriskError``) when it is not a CDS Hooks 2.0 order-select/order-sign request (answer 400
      with its message).
    - ``score_document(document, stage) -> dict``: scores one one-patient document (docs/reports.md) at
      ``stage`` ('start' or 'tdm') and returns the score-table row as a dict (the ``/v1/score`` result
      fields), optionally with ``"factors"``: the report's factor list. It may raise ``RashriskError``
      (shown in an error card).
    - ``model_info``: the served model's block (name, version, bundle_sha256, simulated, disclaimer), or
      ``{"start": block, "tdm": block}``; the score row's ``model`` field, when present, names the model.
    - ``report_url(document, stage) -> str``: the URL of the full report for the card's link (None: no link).
    - ``fetch(url, headers) -> dict``: how to GET from the FHIR server (default :func:`urllib_fetch`).
    - ``today``: the date of a draft order without a start date (default: today).

    Returns ``{"cards": []}`` when no draft order is imatinib; else one card: the risk card, or an
    error card when the data cannot be read or the patient cannot be scored. The stage is 'tdm' when the
    patient has an imatinib concentration with its last dose, and falls back to 'start' when the TDM
    stage cannot score him or her (the card says why). No patient data are logged."""
    context = _context(request)
    orders = imatinib_orders(context["draftOrders"])
    if not orders:
        return {"cards": []}
    try:
        bundle = prefetch_bundle(request, fetch)
    except PrefetchError as exc:
        return {"cards": [exc.card()]}
    entries = context["draftOrders"].get("entry")
    bundle["entry"] += [{"resource": e["resource"]} for e in entries if isinstance(entries, list) and isinstance(e, dict)
                        and isinstance(e.get("resource"), dict) and e["resource"].get("resourceType") == "Medication"]
    mapping = bundle_to_document(bundle, order=orders[0], reference_date=today or date.today())
    problems = [p.message for p in mapping.problems]
    if mapping.document is None:
        return {"cards": [error_card("rashrisk could not read the patient's data",
                                     "; ".join(problems) or "no document", source_url=source_url)]}
    stage = "tdm" if mapping.has_samples else "start"
    try:
        row = score_document(mapping.document, stage)
        if stage == "tdm" and row.get("status") != "scored":
            start_row = score_document(mapping.document, "start")
            if start_row.get("status") == "scored":
                problems.append(f"the TDM stage could not be used ({row.get('reason')}); the estimate is the "
                                "start-stage one")
                stage, row = "start", start_row
    except RashriskError as exc:
        return {"cards": [error_card("rashrisk could not score this patient", str(exc), source_url=source_url)]}
    url = report_url(mapping.document, stage) if report_url else None
    if isinstance(model_info, dict) and isinstance(model_info.get(stage), dict):
        model_info = model_info[stage]  # one block per stage
    return {"cards": [card(row, row.get("factors"), url, model_info, stage=stage, problems=problems,
                           source_url=source_url)]}

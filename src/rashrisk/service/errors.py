"""How errors are answered: every user error is a 422 (or 401/413/503) whose ``detail`` lists
problems as ``{"loc", "msg", "type", "input"}`` (FastAPI's shape, also for the contract's messages);
never a traceback, never a 500 for something the client can fix."""

from __future__ import annotations

import math

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from rashrisk._json import json_safe
from rashrisk.errors import RashriskError
from rashrisk.service.inputs import RequestProblems
from rashrisk.service.state import NotReady

RETRY_AFTER_S = "5"


UNION_BRANCHES = {"int", "float", "str", "bool", "none", "dict", "list"}


def _shown(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN / inf: named, not shown as null
    if isinstance(value, (bytes, bytearray)):
        return value[:200].decode("utf-8", "replace")
    try:
        return json_safe(value)
    except Exception:  # an input pydantic could not type: shown as text
        return str(value)[:200]


def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's problems, with the branches of one field's type union merged into one problem
    (``age_years``: "expected an integer, a finite number or text")."""
    merged: dict[tuple, dict] = {}
    for error in exc.errors():
        loc = list(error.get("loc", ()))
        branch = loc and isinstance(loc[-1], str) and loc[-1] in UNION_BRANCHES and len(loc) > 2
        key = tuple(loc[:-1]) if branch else tuple(loc)
        item = merged.setdefault(key, {"loc": list(key), "msg": "", "type": error.get("type", ""),
                                       "input": _shown(error.get("input"))})
        message = error.get("msg", "")
        if message and message not in item["msg"]:
            item["msg"] = f"{item['msg']}, or {message[0].lower()}{message[1:]}" if item["msg"] else message
        if branch:
            item["type"] = "type_union"
    return JSONResponse({"detail": list(merged.values())}, status_code=422)


def _problems(request: Request, exc: RequestProblems) -> JSONResponse:
    return JSONResponse({"detail": [{**p, "input": _shown(p.get("input"))} for p in exc.problems]}, status_code=422)


def _not_ready(request: Request, exc: NotReady) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": RETRY_AFTER_S})


def _user_error(request: Request, exc: RashriskError) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["body"], "msg": str(exc), "type": "rashrisk." + type(exc).__name__,
                                     "input": None}]}, status_code=422)


def install(app) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(RequestProblems, _problems)
    app.add_exception_handler(NotReady, _not_ready)  # before RashriskError: it is one
    app.add_exception_handler(RashriskError, _user_error)

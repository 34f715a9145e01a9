"""The service's log: one line per request (method, path, status, milliseconds, client address) and,
for a bug, the exception's type and where it was raised: never a query string, a body, an exception
message or a traceback's values, because those can hold patient identifiers or clinical values.

:class:`RequestLogMiddleware` also turns any unexpected exception into a 500 whose body names only a
reference, so that nothing re-raises it to the ASGI server (which would log its message)."""

from __future__ import annotations

import logging
import time
import traceback
import uuid

from rashrisk.service.auth import send_json

LOGGER_NAME = "rashrisk.service"
log = logging.getLogger(LOGGER_NAME)


def where_raised(exc: BaseException) -> str:
    """'module.py:123 in function' of the innermost frame: no message, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


class RequestLogMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 0}

        async def send_status(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except Exception as exc:  # a bug: logged without its message, answered with a reference
            reference = uuid.uuid4().hex[:12]
            log.error("internal error %s: %s at %s", reference, type(exc).__name__, where_raised(exc))
            if not status["code"]:
                await send_json(send_status, 500, {"detail": f"internal error (reference {reference}); the "
                                                   "server log names its type and place"})
        finally:
            client = scope.get("client") or ("-", 0)
            log.info("%s %s %s %.1f ms %s", scope["method"], scope["path"], status["code"] or "-",
                     (time.perf_counter() - started) * 1e3, client[0])


def configure_logging(level: str = "info") -> dict:
    """The logging configuration uvicorn is started with: the service's request lines and uvicorn's own
    start-up and error lines on stderr; uvicorn's access log is off (the request line above replaces it)."""
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"plain": {"format": fmt}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stderr"}},
        "loggers": {LOGGER_NAME: {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
                    "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
                    "uvicorn.error": {"level": level.upper()},
                    "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
                    "py.warnings": {"handlers": ["stderr"], "level": "WARNING", "propagate": False}},
    }

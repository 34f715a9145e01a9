"""Bearer-token authentication (ASGI middleware): every path needs ``Authorization: Bearer <token>``
except those :func:`is_public` lets through, listed here only: :data:`PUBLIC_PATHS`, the clinician
page's :data:`COOKIE_PATHS` (its router checks its own session cookie) and the capability URLs of
:data:`CAPABILITY_PREFIXES`. The token is compared in constant
time (``hmac.compare_digest``) before the request body is read; a refusal is 401 with
``WWW-Authenticate: Bearer``."""

from __future__ import annotations

import hmac
import json

from rashrisk.clinic.router import PAGE_PATHS

# (method, path) pairs that need no token: liveness/readiness, and CDS Hooks discovery (CDS Hooks 2.0:
# an EHR reads the service list before it is configured; the hook calls themselves are authenticated)
PUBLIC_PATHS = frozenset({("GET", "/health"), ("HEAD", "/health"), ("GET", "/cds-services")})
# the clinician page (rashrisk.clinic.PAGE_PATHS): a browser sends its session cookie, not a bearer header;
# the page's router checks that cookie against the same token (ClinicServices.check_token)
COOKIE_PATHS = PAGE_PATHS
# a CDS card's report link is a capability URL (rashrisk.service.report_links): its key is the secret
CAPABILITY_PREFIXES = (("GET", "/v1/reports/"),)
BEARER = "bearer"


def is_public(method: str, path: str) -> bool:
    key = (method.upper(), path.rstrip("/") or "/")
    return key in PUBLIC_PATHS or key in COOKIE_PATHS or any(
        key[0] == m and path.startswith(prefix) for m, prefix in CAPABILITY_PREFIXES)


def token_matches(header_value: str | None, token: str) -> bool:
    """``header_value`` is ``Bearer <token>`` (scheme case-insensitive), compared in constant time."""
    if not header_value:
        return False
    scheme, _, given = header_value.strip().partition(" ")
    if scheme.lower() != BEARER:
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


async def send_json(send, status: int, body: dict, headers: list[tuple[bytes, bytes]] = ()) -> None:
    data = json.dumps(body).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": data})


class BearerTokenMiddleware:
    """401 for any request that :func:`is_public` does not let through without the right bearer token; ``token``
    None disables the check (``rashrisk serve --no-auth``, loopback only)."""

    def __init__(self, app, *, token: str | None):
        self.app = app
        self.token = token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or self.token is None or is_public(scope["method"], scope["path"]):
            return await self.app(scope, receive, send)
        header = None
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                header = value.decode("latin-1")
                break
        if not token_matches(header, self.token):
            return await send_json(send, 401, {"detail": "missing or invalid bearer token: send the header "
                                               "'Authorization: Bearer <token>' (docs/service.md)"},
                                   [(b"www-authenticate", b'Bearer realm="rashrisk"')])
        return await self.app(scope, receive, send)

"""The request-size limit (ASGI middleware): a body over ``max_body_bytes`` is refused with 413 before
the application parses it, whether the client sent a Content-Length or streamed it in chunks."""

from __future__ import annotations

from rashrisk.service.auth import send_json


def too_large(limit: int, what: str) -> dict:
    return {"detail": f"request body {what} is over the limit of {limit:,} bytes (--max-body-bytes); send "
                      "fewer patients per request"}


class BodySizeLimitMiddleware:
    def __init__(self, app, *, max_body_bytes: int):
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    return await send_json(send, 400, {"detail": "Content-Length is not a number"})
                if declared > self.limit:
                    return await send_json(send, 413, too_large(self.limit, f"of {declared:,} bytes"))
        # read the whole body (at most limit + one chunk), then replay it to the application
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await send_json(send, 413, too_large(self.limit, "streamed"))
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)

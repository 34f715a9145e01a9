"""The HTTP service of ``rashrisk serve`` (FastAPI; docs/service.md).

- :func:`rashrisk.service.app.create_app` builds the application (usable in tests without a socket,
  e.g. with ``fastapi.testclient.TestClient``).
- :func:`rashrisk.service.state.served_models` is the one accessor a router uses to reach the models
  loaded at start-up (``served_models(request).start`` / ``.tdm`` / ``.for_stage(stage)``).
- :func:`rashrisk.service.auth.is_public` (with the path sets beside it) is the one place that says which
  paths need no bearer token.

fastapi, starlette, pydantic and uvicorn are imported only in this package.
"""

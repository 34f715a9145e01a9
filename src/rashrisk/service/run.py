"""Start uvicorn on the application (``rashrisk serve``): one process with the models already
loaded, or ``workers`` processes that each load them (settings passed in the environment)."""

from __future__ import annotations

import os

from rashrisk.service.logs import configure_logging
from rashrisk.service.settings import SETTINGS_ENV, ServiceSettings


def serve(settings: ServiceSettings, models, *, host: str, port: int, workers: int = 1, log_level: str = "info") -> None:
    import uvicorn

    options = dict(host=host, port=port, log_config=configure_logging(log_level), access_log=False,
                   server_header=False, proxy_headers=False)
    if workers <= 1:
        from rashrisk.service.app import create_app

        uvicorn.run(create_app(settings, models), **options)
        return
    os.environ[SETTINGS_ENV] = settings.to_environment()  # no token in it: workers re-read its source
    uvicorn.run("rashrisk.service.app:create_app_from_environment", factory=True, workers=workers, **options)

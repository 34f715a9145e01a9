"""Write the service's OpenAPI document (committed as docs/openapi.json; a test compares the two).

    .venv/bin/python -m rashrisk.service.openapi docs/openapi.json
"""

from __future__ import annotations

import json
import sys

from rashrisk.service.app import create_app
from rashrisk.service.settings import ServiceSettings


def openapi_text() -> str:
    """The document of the default configuration (independent of the models and the token)."""
    app = create_app(ServiceSettings(no_auth=True), load_models=False)
    return json.dumps(app.openapi(), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m rashrisk.service.openapi docs/openapi.json", file=sys.stderr)
        return 2
    from rashrisk.atomic import write_text

    write_text(argv[0], openapi_text())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))

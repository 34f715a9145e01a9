"""What a running service is configured with: the bearer token, the request limits and which models
to serve. ``rashrisk serve`` builds it from its options; a uvicorn worker process (``--workers N``)
reads it back from the environment (:func:`settings_from_environment`), never from the token itself
on a command line."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from rashrisk.errors import RashriskError

TOKEN_ENV = "RASHRISK_API_TOKEN"
SETTINGS_ENV = "RASHRISK_SERVE_SETTINGS"  # JSON of ServiceSettings without the token (worker processes)
MIN_TOKEN_CHARS = 16
DEFAULT_MAX_BODY_BYTES = 1_048_576  # 1 MiB: a batch of 1,000 patients with a TDM sample each is about 0.4 MiB
DEFAULT_MAX_BATCH = 1000  # patients per request
DEFAULT_REPORT_LINK_TTL_S = 86_400  # how long a CDS card's report link answers (rashrisk.service.report_links)
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class ServiceSettings:
    token: str | None = None  # None only with no_auth (loopback development)
    no_auth: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_batch: int = DEFAULT_MAX_BATCH
    start_model: str | None = None  # as `rashrisk score --model` (None: champion, else embedded default)
    tdm_model: str | None = None
    token_file: str | None = None  # where the token came from (re-read by worker processes)
    report_dir: str | None = None  # the CDS cards' reports (None: a private temporary folder per application)
    report_link_ttl_s: int = DEFAULT_REPORT_LINK_TTL_S  # 0: cards without a report link

    def __post_init__(self):
        if self.max_body_bytes < 1024:
            raise RashriskError(f"--max-body-bytes {self.max_body_bytes}; expected at least 1024")
        if self.max_batch < 1:
            raise RashriskError(f"--max-batch {self.max_batch}; expected at least 1")
        if self.report_link_ttl_s < 0:
            raise RashriskError(f"--report-link-ttl {self.report_link_ttl_s}; expected 0 (no links) or more seconds")
        if not self.no_auth:
            check_token(self.token, self.token_file)

    def to_environment(self) -> str:
        """The settings as JSON for worker processes, without the token (they re-read its source)."""
        return json.dumps({k: v for k, v in asdict(self).items() if k != "token"})


def check_token(token: str | None, source: str | None = None) -> str:
    where = f"--token-file {source}" if source else TOKEN_ENV
    if not token:
        raise RashriskError(f"no API token: set {TOKEN_ENV} or pass --token-file FILE (a secret of at least "
                            f"{MIN_TOKEN_CHARS} characters, e.g. from `openssl rand -hex 32`); --no-auth only for "
                            "development on a loopback address")
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
        raise RashriskError(f"the API token from {where} has {len(token)} characters or contains white space; "
                            f"expected at least {MIN_TOKEN_CHARS} characters without spaces (e.g. `openssl rand -hex 32`)")
    return token


def read_token(token_file: str | os.PathLike | None) -> str | None:
    """The token: the first line of ``token_file`` when given, else ``RASHRISK_API_TOKEN`` (None when neither)."""
    if token_file is not None:
        path = Path(token_file)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RashriskError(f"--token-file {path}: cannot read ({exc.strerror or exc}); expected a file "
                                "holding the API token") from None
        lines = text.splitlines()
        return lines[0].strip() if lines else ""
    return os.environ.get(TOKEN_ENV) or None


def check_no_auth(host: str) -> None:
    if host not in LOOPBACK_HOSTS:
        raise RashriskError(f"--no-auth with --host {host}: refused; without a token the service may only listen "
                            f"on a loopback address ({', '.join(LOOPBACK_HOSTS)})")


def settings_from_environment() -> ServiceSettings:
    """The settings a worker process was started with (``rashrisk serve --workers N``)."""
    raw = os.environ.get(SETTINGS_ENV)
    if not raw:
        raise RashriskError(f"{SETTINGS_ENV} is not set: start the service with `rashrisk serve`")
    values = json.loads(raw)
    token = None if values.get("no_auth") else read_token(values.get("token_file"))
    return ServiceSettings(token=token, **values)

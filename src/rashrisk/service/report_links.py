"""Rendered reports kept for a short time under an unguessable key: the link of a CDS Hooks card.

An EHR opens a card's link in the clinician's browser, which holds no bearer token, so the link is a
capability: ``GET /v1/reports/{key}`` answers the report to whoever has the URL, for ``ttl_s`` seconds
(``--report-link-ttl``, default 24 h; 0 gives cards without a link). The key is 192 random bits
(``secrets.token_urlsafe``) and carries no patient data; the reports are files in one folder shared by
the worker processes (``--report-dir``, default a private temporary folder), deleted when they expire.
docs/service.md says what this means for a deployment (the link should stay inside the hospital's
network, behind its proxy and sign-on).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from rashrisk.atomic import atomic_file

_KEY = re.compile(r"^[A-Za-z0-9_-]{32}$")


def default_report_dir() -> str:
    """A new private folder (mode 0700) for the reports of one service."""
    return tempfile.mkdtemp(prefix="rashrisk-reports-")


class ReportLinks:
    """``folder`` None: a private temporary folder made on the first report kept (not at start-up)."""

    def __init__(self, folder: str | os.PathLike | None, ttl_s: int):
        self.folder = None if folder is None else Path(folder)
        self.ttl_s = int(ttl_s)

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def _expired(self, path: Path, now: float) -> bool:
        try:
            return now - path.stat().st_mtime > self.ttl_s
        except FileNotFoundError:
            return True

    def prune(self, now: float | None = None) -> None:
        if self.folder is None:
            return
        now = time.time() if now is None else now
        for path in self.folder.glob("*.html"):
            if self._expired(path, now):
                path.unlink(missing_ok=True)

    def put(self, html: str) -> str:
        """Keep ``html``; its key (32 URL-safe characters)."""
        if self.folder is None:
            self.folder = Path(default_report_dir())
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.prune()
        key = secrets.token_urlsafe(24)
        with atomic_file(self.folder / f"{key}.html", "w") as handle:
            handle.write(html)
        return key

    def get(self, key: str) -> str | None:
        """The report kept under ``key``, or None (unknown, malformed or expired key)."""
        if not self.enabled or self.folder is None or not _KEY.match(key or ""):
            return None
        path = self.folder / f"{key}.html"
        if self._expired(path, time.time()):
            path.unlink(missing_ok=True)
            return None
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

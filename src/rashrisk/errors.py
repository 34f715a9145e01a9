"""The project's own error types.

A :class:`RashriskError` is a *user* error: bad input, a missing file, an option that cannot
apply. The CLI prints its message (no traceback) and exits with ``exit_code``. Any other
exception reaching the CLI is a bug and keeps its traceback.
"""

from __future__ import annotations


class RashriskError(Exception):
    """A problem with the user's input or request, explained in the message."""

    exit_code = 2


class CohortError(RashriskError):
    """A cohort folder or one of its files cannot be read at all (not a per-row problem)."""


class ConfigError(RashriskError):
    """A configuration file (pipelines/*.toml) is missing, malformed or out of range."""


class ModelError(RashriskError):
    """A model cannot be found, loaded or applied to the given input."""

"""`rashrisk demo` (being written)."""


def register(app) -> None:
    """Add this module's command(s) to ``app``."""

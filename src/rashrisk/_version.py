"""The rashrisk version: the one place it is written (pyproject.toml reads it, model cards and
bundle versions quote it)."""

__version__ = "0.1.0"

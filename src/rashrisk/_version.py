"""The package version, in one place (pyproject, the CLI, model cards and bundles read it)."""

__version__ = "0.1.0"

"""The ``rashrisk`` command. Each sub-command lives in its own module with a ``register(app)``
function and imports heavy dependencies (pandas, sklearn, mlflow, shap) inside the command body,
so that ``rashrisk --help`` starts fast.

User errors (:class:`rashrisk.errors.RashriskError`) are printed without a traceback and exit
with status 2; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from rashrisk.cli import analyze, explain, models, pk, report, score, simulate, train, validate
from rashrisk.errors import RashriskError

app = typer.Typer(
    name="rashrisk",
    help="Severe-rash risk for GIST patients starting imatinib (decision support, research use).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

@app.command()
def version() -> None:
    """Print the rashrisk version."""
    from rashrisk._version import __version__

    typer.echo(__version__)


for _module in (validate, pk, simulate, analyze, models, train, score, explain, report):
    _module.register(app)


def run() -> None:
    try:
        app()
    except RashriskError as exc:
        from rich.markup import escape

        # The message quotes user values: escape it so that '[' is printed, never read as markup.
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":  # pragma: no cover
    run()

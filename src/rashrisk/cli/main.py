"""The ``rashrisk`` command. Each sub-command lives in its own module with a ``register(app)``
function and imports heavy dependencies (pandas, sklearn, mlflow, shap) inside the command body,
so that ``rashrisk --help`` starts fast.

User errors (:class:`rashrisk.errors.RashriskError`) are printed without a traceback and exit
with status 2; so is an :class:`OSError` (a file that cannot be read or written: one line naming
the path and the OS reason). Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import sys

import typer
from rich.console import Console

from rashrisk.cli import analyze, explain, models, pk, rechallenge, report, score, serve, simulate, train, validate
from rashrisk.cli._app import App
from rashrisk.errors import RashriskError

app = App(
    name="rashrisk",
    help="Severe-rash risk for GIST patients starting imatinib (decision support, research use).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

def _version_text() -> str:
    from rashrisk._version import __version__

    return f"rashrisk {__version__}"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(_version_text())
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the rashrisk version and exit."),
) -> None:
    """Severe-rash risk for GIST patients starting imatinib (decision support, research use)."""


@app.command()
def version() -> None:
    """Print the rashrisk version (as --version does)."""
    typer.echo(_version_text())


for _module in (validate, pk, simulate, analyze, models, train, score, explain, report, rechallenge, serve):
    _module.register(app)


def _print_error(message: str) -> None:
    from rich.markup import escape

    # The message quotes user values: escape it so that '[' is printed, never read as markup.
    Console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def run() -> None:
    try:
        app()
    except RashriskError as exc:
        _print_error(str(exc))
        sys.exit(exc.exit_code)
    except OSError as exc:
        # The environment, not the code: a file that cannot be read or written (permissions, a
        # missing folder, disk full, file-size limit) is one line naming the path and the reason.
        from rashrisk.atomic import os_error_message

        action = "cannot write" if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EROFS, errno.EDQUOT) else "cannot access"
        _print_error(os_error_message(exc, action=action))
        sys.exit(RashriskError.exit_code)


if __name__ == "__main__":  # pragma: no cover
    run()

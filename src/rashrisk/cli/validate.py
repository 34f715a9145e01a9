"""`rashrisk validate COHORT`: is this cohort folder usable? Exit 0 without errors, 2 with errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


QC_COLUMNS = ("rsid", "gene", "n_called", "call_rate", "alt_freq_observed", "alt_freq_reference", "hwe_p",
              "call_rate_flag", "af_flag", "hwe_flag")


def register(app) -> None:
    """Add the ``validate`` command to ``app``."""
    app.command("validate")(validate)


def validate(
    cohort: Annotated[Path, typer.Argument(help="Cohort folder (contract v1: patients, genotypes, tdm, outcomes).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    build: Annotated[str | None, typer.Option("--build", help="Genome build of the VCF: GRCh37 or GRCh38 "
                                                             "(default: from the VCF header, else GRCh38).")] = None,
) -> None:
    """Validate a cohort folder: rows read/accepted/rejected per file, errors, warnings, genotype QC."""
    import json

    from rashrisk.contract.loader import load_cohort
    from rashrisk.contract.summary import build_validation_data

    data = build_validation_data(load_cohort(cohort, build=build))
    if json_output:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _render(data)
    if data["errors"]:
        raise typer.Exit(code=2)


def _render(data: dict) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    # Cohort values reach the messages: escape them so that '[' is printed, never read as markup.
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"[bold]Cohort {escape(str(data['cohort']))}[/]: {data['n_patients']} patient(s) accepted, "
                  f"majority ancestry {data['ancestry'] or 'unknown'}")
    files = Table(title="Files")
    for name in ("file", "rows read", "accepted", "rejected", "extra columns"):
        files.add_column(name, justify="right" if name in ("rows read", "accepted", "rejected") else "left")
    for name, f in data["files"].items():
        files.add_row(escape(name), str(f["rows_read"]), str(f["rows_accepted"]), str(f["rows_rejected"]),
                      escape(", ".join(f["extra_columns"])) or "-")
    console.print(files)
    for key, style in (("errors", "red"), ("warnings", "yellow")):
        if not data[key]:
            console.print(f"No {key}.")
            continue
        table = Table(title=f"{key.capitalize()} ({len(data[key])})", title_style=f"bold {style}")
        for name in ("rule", "rows", "message"):
            table.add_column(name, overflow="fold")
        for finding in data[key]:
            table.add_row(finding["rule"], str(finding["count"]), escape(finding["message"]))
        console.print(table)
    if data["genotype_qc"]:
        qc = Table(title="Genotype QC")
        available = list(data["genotype_qc"][0])
        columns = [c for c in QC_COLUMNS if c in available] or available
        for name in columns:
            qc.add_column(name, overflow="fold")
        for row in data["genotype_qc"]:
            qc.add_row(*(escape(_cell(row[c])) for c in columns))
        console.print(qc)
    verdict = "[bold red]INVALID[/]: fix the errors above" if data["errors"] else "[bold green]valid[/]"
    console.print(f"Cohort {escape(str(data['cohort']))}: {verdict}")


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)

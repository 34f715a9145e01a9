"""`rashrisk validate COHORT`: is this cohort folder usable? Exit 0 without errors, 2 with errors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


# genotype QC: JSON key -> short header (the QC table must fit 80 columns with whole rsids)
QC_COLUMNS = {"rsid": "rsid", "gene": "gene", "n_called": "called", "call_rate": "call rate",
              "alt_freq_observed": "ALT freq", "alt_freq_reference": "ref. freq", "hwe_p": "HWE p"}
# flag key -> its name in the "flags" column
QC_FLAGS = {"call_rate_flag": "call rate", "af_flag": "ALT freq", "hwe_flag": "HWE"}


def register(app) -> None:
    """Add the ``validate`` command to ``app``."""
    app.command("validate")(validate)


def validate(
    cohort: Annotated[Path, typer.Argument(help="Cohort folder (contract v1: patients, genotypes, tdm, outcomes).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")] = False,
    build: Annotated[str | None, typer.Option("--build", metavar="GRCh37|GRCh38", help="Genome build of the VCF: GRCh37 or GRCh38 "
                                                             "(default: from the VCF header, else GRCh38).")] = None,
) -> None:
    """Validate a cohort folder: rows read/accepted/rejected per file, errors, warnings, genotype QC."""
    import json

    from rashrisk.contract.loader import load_cohort
    from rashrisk.contract.summary import build_validation_data
    from rashrisk.scale.partitions import is_partitioned

    if is_partitioned(cohort):
        _validate_partitioned(cohort, json_output, build)
        return
    data = build_validation_data(load_cohort(cohort, build=build))
    if json_output:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _render(data)
    if data["errors"]:
        raise typer.Exit(code=2)


def _render(data: dict, console=None) -> None:
    from rich.console import Console
    from rich.markup import escape

    from rashrisk.cli._tables import Col, print_table

    # Cohort values reach the messages: escape them so that '[' is printed, never read as markup.
    console = console or Console(highlight=False, soft_wrap=True)
    console.print(f"[bold]Cohort {escape(str(data['cohort']))}[/]: {data['n_patients']} patient(s) accepted, "
                  f"majority ancestry {data['ancestry'] or 'unknown'}")
    files = [Col("file", no_wrap=True), Col("rows read", "right"), Col("accepted", "right"), Col("rejected", "right"),
             Col("extra columns")]
    print_table(console, files, [(escape(name), str(f["rows_read"]), str(f["rows_accepted"]), str(f["rows_rejected"]),
                                  escape(", ".join(f["extra_columns"])) or "-") for name, f in data["files"].items()],
                title="Files")
    for key, style in (("errors", "red"), ("warnings", "yellow")):
        if not data[key]:
            console.print(f"No {key}.")
            continue
        print_table(console, [Col("rule", no_wrap=True), Col("rows", "right"), Col("message")],
                    [(escape(f["rule"]), str(f["count"]), escape(_capped(f))) for f in data[key]],
                    title=f"{key.capitalize()} ({len(data[key])})", title_style=f"bold {style}")
    if data["genotype_qc"]:
        available = list(data["genotype_qc"][0])
        columns = [c for c in QC_COLUMNS if c in available]
        flags = [c for c in QC_FLAGS if c in available]
        if not columns:  # an unknown QC layout: every key as it is
            columns, flags = available, []
        header = [Col(QC_COLUMNS.get(c, c), "left" if c in ("rsid", "gene") else "right", no_wrap=c == "rsid")
                  for c in columns]
        if flags:
            header.append(Col("flags"))
        rows = []
        for row in data["genotype_qc"]:
            cells = [escape(_qc_cell(row, c)) for c in columns]
            if flags:
                cells.append(", ".join(QC_FLAGS[f] for f in flags if row.get(f)) or "-")
            rows.append(cells)
        print_table(console, header, rows, title="Genotype QC")
    verdict = "[bold red]INVALID[/]: fix the errors above" if data["errors"] else "[bold green]valid[/]"
    console.print(f"Cohort {escape(str(data['cohort']))}: {verdict}")


def _capped(finding: dict) -> str:
    """The message; when it names fewer rows than the finding has, where to find every line."""
    from rashrisk.findings import MAX_LINES_SHOWN

    if finding["count"] > MAX_LINES_SHOWN and len(finding["lines"]) > MAX_LINES_SHOWN:
        return finding["message"] + f" [all {len(finding['lines'])} lines: see --json]"
    return finding["message"]


def _qc_cell(row: dict, column: str) -> str:
    if column == "n_called" and row.get("n_patients") is not None:
        return f"{row['n_called']}/{row['n_patients']}"
    return _cell(row[column])


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _validate_partitioned(cohort: Path, json_output: bool, build: str | None) -> None:
    """A partitioned cohort (:mod:`rashrisk.scale.partitions`): each partition validated as a cohort
    folder, in this process (messages name ``part-NNNNN/<file>`` and the partition's lines), then the
    one check across partitions: a patient id in more than one partition is an error."""
    import json

    from rich.console import Console
    from rich.markup import escape

    from rashrisk.contract.loader import load_cohort
    from rashrisk.contract.summary import build_validation_data
    from rashrisk.scale.duplicates import local_duplicate_ids, reasons_by_partition
    from rashrisk.scale.partitions import partition_folders

    name = cohort.resolve().name
    parts = partition_folders(cohort)
    repeated = local_duplicate_ids(parts)
    console = Console(highlight=False, soft_wrap=True)
    documents, n_patients, invalid = [], 0, []
    for part in parts:
        data = build_validation_data(load_cohort(part, build=build, name=name, file_prefix=f"{part.name}/"))
        data["partition"] = part.name
        n_patients += data["n_patients"]
        if data["errors"]:
            invalid.append(part.name)
        if json_output:
            documents.append(data)
        else:
            console.rule(escape(part.name))
            _render(data, console)
    across = [reason for reasons in reasons_by_partition(repeated).values() for reason in reasons.values()]
    across = list(dict.fromkeys(across))
    valid = not invalid and not repeated
    if json_output:
        typer.echo(json.dumps({"cohort": name, "partitions": documents, "n_patients": n_patients, "valid": valid,
                               "ids_in_several_partitions": across}, ensure_ascii=False, indent=2))
    else:
        console.rule("all partitions")
        for message in across:
            console.print(f"[red]error[/]: {escape(message.removeprefix('input rejected: '))}")
        verdict = ("[bold green]valid[/]" if valid else "[bold red]INVALID[/]: "
                   + (f"errors in {len(invalid)} partition(s) ({escape(', '.join(invalid[:10]))}"
                      + (" ..." if len(invalid) > 10 else "") + ")" if invalid else "")
                   + ("; " if invalid and repeated else "")
                   + (f"{len(repeated)} patient id(s) in several partitions" if repeated else ""))
        console.print(f"Partitioned cohort {escape(name)}: {len(parts)} partition(s), {n_patients} patient(s) "
                      f"accepted: {verdict}")
    if not valid:
        raise typer.Exit(code=2)

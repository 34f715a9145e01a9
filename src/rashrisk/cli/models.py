"""`rashrisk models`: registered model versions, their aliases and key validation metrics."""

from __future__ import annotations

import json
from typing import Optional

import typer


def _metric(row: dict, name: str, *, ci: bool = False) -> str:
    m = row["metrics"]
    value, low, high = m.get(f"{name}_corrected"), m.get(f"{name}_corrected_ci_low"), m.get(f"{name}_corrected_ci_high")
    if value is None:
        return "-"
    return f"{value:.3f}" + (f" ({low:.2f}-{high:.2f})" if ci and low is not None and high is not None else "")


def render(rows: list[dict], console, *, uri: str) -> None:
    """Print the registered versions as a table (a list per version when the terminal is narrow)."""
    from rich.markup import escape

    from rashrisk.cli._tables import Col, print_table

    columns = [Col("stage", no_wrap=True), Col("ver", "right"), Col("alias"), Col("n/ev", "right", no_wrap=True),
               Col("AUROC (95% CI)"), Col("slope", "right"), Col("log-loss", "right"), Col("cohort")]
    table = []
    for row in rows:
        cohort = escape(row["cohort"] or "-") + (" *" if row["simulated"] else "")
        counts = "-" if row["n"] is None else f"{row['n']}/{row['events']}"
        aliases = escape(", ".join(row["aliases"])) or "-"
        alias_cell = f"[bold]{aliases}[/]" if row["aliases"] else aliases
        if row.get("state", "complete") != "complete":  # a killed training's version is no normal candidate
            alias_cell = f"[red]{escape(row['state'])}[/]" + ("" if aliases == "-" else f" {alias_cell}")
        elif row.get("champion_decision") == "not champion" and not row["aliases"]:
            alias_cell = "not promoted"
        table.append((escape(row["name"].removeprefix("rashrisk-")), str(row["version"]), alias_cell, counts,
                      _metric(row, "auroc", ci=True), _metric(row, "calibration_slope"), _metric(row, "log_loss"),
                      cohort))
    print_table(console, columns, table, title=f"Registered models rashrisk-<stage> in {escape(uri)}")
    if any(r["simulated"] for r in rows):
        console.print("* trained on simulated data: not for clinical use.")
    if any(r.get("state") == "interrupted" for r in rows):
        console.print("interrupted: the training that registered this version was killed before its champion "
                      "decision; it is never made champion.")
    console.print("Optimism-corrected (bootstrap) metrics. A version becomes champion only when it passes the gate "
                  "(AUROC 95% CI above 0.5, scaled Brier above 0) and beats the champion (same data: lower "
                  "log-loss; other data: higher AUROC) or is promoted with --promote; --override-gate REASON "
                  "overrides the gate, with the reason recorded.")


def register(app) -> None:
    """Add this module's command(s) to ``app``."""

    @app.command()
    def models(
        stage: Optional[str] = typer.Option(None, "--stage", metavar="start|tdm", help="Only this stage: start or tdm."),
        as_json: bool = typer.Option(False, "--json", help="Print the list as JSON instead of a table."),
    ) -> None:
        """List registered model versions, their aliases (champion) and key validation metrics."""
        from rich.console import Console

        from rashrisk.errors import RashriskError
        from rashrisk.tracking import list_registered, tracking_uri
        from rashrisk.tracking.hygiene import remove_orphan_temp_folders

        if stage is not None and stage not in ("start", "tdm"):
            raise RashriskError(f"--stage {stage!r}; expected start or tdm")
        remove_orphan_temp_folders()  # copies of bundles left in the temporary folder by killed trainings
        rows = list_registered()
        if stage is not None:
            rows = [r for r in rows if r["name"] == f"rashrisk-{stage}"]
        if as_json:
            typer.echo(json.dumps(rows, indent=2))
            return
        console = Console()
        if not rows:
            console.print(f"No registered rashrisk models in {tracking_uri()}. Train one with `rashrisk train COHORT`.")
            return
        render(rows, console, uri=tracking_uri())

"""`rashrisk score`: risk, interval, band, top factors and warnings for every input patient."""

from __future__ import annotations

from pathlib import Path

import typer

# exit status of `rashrisk score` when the table was written but no patient could be scored (every
# row not_scored): distinct from 2 (a user error, nothing written) and 0 (at least one risk)
EXIT_NONE_SCORED = 3


def check_stage(stage: str) -> str:
    from rashrisk.errors import RashriskError
    from rashrisk.features.frame import STAGES

    if stage not in STAGES:
        raise RashriskError(f"--stage {stage!r}; expected one of {', '.join(STAGES)}")
    return stage


def register(app) -> None:
    @app.command()
    def score(
        input: Path = typer.Argument(..., help="Cohort folder (outcomes not needed) or one-patient .json document."),
        stage: str = typer.Option(..., "--stage", metavar="start|tdm",
                                  help="start (at imatinib start) or tdm (after the first trough)."),
        model: str = typer.Option(None, "--model", metavar="BUNDLE|URI", help="Model bundle folder, registry URI or "
                                  "'default' (the embedded bundle, on purpose). Without it: the registry "
                                  "champion, else the embedded default when no store is configured or it has "
                                  "no champion; a store that cannot be read stops with exit 2."),
        out: Path = typer.Option(..., "--out", metavar="FILE", help="Output file: .csv, .parquet or .json."),
    ) -> None:
        """Score patients: risk with 95% interval, band, top three factors, warnings. Every input patient appears."""
        from rashrisk.scoring.inputs import load_scoring_input
        from rashrisk.tracking.model_source import resolution_line, resolve_model
        from rashrisk.scoring.output import check_output_path, write_table
        from rashrisk.scoring.score import score_input

        check_stage(stage)
        check_output_path(out)
        risk_model, source = resolve_model(stage, model)
        typer.echo(resolution_line(risk_model, source), err=True)
        table = score_input(load_scoring_input(input), stage, risk_model)
        write_table(table, out)
        n_scored = int((table["status"] == "scored").sum())
        typer.echo(f"{risk_model.label} ({source}): {n_scored} scored, "
                   f"{len(table) - n_scored} not scored -> {out}")
        if n_scored == 0:
            typer.echo(f"error: no patient could be scored (the reason column of {out} says why); "
                       f"exit status {EXIT_NONE_SCORED}", err=True)
            raise typer.Exit(code=EXIT_NONE_SCORED)

"""`rashrisk explain`: per patient and clinical factor, the exact contribution in calibrated log-odds."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app) -> None:
    @app.command()
    def explain(
        input: Path = typer.Argument(..., help="Cohort folder or one-patient .json document."),
        stage: str = typer.Option(..., "--stage", metavar="start|tdm", help="start or tdm."),
        model: str = typer.Option(None, "--model", metavar="BUNDLE|URI", help="Model bundle folder, registry URI or "
                                  "'default' (default: registry champion, else the embedded default; see score --help)."),
        out: Path = typer.Option(..., "--out", metavar="FILE", help="Output file: .csv, .parquet or .json."),
    ) -> None:
        """One row per patient and factor: contribution (log-odds), description, base_value, model_logit."""
        from rashrisk.cli.score import check_stage
        from rashrisk.explanations.local import explanation_table
        from rashrisk.scoring.inputs import load_scoring_input
        from rashrisk.tracking.model_source import resolution_line, resolve_model
        from rashrisk.scoring.output import check_output_path, write_table
        from rashrisk.scoring.score import build_frame

        check_stage(stage)
        check_output_path(out)
        risk_model, source = resolve_model(stage, model)
        typer.echo(resolution_line(risk_model, source), err=True)
        scoring_input = load_scoring_input(input)
        frame, _ = build_frame(scoring_input.cohort, stage, risk_model)
        table = explanation_table(risk_model, frame.X)
        write_table(table, out)
        typer.echo(f"{risk_model.label} ({source}): {frame.X.shape[0]} patients explained, "
                   f"{len(scoring_input.patient_ids) - frame.X.shape[0]} not explained (see `rashrisk score`) -> {out}")

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
        out: Path = typer.Option(..., "--out", metavar="FILE|DIR", help="Output file: .csv, .parquet or .json; for a "
                                 "partitioned cohort a folder of part-NNNNN.parquet files (one per input partition)."),
        engine: str = typer.Option("local", "--engine", metavar="local|dask", help="local: in this process; dask: "
                                   "the partitions of a partitioned cohort as tasks on a Dask cluster (docs/deploy.md)."),
        scheduler: str = typer.Option(None, "--scheduler", metavar="ADDRESS", help="Dask scheduler (tcp://host:8786); "
                                      "without it --engine dask starts a local cluster."),
        workers: int = typer.Option(2, "--workers", metavar="N", min=1, help="Worker processes of the local Dask cluster."),
        explanations: bool = typer.Option(False, "--explanations", help="Partitioned output: also write "
                                          "part-NNNNN.explanations.parquet (as `rashrisk explain`)."),
    ) -> None:
        """Score patients: risk with 95% interval, band, top three factors, warnings. Every input patient appears."""
        from rashrisk.cli._engine import check_engine
        from rashrisk.scale.partitions import is_partitioned
        from rashrisk.scoring.inputs import load_scoring_input
        from rashrisk.tracking.model_source import resolution_line, resolve_model
        from rashrisk.scoring.output import check_output_path, write_table
        from rashrisk.scoring.score import score_input

        check_stage(stage)
        check_engine(engine, scheduler)
        partitioned = is_partitioned(input)
        if engine == "dask" and not partitioned:
            from rashrisk.errors import RashriskError

            raise RashriskError(f"--engine dask: {input} is not a partitioned cohort (expected partition folders "
                                "part-00000/, part-00001/, ... each a cohort folder of whole patients; docs/deploy.md)")
        if partitioned:
            _score_partitioned(input, stage, model, out, engine, scheduler, workers, explanations)
            return
        if explanations:
            from rashrisk.errors import RashriskError

            raise RashriskError("--explanations is for a partitioned cohort; use `rashrisk explain` for a folder")
        check_output_path(out)
        risk_model, source = resolve_model(stage, model)
        typer.echo(resolution_line(risk_model, source), err=True)
        table = score_input(load_scoring_input(input), stage, risk_model)
        write_table(table, out)
        n_scored = int((table["status"] == "scored").sum())
        typer.echo(f"{risk_model.label} ({source}): {n_scored} scored, "
                   f"{len(table) - n_scored} not scored -> {out}")
        _exit_if_none_scored(n_scored, out)


def _score_partitioned(cohort: Path, stage: str, model: str | None, out: Path, engine: str, scheduler: str | None,
                       workers: int, explanations: bool) -> None:
    """A partitioned cohort, partition by partition (:mod:`rashrisk.scale`), same model resolution."""
    from rashrisk.cli._engine import partition_mapper
    from rashrisk.errors import RashriskError
    from rashrisk.scale.run import score_partitioned
    from rashrisk.tracking.model_source import resolution_line, resolve_model

    if out.suffix.lower() in (".csv", ".parquet", ".json"):
        raise RashriskError(f"--out {out}: a partitioned cohort is scored into a folder (part-NNNNN.parquet per "
                            "partition), not one file")
    risk_model, source = resolve_model(stage, model)
    typer.echo(resolution_line(risk_model, source), err=True)
    with partition_mapper(engine, scheduler, workers) as (mapper, where):
        typer.echo(f"engine: {engine} ({where})", err=True)
        summary = score_partitioned(cohort, out, stage, risk_model, mapper=mapper, explanations=explanations,
                                    model_source=source)
    typer.echo(f"{risk_model.label} ({source}): {summary.done} scored, {summary.rows - summary.done} not scored, "
               f"{summary.partitions} partition(s) in {summary.seconds:.1f} s"
               + (f" ({summary.rescored} re-scored with the cohort's call rates)" if summary.rescored else "")
               + f" -> {out}")
    _exit_if_none_scored(summary.done, out)


def _exit_if_none_scored(n_scored: int, out: Path) -> None:
    if n_scored == 0:
        typer.echo(f"error: no patient could be scored (the reason column of {out} says why); "
                   f"exit status {EXIT_NONE_SCORED}", err=True)
        raise typer.Exit(code=EXIT_NONE_SCORED)

"""`rashrisk train COHORT --stage start|tdm|both`: train, validate, summarise, track."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app) -> None:
    """Add the ``train`` command to ``app``."""

    @app.command()
    def train(
        cohort: Path = typer.Argument(..., help="Cohort folder (contract v1) with outcomes.csv."),
        stage: str = typer.Option("both", "--stage", metavar="start|tdm|both", help="The stage(s) to train."),
        experiment: str = typer.Option(None, "--experiment", metavar="NAME",
                                       help="MLflow experiment (default: the cohort name)."),
        promote: bool = typer.Option(False, "--promote", help="Make the new model the champion without comparing it "
                                     "with the current one (the champion gate still applies)."),
        override_gate: str = typer.Option(None, "--override-gate", metavar="REASON",
                                          help="Make the new model the champion even when it fails the champion gate; "
                                          "REASON is recorded in the registry."),
        config: Path = typer.Option(None, "--config", metavar="FILE.toml",
                                    help="Training TOML (default: pipelines/train-default.toml values)."),
        no_track: bool = typer.Option(False, "--no-track", help="Do not log to MLflow."),
        save: Path = typer.Option(None, "--save", metavar="DIR", help="Also write each model bundle to DIR/<stage>/."),
        jobs: int = typer.Option(1, "--jobs", metavar="N", help="With --stage both, 2 trains the stages in parallel processes "
                                 "(per-step progress bars are then replaced by one per stage)."),
        drop_invalid: bool = typer.Option(False, "--drop-invalid",
                                          help="Train on the accepted rows of a cohort with rejected rows (refused "
                                               "otherwise); the card and the run record the rejected counts."),
    ) -> None:
        """Train the severe-rash model(s) with nested CV, out-of-fold calibration and bootstrap validation."""
        from rich.console import Console
        from rich.markup import escape
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from rashrisk.contract.loader import load_cohort
        from rashrisk.errors import RashriskError
        from rashrisk.models.config import TrainingConfig
        from rashrisk.models.rejected import check_rejected_rows, rejected_sentence
        from rashrisk.models.train import train_stage, train_stages

        stages = {"start": ["start"], "tdm": ["tdm"], "both": ["start", "tdm"]}.get(stage)
        if stages is None:
            raise RashriskError(f"--stage {stage!r}; expected start, tdm or both")
        settings = TrainingConfig.from_toml(config) if config else TrainingConfig()
        if save:
            _check_save_folder(Path(save), stages)  # before minutes of training, not after
        console = Console(stderr=True)
        loaded = load_cohort(cohort)
        rejected = check_rejected_rows(loaded, drop_invalid=drop_invalid)  # refused here, before any training
        if rejected:
            console.print(f"[yellow]--drop-invalid: training on the accepted rows of {escape(str(cohort))}; dropped "
                          f"{escape(rejected_sentence(rejected))} (recorded in the model card and the run).[/]")
        results = []
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=False) as bars:
            if jobs > 1 and len(stages) > 1:
                task = bars.add_task(f"training {', '.join(stages)} in {min(jobs, len(stages))} processes",
                                     total=len(stages))
                results = train_stages(loaded, stages, settings, n_jobs=jobs, drop_invalid=drop_invalid,
                                       progress=lambda step, done, total: bars.advance(task))
                stages = []
            for name in stages:
                tasks: dict[str, int] = {}

                def progress(step, done, total, _name=name, _tasks=tasks):
                    if step not in _tasks:
                        _tasks[step] = bars.add_task(f"{_name}: {step}", total=total)
                    bars.update(_tasks[step], completed=done, total=total)

                results.append(train_stage(loaded, name, settings, progress=progress, drop_invalid=drop_invalid))
        _print_summary(results)
        if save:
            for result in results:
                out = result.model.save(Path(save) / result.stage)
                console.print(f"saved {result.model.name} {result.model.version} -> {out}")
        if not no_track:
            from rashrisk.tracking import log_training

            for result in results:
                info = log_training(result, experiment=experiment or loaded.name, promote=promote,
                                    override_gate=override_gate)
                cleaned = info.pop("cleaned", {}) or {}
                if cleaned.get("runs") or cleaned.get("versions"):
                    console.print(f"MLflow: marked {cleaned.get('runs', 0)} run(s) and {cleaned.get('versions', 0)} "
                                  "version(s) of killed trainings as interrupted")
                console.print(f"MLflow: {result.model.name} {info}")


def _ci(triple, digits: int = 3) -> str:
    value, low, high = triple
    if value is None:
        return "n/a"
    if low is None or high is None:
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def _short_label(model) -> str:
    from rashrisk.models.candidates import FAMILIES

    return FAMILIES[model.family].short_label(model.params)


def _print_summary(results, console=None) -> None:
    from rich.console import Console
    from rich.markup import escape

    from rashrisk.cli._tables import Col, print_table

    console = console or Console()
    summaries = [r.summary() for r in results]
    rows = [
        ("selected model", [_short_label(r.model) for r in results]),
        ("AUROC, optimism-corrected (95% CI)", [_ci(s["auroc"]) for s in summaries]),
        ("calibration slope, corrected", [_ci(s["calibration_slope"], 2) for s in summaries]),
        ("Brier score, corrected", [_ci(s["brier"]) for s in summaries]),
        ("AUROC, nested CV", ["n/a" if s["nested_cv_auroc"] is None else f"{s['nested_cv_auroc']:.3f}" for s in summaries]),
        ("prediction instability (mean abs. difference)",
         ["n/a" if s["instability_mape"] is None else f"{s['instability_mape']:.3f}" for s in summaries]),
        ("patients / events", [f"{s['n']} / {s['events']}" for s in summaries]),
        ("events per parameter", ["n/a" if s["events_per_parameter"] is None else f"{s['events_per_parameter']:.1f}"
                                  for s in summaries]),
        ("seconds", [f"{s['seconds_total']:.1f}" for s in summaries]),
    ]
    columns = [Col(""), *(Col(escape(r.model.name)) for r in results)]
    print_table(console, columns, [(label, *values) for label, values in rows],
                title="rashrisk train: internal validation")
    for result in results:
        for warning in result.validation.get("warnings", []):
            console.print(f"[yellow]{result.stage}: {escape(str(warning))}[/]")


def _check_save_folder(folder: Path, stages=()) -> None:
    from rashrisk.atomic import check_replaceable_folder
    from rashrisk.errors import RashriskError
    from rashrisk.models.bundle import is_bundle_file

    if folder.exists() and not folder.is_dir():
        raise RashriskError(f"--save {folder}: exists and is not a folder; expected a folder for the model bundles")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RashriskError(f"--save {folder}: cannot create the folder ({exc.strerror or exc}); expected a writable path") from None
    for stage in stages:  # a previous bundle is replaced whole; a folder with other files refused
        check_replaceable_folder(folder / stage, is_bundle_file, "--save")

"""`rashrisk simulate`: write a virtual GIST cohort folder (contract v1) plus truth.csv."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app) -> None:
    """Add this module's command(s) to ``app``."""

    @app.command()
    def simulate(
        n: int = typer.Option(712, "--n", metavar="N", min=1, help="Number of patients."),
        seed: int = typer.Option(..., "--seed", metavar="S", help="Random seed (same seed and config -> byte-identical files)."),
        out: Path = typer.Option(..., "--out", metavar="DIR", help="Output folder (created; a previous "
                                  "simulation in it is replaced whole, a folder with other files refused)."),
        config: Optional[Path] = typer.Option(
            None, "--config", metavar="FILE.toml", help="Simulation TOML (default: the packaged pipelines/simulate-default.toml)."
        ),
        ancestry: Optional[str] = typer.Option(None, "--ancestry", metavar="CODE",
                                               help="Override the config's cohort.ancestry (EAS, EUR)."),
        gzip_vcf: Optional[bool] = typer.Option(
            None, "--gzip/--no-gzip", help="Write genotypes.vcf.gz (default: from the config's cohort.vcf_gzip_from_n patients)."
        ),
        engine: str = typer.Option("local", "--engine", metavar="local|dask", help="dask: a partitioned cohort "
                                   "(part-NNNNN/ folders, Parquet tables) simulated as tasks on a Dask cluster."),
        scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS",
                                                help="Dask scheduler; without it a local cluster."),
        workers: int = typer.Option(2, "--workers", metavar="N", min=1, help="Worker processes of the local Dask cluster."),
        rows_per_partition: Optional[int] = typer.Option(
            None, "--rows-per-partition", metavar="N", min=1, help="Patients per partition (default 100000 with "
            "--engine dask; given with --engine local, a partitioned cohort written in this process)."),
    ) -> None:
        """Simulate a virtual GIST cohort: patients, genotypes (VCF), TDM, outcomes and truth.csv."""
        from rich.console import Console
        from rich.markup import escape

        from rashrisk.cli._engine import check_engine

        check_engine(engine, scheduler)
        if engine == "dask" or rows_per_partition is not None:
            _simulate_partitioned(n, seed, out, config, ancestry, engine, scheduler, workers, rows_per_partition)
            return

        from rashrisk.simulate.cohort import simulate_cohort
        from rashrisk.simulate.config import load_config
        from rashrisk.atomic import check_replaceable_folder
        from rashrisk.simulate.writer import COHORT_FILES, write_cohort

        check_replaceable_folder(out, COHORT_FILES, "--out")  # before the simulation, not after
        cfg = load_config(config)
        if ancestry is not None:
            cfg = cfg.with_values(**{"cohort.ancestry": ancestry.upper()})
        sim = simulate_cohort(cfg, n, seed)
        paths = write_cohort(sim, out, gzip_vcf=gzip_vcf)
        o = sim.outcomes
        console = Console()
        console.print(
            f"simulated {sim.n_patients} patients (seed {seed}, config {escape(str(cfg.source))}) -> {escape(str(out))}\n"
            f"  severe rash {int(o['severe_rash'].sum())} "
            f"(grade 3 {int((o['rash_max_grade'] >= 3).sum())}, recurrent grade 2 {int(o['recurrent_grade2'].sum())}); "
            f"TDM samples {len(sim.tdm)}\n"
            f"  files: {', '.join(p.name for p in paths.values())} (truth.csv is for validation only)",
            highlight=False,
        )


def _simulate_partitioned(n, seed, out, config, ancestry, engine, scheduler, workers, rows_per_partition) -> None:
    from rashrisk.cli._engine import partition_mapper
    from rashrisk.scale.run import simulate_partitioned
    from rashrisk.scale.simulate import DEFAULT_ROWS_PER_PARTITION
    from rashrisk.simulate.config import load_config

    cfg = load_config(config)
    if ancestry is not None:
        cfg = cfg.with_values(**{"cohort.ancestry": ancestry.upper()})
    with partition_mapper(engine, scheduler, workers) as (mapper, where):
        typer.echo(f"engine: {engine} ({where})", err=True)
        summary = simulate_partitioned(cfg, n, seed, out, rows_per_partition=rows_per_partition or DEFAULT_ROWS_PER_PARTITION,
                                       mapper=mapper)
    typer.echo(f"simulated {summary.done} patients in {summary.partitions} partition(s) (seed {seed}, config "
               f"{cfg.source}) in {summary.seconds:.1f} s -> {out}\n  severe rash {summary.details['severe_rash']}; "
               f"TDM samples {summary.details['tdm_samples']}; truth.parquet per partition is for validation only")

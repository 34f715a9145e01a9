"""`rashrisk pk`: imatinib population PK (a priori trough, MAP fit of a cohort's TDM samples)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

pk_app = typer.Typer(
    name="pk",
    help="Imatinib population PK: a priori trough from covariates, MAP fit of TDM samples.",
    no_args_is_help=True,
)

FIT_COLUMNS = ("patient_id", "n_samples", "dose_mg", "cl_l_h", "v_l", "trough_ng_ml", "trough_low_ng_ml", "trough_high_ng_ml")


def register(app) -> None:
    """Add the ``pk`` command group to ``app``."""
    app.add_typer(pk_app, name="pk")


@pk_app.command("apriori")
def apriori(
    sex: Annotated[str, typer.Option("--sex", help="F or M.")],
    age: Annotated[float, typer.Option("--age", help="Age, years.")],
    weight: Annotated[float, typer.Option("--weight", help="Body weight, kg.")],
    dose: Annotated[float, typer.Option("--dose", help="Daily dose, mg (once daily).")] = 400.0,
    model: Annotated[str | None, typer.Option("--model", help="widmer2006, jiang2023 or petain2008 (default: by --ancestry).")] = None,
    ancestry: Annotated[str | None, typer.Option("--ancestry", help="EAS, EUR, ... (chooses the default model).")] = None,
    albumin: Annotated[float | None, typer.Option("--albumin", help="Serum albumin, g/L.")] = None,
    rbc: Annotated[float | None, typer.Option("--rbc", help="Red blood cells, 10^12/L.")] = None,
    agp: Annotated[float | None, typer.Option("--agp", help="Alpha-1 acid glycoprotein, g/L.")] = None,
    abcg2: Annotated[int | None, typer.Option("--abcg2", help="ABCG2 rs2231142 T-allele count (0, 1, 2).")] = None,
    n_sim: Annotated[int, typer.Option("--n-sim", min=0, help="Draws for the prediction interval (0: typical trough only).")] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Typical steady-state 24-h trough and 5-95% prediction interval before the first dose."""
    import numpy as np
    import pandas as pd

    from rashrisk.contract.schema import PATIENTS
    from rashrisk.errors import RashriskError
    from rashrisk.pk.apriori import predict_trough

    # the cohort contract's spellings of sex (F, M, female, male; any case)
    sex_code = PATIENTS.column("sex").spellings().get(sex.strip().lower())
    if sex_code is None:
        raise RashriskError(f"--sex {sex!r}: expected F or M (or female, male)")
    pk_model = _model(model, ancestry)
    covariates = pd.DataFrame(
        {
            "sex": [sex_code],
            "age_years": [age],
            "weight_kg": [weight],
            "albumin_g_l": [np.nan if albumin is None else albumin],
            "rbc_10e12_l": [np.nan if rbc is None else rbc],
            "agp_g_l": [np.nan if agp is None else agp],
            "rs2231142_alt_count": [np.nan if abcg2 is None else float(abcg2)],
        }
    )
    row = predict_trough(covariates, dose, model=pk_model, n_sim=n_sim, seed=seed).iloc[0]
    typer.echo(f"PK model: {pk_model.name} ({pk_model.citation})")
    for override in pk_model.overrides:
        typer.echo(f"Adapted: {override}")
    typer.echo(f"Dose: {dose:g} mg once daily")
    typer.echo(f"Typical steady-state trough: {row['trough_typical_ng_ml']:,.0f} ng/mL")
    if n_sim > 0:
        typer.echo(f"5-95% prediction interval: {row['trough_p05_ng_ml']:,.0f} - {row['trough_p95_ng_ml']:,.0f} ng/mL")
    else:
        typer.echo("5-95% prediction interval: not computed (--n-sim 0)")
    if row["imputed_covariates"]:
        typer.echo(f"Reference values used for missing covariates: {row['imputed_covariates']}")
    for warning in filter(None, row["domain_warnings"].split("; ")):
        typer.echo(f"Warning: {warning}")


@pk_app.command("fit")
def fit(
    cohort: Annotated[Path, typer.Argument(help="Cohort folder (contract v1) with tdm.csv.")],
    model: Annotated[str | None, typer.Option("--model", help="widmer2006, jiang2023 or petain2008 (default: by the cohort's ancestry).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the full table as CSV to this file.")] = None,
) -> None:
    """MAP fit of every patient's TDM samples: individual CL/V and troughs at 300/400/600 mg."""
    from rashrisk.contract.loader import load_cohort
    from rashrisk.errors import RashriskError
    from rashrisk.pk.map import map_estimate

    if out is not None and out.suffix.lower() != ".csv":
        raise RashriskError(f"--out {out}: unknown extension {out.suffix!r}; expected a .csv file")
    loaded = load_cohort(cohort)
    if loaded.tdm is None or len(loaded.tdm) == 0:
        raise RashriskError(f"cohort {str(cohort)!r}: tdm.csv has no accepted samples to fit")
    pk_model = _model(model, loaded.ancestry)
    covariates = _covariates(loaded)
    samples = loaded.tdm[[c for c in ("patient_id", "concentration_ng_ml", "hours_after_dose", "dose_mg", "day_on_treatment", "below_loq") if c in loaded.tdm.columns]]
    table = map_estimate(covariates, samples, model=pk_model)
    table = table[table["n_samples"] > 0].reset_index(drop=True)
    typer.echo(f"PK model: {pk_model.name}; {len(table)} patient(s) with TDM samples; 5-95% interval of the trough (Laplace).")
    for override in pk_model.overrides:
        typer.echo(f"Adapted: {override}")
    _print_table(table)
    if out is not None:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)  # as `rashrisk score --out` does
            table.to_csv(out, index=False)
        except OSError as exc:
            raise RashriskError(f"--out {out}: cannot write the file ({exc.strerror or exc}); expected a writable path") from None
        typer.echo(f"Wrote {out}")


def _model(name, ancestry):
    from rashrisk.pk.model import default_pk_model, load_pk_model

    return load_pk_model(name) if name else default_pk_model(ancestry)


def _covariates(loaded):
    """Patients plus genotype allele counts (``<rsid>_alt_count``) for the PK covariates."""
    import pandas as pd

    from rashrisk.genotype.table import allele_count_wide

    patients = loaded.patients.copy()
    patients["patient_id"] = patients["patient_id"].astype(str)
    if loaded.genotypes is not None and len(loaded.genotypes):
        wide = allele_count_wide(loaded.genotypes, allele="alt")
        wide.index = wide.index.astype(str)
        patients = patients.join(wide, on="patient_id")
    return pd.DataFrame(patients)


def _print_table(table) -> None:
    import sys

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    dose_cols = [c for c in table.columns if c.startswith("trough_") and c.endswith("mg_ng_ml")]
    view = Table(show_lines=False)
    for name in ("patient", "n", "dose mg", "CL L/h", "V L", "trough ng/mL", "5-95%", *[c[7:-6].replace("mg", " mg") for c in dose_cols]):
        view.add_column(name, no_wrap=True)
    for _, r in table.iterrows():
        view.add_row(
            escape(str(r["patient_id"])),
            str(int(r["n_samples"])),
            f"{r['dose_mg']:g}",
            f"{r['cl_l_h']:.1f}",
            f"{r['v_l']:.0f}",
            f"{r['trough_ng_ml']:,.0f}",
            f"{r['trough_low_ng_ml']:,.0f}-{r['trough_high_ng_ml']:,.0f}",
            *[f"{r[c]:,.0f}" for c in dose_cols],
        )
    console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
    console.print(view)
    for _, r in table[table["domain_warnings"] != ""].iterrows():
        console.print(escape(f"Warning, patient {r['patient_id']}: {r['domain_warnings']}"))

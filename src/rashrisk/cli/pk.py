"""`rashrisk pk`: imatinib population PK (a priori trough, MAP fit of a cohort's TDM samples)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rashrisk.cli._app import App

pk_app = App(
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
    sex: Annotated[str, typer.Option("--sex", metavar="F|M", help="Sex: F or M (or female, male).")],
    age: Annotated[float, typer.Option("--age", metavar="YEARS", help="Age, years.")],
    weight: Annotated[float, typer.Option("--weight", metavar="KG", help="Body weight, kg.")],
    dose: Annotated[float, typer.Option("--dose", metavar="MG", help="Daily dose, mg (once daily).")] = 400.0,
    ancestry: Annotated[str | None, typer.Option("--ancestry", metavar="CODE", help="EAS, EUR, AFR, SAS, AMR or OTH: "
                                                 "chooses the default PK model, as for a cohort.")] = None,
    pk_model_name: Annotated[str | None, typer.Option("--pk-model", metavar="NAME", help="widmer2006, jiang2023 or "
                                                      "petain2008 (default: by --ancestry, as for a cohort: "
                                                      "jiang2023 with a wider IIV of CL/F for EAS, else widmer2006).")] = None,
    albumin: Annotated[float | None, typer.Option("--albumin", metavar="G_L", help="Serum albumin, g/L.")] = None,
    rbc: Annotated[float | None, typer.Option("--rbc", metavar="10E12_L", help="Red blood cells, 10^12/L.")] = None,
    agp: Annotated[float | None, typer.Option("--agp", metavar="G_L", help="Alpha-1 acid glycoprotein, g/L.")] = None,
    abcg2: Annotated[int | None, typer.Option("--abcg2", metavar="0|1|2", help="ABCG2 rs2231142 T-allele count.")] = None,
    n_sim: Annotated[int, typer.Option("--n-sim", metavar="N", min=0,
                                       help="Draws for the prediction interval (0: typical trough only).")] = 2000,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Random seed of the draws.")] = 0,
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
    ancestry = _ancestry(ancestry)
    pk_model = _model(pk_model_name, ancestry)
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
    typer.echo(f"PK model: {describe_pk_model(pk_model, chosen_by=_chosen_by(pk_model_name, ancestry))}")
    typer.echo(f"Reference: {pk_model.citation}")
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
    pk_model_name: Annotated[str | None, typer.Option("--pk-model", metavar="NAME", help="widmer2006, jiang2023 or "
                                                      "petain2008 (default: by the cohort's majority ancestry, "
                                                      "as for --ancestry of `pk apriori`).")] = None,
    prior: Annotated[str, typer.Option("--prior", metavar="cohort|published",
                                       help="cohort: re-estimate the model's typical CL/F, V/F and IIV scale on this "
                                            "cohort's samples first (at least [cohort_prior] min_patients patients "
                                            "with samples, pk/defaults.toml); published: the model as published.")] = "cohort",
    out: Annotated[Path | None, typer.Option("--out", metavar="FILE.csv", help="Write the full table as CSV to this file.")] = None,
) -> None:
    """MAP fit of every patient's TDM samples: individual CL/V and troughs at 300/400/600 mg."""
    from rashrisk.contract.loader import load_cohort
    from rashrisk.errors import RashriskError
    from rashrisk.pk.map import map_estimate

    if prior not in ("cohort", "published"):
        raise RashriskError(f"--prior {prior!r}: expected 'cohort' or 'published'")
    if out is not None and out.suffix.lower() != ".csv":
        raise RashriskError(f"--out {out}: unknown extension {out.suffix!r}; expected a .csv file")
    loaded = load_cohort(cohort)
    if loaded.tdm is None or len(loaded.tdm) == 0:
        raise RashriskError(f"cohort {str(cohort)!r}: tdm.csv has no accepted samples to fit")
    pk_model = _model(pk_model_name, loaded.ancestry)
    covariates = _covariates(loaded)
    samples = loaded.tdm[[c for c in ("patient_id", "concentration_ng_ml", "hours_after_dose", "dose_mg", "day_on_treatment", "below_loq") if c in loaded.tdm.columns]]
    typer.echo(f"PK model: {describe_pk_model(pk_model, chosen_by=_chosen_by(pk_model_name, loaded.ancestry))}")
    for override in pk_model.overrides:
        typer.echo(f"Adapted: {override}")
    if prior == "cohort":
        from rashrisk.pk.cohort_prior import adapt_to_cohort

        adapted = adapt_to_cohort(pk_model, covariates, samples)
        pk_model = adapted.model
        typer.echo(f"Prior: {adapted.describe()}")
    else:
        typer.echo(f"Prior: published {pk_model.name} (--prior published)")
    table = map_estimate(covariates, samples, model=pk_model)
    table = table[table["n_samples"] > 0].reset_index(drop=True)
    typer.echo(f"{len(table)} patient(s) with TDM samples; 5-95% interval of the trough (Laplace).")
    _print_table(table)
    for line in _not_fitted(loaded, set(table["patient_id"].astype(str))):
        typer.echo(line)
    if out is not None:
        from rashrisk.atomic import atomic_file

        with atomic_file(out, "w") as handle:  # parent folders created, as `rashrisk score --out` does
            table.to_csv(handle, index=False)
        typer.echo(f"Wrote {out}")


def _model(name, ancestry):
    """``--pk-model NAME`` as published, else ``default_pk_model(ancestry)`` (as for a cohort)."""
    from rashrisk.pk.model import default_pk_model, load_pk_model

    return load_pk_model(name) if name else default_pk_model(ancestry)


def _ancestry(value: str | None) -> str | None:
    """``--ancestry`` in the cohort contract's codes (any case); an unknown code is a user error,
    not a silent fall-back to the default for unknown ancestry."""
    from rashrisk.contract.schema import PATIENTS
    from rashrisk.errors import RashriskError

    if value is None:
        return None
    column = PATIENTS.column("ancestry")
    code = column.spellings().get(value.strip().lower())
    if code is None:
        raise RashriskError(f"--ancestry {value!r}: expected one of {', '.join(column.allowed)}")
    return code


def _chosen_by(name: str | None, ancestry: str | None) -> str:
    if name:
        return "--pk-model"
    return f"default for ancestry {ancestry}" if ancestry else "default for unknown ancestry"


def describe_pk_model(model, *, chosen_by: str = "") -> str:
    """``jiang2023, IIV of CL/F (SD of log) 0.3 instead of 0.139 (default for ...)``: the model's
    name and every value that differs from the published model file (the overrides)."""
    from rashrisk.pk.model import load_pk_model

    changes = []
    try:
        published = load_pk_model(model.name)
    except Exception:  # a model that is not a shipped file: nothing to compare with
        published = None
    if published is not None:
        for param, value in model.typical.items():
            if published.typical.get(param) != value:
                changes.append(f"typical {param} {value:g} instead of {published.typical.get(param):g}")
        old_sd = dict(zip(published.iiv_parameters, published.iiv_sd))
        for param, value in zip(model.iiv_parameters, model.iiv_sd):
            if old_sd.get(param) != value:
                was = "none" if param not in old_sd else f"{old_sd[param]:g}"
                changes.append(f"IIV of {param} (SD of log) {value:g} instead of {was}")
    text = ", ".join([model.name, *changes])
    if model.overrides and not changes:
        text += " (adapted)"
    return f"{text} ({chosen_by})" if chosen_by else text


def _covariates(loaded):
    """Patients plus genotype allele counts (``<rsid>_alt_count``) for the PK covariates."""
    from rashrisk.genotype.table import with_allele_counts

    return with_allele_counts(loaded.patients, loaded.genotypes)


def _not_fitted(loaded, fitted: set) -> list[str]:
    """One line per patient of patients.csv without a fit, and per rejected tdm.csv row, with the reason:
    every input patient and sample is accounted for."""
    rows = loaded.input_rows.get("tdm")
    lines = []
    for pid in loaded.patients["patient_id"].astype(str):
        if pid in fitted:
            continue
        rejected = [] if rows is None else [i for i in rows.of_patient(pid) if not rows.accepted[i]]
        why = "; ".join(rows.reason(i) for i in rejected) if rejected else "no TDM sample in the cohort"
        lines.append(f"Not fitted, patient {pid}: {why}")
    if rows is not None:
        known = set(loaded.patients["patient_id"].astype(str))
        for i in range(len(rows)):
            if not rows.accepted[i] and str(rows.patient_id[i]).strip() not in known:
                lines.append(f"Sample not used, {rows.where(i)}: {rows.reason(i)}")
    return lines


def _print_table(table, console=None) -> None:
    from rich.console import Console
    from rich.markup import escape

    from rashrisk.cli._tables import Col, print_table

    dose_cols = [c for c in table.columns if c.startswith("trough_") and c.endswith("mg_ng_ml")]
    columns = [Col("patient", no_wrap=True), Col("n", "right"), Col("dose mg", "right"), Col("CL L/h", "right"),
               Col("V L", "right"), Col("trough ng/mL", "right"), Col("5-95%", "right", no_wrap=True),
               *(Col(c[7:-6].replace("mg", " mg"), "right") for c in dose_cols)]
    rows = [
        (
            escape(str(r["patient_id"])),
            str(int(r["n_samples"])),
            f"{r['dose_mg']:g}",
            f"{r['cl_l_h']:.1f}",
            f"{r['v_l']:.0f}",
            f"{r['trough_ng_ml']:,.0f}",
            f"{r['trough_low_ng_ml']:,.0f}-{r['trough_high_ng_ml']:,.0f}",
            *[f"{r[c]:,.0f}" for c in dose_cols],
        )
        for _, r in table.iterrows()
    ]
    console = console or Console(highlight=False, soft_wrap=True)
    print_table(console, columns, rows)
    for _, r in table[table["domain_warnings"] != ""].iterrows():
        console.print(escape(f"Warning, patient {r['patient_id']}: {r['domain_warnings']}"))
    _print_sample_flags(table, console)


def _print_sample_flags(table, console) -> None:
    """Each patient's sample flags (``map_estimate``'s ``sample_flags``), one line per flagged sample."""
    from rich.markup import escape

    flagged = table[table["sample_flags"].fillna("") != ""]
    if flagged.empty:
        console.print("Sample checks: no sample below the LOQ or inconsistent with the model.")
        return
    console.print(f"Sample checks: {len(flagged)} patient(s) with flagged samples (the samples are still used; "
                  "below-LOQ ones as censored).")
    for _, r in flagged.iterrows():
        for flag in filter(None, str(r["sample_flags"]).split("; ")):
            console.print(escape(f"Flag, patient {r['patient_id']}: {flag}"))

"""`rashrisk analyze COHORT`: the source study's analysis on a cohort folder (tables or JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def _fmt(value, spec: str = ".3g") -> str:
    return "-" if value is None else format(value, spec)


def _p(value) -> str:
    if value is None:
        return "-"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def render(result: dict, console) -> None:
    """Print the analysis dict as rich tables."""
    from rich.table import Table

    inc = result["incidence"]
    t = Table(title=f"Severe skin rash ({inc['n_patients']} patients)")
    t.add_column("outcome")
    t.add_column("n", justify="right")
    t.add_column("%", justify="right")
    for row in inc["rows"]:
        t.add_row(row["outcome"].replace("_", " "), str(row["n"]), f"{row['percent']:.1f}")
    console.print(t)

    v, g = result["variant"], result["genotype_counts"]
    t = Table(title=f"{v['rsid']} genotypes (risk allele {v['risk_allele']})")
    t.add_column("group")
    for label in g["genotype_labels"]:
        t.add_column(label, justify="right")
    t.add_column("no-call", justify="right")
    t.add_column(f"{v['risk_allele']} frequency", justify="right")
    for group in ("cases", "controls"):
        row = g[group]
        t.add_row("severe rash" if group == "cases" else "controls", *(str(row[label]) for label in g["genotype_labels"]),
                  str(row["no_call"]), _fmt(row["risk_allele_frequency"], ".3f"))
    console.print(t)

    t = Table(title=f"Association of {v['rsid']}-{v['risk_allele']} with severe rash (logistic regression, Wald CI)")
    for col in ("model", "OR", "95% CI", "p", "n", "cases"):
        t.add_column(col, justify="right" if col != "model" else "left")
    for a in result["association"]:
        ci = "-" if a["ci_low"] is None else f"{a['ci_low']:.3f}-{a['ci_high']:.3f}"
        odds_ratio = _fmt(a["odds_ratio"], ".3f") if a["estimable"] else f"not estimable ({_why_not(a)})"
        t.add_row(a["model"], odds_ratio, ci, _p(a["p_value"]), str(a["n"]), str(a["n_cases"]))
    console.print(t)

    h = result["hwe_controls"]
    hwe_p = _p(h["p_value"]) if h["n_called"] else "- (no genotyped controls)"
    console.print(f"Hardy-Weinberg in controls: counts {h['counts']} (n {h['n_called']}), exact p = {hwe_p}")

    t = Table(title="Severe cases: grade 3 vs recurrent grade 2 (Mann-Whitney U) and troughs (Wilcoxon, paired)")
    for col in ("comparison: A | B", "n (A | B)", "median A", "median B", "p"):
        t.add_column(col, justify="left" if col.startswith("comparison") else "right")
    o, d = result["onset_day_by_grade"], result["final_dose_by_grade"]
    t.add_row("onset day: grade 3 | recurrent grade 2", f"{o['n_grade_3']} | {o['n_recurrent_grade_2']}",
              _fmt(o["median_grade_3"], ".0f"), _fmt(o["median_recurrent_grade_2"], ".0f"), _p(o["p_value"]))
    t.add_row("final dose mg: grade 3 | recurrent grade 2", f"{d['n_grade_3']} | {d['n_recurrent_grade_2']}",
              _fmt(d["median_grade_3"], ".0f"), _fmt(d["median_recurrent_grade_2"], ".0f"), _p(d["p_value"]))
    tr = result["troughs_onset_vs_reescalation"]
    t.add_row("trough ng/mL: at onset | after re-escalation", f"{tr['n_pairs']} pairs",
              _fmt(tr["median_onset_ng_ml"], ".0f"), _fmt(tr["median_after_reescalation_ng_ml"], ".0f"), _p(tr["p_value"]))
    console.print(t)


def register(app) -> None:
    """Add this module's command(s) to ``app``."""

    @app.command()
    def analyze(
        cohort: Path = typer.Argument(..., help="Cohort folder (contract v1)."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        rsid: str = typer.Option("rs4129267", "--rsid", help="Variant to test."),
        risk_allele: Optional[str] = typer.Option(None, "--risk-allele", help="Risk allele letter (default: the ALT allele)."),
        model: Optional[list[str]] = typer.Option(
            None, "--model", help="Genetic model(s): additive, dominant, recessive (repeatable; default additive and dominant)."
        ),
    ) -> None:
        """Reproduce the source study's analysis: incidence, genotype counts, per-allele OR, onset, troughs, HWE."""
        import json

        from rich.console import Console

        from rashrisk import load_cohort
        from rashrisk.analysis import analyze_cohort
        from rashrisk.analysis.association import GENETIC_MODELS
        from rashrisk.errors import RashriskError

        models = tuple(model) if model else ("additive", "dominant")
        bad = [m for m in models if m not in GENETIC_MODELS]
        if bad:
            raise RashriskError(f"--model {bad[0]!r}; expected one of {', '.join(GENETIC_MODELS)}")
        loaded = load_cohort(cohort)
        if loaded.report.errors:
            first = loaded.report.errors[0].message
            raise RashriskError(f"cohort {cohort} has {len(loaded.report.errors)} error(s) (run `rashrisk validate`); first: {first}")
        result = analyze_cohort(loaded, rsid=rsid, risk_allele=risk_allele, models=models)
        if as_json:
            typer.echo(json.dumps(result, indent=2))
        else:
            render(result, Console())


def _why_not(a: dict) -> str:
    """Why an odds ratio could not be estimated (the fit says separation for all of these)."""
    if a["n"] == 0:
        return "no genotyped patients"
    if a["n_cases"] in (0, a["n"]):
        return "no cases" if a["n_cases"] == 0 else "no controls"
    if a.get("separation"):
        return "separation"
    return "the fit did not converge"

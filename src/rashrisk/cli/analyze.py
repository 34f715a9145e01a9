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
    """Print the analysis dict as tables that fit the console (lists when it is too narrow)."""
    from rich.markup import escape

    from rashrisk.cli._tables import Col, print_table

    inc = result["incidence"]
    print_table(console, [Col("outcome"), Col("n", "right"), Col("%", "right")],
                [(row["outcome"].replace("_", " "), str(row["n"]), f"{row['percent']:.1f}") for row in inc["rows"]],
                title=f"Severe skin rash ({inc['n_patients']} patients)")

    v, g = result["variant"], result["genotype_counts"]
    rsid, allele = escape(str(v["rsid"])), escape(str(v["risk_allele"]))
    labels = g["genotype_labels"]
    columns = [Col("group"), *(Col(escape(label), "right") for label in labels), Col("no-call", "right"),
               Col(f"{allele} frequency", "right")]
    rows = []
    for group in ("cases", "controls"):
        row = g[group]
        rows.append(("severe rash" if group == "cases" else "controls", *(str(row[label]) for label in labels),
                     str(row["no_call"]), _fmt(row["risk_allele_frequency"], ".3f")))
    print_table(console, columns, rows, title=f"{rsid} genotypes (risk allele {allele})")

    rows = []
    for a in result["association"]:
        ci = "-" if a["ci_low"] is None else f"{a['ci_low']:.3f}-{a['ci_high']:.3f}"
        odds_ratio = _fmt(a["odds_ratio"], ".3f") if a["estimable"] else f"not estimable ({_why_not(a)})"
        rows.append((a["model"], odds_ratio, ci, _p(a["p_value"]), str(a["n"]), str(a["n_cases"])))
    print_table(console, [Col("genetic model"), Col("OR", "right"), Col("95% CI", "right", no_wrap=True),
                          Col("p", "right"), Col("n", "right"), Col("cases", "right")], rows,
                title=f"Association of {rsid}-{allele} with severe rash (logistic regression, Wald CI)")

    h = result["hwe_controls"]
    hwe_p = _p(h["p_value"]) if h["n_called"] else "- (no genotyped controls)"
    console.print(f"Hardy-Weinberg in controls: counts {h['counts']} (n {h['n_called']}), exact p = {hwe_p}")

    o, d = result["onset_day_by_grade"], result["final_dose_by_grade"]
    tr = result["troughs_onset_vs_reescalation"]
    rows = [
        ("onset day: grade 3 | recurrent grade 2", f"{o['n_grade_3']} | {o['n_recurrent_grade_2']}",
         _fmt(o["median_grade_3"], ".0f"), _fmt(o["median_recurrent_grade_2"], ".0f"), _p(o["p_value"])),
        ("final dose mg: grade 3 | recurrent grade 2", f"{d['n_grade_3']} | {d['n_recurrent_grade_2']}",
         _fmt(d["median_grade_3"], ".0f"), _fmt(d["median_recurrent_grade_2"], ".0f"), _p(d["p_value"])),
        ("trough ng/mL: at onset | after re-escalation", f"{tr['n_pairs']} pairs",
         _fmt(tr["median_onset_ng_ml"], ".0f"), _fmt(tr["median_after_reescalation_ng_ml"], ".0f"), _p(tr["p_value"])),
    ]
    print_table(console, [Col("comparison: A | B"), Col("n (A | B)", "right"), Col("median A", "right"),
                          Col("median B", "right"), Col("p", "right")], rows,
                title="Severe cases: grade 3 vs recurrent grade 2 (Mann-Whitney U) and troughs (Wilcoxon, paired)")


def register(app) -> None:
    """Add this module's command(s) to ``app``."""

    @app.command()
    def analyze(
        cohort: Path = typer.Argument(..., help="Cohort folder (contract v1)."),
        as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        rsid: str = typer.Option("rs4129267", "--rsid", metavar="RSID", help="Variant to test."),
        risk_allele: Optional[str] = typer.Option(None, "--risk-allele", metavar="ALLELE",
                                                  help="Risk allele letter (default: the ALT allele)."),
        genetic_model: Optional[list[str]] = typer.Option(
            None, "--genetic-model", metavar="NAME",
            help="Genetic model: additive, dominant or recessive (repeatable; default: additive and dominant).",
        ),
    ) -> None:
        """Reproduce the source study's analysis: incidence, genotype counts, per-allele OR, onset, troughs, HWE."""
        import json

        from rich.console import Console

        from rashrisk import load_cohort
        from rashrisk.analysis import analyze_cohort
        from rashrisk.genotype.coding import GENETIC_MODELS
        from rashrisk.errors import RashriskError

        models = tuple(genetic_model) if genetic_model else ("additive", "dominant")
        bad = [m for m in models if m not in GENETIC_MODELS]
        if bad:
            raise RashriskError(f"--genetic-model {bad[0]!r}; expected one of {', '.join(GENETIC_MODELS)}")
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

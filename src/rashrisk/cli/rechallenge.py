"""`rashrisk rechallenge`: the TDM-guided re-challenge plan after a severe rash (docs/rechallenge.md)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def load_plan_cohort(path: Path):
    """A cohort folder (outcomes kept: they give the onset day) or a one-patient .json document."""
    from rashrisk.contract.loader import load_cohort
    from rashrisk.errors import CohortError
    from rashrisk.scoring.inputs import load_scoring_input

    path = Path(path)
    if path.is_dir():
        return load_cohort(path)
    if path.is_file() and path.suffix.lower() == ".json":
        return load_scoring_input(path).cohort
    raise CohortError(f"--cohort {path}: expected a cohort folder or a one-patient .json document")


def register(app) -> None:
    @app.command()
    def rechallenge(
        patient_id: str = typer.Argument(..., help="The patient's pseudonym (patient_id in the cohort)."),
        cohort: Path = typer.Option(..., "--cohort", metavar="DIR", help="Cohort folder (or one-patient .json document) "
                                    "with the patient's TDM history; outcomes.csv gives the rash onset day."),
        out: Path = typer.Option(..., "--out", metavar="plan.json|plan.html", help="The plan as JSON or HTML (by extension)."),
        skin: Path = typer.Option(None, "--skin", metavar="FILE.json", help="The skin record with the six red flags "
                                  "(docs/reports.md); without it, or with a flag present or not recorded, no plan is made."),
        onset_trough: float = typer.Option(None, "--onset-trough", metavar="NG_ML", help="The trough at rash onset (ng/mL), "
                                           "instead of the sample nearest the onset day."),
        onset_day: int = typer.Option(None, "--onset-day", metavar="DAYS", help="Rash onset, days from start_date "
                                      "(default: rash_onset_day in outcomes.csv)."),
        tdm: Path = typer.Option(None, "--tdm", metavar="new_samples.csv", help="New TDM samples (tdm.csv columns) taken "
                                 "during the escalation: the plan is re-estimated and says what changed."),
        taper: Path = typer.Option(None, "--taper", metavar="FILE", help="The clinician's steroid taper (CSV day,steroid,dose[,note] "
                                   "or a JSON list), shown as entered; rashrisk never chooses steroid doses."),
        trough_threshold: str = typer.Option(None, "--trough-threshold", metavar="1100|760",
                                             help="Efficacy threshold (ng/mL): 1100 (Demetri 2009, default) or 760 (Bouchet)."),
        prior: str = typer.Option("cohort", "--prior", metavar="cohort|published", help="cohort: the default PK model of the "
                                  "patient's ancestry re-estimated on the cohort's patients of that ancestry first (as "
                                  "`rashrisk pk fit`; at least 100 with samples, else published); published: as published."),
        pdf: Path = typer.Option(None, "--pdf", metavar="plan.pdf", help="Also write the plan as PDF (WeasyPrint)."),
    ) -> None:
        """TDM-guided re-challenge plan after severe rash: ladder, predicted troughs, probabilities, maintenance dose."""
        from rashrisk.atomic import write_text
        from rashrisk.errors import RashriskError
        from rashrisk.rechallenge import build_rechallenge_plan
        from rashrisk.rechallenge.new_samples import read_new_samples
        from rashrisk.rechallenge.render import render_plan_html, write_html, write_pdf
        from rashrisk.rechallenge.taper import read_taper
        from rashrisk.reports.thresholds import trough_threshold as threshold_record
        from rashrisk.scoring.patient_json import combined_skin, document_skin

        kind = out.suffix.lower()
        if kind not in (".json", ".html", ".htm"):
            raise RashriskError(f"--out {out}: expected a .json or .html file")
        if pdf is not None and pdf.suffix.lower() != ".pdf":
            raise RashriskError(f"--pdf {pdf}: expected a .pdf file")
        threshold = threshold_record(trough_threshold) if trough_threshold is not None else None
        loaded = load_plan_cohort(cohort)
        skin_record = combined_skin(document_skin(cohort) if cohort.suffix.lower() == ".json" else None, skin)
        new = read_new_samples(tdm, loaded, patient_id) if tdm is not None else None
        taper_rows = read_taper(taper) if taper is not None else None
        data = build_rechallenge_plan(patient_id, loaded, skin=skin_record, onset_day=onset_day,
                                      onset_trough_ng_ml=onset_trough, new_tdm=new, taper=taper_rows,
                                      trough_threshold=threshold, prior=prior)
        html = render_plan_html(data) if (kind != ".json" or pdf) else None
        if kind == ".json":
            write_text(out, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        else:
            write_html(html, out)
        if pdf:
            write_pdf(html, pdf)
        # no patient values on the console (it may end up in logs): only where the plan went
        typer.echo(f"re-challenge plan -> {out}" + (f", {pdf}" if pdf else ""))

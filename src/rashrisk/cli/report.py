"""`rashrisk report` (clinician report for one patient) and `rashrisk model-report` (model card, TRIPOD+AI)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def _check_html(out: Path) -> None:
    from rashrisk.errors import RashriskError

    if out.suffix.lower() not in (".html", ".htm"):
        raise RashriskError(f"--out {out}: expected an .html file")


def _read_validation(path: Path | None, model_arg: str | None, registry_uri: str | None = None) -> dict | None:
    """--validation FILE, else the bundle folder's validation report, else the registry run's artifact."""
    from rashrisk.errors import RashriskError

    if not path and registry_uri:
        from rashrisk.tracking import run_validation_report

        return run_validation_report(registry_uri)
    candidates = [path] if path else []
    if not path and model_arg and Path(model_arg).is_dir():
        candidates = [Path(model_arg) / "validation" / "report.json", Path(model_arg) / "validation.json"]
    for candidate in candidates:
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise RashriskError(f"--validation {candidate}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
            except OSError as exc:
                from rashrisk.atomic import os_error_message

                raise RashriskError(f"--validation: {os_error_message(exc, candidate, 'cannot read')}") from None
        if path:
            raise RashriskError(f"--validation {candidate}: file not found; expected the training run's validation/report.json")
    return None


def register(app) -> None:
    @app.command()
    def report(
        patient_id: str = typer.Argument(..., help="The patient's pseudonym (patient_id in the cohort)."),
        cohort: Path = typer.Option(..., "--cohort", metavar="INPUT", help="Cohort folder or one-patient .json document."),
        stage: str = typer.Option(..., "--stage", metavar="start|tdm", help="start or tdm (tdm also scores the start stage)."),
        model: str = typer.Option(None, "--model", metavar="BUNDLE|URI", help="Model bundle folder or registry URI for "
                                  "--stage (default: registry champion, else the embedded default)."),
        start_model: str = typer.Option(None, "--start-model", metavar="BUNDLE|URI",
                                        help="Start-stage model bundle or URI for the TDM report's comparison."),
        out: Path = typer.Option(..., "--out", metavar="FILE.html", help="HTML report to write."),
        pdf: Path = typer.Option(None, "--pdf", metavar="FILE.pdf", help="Also write the report as PDF (WeasyPrint)."),
        json_out: Path = typer.Option(None, "--json", metavar="FILE.json", help="Also write the report data as JSON."),
        skin: Path = typer.Option(None, "--skin", metavar="FILE.json", help="The patient's current skin state: "
                                  "a JSON object: rash_grade (0-4 or null), recurrent (true/false/null) and the "
                                  "six red flags (true/false/null) "
                                  "(docs/reports.md); a one-patient document may carry it as its 'skin' field instead."),
        trough_threshold: str = typer.Option("1100", "--trough-threshold", metavar="1100|760",
                                             help="Efficacy threshold the trough is compared with (ng/mL): 1100 "
                                                  "(Demetri 2009) or 760 (Bouchet), both from advanced GIST."),
    ) -> None:
        """Clinician report for one patient: risk, reasons, inputs, troughs and options, as HTML (and PDF)."""
        from rashrisk.cli.score import check_stage
        from rashrisk.reports.patient import build_report_data
        from rashrisk.atomic import write_text
        from rashrisk.reports.render import render_report_html, write_html, write_pdf
        from rashrisk.scoring.inputs import load_scoring_input
        from rashrisk.tracking.model_source import resolution_line, resolve_model

        from rashrisk.reports.thresholds import trough_threshold as threshold_record
        from rashrisk.scoring.patient_json import combined_skin, document_skin

        check_stage(stage)
        _check_html(out)
        threshold = threshold_record(trough_threshold)
        skin_record = combined_skin(document_skin(cohort), skin)
        risk_model, source = resolve_model(stage, model)
        typer.echo(resolution_line(risk_model, source), err=True)
        first, first_source = resolve_model("start", start_model) if stage == "tdm" else (None, "")
        if first is not None:
            typer.echo(resolution_line(first, first_source), err=True)
        data = build_report_data(patient_id, load_scoring_input(cohort), stage, risk_model, start_model=first,
                                 model_source=source, skin=skin_record, trough_threshold=threshold)
        html = render_report_html(data)
        write_html(html, out)
        if json_out:
            write_text(json_out, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        if pdf:
            write_pdf(html, pdf)
        # no patient values on the console (it may end up in logs): only where the report went
        typer.echo(f"{stage} report ({risk_model.label}) -> {out}" + (f", {pdf}" if pdf else ""))

    @app.command("model-report")
    def model_report(
        model: str = typer.Option(None, "--model", metavar="BUNDLE|URI", help="Model bundle folder or registry URI "
                                  "(default: registry champion, else the embedded default)."),
        stage: str = typer.Option("tdm", "--stage", metavar="start|tdm",
                                  help="Stage of the default model when --model is not given."),
        validation: Path = typer.Option(None, "--validation", metavar="FILE.json", help="The training run's validation/report.json "
                                        "(decision curve, subgroups); read from the bundle folder or the registry "
                                        "run when not given."),
        out: Path = typer.Option(..., "--out", metavar="FILE.html", help="HTML report to write."),
        pdf: Path = typer.Option(None, "--pdf", metavar="FILE.pdf", help="Also write it as PDF."),
    ) -> None:
        """The model card with TRIPOD+AI items (data, predictors, outcome, validation, calibration, limitations)."""
        from rashrisk.cli.score import check_stage
        from rashrisk.reports.model_card import build_model_report_data
        from rashrisk.reports.render import render_model_report_html, write_html, write_pdf
        from rashrisk.tracking.model_source import resolve_model_with_uri

        _check_html(out)
        check_stage(stage)
        risk_model, source, registry_uri = resolve_model_with_uri(None if model else stage, model)
        data = build_model_report_data(risk_model, validation=_read_validation(validation, model, registry_uri),
                                       source=source)
        html = render_model_report_html(data)
        write_html(html, out)
        if pdf:
            write_pdf(html, pdf)
        typer.echo(f"{risk_model.label} -> {out}")


"""`rashrisk serve`: the HTTP API (docs/service.md): score, explain and report over HTTP, with a bearer token."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", metavar="ADDRESS", help="Address to listen on (loopback by "
                                 "default; put a TLS reverse proxy in front for anything else: docs/deploy.md)."),
        port: int = typer.Option(8000, "--port", metavar="PORT", help="TCP port."),
        workers: int = typer.Option(1, "--workers", metavar="N", help="Worker processes (each loads the models)."),
        token_file: Path = typer.Option(None, "--token-file", metavar="FILE", help="File whose first line is the API "
                                        "token (else RASHRISK_API_TOKEN)."),
        no_auth: bool = typer.Option(False, "--no-auth", help="No token (development only; loopback --host only)."),
        start_model: str = typer.Option(None, "--start-model", metavar="BUNDLE|URI", help="Start-stage model, as "
                                        "score --model (default: registry champion, else the embedded default)."),
        tdm_model: str = typer.Option(None, "--tdm-model", metavar="BUNDLE|URI", help="TDM-stage model, likewise."),
        max_body_bytes: int = typer.Option(1_048_576, "--max-body-bytes", metavar="BYTES",
                                           help="Largest request body (413 above it)."),
        max_batch: int = typer.Option(1000, "--max-batch", metavar="N", help="Most patients per request (422 above)."),
        report_dir: Path = typer.Option(None, "--report-dir", metavar="DIR", help="Folder for the reports that CDS "
                                        "cards link to (default: a private temporary folder)."),
        report_link_ttl: int = typer.Option(86_400, "--report-link-ttl", metavar="SECONDS", help="How long a CDS "
                                            "card's report link answers (0: cards without a link)."),
        log_level: str = typer.Option("info", "--log-level", metavar="LEVEL", help="debug, info, warning or error."),
    ) -> None:
        """Serve score, explain and report over HTTP (FastAPI + uvicorn), models loaded once at start-up."""
        from rashrisk.errors import RashriskError
        from rashrisk.service.report_links import default_report_dir
        from rashrisk.service.settings import ServiceSettings, check_no_auth, read_token
        from rashrisk.service.state import load_served_models
        from rashrisk.tracking.model_source import resolution_line

        if log_level not in ("debug", "info", "warning", "error"):
            raise RashriskError(f"--log-level {log_level!r}; expected debug, info, warning or error")
        if workers < 1 or not 0 < port < 65536:
            raise RashriskError(f"--workers {workers} --port {port}; expected workers >= 1 and a port 1-65535")
        if no_auth:
            if token_file is not None:
                raise RashriskError("--no-auth with --token-file: give one of them")
            check_no_auth(host)
            token = None
        else:
            token = read_token(token_file)
        settings = ServiceSettings(token=token, no_auth=no_auth, max_body_bytes=max_body_bytes, max_batch=max_batch,
                                   start_model=start_model, tdm_model=tdm_model,
                                   token_file=None if token_file is None else str(token_file.resolve()),
                                   # one folder for every worker process, so a link works whichever answers it
                                   report_dir=str(report_dir.resolve()) if report_dir else default_report_dir(),
                                   report_link_ttl_s=report_link_ttl)
        models = load_served_models(start_model, tdm_model)  # a store that cannot be read stops here (exit 2)
        for stage in ("start", "tdm"):
            typer.echo(resolution_line(models.for_stage(stage), models.sources[stage]), err=True)
        if no_auth:
            typer.echo(f"warning: --no-auth: anyone who can reach {host}:{port} can use the service", err=True)
        typer.echo(f"rashrisk serve on http://{host}:{port} ({workers} worker(s)); GET /health, POST /v1/score",
                   err=True)
        from rashrisk.service.run import serve as run_server

        run_server(settings, models if workers == 1 else None, host=host, port=port, workers=workers,
                   log_level=log_level)

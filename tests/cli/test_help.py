"""CLI conventions: --version, every command's help (80 and 120 columns), option names."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import typer.main
from typer.testing import CliRunner

import rashrisk
from rashrisk.cli.main import app

runner = CliRunner()


def _commands(command=None, path=()):
    """(path, click command) for the root, every group and every command."""
    command = command or typer.main.get_command(app)
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _commands(sub, (*path, name))


COMMANDS = list(_commands())
PATHS = [path for path, _ in COMMANDS]


def test_every_command_is_listed():
    leaves = {" ".join(p) for p, c in COMMANDS if not hasattr(c, "commands")}
    assert {"validate", "simulate", "analyze", "models", "train", "score", "explain", "report", "model-report",
            "pk apriori", "pk fit", "version", "serve", "rechallenge"} <= leaves


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "rashrisk")
def test_help_renders_without_bool_and_fits(path, columns):
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    assert result.exception is None
    out = result.output
    assert "<bool>" not in out and "Traceback" not in out
    assert "Usage: rashrisk" in out
    assert max(len(line) for line in out.splitlines()) <= columns
    usage = " ".join(out[out.index("Usage:"):].split("\n\n")[0].split())  # the usage line, unwrapped
    assert "{" not in usage  # Typer's '{cohort}' for a required argument


@pytest.mark.parametrize("path", [p for p, c in COMMANDS if not hasattr(c, "commands")], ids=" ".join)
def test_usage_line_names_arguments_and_required_options(path):
    command = dict(COMMANDS)[path]
    ctx = command.make_context(" ".join(("rashrisk", *path)), [], resilient_parsing=True)
    usage = " ".join(command.get_usage(ctx).split())
    for param in command.params:
        if param.param_type_name == "argument":
            assert (param.metavar or param.name.upper()) in usage
        elif param.required:
            assert f"{max(param.opts, key=len)} {param.metavar or param.name.upper()}" in usage
    assert usage.endswith(" [OPTIONS]")  # last: --help is always there


def test_usage_examples():
    def usage(*path):
        command = dict(COMMANDS)[path]
        return " ".join(command.get_usage(command.make_context("rashrisk " + " ".join(path), [],
                                                               resilient_parsing=True)).split())

    assert usage("score") == "Usage: rashrisk score INPUT --stage start|tdm --out FILE|DIR [OPTIONS]"
    assert usage("pk", "apriori") == "Usage: rashrisk pk apriori --sex F|M --age YEARS --weight KG [OPTIONS]"
    assert usage("validate") == "Usage: rashrisk validate COHORT [OPTIONS]"


def test_flags_take_no_value_in_help():
    out = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "120"}).output
    promote = next(line for line in out.splitlines() if "--promote" in line)
    assert promote.split("--promote", 1)[1].split()[0] == "Make"  # the help text follows the flag directly


def test_model_option_is_always_a_bundle_or_uri():
    """--model means a risk-model bundle folder or registry URI in every command; the genetic
    model of analyze and the PK model of pk have their own names."""
    seen = []
    for path, command in COMMANDS:
        for param in command.params:
            if "--model" in getattr(param, "opts", ()):
                seen.append(" ".join(path))
                assert param.metavar == "BUNDLE|URI", path
                assert "bundle" in (param.help or "").lower() and "uri" in (param.help or "").lower(), path
            if any("model" in opt for opt in getattr(param, "opts", ())) and "--model" not in param.opts:
                assert param.opts[0] in ("--genetic-model", "--pk-model", "--start-model", "--tdm-model"), (path, param.opts)
                if param.opts[0] in ("--start-model", "--tdm-model"):
                    assert param.metavar == "BUNDLE|URI", (path, param.opts)
    assert {"score", "explain", "report", "model-report"} <= set(seen)
    options = lambda *p: {o for param in dict(COMMANDS)[p].params for o in getattr(param, "opts", ())}  # noqa: E731
    assert "--genetic-model" in options("analyze") and "--model" not in options("analyze")
    assert "--pk-model" in options("pk", "apriori") and "--pk-model" in options("pk", "fit")


def test_version_option_and_command():
    expected = f"rashrisk {rashrisk.__version__}"
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == expected
    assert runner.invoke(app, ["version"]).output.strip() == expected


def test_version_and_help_in_a_real_process():
    env = {**os.environ, "COLUMNS": "80"}
    proc = subprocess.run([sys.executable, "-m", "rashrisk.cli.main", "--version"], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == f"rashrisk {rashrisk.__version__}"
    proc = subprocess.run([sys.executable, "-m", "rashrisk.cli.main", "analyze", "--help"], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0 and "<bool>" not in proc.stdout and "--genetic-model" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80


def test_old_option_names_are_usage_errors_without_traceback(monkeypatch, capsys, tmp_path):
    from rashrisk.cli.main import run

    for args in (["analyze", str(tmp_path), "--model", "additive"],
                 ["pk", "apriori", "--sex", "F", "--age", "50", "--weight", "60", "--model", "widmer2006"]):
        monkeypatch.setattr(sys, "argv", ["rashrisk", *args])
        with pytest.raises(SystemExit) as info:
            run()
        out = capsys.readouterr()
        assert info.value.code == 2 and "Traceback" not in out.out + out.err
        assert "--model" in out.err


def test_help_imports_no_heavy_dependency():
    """Commands import pandas, numpy, sklearn, mlflow, shap inside their bodies: --help stays fast."""
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from rashrisk.cli.main import app\n"
        f"for path in {[list(p) for p in PATHS]!r}:\n"
        "    assert CliRunner().invoke(app, [*path, '--help']).exit_code == 0, path\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'sklearn', 'mlflow', 'shap') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"

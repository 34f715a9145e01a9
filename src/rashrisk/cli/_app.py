"""The Typer application class every ``rashrisk`` command is registered on, and its help conventions.

- Flags (``--json``, ``--promote``, ``--help``) are shown as plain flags: recent Typer versions
  print a ``<bool>`` type beside every flag; a flag takes no value, so it gets an empty metavar.
- Usage lines name the arguments and the required options with their values, e.g.
  ``rashrisk score INPUT --stage start|tdm --out FILE [OPTIONS]``, instead of
  ``rashrisk score [OPTIONS] {input}``.

Only ``typer.core.TyperCommand``/``TyperGroup`` and the Click parameter attributes (``opts``,
``required``, ``metavar``, ``is_flag``, ``nargs``) are used, which Typer 0.12 to 0.2x all have.
"""

from __future__ import annotations

import typer
from typer.core import TyperCommand, TyperGroup


def _plain_flags(params):
    for param in params:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""  # no "<bool>" beside a flag
    return params


def _value_name(param) -> str:
    return param.metavar or (param.name or "value").upper()


class Command(TyperCommand):
    """A command whose help shows flags without a type and a usage line with the required values."""

    def get_params(self, ctx):
        return _plain_flags(super().get_params(ctx))

    def collect_usage_pieces(self, ctx) -> list[str]:
        params = self.get_params(ctx)
        pieces = []
        for param in params:
            if param.param_type_name == "argument":
                name = _value_name(param) + ("..." if param.nargs != 1 else "")
                pieces.append(name if param.required else f"[{name}]")
        for param in params:
            if param.param_type_name == "option" and param.required:
                pieces.append(f"{max(param.opts, key=len)} {_value_name(param)}")
        if any(p.param_type_name == "option" and not p.required for p in params) and self.options_metavar:
            pieces.append(self.options_metavar)
        return pieces


class Group(TyperGroup):
    """A command group whose help shows flags (``--help``, ``--version``) without a type."""

    def get_params(self, ctx):
        return _plain_flags(super().get_params(ctx))


class App(typer.Typer):
    """``typer.Typer`` whose groups and commands follow the help conventions above."""

    def __init__(self, **kwargs):
        kwargs.setdefault("cls", Group)
        super().__init__(**kwargs)

    def command(self, *args, **kwargs):
        kwargs["cls"] = kwargs.get("cls") or Command
        return super().command(*args, **kwargs)

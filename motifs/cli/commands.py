"""Registry of command groups: each line attaches one module's commands to the root app."""

from __future__ import annotations

import importlib

import typer


def register(app: typer.Typer) -> None:
    # One line per command group (keep sorted by module name).
    importlib.import_module("motifs.cli.redact_cmd").register(app)

"""Registry of command groups: each line attaches one module's commands to the root app."""

from __future__ import annotations

import typer

from motifs.cli import db_cmd, serve_cmd, taxonomy_cmd


def register(app: typer.Typer) -> None:
    # One line per command group (keep sorted by module name).
    app.add_typer(db_cmd.app, name="db")
    app.command("serve")(serve_cmd.serve)
    app.add_typer(taxonomy_cmd.app, name="taxonomy")

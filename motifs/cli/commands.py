"""Registry of command groups: each line attaches one module's commands to the root app."""

from __future__ import annotations

import typer

from motifs.cli import (
    curate_cmd,
    db_cmd,
    demo_cmd,
    demo_data_cmd,
    discover_cmd,
    emerging_cmd,
    evaluate_cmd,
    forecast_cmd,
    learn_cmd,
    models_cmd,
    reclassify_cmd,
    redact_cmd,
    report_cmd,
    review_cmd,
    serve_cmd,
    taxonomy_cmd,
    train_cmd,
    users_cmd,
)


def register(app: typer.Typer) -> None:
    # One line per command group (keep sorted by module name).
    curate_cmd.register(app)
    db_cmd.register(app)
    demo_cmd.register(app)
    demo_data_cmd.register(app)
    discover_cmd.register(app)
    emerging_cmd.register(app)
    evaluate_cmd.register(app)
    forecast_cmd.register(app)
    learn_cmd.register(app)
    models_cmd.register(app)
    reclassify_cmd.register(app)
    redact_cmd.register(app)
    report_cmd.register(app)
    review_cmd.register(app)
    serve_cmd.register(app)
    app.add_typer(taxonomy_cmd.app, name="taxonomy")
    train_cmd.register(app)
    users_cmd.register(app)

"""`motifs db …`: the database of predictions and feedback (schema migrations)."""

from __future__ import annotations

import typer
from rich.console import Console

from serving.store import database_url, head_revision, make_engine, safe_url, upgrade

app = typer.Typer(
    help="Base de données des suggestions et des retours des agents.\n\nExemple : motifs db upgrade",
    no_args_is_help=True,
)
_console = Console(highlight=False)


@app.command("upgrade")
def upgrade_cmd(
    url: str | None = typer.Option(
        None, "--database-url", help="Base à migrer (défaut : MOTIFS_DATABASE_URL, sinon motifs-data/motifs.db)."
    ),
) -> None:
    """Crée ou met à jour le schéma de la base (migrations Alembic livrées avec motifs).

    Sans effet si la base est déjà à jour ; deux lancements simultanés ne se gênent pas.

    Exemple : MOTIFS_DATABASE_URL=postgresql+psycopg://motifs@db/motifs motifs db upgrade
    """
    engine = make_engine(database_url(url))
    try:
        reached = upgrade(engine)
    finally:
        engine.dispose()
    state = "à jour" if reached == head_revision() else "en retard"
    _console.print(f"Base {safe_url(engine.url)} : révision {reached} ({state}).")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")

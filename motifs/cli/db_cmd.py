"""`motifs db …`: the database of predictions and feedback (schema migrations)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console

from serving.store import Database, database_url, head_revision, make_engine, safe_url, upgrade

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


@app.command("prune-tokens")
def prune_tokens_cmd(
    older_than: int = typer.Option(
        ..., "--older-than", min=1, help="Oublier les lemmes enregistrés il y a plus de ce nombre de jours."
    ),
    url: str | None = typer.Option(
        None, "--database-url", help="Base (défaut : MOTIFS_DATABASE_URL, sinon motifs-data/motifs.db)."
    ),
) -> None:
    """Borne la table `note_tokens` : les lemmes des notes que `motifs emerging` garde pour ne pas les recalculer.

    Elle grandit avec chaque note analysée (environ 2 ko par note). Un suivi hebdomadaire ne relit que les dernières
    semaines : au-delà de la fenêtre du suivi (6 semaines par défaut), les lemmes ne servent qu'à un recalcul complet,
    qui les refait alors (mêmes résultats, plus lent). Sous SQLite, la place libérée est réutilisée par la base ;
    `VACUUM` la rend au disque.

    Exemple : motifs db prune-tokens --older-than 90
    """
    db = Database.open(database_url(url))
    try:
        removed = db.monitoring.prune_note_tokens(datetime.now(UTC) - timedelta(days=older_than))
    finally:
        db.close()
    _console.print(f"Base {db.safe_url} : {removed} note(s) oubliée(s) (lemmes de plus de {older_than} jours).")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")

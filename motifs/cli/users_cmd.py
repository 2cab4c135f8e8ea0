"""`motifs users …`: who may use the API and the review pages (roles agent, analyst, admin)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from serving.store import ROLES, Database

app = typer.Typer(
    help=(
        "Utilisateurs de l'API et des pages de revue : agent (suggestions, retours), analyst (revue, rapports), "
        "admin (tout).\n\nExemple : motifs users add martine.durand --role analyst"
    ),
    no_args_is_help=True,
)
_console = Console(highlight=False, soft_wrap=True)
_DATABASE_HELP = "Base de données (défaut : MOTIFS_DATABASE_URL, sinon motifs-data/motifs.db)."


@app.command("add")
def add_cmd(
    name: Annotated[str, typer.Argument(help="Nom de l'utilisateur (lettres, chiffres, « . _ @ - »).")],
    role: str = typer.Option(..., "--role", help=f"Rôle : {', '.join(ROLES)}."),
    database_url: str | None = typer.Option(None, "--database-url", help=_DATABASE_HELP),
) -> None:
    """Crée un utilisateur et affiche son jeton, une seule fois : il n'est pas conservé (seule son empreinte l'est).

    Le jeton s'envoie dans l'en-tête « Authorization: Bearer JETON » et sert aussi à se connecter aux pages web.

    Exemple : motifs users add accueil-lyon-01 --role agent
    """
    database = Database.open(database_url)
    try:
        created = database.users.add(name, role)
    finally:
        database.close()
    _console.print(f"Utilisateur {created.user.name} créé (rôle {created.user.role}). Jeton, à transmettre tel quel :")
    typer.echo(created.token)
    _console.print("Ce jeton ne sera plus affiché : en cas de perte, révoquer l'utilisateur et en créer un autre.")


@app.command("list")
def list_cmd(
    database_url: str | None = typer.Option(None, "--database-url", help=_DATABASE_HELP),
) -> None:
    """Liste les utilisateurs, leur rôle et leur état (les jetons ne sont jamais affichés).

    Exemple : motifs users list
    """
    database = Database.open(database_url)
    try:
        users = database.users.list()
    finally:
        database.close()
    if not users:
        _console.print("Aucun utilisateur : motifs serve n'écoute alors que sur cette machine (127.0.0.1).")
        return
    table = Table("Nom", "Rôle", "Créé le", "État")
    for user in users:
        created = user.created_at.strftime("%Y-%m-%d %H:%M") if user.created_at else "—"
        state = "actif" if user.active else f"révoqué le {user.revoked_at:%Y-%m-%d %H:%M}"
        table.add_row(user.name, user.role, created, state)
    _console.print(table)


@app.command("revoke")
def revoke_cmd(
    name: Annotated[str, typer.Argument(help="Nom de l'utilisateur à révoquer.")],
    database_url: str | None = typer.Option(None, "--database-url", help=_DATABASE_HELP),
) -> None:
    """Révoque un utilisateur : son jeton et ses sessions ouvertes cessent aussitôt de fonctionner.

    Exemple : motifs users revoke accueil-lyon-01
    """
    database = Database.open(database_url)
    try:
        user = database.users.revoke(name)
    finally:
        database.close()
    _console.print(f"Utilisateur {user.name} révoqué.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="users")

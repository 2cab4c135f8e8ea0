"""`motifs serve`: the real-time suggestion API and the agents' page."""

from __future__ import annotations

import typer
from rich.console import Console

from serving.api.resources import Resources
from serving.api.server import serve as run_server
from serving.api.settings import Settings

_console = Console(stderr=True, highlight=False, soft_wrap=True)


def serve(
    model: str = typer.Option(
        ...,
        "--model",
        envvar="MOTIFS_MODEL",
        help="Modèle : dossier d'artefact, ou URI du registre MLflow (models:/motifs-reasons@champion).",
    ),
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Adresse d'écoute (0.0.0.0 pour toutes les interfaces : exige des utilisateurs ou l'OIDC, et "
        "MOTIFS_ALLOWED_HOSTS).",
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port d'écoute."),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Base de données (défaut : MOTIFS_DATABASE_URL, sinon motifs-data/motifs.db)."
    ),
) -> None:
    """Sert l'API de suggestion de motifs, la page des agents (http://HOTE:PORT/) et la revue (http://HOTE:PORT/revue).

    Les autres réglages se lisent dans l'environnement : MOTIFS_MAX_TEXT_LENGTH, MOTIFS_REQUEST_TIMEOUT_S,
    MOTIFS_TOP_K, MOTIFS_SITE_EXTENSIONS_DIR, MOTIFS_STORE_SUGGESTIONS, MOTIFS_MODEL_THREADS, MOTIFS_TAXONOMY_DIR,
    MOTIFS_REVIEWER ; et pour les droits : MOTIFS_ALLOWED_HOSTS, MOTIFS_RATE_LIMIT, MOTIFS_SESSION_SECRET,
    MOTIFS_SECURE_COOKIES, MOTIFS_OIDC_* (voir le README, « Utilisateurs et droits »).

    Sans utilisateur configuré (motifs users add), le service n'écoute que sur cette machine et n'exige rien ;
    avec des utilisateurs, chaque requête doit porter un jeton (Authorization: Bearer) ou une session web.

    Exemple : motifs serve --model models:/motifs-reasons@champion --port 8000
    """
    overrides: dict[str, object] = {"model": model}
    if database_url:
        overrides["database_url"] = database_url
    settings = Settings(**overrides)  # type: ignore[arg-type]

    def announce(resources: Resources, access: str) -> None:
        _console.print(
            f"Modèle {resources.model_version} ({resources.taxonomy.ref}), base {resources.database.safe_url}\n"
            f"{access}\n"
            f"Page des agents : http://{host}:{port}/ — revue des motifs émergents : http://{host}:{port}/revue — "
            f"schéma de l'API : http://{host}:{port}/openapi.json"
        )

    run_server(settings, host=host, port=port, announce=announce)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)

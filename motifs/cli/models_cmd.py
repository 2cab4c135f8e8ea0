"""`motifs models …`: which model folders may be loaded (the trusted-models list of `pipeline.trust`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.artifact import trust_model_dir
from pipeline.trust import trust_file

app = typer.Typer(
    help=(
        "Modèles de confiance : un fichier de modèle n'est chargé que si son empreinte est connue (registre MLflow, "
        "ou liste des modèles de confiance).\n\nExemple : motifs models trust /partage/modeles/motifs-2026-12"
    ),
    no_args_is_help=True,
)
_console = Console(highlight=False, soft_wrap=True)


@app.command("trust")
def trust_cmd(
    directory: Annotated[Path, typer.Argument(help="Dossier de modèle (model.joblib + manifest.json).")],
) -> None:
    """Approuve un dossier de modèle venu d'ailleurs : son empreinte SHA-256 rejoint la liste des modèles de
    confiance (MOTIFS_TRUSTED_MODELS, sinon motifs-data/trusted-models.jsonl). Le modèle n'est pas chargé.

    Un modèle entraîné sur cette machine (motifs train, motifs demo) est déjà approuvé. N'approuver qu'un dossier
    dont on connaît l'origine : charger un modèle exécute son code.

    Exemple : motifs models trust /partage/modeles/motifs-2026-12
    """
    manifest = trust_model_dir(directory)
    _console.print(f"Modèle {manifest.model_version} approuvé (SHA-256 {manifest.sha256}) dans {trust_file()}.")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="models")

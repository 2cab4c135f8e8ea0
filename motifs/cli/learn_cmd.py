"""`motifs learn`: thin over `training.learn.learn` (retrain from the agents' choices when enough are new)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from motifs.cli.feedback_notes import read_feedback_notes
from motifs.cli.options import UnknownLabels
from motifs.cli.train_cmd import print_train_result, quiet_mlflow
from training.learn import LearnOutcome, learn

_console = Console(highlight=False)


def learn_command(
    data: Annotated[
        Path, typer.Option("--data", help="Fichier d'appels étiquetés de référence (celui de motifs train).")
    ],
    out_dir: Annotated[
        Path,
        typer.Option("--out-dir", help="Dossier des modèles : chaque réentraînement écrit modele-<date UTC>/ dedans."),
    ],
    min_new: Annotated[
        int,
        typer.Option(
            "--min-new", min=1, help="Appels qualifiés depuis le champion au-dessous duquel rien n'est réentraîné."
        ),
    ] = 200,
    taxonomy: Annotated[
        str | None, typer.Option("--taxonomy", help="Base de motifs (comme motifs train ; défaut : nationale).")
    ] = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Colonne du texte de la note.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Colonne du motif (code) attribué.")] = "reason",
    config: Annotated[Path | None, typer.Option("--config", help="Fichier YAML (comme motifs train).")] = None,
    tracking_uri: Annotated[
        str | None, typer.Option("--tracking-uri", help="Suivi MLflow (comme motifs train).")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="Base des retours (sinon MOTIFS_DATABASE_URL, sinon motifs-data/motifs.db)."
        ),
    ] = None,
    unknown_labels: UnknownLabels = "refuse",
) -> None:
    """Réentraîne à partir des choix des agents, seulement quand assez d'appels ont été qualifiés depuis le
    champion ; le nouveau modèle ne devient champion que s'il bat l'actuel sur les mêmes retours récents.

    Fait pour être planifié (cron) : sans assez de retours nouveaux, ne fait rien et sort avec le code 0.

    Exemple : motifs learn --data appels.csv --out-dir motifs-data/modeles --min-new 200
    """
    quiet_mlflow()
    notes = read_feedback_notes(database_url, None)
    outcome = learn(
        data,
        taxonomy,
        text_col,
        label_col,
        config,
        out_dir,
        notes,
        minimum=min_new,
        tracking_uri=tracking_uri,
        unknown_label_policy=unknown_labels,
    )
    print_outcome(outcome)


def print_outcome(outcome: LearnOutcome) -> None:
    since = "" if outcome.since is None else f" depuis le {outcome.since:%d/%m/%Y %H:%M} UTC (dernier retour appris)"
    _console.print(f"[bold]Retours nouveaux[/] : {outcome.new_choices} appel(s) qualifié(s){since}")
    if outcome.result is None:
        _console.print(f"Pas de réentraînement : moins de {outcome.minimum} appels qualifiés nouveaux.")
        return
    print_train_result(outcome.result)
    if outcome.champion_version is None:
        return
    if not outcome.changes:
        _console.print(f"Par motif : aucun changement de F1 face au champion (version {outcome.champion_version}).")
        return
    _console.print(
        f"[bold]Par motif[/] (F1 sur les retours récents, champion version {outcome.champion_version} → nouveau) :"
    )
    for change in outcome.changes:
        colour = "green" if change.delta > 0 else "red"
        _console.print(
            f"  {change.code} : {change.before:.2f} → {change.after:.2f} "
            f"([{colour}]{change.delta:+.2f}[/], {change.support} notes)"
        )


def register(app: typer.Typer) -> None:
    app.command("learn")(learn_command)

"""`motifs discover`: thin over `serving.discovery.run_discovery` (unlabelled notes → draft taxonomy + assignments)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from serving.discovery import DiscoverOptions, DiscoverOutcome, run_discovery
from serving.discovery.errors import InvalidCuration
from serving.discovery.workspace import discover_into

_console = Console(highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("discover")(discover)


def discover(
    data: Annotated[Path, typer.Option("--data", help="Export de notes (CSV, Parquet ou JSON Lines), sans motifs.")],
    out: Annotated[Path | None, typer.Option("--out", help="Brouillon de base de motifs écrit (YAML).")] = None,
    assignments: Annotated[
        Path | None,
        typer.Option("--assignments", help="CSV écrit : call_id,cluster,confidence (motif proposé pour chaque note)."),
    ] = None,
    min_size: Annotated[
        int | None, typer.Option("--min-size", min=1, help="Taille minimale d'un motif candidat (défaut : 5 notes).")
    ] = None,
    max_reasons: Annotated[
        int | None,
        typer.Option("--max-reasons", min=2, max=500, help="Nombre maximal de motifs proposés (défaut : 35)."),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0, help="Graine : même graine, même résultat.")] = None,
    taxonomy_id: Annotated[
        str, typer.Option("--id", help="Identifiant de la base proposée (minuscules, chiffres, _).")
    ] = "decouverte",
    text_col: Annotated[
        str | None, typer.Option("--text-col", help="Colonne des notes (devinée sinon : text, note, commentaire…).")
    ] = None,
    id_col: Annotated[
        str | None, typer.Option("--id-col", help="Colonne identifiant l'appel (devinée sinon ; n° de ligne à défaut).")
    ] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Encodage du CSV (deviné sinon).")] = None,
    delimiter: Annotated[str | None, typer.Option("--delimiter", help="Séparateur du CSV (deviné sinon).")] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Fichier YAML de réglages (surcharge les défauts).")
    ] = None,
    revue: Annotated[
        str | None,
        typer.Option(
            "--revue",
            help="Nom du brouillon à relire dans les pages de revue (/revue/decouverte) : écrit dans le dossier "
            "des brouillons (MOTIFS_DISCOVERY_DIR, sinon motifs-data/decouverte) au lieu de --out/--assignments.",
        ),
    ] = None,
) -> None:
    """Cartographie des motifs : regroupe des notes non étiquetées en motifs candidats (quelques domaines au-dessus)
    et écrit un brouillon de base de motifs à relire, plus le motif proposé pour chaque note.

    Les notes sont anonymisées avant tout traitement ; les notes qui ne vont nulle part restent « autre ».

    Exemple : motifs discover --data notes.csv --out brouillon.yaml --assignments affectations.csv

    Exemple : motifs discover --data export.csv --text-col commentaire --max-reasons 25 --min-size 10 --seed 1
    --out brouillon.yaml

    Exemple (relecture dans le navigateur) : motifs discover --data notes.csv --revue accueil_2026 puis
    http://127.0.0.1:8000/revue/decouverte/accueil_2026 (motifs serve)
    """
    if (out is None) == (revue is None):
        raise InvalidCuration("donner --out (fichiers) ou --revue NOM (pages de revue), l'un des deux")
    if revue is not None and assignments is not None:
        raise InvalidCuration("--assignments va avec --out : avec --revue, les affectations sont dans le dossier")
    options = DiscoverOptions(
        data=data,
        out=out or Path(),
        assignments=assignments,
        taxonomy_id=taxonomy_id,
        min_size=min_size,
        max_reasons=max_reasons,
        seed=seed,
        config=config,
        text_col=text_col,
        id_col=id_col,
        encoding=encoding,
        delimiter=delimiter,
    )
    outcome = discover_into(revue, options) if revue is not None else run_discovery(options)
    print_outcome(outcome)
    if revue is not None:
        _console.print(
            f"À relire dans le navigateur : /revue/decouverte/{revue} (motifs serve), ou avec motifs curate "
            f"--draft {outcome.draft_path} --assignments {outcome.assignments_path}"
        )


def _share(value: float) -> str:
    return f"{value:.1%}".replace(".", ",")


def print_outcome(outcome: DiscoverOutcome) -> None:
    for line in outcome.notes.summary():
        _console.print(escape(line))
    discovery = outcome.discovery
    table = Table(title=f"{outcome.taxonomy.ref} (brouillon)", title_justify="left")
    for column in ("domaine", "code", "libellé", "notes", "similarité moy."):
        table.add_column(column)
    for domain in discovery.domains:
        for number in domain.candidates:
            candidate = discovery.candidates[number]
            table.add_row(
                escape(domain.label),
                outcome.codes[number],
                escape(candidate.label),
                str(candidate.size),
                f"{candidate.mean_confidence:.2f}".replace(".", ","),
            )
    _console.print(table)
    quality = discovery.quality
    _console.print(
        f"[bold]Couverture[/] : {quality.covered} notes sur {quality.notes} rangées dans un motif "
        f"({_share(quality.coverage)}), {quality.notes - quality.covered} restent « autre » "
        f"(dont {quality.empty_notes} sans mot de contenu)."
    )
    tried = sorted(quality.silhouettes)
    span = f"{tried[0]}–{tried[-1]}" if tried else "—"
    _console.print(
        f"[bold]Qualité[/] : {len(discovery.candidates)} motifs en {len(discovery.domains)} domaines ; silhouette "
        f"(cosinus) {quality.silhouette:.3f} pour k = {quality.k} (k essayés : {span}), "
        f"{quality.dissolved} groupe(s) trop petit(s) dissous ; échantillon regroupé : "
        f"{quality.sample_size} notes."
    )
    _console.print(f"Brouillon écrit : {outcome.draft_path} (vérifier : motifs taxonomy validate {outcome.draft_path})")
    if outcome.assignments_path is not None:
        _console.print(f"Affectations écrites : {outcome.assignments_path}")

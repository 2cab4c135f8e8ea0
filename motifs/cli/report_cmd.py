"""`motifs report`: thin over `serving.reports.run_report` (one self-contained HTML file in French)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from motifs import __version__
from motifs.cli.options import (
    CallsTaxonomy,
    ChannelCol,
    Delimiter,
    Encoding,
    IdCol,
    SiteCol,
    TextCol,
    TimeCol,
    column_mapping,
)
from serving.days import parse_day
from serving.reports import ReportRequest, ReportResult, ReportSources, run_report
from serving.reports import formatting as fmt

_console = Console(highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    start: Annotated[str, typer.Option("--from", help="Premier jour du rapport (aaaa-mm-jj, heure de Paris).")],
    end: Annotated[str, typer.Option("--to", help="Dernier jour du rapport, inclus (aaaa-mm-jj).")],
    out: Annotated[Path, typer.Option("--out", help="Fichier HTML à écrire (un seul fichier, autonome).")],
    site: Annotated[str | None, typer.Option("--site", help="Limiter le rapport aux appels d'un site.")] = None,
    period: Annotated[str, typer.Option("--period", help="Période des séries : day, week ou month.")] = "week",
    predictions: Annotated[
        Path | None,
        typer.Option(
            "--predictions", help="Sortie de motifs reclassify sur --calls (jointure sur call_id) ; sinon la base."
        ),
    ] = None,
    calls: Annotated[
        Path | None,
        typer.Option(
            "--calls",
            help="Export d'appels (contrat de données), avec --predictions ; notes anonymisées avant usage, sauf si "
            "la sortie de reclassification les porte (--with-text).",
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="Base de données (défaut : MOTIFS_DATABASE_URL, sinon motifs-data/motifs.db)."
        ),
    ] = None,
    model_version: Annotated[
        str | None,
        typer.Option(
            "--model-version", help="Base : version du modèle à lire (défaut : celle qui a noté le plus d'appels)."
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Modèle qui a noté les appels (dossier, ou models:/motifs-reasons@champion) : sa calibration donne "
            "la part de « autre » attendue par erreur, affichée à côté de la part observée. Inutile depuis la base, "
            "où le modèle l'a enregistrée en notant les appels (sinon « inconnu »).",
        ),
    ] = None,
    run: Annotated[
        int | None,
        typer.Option(
            "--run",
            help="Base : exécution de suivi de motifs emerging à lire (défaut : la dernière qui couvre les dates).",
        ),
    ] = None,
    review_url: Annotated[
        str | None,
        typer.Option(
            "--review-url",
            help="Page d'un groupe dans l'interface de revue, avec {scope} et {id} (p. ex. "
            "http://127.0.0.1:8000/revue/{scope}/{id}) : ajoute un lien vers chaque groupe émergent.",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Réglages du suivi (YAML fusionné sur les valeurs par défaut).")
    ] = None,
    text_col: TextCol = None,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    site_col: SiteCol = None,
    channel_col: ChannelCol = None,
    encoding: Encoding = None,
    delimiter: Delimiter = None,
    taxonomy: CallsTaxonomy = None,
) -> None:
    """Écrit un rapport HTML autonome en français pour un directeur de service : synthèse, part de « autre » par
    site (avec la part attendue par erreur selon la calibration du modèle qui a noté les appels) et part « à
    confirmer », motifs en hausse, motifs émergents, volumes par motif et par domaine, toutes les alertes.

    Les graphiques sont dessinés dans la page (SVG) : aucun accès réseau, aucun script, imprimable. Depuis la base,
    le rapport lit le suivi enregistré par motifs emerging (--run, sinon la dernière exécution qui couvre les
    dates) : mêmes chiffres et identifiants de groupes que l'interface de revue, rien de recalculé ni d'écrit ; un
    suivi jamais lancé est calculé et enregistré.

    Exemple : motifs report --from 2026-03-02 --to 2026-04-26 --out rapport.html

    Exemple : motifs report --from 2026-03-02 --to 2026-04-26 --site lyon --predictions motifs.parquet
    --calls appels.csv --model motifs-data/modele --out rapport-lyon.html
    """
    request = ReportRequest(
        start=parse_day(start, "--from"),
        end=parse_day(end, "--to"),
        out=out,
        site=site,
        granularity=period,  # type: ignore[arg-type]  # checked by ReportRequest.check
        review_url=review_url,
    )
    sources = ReportSources(
        calls=calls,
        predictions=predictions,
        database_url=database_url,
        model_version=model_version,
        columns=column_mapping(
            id_col=id_col, text_col=text_col, time_col=time_col, site_col=site_col, channel_col=channel_col
        ),
        encoding=encoding,
        delimiter=delimiter,
        taxonomy=taxonomy,
        run_id=run,
        model=model,
    )
    result = run_report(request, sources, config_path=config, version=__version__)
    print_result(result)


def print_result(result: ReportResult) -> None:
    content = result.content
    _console.print(f"[bold]Rapport écrit[/] : {result.path} ({result.path.resolve().as_uri()})")
    _console.print(
        f"{fmt.count(content.coverage.n_calls)} appels, {len(content.periods)} période(s), "
        f"{fmt.count(content.n_alerts)} alerte(s), {len(content.clusters) + len(content.more_clusters)} groupe(s) "
        f"émergent(s) signalé(s) — {result.seconds:.1f} s"
    )
    if result.read_run_id is not None:
        _console.print(f"Suivi lu : exécution n° {result.read_run_id} (suivi « {result.scope} »).")
    if result.stored_run_id is not None:
        _console.print(f"Suivi enregistré (exécution n° {result.stored_run_id}, suivi « {result.scope} »).")
    _console.print("[bold]Synthèse[/]")
    for fact in content.facts:
        _console.print(f"  • {fact.text}")

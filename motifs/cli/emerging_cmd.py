"""`motifs emerging`: thin over `serving.review.emerging.run_emerging` (« autre » share, alerts, emerging clusters)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import track
from rich.table import Table

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
from serving.days import parse_optional_day
from serving.reports import formatting as fmt
from serving.review.emerging import EmergingOutcome, run_emerging

_console = Console(highlight=False, soft_wrap=True)

_SIGNAL_FR = {"strong": "[bold red]fort[/]", "weak": "[yellow]faible[/]", "none": "[dim]aucun[/]"}
_STATUS_FR = {"open": "à traiter", "created": "nouveau motif", "attached": "rattaché", "dismissed": "écarté"}


def register(app: typer.Typer) -> None:
    app.command("emerging")(emerging)


def emerging(
    period: Annotated[
        Literal["day", "week", "month"], typer.Option("--period", help="Période d'analyse : day, week ou month.")
    ] = "week",
    calls: Annotated[
        Path | None, typer.Option("--calls", help="Export d'appels (contrat de données), avec --predictions.")
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option("--predictions", help="Sortie de motifs reclassify sur ce fichier (jointure sur call_id)."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Base (lue sans --calls, et où le suivi est enregistré) ; sinon MOTIFS_DATABASE_URL, sinon "
            "motifs-data/motifs.db.",
        ),
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Premier jour analysé (AAAA-MM-JJ) ; l'historique avant est lu.")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Dernier jour analysé, inclus (AAAA-MM-JJ).")] = None,
    site: Annotated[str | None, typer.Option("--site", help="Un seul site (suivi et identifiants à part).")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Écrit le résultat en JSON dans ce fichier.")] = None,
    model_version: Annotated[
        str | None,
        typer.Option("--model-version", help="Base : version de modèle à suivre (défaut : celle qui a noté le plus)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Fichier YAML de seuils de suivi (surcharge les défauts).")
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store/--no-store",
            help="Enregistrer le suivi (registre des clusters, instantanés, alertes) pour la revue et le rapport.",
        ),
    ] = True,
    engine: Annotated[
        Literal["local", "spark"],
        typer.Option("--engine", help="Moteur du calcul des lemmes des notes : local ou spark."),
    ] = "local",
    spark_master: Annotated[
        str, typer.Option("--spark-master", help="Moteur spark : maître (local[*], local[2], spark://hote:7077…).")
    ] = "local[*]",
    text_col: TextCol = None,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    site_col: SiteCol = None,
    channel_col: ChannelCol = None,
    encoding: Encoding = None,
    delimiter: Delimiter = None,
    taxonomy: CallsTaxonomy = None,
) -> None:
    """Part de « autre » (hors base) et part « à confirmer », alertes et motifs émergents par période ;
    identifiants de clusters stables.

    Lit la base (table des prédictions) par défaut, ou un export d'appels et sa sortie de reclassification. Le
    registre des clusters est repris de la base et mis à jour : relancer donne les mêmes identifiants, et une
    décision d'analyste (motifs review) reste acquise.

    Exemple : motifs emerging --period week --from 2026-01-05 --to 2026-03-29 --json motifs-data/emergents.json

    Exemple : motifs emerging --calls appels.csv --predictions motifs.parquet --period week --json emergents.json

    Avec --calls, l'export est lu comme par motifs reclassify (--text-col, --id-col, --time-col, --site-col,
    --channel-col, --encoding, --delimiter ; détectés sinon).

    Avec --engine spark (pip install 'motifs[spark]', Java 17+), les lemmes des notes (l'essentiel du calcul) sont
    calculés par Spark (--spark-master) ; mêmes résultats qu'en local.
    """
    outcome = run_emerging(
        granularity=period,
        calls=calls,
        predictions=predictions,
        database_url=database_url,
        date_from=parse_optional_day(date_from, "--from"),
        date_to=parse_optional_day(date_to, "--to"),
        site=site,
        store=store,
        model_version=model_version,
        config_path=config,
        json_out=json_out,
        columns=column_mapping(
            id_col=id_col, text_col=text_col, time_col=time_col, site_col=site_col, channel_col=channel_col
        ),
        encoding=encoding,
        delimiter=delimiter,
        taxonomy=taxonomy,
        progress=_progress,
        engine=engine,
        spark_master=spark_master,
    )
    print_outcome(outcome, json_out)


def _progress(labels: Sequence[str]) -> Iterable[str]:
    """A progress bar over the periods computed (on stderr, gone when done)."""
    return track(labels, description="Analyse des périodes", console=Console(stderr=True), transient=True)


def print_outcome(outcome: EmergingOutcome, json_out: Path | None) -> None:
    for line in outcome.source.summary:
        _console.print(escape(line))
    report = outcome.report
    table = Table(title=f"Suivi « {outcome.scope} »", show_lines=False)
    for column in ("Période", "Appels", "« autre »", "« à confirmer »", "Clusters (fort / faible)", "Alertes"):
        table.add_column(column)
    for period in report.periods:
        strong = sum(1 for c in period.clusters if c.signal == "strong")
        weak = sum(1 for c in period.clusters if c.signal == "weak")
        table.add_row(
            period.period,
            str(period.n_calls),
            fmt.pct(period.autre_share),
            fmt.pct(period.to_confirm_share),
            f"{len(period.clusters)} ({strong} / {weak})",
            str(len(period.alerts)),
        )
    _console.print(table)
    _console.print(
        "« autre » : appels hors base (nouveauté détectée par le modèle, ou choix « autre » de l'agent) ; "
        "« à confirmer » : le modèle hésite entre motifs connus — indicateur de qualité du modèle, non compté dans "
        "« autre »."
    )
    last = report.periods[-1]
    signals = [c for c in last.clusters if c.signal != "none"]
    for cluster in sorted(signals, key=lambda c: (c.signal != "strong", -c.size)):
        parent = f", dans {cluster.parent_code}" if cluster.parent_code else ""
        if cluster.kind == "theme":
            parent = f", thème transversal à {len(cluster.reasons)} motifs ({fmt.pct(cluster.share)} des appels)"
        _console.print(
            f"  {cluster.id} signal {_SIGNAL_FR[cluster.signal]} — {cluster.size} appels{parent}, "
            f"mots-clés : {escape(', '.join(cluster.keywords[:6]))} ({_STATUS_FR.get(cluster.status, cluster.status)})"
        )
    for period in report.periods:  # every period's alerts: an alarm of an earlier week is not just a count
        for alert in period.alerts:
            _console.print(f"  {period.period} [bold]{alert.severity}[/] {escape(alert.message)}")
    if outcome.precision is not None:
        _console.print(outcome.precision.sentence())
    if outcome.run is not None:
        _console.print(f"Suivi enregistré (exécution n° {outcome.run.id}) : motifs review list --scope {outcome.scope}")
    if json_out is not None:
        _console.print(f"JSON écrit : {json_out}")

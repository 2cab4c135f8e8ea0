"""`motifs forecast`: thin over `serving.forecast` (counts from the store or a volumes file → reconciled forecasts)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from serving.forecast import InvalidForecastOptions, forecast_volumes, load_settings, read_volumes, write_forecast
from serving.forecast.volumes import check_period

_console = Console(highlight=False, soft_wrap=True)
DEFAULT_HORIZON = {"day": 28, "week": 8}


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast)


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidForecastOptions(f"{option} « {value[:40]} » (attendu : une date aaaa-mm-jj)") from None


def forecast(
    out: Annotated[Path, typer.Option("--out", help="Fichier de prévisions : .csv, .parquet, .json ou .jsonl.")],
    volumes: Annotated[
        Path | None,
        typer.Option("--volumes", help="Fichier de volumes (CSV, Parquet, JSON Lines) ; sinon les appels en base."),
    ] = None,
    time_col: Annotated[str, typer.Option("--time-col", help="Fichier : colonne des dates.")] = "date",
    count_col: Annotated[str, typer.Option("--count-col", help="Fichier : colonne du nombre d'appels.")] = "calls",
    by_col: Annotated[
        str | None, typer.Option("--by-col", help="Fichier : colonne du motif (une série par motif, plus le total).")
    ] = None,
    driver_cols: Annotated[
        list[str] | None,
        typer.Option(
            "--driver-col",
            help="Fichier : facteur explicatif (envoi de courriers, échéance…), valeurs futures comprises ; répétable.",
        ),
    ] = None,
    period: Annotated[str, typer.Option("--period", help="Pas de temps : day ou week.")] = "day",
    horizon: Annotated[
        int | None, typer.Option("--horizon", help="Nombre de périodes à prévoir (défaut : 28 jours ou 8 semaines).")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Base : premier jour de l'historique (aaaa-mm-jj).")
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            "--to", help="Base : dernier jour de l'historique, inclus (défaut : hier, ou dimanche dernier par semaine)."
        ),
    ] = None,
    site: Annotated[str | None, typer.Option("--site", help="Base : limiter aux appels d'un site.")] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="Base de données (défaut : MOTIFS_DATABASE_URL, sinon motifs-data/motifs.db)."
        ),
    ] = None,
    model_version: Annotated[
        str | None,
        typer.Option("--model-version", help="Base : version du modèle à lire (défaut : celle qui a noté le plus)."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Réglages de prévision (YAML fusionné sur les valeurs par défaut).")
    ] = None,
) -> None:
    """Prévoit les volumes d'appels motif par motif et au total (les motifs s'additionnent au total), avec
    intervalles à 80 % et 95 %, jours fériés et vacances scolaires (zones A, B, C) comme effets de calendrier.

    La méthode de chaque série est choisie par validation croisée glissante ; repli naïf pour les séries
    courtes ou creuses. Sortie : date, reason (« total » et chaque motif ; absente sans --by-col), forecast, lo80,
    hi80, lo95, hi95.

    Exemple : motifs forecast --volumes volumes.csv --time-col date --count-col calls --by-col motif --horizon 28
    --out previsions.csv
    """
    settings = load_settings(config)
    checked = check_period(period)
    steps = horizon if horizon is not None else DEFAULT_HORIZON[checked]
    if volumes is not None:
        data = read_volumes(
            volumes,
            time_col=time_col,
            count_col=count_col,
            by_col=by_col,
            driver_cols=driver_cols or (),
            period=checked,
        )
    else:
        from serving.forecast.store import last_complete_day, volumes_from_store
        from serving.store import Database

        if driver_cols:
            raise InvalidForecastOptions("--driver-col demande --volumes (la base ne porte pas de facteur explicatif)")
        db = Database.open(database_url)
        try:
            last = _day(end, "--to") or last_complete_day(checked)
            data = volumes_from_store(
                db, period=checked, start=_day(start, "--from"), end=last, site=site, model_version=model_version
            )
        finally:
            db.close()
    series = len(data.counts.columns) + 1 if data.by_reason else 1
    with Progress(
        TextColumn("Prévision des séries"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console,
        transient=True,
        disable=series < 20,
    ) as bar:
        task = bar.add_task("séries", total=series)
        result = forecast_volumes(
            data, steps, settings=settings, progress=lambda done, _total: bar.update(task, completed=done)
        )
    path = write_forecast(result.table, out)
    methods = Table(title=f"Méthodes choisies ({series} série(s))", show_lines=False)
    methods.add_column("méthode")
    methods.add_column("séries", justify="right")
    counts: dict[str, int] = {}
    for method in result.methods.values():
        counts[method] = counts.get(method, 0) + 1
    for method, n in sorted(counts.items(), key=lambda item: -item[1]):
        methods.add_row(method, str(n))
    _console.print(methods)
    for note in result.notes:
        _console.print(f"[yellow]{note}[/]")
    _console.print(f"{len(result.table)} ligne(s) de prévision ({steps} période(s) « {checked} ») écrites dans {path}.")

"""`motifs demo-data`: write the demo corpus of calls (training.demo)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from serving.days import parse_day
from serving.reports import formatting as fmt
from training.demo import DemoSettings, write_demo_calls

DEFAULT_OUT = Path("motifs-data/demo/appels-demo.csv")


def register(app: typer.Typer) -> None:
    app.command("demo-data")(demo_data)


def demo_data(
    rows: Annotated[int, typer.Option("--rows", help="Nombre d'appels à générer.")] = 50_000,
    seed: Annotated[int, typer.Option("--seed", help="Graine : la même graine donne exactement le même fichier.")] = 42,
    out: Annotated[Path, typer.Option("--out", help="Fichier à écrire : .csv, .parquet ou .jsonl.")] = DEFAULT_OUT,
    start: Annotated[str, typer.Option("--start", help="Premier jour de la période (aaaa-mm-jj).")] = "2026-01-05",
    weeks: Annotated[int, typer.Option("--weeks", help="Durée de la période en semaines (scénarios ajustés).")] = 16,
) -> None:
    """Génère un corpus de démonstration : notes d'agents et transcriptions fictives, étiquetées avec la base
    nationale v1.0.0, avec données personnelles factices, un motif émergent, un pic et des « autre ».

    Exemple : motifs demo-data --rows 100000 --seed 42 --out motifs-data/demo/appels-demo.csv
    """
    settings = DemoSettings(rows=rows, seed=seed, start=parse_day(start, "--start"), weeks=weeks)
    settings.check()
    console = Console(highlight=False)
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("Génération des appels", total=rows)
        result = write_demo_calls(out, settings, progress=lambda n: progress.advance(task, n))
    table = Table(title=f"Corpus de démonstration : {result.path}", show_header=False)
    table.add_row("Appels", fmt.count(result.rows))
    table.add_row("Durée", f"{fmt.decimal(result.seconds)} s ({fmt.count(result.rows_per_second)} appels/s)")
    table.add_row("Transcriptions", f"{result.text_kinds.get('transcription', 0) / result.rows:.1%}")
    table.add_row("Avec données personnelles factices", f"{result.rows_with_pii / result.rows:.1%}")
    table.add_row("Classés « autre »", f"{result.reasons.get('autre', 0) / result.rows:.1%}")
    for scenario, count in sorted(result.scenarios.items()):
        table.add_row(f"Scénario {scenario}", fmt.count(count))
    console.print(table)

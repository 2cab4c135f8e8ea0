"""`motifs redact`: redact the personal data of the text columns of a CSV, Parquet or JSON Lines file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.redaction import PII_TYPES, Redactor, count_rows, redact_table
from pipeline.tables import inspect_table

_console = Console(highlight=False)


def register(app: typer.Typer) -> None:
    app.command("redact")(redact)


def redact(
    source: Annotated[Path, typer.Option("--in", help="Fichier à occulter (CSV, Parquet ou JSON Lines).")],
    target: Annotated[Path, typer.Option("--out", help="Fichier écrit (format choisi par l'extension).")],
    text_col: Annotated[
        list[str] | None,
        typer.Option("--text-col", help="Colonne de texte libre à occulter, « text » par défaut (option répétable)."),
    ] = None,
    types: Annotated[
        str | None,
        typer.Option(
            "--types", help=f"Types à occulter, séparés par des virgules (défaut : tous) : {', '.join(PII_TYPES)}."
        ),
    ] = None,
    ner: Annotated[
        str | None,
        typer.Option(
            "--ner", help="Reconnaissance d'entités spaCy pour les noms : off, gated ou always (défaut : config)."
        ),
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="Motifs supplémentaires d'un site de la configuration.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Fichier YAML remplaçant la configuration livrée.")
    ] = None,
    encoding: Annotated[str | None, typer.Option("--encoding", help="Encodage du CSV (défaut : deviné).")] = None,
    delimiter: Annotated[str | None, typer.Option("--delimiter", help="Séparateur du CSV (défaut : deviné).")] = None,
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", min=1, help="Lignes lues et écrites à la fois.")] = 5_000,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Processus d'occultation en parallèle.")] = 1,
) -> None:
    """Occulte les données personnelles (noms, téléphones, NIR, IBAN, adresses…) des colonnes de texte d'un fichier.

    Les autres colonnes sont recopiées telles quelles. Seuls des comptes sont affichés, jamais le texte.

    Exemple : motifs redact --in appels.csv --out appels_occultes.parquet --text-col note
    """
    kinds = [t.strip().upper() for t in types.split(",") if t.strip()] if types else None
    redactor = Redactor(types=kinds, use_ner=ner, site=site, config=config)
    total = count_rows(inspect_table(source, encoding=encoding, delimiter=delimiter))
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]Occultation[/]"),
        BarColumn(),
        MofNCompleteColumn() if total else TextColumn("{task.completed:,.0f} lignes"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[rate]}"),
        console=_console,
        transient=True,
    ) as progress:
        task = progress.add_task("occultation", total=total, rate="")

        def advance(rows: int) -> None:
            progress.advance(task, rows)
            elapsed = progress.tasks[task].elapsed or 0.0
            if elapsed > 0:
                progress.update(task, rate=f"{progress.tasks[task].completed / elapsed:,.0f} lignes/s")

        summary = redact_table(
            source,
            target,
            text_columns=text_col or ["text"],
            redactor=redactor,
            encoding=encoding,
            delimiter=delimiter,
            chunk_rows=chunk_rows,
            workers=workers,
            on_progress=advance,
        )
    for guess in summary.guesses:
        _console.print(f"[dim]{guess}[/]")
    _console.print(
        f"[green]{summary.rows:,} lignes occultées[/] en {summary.seconds:.1f} s "
        f"({summary.rows_per_second:,.0f} lignes/s) → {target}"
    )
    table = Table(show_edge=False)
    table.add_column("type")
    table.add_column("nombre", justify="right")
    for kind in PII_TYPES:
        if summary.counts[kind]:
            table.add_row(kind, f"{summary.counts[kind]:,}")
    if summary.counts:
        _console.print(table)
    else:
        _console.print("Aucune donnée personnelle trouvée.")
    if summary.undecodable_rows:
        count = summary.undecodable_rows
        _console.print(f"[yellow]{count} ligne(s) avec des octets illisibles, remplacés par « � ».[/]")
    if summary.rejected_rows:
        shown = ", ".join(str(n) for n in summary.rejected_rows[:20])
        more = "…" if len(summary.rejected_rows) > 20 else ""
        _console.print(
            f"[yellow]{len(summary.rejected_rows)} ligne(s) mal formée(s) non écrite(s) : n° {shown}{more}[/]"
        )

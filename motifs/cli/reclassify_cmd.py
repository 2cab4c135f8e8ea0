"""`motifs reclassify`: thin over `serving.batch.reclassify` (progress bar, summary, Ctrl-C)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from motifs.cli.options import (
    CallsDate,
    ChannelCol,
    Delimiter,
    Encoding,
    IdCol,
    RowIds,
    SiteCol,
    TextCol,
    TimeCol,
    column_mapping,
    parse_calls_date,
)
from pipeline.calls import ERROR_LABELS
from serving.batch import BATCH_ERROR_LABELS, DEFAULT_CHUNK_ROWS, DEFAULT_MAX_CHARS, ReclassifyOptions, reclassify
from serving.batch.run import ReclassifySummary
from serving.errors import InvalidBatchOptions
from serving.reports import formatting as fmt

_console = Console(highlight=False, soft_wrap=True)
_stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("reclassify")(reclassify_cmd)


def _number(value: float) -> str:
    return fmt.count(value)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("— notes/s" if speed is None else f"{_number(speed)} notes/s", style="progress.data.speed")


class _RichProgress:
    """The library's progress hook drawn as a rich bar: rows done / estimated, rate, elapsed, remaining."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task = progress.add_task("Préparation", total=None)

    def start(self, total_rows: int) -> None:
        self.progress.update(self.task, description="Reclassification", total=total_rows or None, completed=0)

    def advance(self, rows: int) -> None:
        task = self.progress.tasks[0]
        if task.total is not None and task.completed + rows > task.total:  # the total is an estimate
            self.progress.update(self.task, total=task.completed + rows)
        self.progress.advance(self.task, rows)

    def phase(self, label: str) -> None:
        self.progress.update(self.task, description=label)


def _columns(values: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        contract, sep, name = value.partition("=")
        if not sep or not contract.strip() or not name.strip():
            raise InvalidBatchOptions(f"--column « {value} » (attendu : CONTRAT=COLONNE, p. ex. text=COMMENTAIRE)")
        mapping[contract.strip()] = name.strip()
    return mapping


def reclassify_cmd(
    input_path: Annotated[
        Path,
        typer.Option("--in", help="Fichier d'appels (CSV, Parquet, JSON Lines) ou dossier : tous ses fichiers lus."),
    ],
    out: Annotated[
        str,
        typer.Option(
            "--out",
            help="Résultat : fichier .csv, .parquet ou .jsonl ; ou base de données (sqlite:///…, "
            "postgresql+psycopg://…, ou « db » pour MOTIFS_DATABASE_URL).",
        ),
    ],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "--rescore-model",
            envvar="MOTIFS_MODEL",
            help="Modèle : dossier d'artefact ou models:/motifs-reasons@champion. Avec --taxonomy-from, le modèle "
            "entraîné sur la nouvelle version de la base (--rescore-model est un autre nom de --model).",
        ),
    ],
    engine: Annotated[str, typer.Option("--engine", help="Moteur de calcul : local ou spark.")] = "local",
    workers: Annotated[
        int, typer.Option("--workers", help="Moteur local : nombre de processus de calcul (1 = ce processus).")
    ] = 1,
    spark_master: Annotated[
        str, typer.Option("--spark-master", help="Moteur spark : maître (local[*], local[2], spark://hote:7077…).")
    ] = "local[*]",
    chunk_rows: Annotated[
        int, typer.Option("--chunk-rows", help="Lignes par morceau (unité de reprise et de mémoire).")
    ] = DEFAULT_CHUNK_ROWS,
    top_k: Annotated[int, typer.Option("--top-k", help="Nombre de motifs proposés par appel (colonne top_k).")] = 3,
    max_chars: Annotated[
        int, typer.Option("--max-chars", help="Longueur maximale d'une note ; au-delà, la ligne va en quarantaine.")
    ] = DEFAULT_MAX_CHARS,
    with_text: Annotated[
        bool, typer.Option("--with-text", help="Ajoute la note anonymisée (colonne redacted_text) au fichier.")
    ] = False,
    restart: Annotated[
        bool, typer.Option("--restart", help="Ignore un lot commencé ou fini et recalcule tout (écrase la sortie).")
    ] = False,
    taxonomy_from: Annotated[
        str | None,
        typer.Option(
            "--taxonomy-from",
            help="Re-notation après un changement de base : version des codes de la colonne reason (p. ex. "
            "national@1.0.0). Les codes renommés ou fusionnés suivent la table de correspondance, les autres sont "
            "re-notés par le modèle (colonne method).",
        ),
    ] = None,
    quarantine: Annotated[
        Path | None,
        typer.Option(
            "--quarantine",
            help="Fichier des lignes en quarantaine (défaut : SORTIE.quarantine.csv ; pour une base : "
            "motifs-data/reclassify/ENTREE.quarantine.csv).",
        ),
    ] = None,
    text_col: TextCol = None,
    id_col: IdCol = None,
    time_col: TimeCol = None,
    calls_date: CallsDate = None,
    row_ids: RowIds = False,
    site_col: SiteCol = None,
    channel_col: ChannelCol = None,
    label_col: Annotated[
        str | None,
        typer.Option("--label-col", help="Avec --taxonomy-from : colonne des codes d'origine (sinon : reason)."),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column", help="Ancienne forme de --text-col etc. : CONTRAT=COLONNE (répétable), p. ex. text=NOTE."
        ),
    ] = None,
    encoding: Encoding = None,
    delimiter: Delimiter = None,
) -> None:
    """Reclassifie des appels historiques par lots : motif, confiance, top-k, versions du modèle et de la base.

    Reprend là où il s'était arrêté (Ctrl-C, panne, kill -9) : relancer la même commande termine le travail sans
    ligne perdue ni doublon. Les lignes invalides (vides, illisibles, trop longues, identifiants en double…) vont en
    quarantaine avec la raison, sans arrêter le lot. Les notes sont anonymisées avant tout enregistrement.

    Exemple : motifs reclassify --in appels-2025.csv --out motifs-2025.parquet --model models:/motifs-reasons@champion

    Exemple : motifs reclassify --in historique/ --out db --model motifs-data/modele --workers 2

    Exemple : motifs reclassify --in export.csv --out sqlite:///motifs-data/an_qe16.db --model motifs-data/an_qe16
    --text-col question --time-col date

    Colonnes : call_id, text et timestamp sont reconnues par leurs noms usuels (id, note, commentaire, date…) ou
    indiquées par --id-col, --text-col, --time-col ; site et canal sont facultatifs (--site-col, --channel-col :
    64 et 32 caractères au plus, une valeur plus longue arrête le lot avec un message clair). Un export sans
    aucune date se date en entier avec --date AAAA-MM-JJ (le suivi par période le range alors dans ce jour) ; un
    export sans identifiant d'appel en prend un par ligne avec --row-ids (FICHIER:LIGNE).

    Exemple : motifs reclassify --in anciens.csv --out migres.csv --taxonomy-from national@1.0.0
    --rescore-model motifs-data/modele-1.1
    """
    if engine not in ("local", "spark"):
        raise InvalidBatchOptions(f"--engine « {engine} » (attendu : local ou spark)")
    options = ReclassifyOptions(
        input=input_path,
        output=out,
        model=model,
        engine="spark" if engine == "spark" else "local",
        workers=workers,
        spark_master=spark_master,
        chunk_rows=chunk_rows,
        k=top_k,
        max_chars=max_chars,
        with_text=with_text,
        restart=restart,
        taxonomy_from=taxonomy_from,
        quarantine=quarantine,
        columns={
            **_columns(column or []),
            **column_mapping(
                id_col=id_col,
                text_col=text_col,
                time_col=time_col,
                site_col=site_col,
                channel_col=channel_col,
                label_col=label_col,
            ),
        },
        encoding=encoding,
        delimiter=delimiter,
        calls_date=parse_calls_date(calls_date),
        row_ids=row_ids,
    )
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("reste"),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=_stderr, transient=True) as progress:
            summary = reclassify(options, progress=_RichProgress(progress))
    except KeyboardInterrupt:
        _stderr.print(
            "[yellow]Interrompu.[/] Les morceaux terminés sont enregistrés : relancez la même commande pour reprendre."
        )
        sys.exit(130)
    print_summary(summary)


def print_summary(summary: ReclassifySummary) -> None:
    if summary.already_done:
        _console.print(f"Rien à faire : {summary.output} est déjà complet ({summary.manifest}).")
    elif summary.resumed:
        _console.print(f"Lot repris : {_number(summary.skipped)} ligne(s) déjà traitée(s) avant cette reprise.")
    table = Table(title=f"Reclassification : {summary.output}", show_header=False)
    table.add_row("Modèle", f"{summary.model_version} ({summary.taxonomy_version})")
    table.add_row("Moteur", summary.engine)
    table.add_row("Fichiers lus", str(summary.files))
    table.add_row("Lignes lues", _number(summary.rows_read))
    table.add_row("Lignes en sortie", _number(summary.output_rows))
    if summary.methods.get("crosswalk"):
        table.add_row(
            "Méthode",
            f"{_number(summary.methods.get('crosswalk', 0))} par table de correspondance, "
            f"{_number(summary.methods.get('model', 0))} par le modèle",
        )
    table.add_row("Dont « autre » (hors base)", _number(summary.autre))
    table.add_row("Dont « à confirmer »", _number(summary.to_confirm))
    labels = {**ERROR_LABELS, **BATCH_ERROR_LABELS, "unknown_taxonomy": "taxonomie d'origine inconnue"}
    kinds = ", ".join(f"{n} {labels.get(code, code)}" for code, n in sorted(summary.quarantined.items()))
    table.add_row("En quarantaine", f"{_number(summary.quarantined_rows)}" + (f" ({kinds})" if kinds else ""))
    table.add_row("Fichier de quarantaine", str(summary.quarantine))
    if summary.manifest is not None:
        table.add_row("Manifeste du lot", str(summary.manifest))
    if not summary.already_done:
        table.add_row(
            "Durée",
            f"{summary.seconds:.1f} s en tout — {_number(summary.scored)} notes calculées en "
            f"{summary.scoring_seconds:.1f} s ({_number(summary.rate)} notes/s)",
        )
    _console.print(table)

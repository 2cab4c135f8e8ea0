"""`motifs evaluate`: thin over `training.run.evaluate_file`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from motifs.cli.options import Delimiter, Encoding, LabelCol, TextCol, UnknownLabels
from motifs.cli.train_cmd import quiet_mlflow
from training.evaluation_table import render_evaluation
from training.run import evaluate_file

_console = Console(highlight=False)


def evaluate(
    model: Annotated[str, typer.Option("--model", help="Dossier du modèle, ou models:/motifs-reasons@champion.")],
    data: Annotated[Path, typer.Option("--data", help="Fichier d'appels étiquetés (CSV, Parquet ou JSON Lines).")],
    text_col: TextCol = None,
    label_col: LabelCol = None,
    encoding: Encoding = None,
    delimiter: Delimiter = None,
    unknown_labels: UnknownLabels = "refuse",
    json_out: Annotated[Path | None, typer.Option("--json", help="Écrit les métriques dans ce fichier JSON.")] = None,
    tracking_uri: Annotated[
        str | None,
        typer.Option(
            "--tracking-uri", help="Registre MLflow pour models:/… (sinon MLFLOW_TRACKING_URI ou motifs-data)."
        ),
    ] = None,
) -> None:
    """Évalue un modèle sur des appels étiquetés : exactitude, F1 macro, top-3, part de « autre », calibration.

    Les étiquettes sont lues dans la base du modèle (code, libellé ou alias) ; celles qui ne nomment aucun motif
    arrêtent la commande, ou avec --unknown-labels autre comptent comme « autre » (évaluation en ensemble ouvert).

    Exemple : motifs evaluate --model models:/motifs-reasons@champion --data test.csv --json eval.json
    """
    quiet_mlflow()
    result = evaluate_file(
        model,
        data,
        text_col=text_col or "text",
        label_col=label_col or "reason",
        tracking_uri=tracking_uri,
        encoding=encoding,
        delimiter=delimiter,
        unknown_labels=unknown_labels,
    )
    report = result.report
    unmatched = result.labels_unmatched
    _console.print(
        f"Base du modèle : {result.taxonomy_ref} — étiquettes inconnues : {len(unmatched)}"
        + (f" ({sum(unmatched.values())} ligne(s), comptées « autre »)" if unmatched else "")
    )
    _console.print(render_evaluation(report, title=f"Évaluation sur {data.name}"))
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(report.to_json() + "\n", encoding="utf-8")
        _console.print(f"Métriques écrites dans {json_out}")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)

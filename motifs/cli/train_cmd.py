"""`motifs train`: thin over `training.run.train_and_register`."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from motifs.cli.feedback_notes import print_feedback_report, read_feedback_notes
from motifs.cli.options import Delimiter, Encoding, LabelCol, TextCol, TimeCol, UnknownLabels
from training.evaluation_table import render_evaluation
from training.feedback import FEEDBACK_SPLIT, parse_since
from training.run import TrainResult, train_and_register

_console = Console(highlight=False)


def quiet_mlflow() -> None:
    """MLflow's progress bars and INFO lines would drown our French output."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def mlflow_ui_command(tracking_uri: str) -> str:
    if tracking_uri.startswith("sqlite:///"):
        return f"mlflow ui --backend-store-uri {tracking_uri}"
    return f"mlflow ui  (ou l'interface du serveur {tracking_uri})"


def train(
    data: Annotated[Path, typer.Option("--data", help="Fichier d'appels étiquetés (CSV, Parquet ou JSON Lines).")],
    out: Annotated[Path, typer.Option("--out", help="Dossier où écrire model.joblib et manifest.json.")],
    taxonomy: Annotated[
        str | None,
        typer.Option(
            "--taxonomy",
            help="Base de motifs : ID, ID@VERSION (national@1.1.0), chemin .yaml, ou from-data (from-data:ID) pour "
            "la construire à partir des étiquettes. Par défaut : la dernière version nationale livrée.",
        ),
    ] = None,
    text_col: TextCol = None,
    label_col: LabelCol = None,
    time_col: TimeCol = None,
    encoding: Encoding = None,
    delimiter: Delimiter = None,
    unknown_labels: UnknownLabels = "refuse",
    config: Annotated[
        Path | None, typer.Option("--config", help="Fichier YAML d'hyper-paramètres (surcharge les défauts).")
    ] = None,
    tracking_uri: Annotated[
        str | None,
        typer.Option(
            "--tracking-uri", help="Suivi MLflow (sinon MLFLOW_TRACKING_URI, sinon sqlite:///motifs-data/mlflow.db)."
        ),
    ] = None,
    reviewed_examples: Annotated[
        bool,
        typer.Option(
            "--reviewed-examples/--no-reviewed-examples",
            help="Ajouter les notes rattachées à un motif par la revue des motifs émergents (motifs review), lues "
            "dans la base, aux exemples de ce motif.",
        ),
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Base où lire les exemples revus et les retours des agents (sinon MOTIFS_DATABASE_URL, sinon "
            "motifs-data/motifs.db).",
        ),
    ] = None,
    with_feedback: Annotated[
        bool,
        typer.Option(
            "--with-feedback/--without-feedback",
            help="Ajouter les motifs choisis par les agents (retours de l'API, dernier choix par appel) sur les notes "
            "expurgées de la base ; les retours les plus récents deviennent le jeu d'évaluation.",
        ),
    ] = False,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Avec --with-feedback : seulement les retours depuis cette date (AAAA-MM-JJ)."),
    ] = None,
) -> None:
    """Entraîne le classifieur de motifs, l'évalue, l'enregistre dans MLflow (modèle « motifs-reasons », ou
    « motifs-reasons-ID » pour une autre base que la nationale).

    Les étiquettes du fichier sont lues comme codes, libellés ou alias de la base (sans tenir compte des accents ni
    de la casse) ; une étiquette qui ne nomme aucun motif arrête la commande (ou --unknown-labels autre). La base
    est rangée avec le modèle (taxonomy.yaml) et enregistrée dans le dossier local des bases (MOTIFS_TAXONOMY_DIR,
    sinon motifs-data/taxonomy) : les autres commandes utilisent exactement celle-ci.

    Découpage : par date avec --time-col (les plus récentes en évaluation), sinon par la colonne timestamp quand elle
    existe, sinon stratifié par motif. L'alias « champion » ne passe au nouveau modèle que s'il bat le champion
    actuel sur le même jeu d'évaluation et la même version de la base ; sinon il reste « challenger ».

    Exemple : motifs train --data appels.csv --out motifs-data/modele

    Exemple : motifs train --data export.csv --taxonomy an_qe16.yaml --text-col question --label-col rubrique
    --time-col date --out motifs-data/an_qe16

    Exemple : motifs train --data training_dataset.csv --taxonomy from-data:wikit --text-col utterance
    --label-col intent --out motifs-data/wikit

    Exemple (après la revue, sur le brouillon de la base) : motifs train --data appels.csv --taxonomy 1.2.0
    --reviewed-examples --out motifs-data/modele-1.2

    Exemple (apprendre des choix des agents) : motifs train --data appels.csv --with-feedback --since 2026-01-01
    --out motifs-data/modele-retours
    """
    quiet_mlflow()
    examples = read_reviewed_examples(database_url) if reviewed_examples else None
    moment = parse_since(since) if since is not None else None
    notes = read_feedback_notes(database_url, moment) if with_feedback else None
    result = train_and_register(
        data,
        taxonomy,
        text_col or "text",
        label_col or "reason",
        config,
        out,
        tracking_uri,
        reviewed_examples=examples,
        time_col=time_col,
        encoding=encoding,
        delimiter=delimiter,
        unknown_label_policy=unknown_labels,
        feedback=notes,
        feedback_since=moment,
    )
    print_train_result(result)


def read_reviewed_examples(database_url: str | None) -> dict[str, list[str]]:
    """Code → reviewed redacted notes, from the store (the review of emerging clusters)."""
    from serving.store import Database

    db = Database.open(database_url)
    try:
        return db.review.examples_by_code()
    finally:
        db.close()


def print_train_result(result: TrainResult) -> None:
    data = result.data
    _console.print(f"[bold]Données[/] : {data.records} lignes lues, {data.rows} utilisées ({data.file_name})")
    for guess in data.guesses:
        _console.print(f"  {guess}")
    for reason, rows in data.skipped.items():
        shown = ", ".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
        _console.print(f"  [yellow]{len(rows)} ligne(s) écartée(s)[/] ({reason}) : n° {shown}")
    _console.print(
        f"[bold]Taxonomie[/] : {result.manifest.taxonomy_ref} — {len(result.manifest.classes)} motifs appris"
    )
    for old, new in sorted(result.replaced_codes.items()):
        _console.print(f"  code obsolète {old} → {new}")
    if result.reviewed_examples:
        used = ", ".join(f"{code} ({n})" for code, n in sorted(result.reviewed_examples.items()))
        _console.print(f"  exemples revus ajoutés : {used}")
    if result.reviewed_ignored:
        left = ", ".join(f"{code} ({n})" for code, n in sorted(result.reviewed_ignored.items()))
        _console.print(f"  [yellow]exemples revus écartés[/] (motif absent ou retiré de cette version) : {left}")
    unmatched = result.labels_unmatched
    _console.print(
        f"  étiquettes : {result.labels_mapped} reconnue(s) (code, libellé ou alias de la base), "
        f"{len(unmatched)} inconnue(s)"
        + (f" sur {sum(unmatched.values())} ligne(s), comptées « autre »" if unmatched else "")
    )
    if result.unknown_labels:
        total = sum(result.unknown_labels.values())
        names = ", ".join(sorted(result.unknown_labels)[:10]) + (" …" if len(result.unknown_labels) > 10 else "")
        _console.print(
            f"  {total} ligne(s) « autre » ou hors base ({names}) : non apprises, "
            "comptées comme « autre » à l'évaluation"
        )
    if result.taxonomy_path is not None:
        _console.print(f"  base rangée avec le modèle et enregistrée : {result.taxonomy_path}")
    if result.feedback is not None:
        print_feedback_report(result.feedback)
    sizes = result.split_sizes
    kind = {
        "time": "temporel (les plus récentes en évaluation)",
        FEEDBACK_SPLIT: "temporel sur les retours des agents (les plus récents en évaluation, tout le fichier "
        "en apprentissage)",
    }.get(result.split_kind, "stratifié par motif")
    _console.print(f"[bold]Découpage[/] {kind} : {sizes['train']} apprentissage, {sizes['evaluation']} évaluation")
    calibration = result.abstention
    if "skipped" in calibration:
        _console.print(
            f"[bold]Décisions[/] : [yellow]seuils par défaut de la configuration[/] : {calibration['skipped']}"
        )
    elif calibration:
        for line in decision_summary(calibration):
            _console.print(line)
    _console.print(f"Entraînement : {result.fit_seconds:.1f} s")
    _console.print(render_evaluation(result.report, title="Évaluation (jeu tenu à l'écart)"))
    _console.print(
        f"[bold]Modèle[/] : {result.model_dir} (version {result.manifest.model_version}, "
        f"SHA-256 {result.manifest.sha256[:12]}…)"
    )
    registered = result.publication.registered
    promotion = result.promotion
    colour = "green" if promotion.promoted else "yellow"
    _console.print(
        f"[bold]MLflow[/] : run {registered.run_id}, modèle {registered.name} version {registered.version} — "
        f"[{colour}]{promotion.alias}[/] : {promotion.reason}"
    )
    _console.print(f"Pour voir le suivi : {mlflow_ui_command(result.tracking_uri)}", soft_wrap=True)


def decision_summary(calibration: dict[str, Any]) -> list[str]:
    """The three gates in French, from `model.abstention_` (calibrated on out-of-fold notes of the training data)."""
    novelty, members, confident = calibration["novelty"], calibration["prediction_set"], calibration["confident"]
    low, high = novelty.get("rate_interval") or (None, None)
    reached = "atteinte" if confident.get("reached") else "[yellow]non atteinte : rien n'est qualifié d'office[/]"
    return [
        f"[bold]Décisions[/] calibrées sur {calibration.get('n_calibration', '?')} notes hors pli "
        f"({calibration.get('folds', '?')} plis) :",
        f"  « autre » (hors base) : nouveauté > {_number(novelty.get('threshold'))} — au plus "
        f"{_pct(calibration.get('alpha'))} des notes de motifs connus (attendu {_pct(low)}–{_pct(high)})",
        f"  « à confirmer » : ensemble de motifs contenant le bon dans {_pct(calibration.get('set_coverage'))} des cas "
        f"(hors pli : {_pct(1 - members['expected_rate'] if 'expected_rate' in members else None)}"
        f"{', calibré sur les périodes suivantes' if members.get('calibrated_on') == 'forward' else ''})",
        f"  « sûr » : probabilité ≥ {_number(confident.get('threshold'))} — précision "
        f"visée {_pct(confident.get('target'))}, {reached} {_pct(confident.get('precision'))} "
        f"({_pct(confident.get('share'))} des notes)",
    ]


def _pct(value: object) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, int | float) else "—"


def _number(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "—"


def register(app: typer.Typer) -> None:
    app.command("train")(train)

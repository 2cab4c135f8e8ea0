"""`motifs demo`: the main job on the embedded demo corpus (thin over `motifs.demo.run_demo`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from motifs.demo import AGENT_URL, DEFAULT_OUT_DIR, REVIEW_URL, DemoJobSettings, DemoOutcome, run_demo
from serving.reports import formatting as fmt

STEPS = 5
_console = Console(highlight=False, soft_wrap=True)
_ALERTS_FR = {
    "autre_above_target": "« autre » au-dessus de la cible",
    "autre_rise": "hausse de « autre »",
    "model_health": "santé du modèle",
    "model_doubt": "modèle à vérifier (trop de « à confirmer »)",
    "volume_spike": "pic de volume",
    "volume_drop": "baisse de volume",
    "emerging_theme": "thème transversal",
    "emerging_reason": "motif émergent",
    "emerging_subtheme": "sous-thème émergent",
    "text_drift": "changement d'écriture des notes",
}


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


class _RichSteps:
    """The job's steps as rich lines: a spinner or a bar while a step runs, a ✓ line with its duration after."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None
        self.label = ""
        self.started = 0.0

    def step(self, number: int, label: str) -> None:
        self.label = f"Étape {number}/{STEPS} — {label}"
        self.started = time.perf_counter()
        self.task = self.progress.add_task(self.label, total=None)

    def total(self, rows: int | None) -> None:
        if self.task is not None:
            self.progress.update(self.task, total=rows, completed=0)

    def advance(self, rows: int) -> None:
        if self.task is None:
            return
        task = next(t for t in self.progress.tasks if t.id == self.task)
        if task.total is not None and task.completed + rows > task.total:  # totals are estimates
            self.progress.update(self.task, total=task.completed + rows)
        self.progress.advance(self.task, rows)

    def done(self, detail: str) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
            self.task = None
        seconds = time.perf_counter() - self.started
        self.progress.console.print(
            f"[green]✓[/] {self.label} : {escape(detail)} [dim]({_seconds(seconds)})[/]", soft_wrap=True
        )


def demo(
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Dossier de tous les fichiers de la démonstration.")
    ] = DEFAULT_OUT_DIR,
    rows: Annotated[
        int, typer.Option("--rows", help="Appels du corpus de démonstration (16 semaines).")
    ] = DemoJobSettings.rows,
    train_rows: Annotated[
        int, typer.Option("--train-rows", help="Appels de l'échantillon d'entraînement.")
    ] = DemoJobSettings.train_rows,
    train_weeks: Annotated[
        int | None,
        typer.Option(
            "--train-weeks",
            help="Entraîner sur les semaines 1 à N seulement (les tournures changent en semaine 11 : alarme de santé "
            "attendue). Par défaut : appels ordinaires des 16 semaines.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Graine du corpus (même graine, mêmes fichiers).")] = 42,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Base où ranger les suggestions (défaut : SQLite dans --out-dir)."),
    ] = None,
) -> None:
    """Chaîne complète sur le corpus de démonstration intégré : corpus, entraînement (MLflow), reclassification de
    l'historique dans la base, part de « autre », alertes et motifs émergents, rapport HTML ; puis dit où regarder.

    Relancer ne refait que ce qui manque : corpus et modèle repris, appels déjà notés sautés, mêmes identifiants de
    groupes émergents.

    Exemple : motifs demo --out-dir motifs-data/demo
    """
    settings = DemoJobSettings(
        out_dir=out_dir, rows=rows, train_rows=train_rows, seed=seed, train_weeks=train_weeks, database_url=database_url
    )
    started = time.perf_counter()
    _console.print("[bold]motifs — démonstration de la chaîne complète[/]")
    columns = (
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_console, transient=True) as progress:
        outcome = run_demo(settings, progress=_RichSteps(progress))
    print_outcome(outcome, time.perf_counter() - started)


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.0f} s"
    return f"{int(value // 60)} min {int(value % 60):02d} s"


def _number(value: int) -> str:
    return fmt.count(value)


def _share(value: float) -> str:
    return fmt.pct(value)


def print_outcome(outcome: DemoOutcome, seconds: float) -> None:
    for note in outcome.notes:
        _console.print(f"[dim]{escape(note)}[/]")
    table = Table(title=f"Résumé de la démonstration ({_seconds(seconds)})", show_header=False, title_justify="left")
    table.add_row("Appels", f"{_number(outcome.corpus_rows)} sur 16 semaines ({outcome.corpus})")
    table.add_row("Entraînement", f"{escape(outcome.training_sample)} ; base de motifs national@1.0.0")
    table.add_row(
        "Modèle",
        f"exactitude {_share(outcome.accuracy)}, F1 macro {outcome.macro_f1:.3f}".replace(".", ",")
        + f" (jeu tenu à l'écart) — MLflow motifs-reasons version {outcome.registered_version}, alias "
        f"{outcome.alias}",
    )
    table.add_row(
        "Base",
        f"{_number(outcome.stored_predictions)} appels qualifiés, {_number(outcome.quarantined)} en quarantaine",
    )
    table.add_row(
        "Part de « autre »",
        f"{_share(outcome.autre_share)} sur la période, {_share(outcome.last_autre_share)} la dernière semaine",
    )
    alerts = ", ".join(f"{n} {_ALERTS_FR.get(kind, kind)}" for kind, n in outcome.alerts.most_common())
    table.add_row("Alertes", f"{sum(outcome.alerts.values())} ({alerts})" if alerts else "aucune")
    table.add_row("Groupes émergents signalés", str(len(outcome.clusters)))
    for event in outcome.events:
        if event.first_flagged is None:
            verdict = "[bold red]non signalé[/]"
        elif event.on_time:
            verdict = f"[green]signalé dès sa semaine[/] ({event.first_flagged}) : {escape(event.how)}"
        else:
            verdict = f"[yellow]signalé en {event.first_flagged}[/] (en retard) : {escape(event.how)}"
        table.add_row(f"Injecté en {event.start_period} (semaine {event.start_week})", f"{event.label} — {verdict}")
    _console.print(table)

    database = outcome.database
    model = outcome.model_dir
    _console.print("[bold]Où regarder[/]")
    _console.print(f"  • Rapport : {outcome.report} ({outcome.report.resolve().as_uri()})")
    _console.print(f"  • Motifs émergents (JSON) : {outcome.emerging_json}")
    _console.print(
        f"  • Page des agents et interface de revue : motifs serve --model {model} --database-url {database}\n"
        f"    puis {AGENT_URL} (agents) et {REVIEW_URL} (analystes qualité)"
    )
    _console.print(f"  • Revue en ligne de commande : motifs review list --database-url {database}")
    _console.print(f"  • Suivi des entraînements : mlflow ui --backend-store-uri {outcome.tracking_uri}")
    _console.print(f"[dim]Durées : {', '.join(f'{k} {_seconds(v)}' for k, v in outcome.seconds.items())}.[/]")

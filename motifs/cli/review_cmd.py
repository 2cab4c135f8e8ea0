"""`motifs review …`: thin over `serving.review.workflow` (list, show, create, attach, dismiss)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from serving.reports import formatting as fmt
from serving.review.workflow import (
    ClusterView,
    DecisionOutcome,
    TaxonomyContext,
    attach_cluster,
    create_reason,
    dismiss_cluster,
    list_clusters,
    show_cluster,
    store_taxonomy_id,
    taxonomy_context,
)
from serving.store import Database

REVIEWER_ENV = "MOTIFS_REVIEWER"

app = typer.Typer(
    name="review",
    help=(
        "Revue des motifs émergents : lister les clusters, les examiner, créer un motif (brouillon de la base), "
        "rattacher à un motif existant ou écarter ; file « à confirmer » (queue).\n\nExemple : motifs review list"
    ),
    no_args_is_help=True,
    add_completion=False,
)

_terminal = Console(highlight=False, soft_wrap=True)
# Piped or captured output is wide, so that ids, codes and keywords are never cut.
_console = _terminal if _terminal.is_terminal else Console(highlight=False, soft_wrap=True, width=200)

_SIGNAL = {"strong": "[bold red]fort[/]", "weak": "[yellow]faible[/]", "none": "[dim]aucun[/]"}
_STATUS = {
    "open": "[bold]à traiter[/]",
    "created": "[green]nouveau motif[/]",
    "attached": "[green]rattaché[/]",
    "dismissed": "[dim]écarté[/]",
}
_ACTION = {"create": "nouveau motif", "attach": "rattaché", "dismiss": "écarté"}

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Base (sinon MOTIFS_DATABASE_URL, sinon motifs-data/motifs.db)."),
]
ScopeOption = Annotated[
    str | None, typer.Option("--scope", help="Suivi : week, month@site… (défaut : le dernier suivi enregistré).")
]
TaxonomyDirOption = Annotated[
    Path | None,
    typer.Option(
        "--taxonomy-dir",
        help="Dossier local des versions de la base (brouillons) ; sinon MOTIFS_TAXONOMY_DIR, sinon "
        "motifs-data/taxonomy.",
    ),
]
ReviewerOption = Annotated[
    str | None,
    typer.Option(
        "--reviewer",
        help="Auteur de la décision (déclaré, pas authentifié) ; sinon MOTIFS_REVIEWER, sinon l'utilisateur système.",
    ),
]


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="review")


@contextmanager
def _database(url: str | None) -> Iterator[Database]:
    db = Database.open(url)
    try:
        yield db
    finally:
        db.close()


def _reviewer(value: str | None) -> str:
    if value:
        return value
    from_env = os.environ.get(REVIEWER_ENV, "")
    if from_env:
        return from_env
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _context(db: Database, scope: str | None, taxonomy_dir: Path | None) -> TaxonomyContext:
    """The base of the scope's calls (an_qe16, national…): its reasons' labels, its drafts."""
    return taxonomy_context(store_taxonomy_id(db, scope), taxonomy_dir=taxonomy_dir)


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else fmt.decimal(value, digits)


@app.command("list")
def list_cmd(
    database_url: DatabaseOption = None,
    scope: ScopeOption = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="Aussi les clusters jamais signalés (faible ou fort) et encore ouverts.")
    ] = False,
    taxonomy_dir: TaxonomyDirOption = None,
) -> None:
    """Clusters du suivi : à traiter d'abord, signal le plus fort d'abord.

    Exemple : motifs review list --scope week
    """
    with _database(database_url) as db:
        listing = list_clusters(db, scope, include_silent=show_all, context=_context(db, scope, taxonomy_dir))
    table = Table(title=f"Clusters du suivi « {listing.scope} »")
    for column in (
        "Id",
        "Statut",
        "Signal",
        "Appels",
        "Vu d'abord",
        "Nouveauté",
        "Croissance",
        "Motif parent",
        "Mots-clés",
    ):
        table.add_column(column)
    for view in listing.clusters:
        table.add_row(
            view.cluster_id,
            _STATUS.get(view.status, view.status),
            _SIGNAL.get(view.best_signal, view.best_signal),
            str(view.size),
            view.first_seen,
            _number(view.novelty),
            "—" if view.growth is None else f"×{_number(view.growth, 1)}",
            view.parent_code or "",
            escape(", ".join(view.keywords[:6])),
        )
    _console.print(table)
    if listing.hidden:
        _console.print(f"[dim]{listing.hidden} cluster(s) jamais signalé(s) masqué(s) (--all pour les voir).[/]")
    if not listing.clusters:
        _console.print("Aucun cluster à revoir.")


@app.command("show")
def show_cmd(
    cluster_id: Annotated[str, typer.Argument(help="Identifiant du cluster (E0001…).")],
    database_url: DatabaseOption = None,
    scope: ScopeOption = None,
    taxonomy_dir: TaxonomyDirOption = None,
) -> None:
    """Un cluster : mots-clés, notes représentatives (anonymisées), tendance, décisions.

    Exemple : motifs review show E0001
    """
    with _database(database_url) as db:
        view = show_cluster(db, cluster_id, scope, context=_context(db, scope, taxonomy_dir))
    print_view(view)


def print_view(view: ClusterView) -> None:
    _console.print(
        f"[bold]{view.cluster_id}[/] ({view.scope}) — {_STATUS.get(view.status, view.status)}, signal "
        f"{_SIGNAL.get(view.signal, view.signal)} en {view.period or '—'} (au plus {_SIGNAL.get(view.best_signal)})"
    )
    _console.print(
        f"{view.size} appels, vu d'abord en {view.first_seen}, nouveauté {_number(view.novelty)}, "
        f"croissance ×{_number(view.growth, 1)}, {view.notes_count} note(s) anonymisée(s) conservée(s)"
    )
    if view.parent_code:
        label = f" ({escape(view.parent_label)})" if view.parent_label else ""
        _console.print(
            f"Sous-thème du motif {view.parent_code}{label} : scission possible (modification manuelle du brouillon), "
            f"ou nouveau motif dans le domaine {view.parent_domain or '—'}."
        )
    elif view.nearest_code:
        label = f" ({escape(view.nearest_label)})" if view.nearest_label else ""
        _console.print(f"Motif connu le plus proche : {view.nearest_code}{label}")
    _console.print(f"Mots-clés : {escape(', '.join(view.keywords))}")
    _console.print("Notes représentatives :")
    for example in view.examples:
        _console.print(f"  – {escape(example)}")
    peak = max((point.size for point in view.trend), default=0)
    bars = "▁▂▃▄▅▆▇█"
    line = "".join(bars[min(7, round(7 * point.size / peak))] if peak else bars[0] for point in view.trend)
    if view.trend:
        _console.print(f"Tendance {view.trend[0].period} → {view.trend[-1].period} : {line} (max {peak})")
    for decision in view.decisions:
        target = f" → {decision.target_code}" if decision.target_code else ""
        when = decision.created_at.strftime("%d/%m/%Y %H:%M") if decision.created_at else ""
        _console.print(
            f"Décision : {_ACTION.get(decision.action, decision.action)}{target} par {escape(decision.reviewer)} "
            f"le {when} UTC" + (f" ({decision.taxonomy_ref})" if decision.taxonomy_ref else "")
        )


def _done(outcome: DecisionOutcome) -> None:
    decision = outcome.decision
    target = f" → {decision.target_code}" if decision.target_code else ""
    _console.print(
        f"[green]✓[/] {decision.cluster_id} : {_ACTION[decision.action]}{target} (décision n° {decision.id}, "
        f"{escape(decision.reviewer)})"
    )
    if outcome.examples_stored:
        _console.print(f"{outcome.examples_stored} note(s) anonymisée(s) enregistrée(s) comme exemples d'entraînement.")
    if outcome.draft_ref:
        _console.print(
            f"Brouillon {outcome.draft_ref} : {outcome.draft_path} (nouveaux motifs : {', '.join(outcome.draft_codes)})"
        )
        version = outcome.draft_ref.split("@", 1)[-1]
        _console.print(
            f"Vérifier : motifs taxonomy validate — réentraîner : motifs train --taxonomy {version} "
            "--reviewed-examples --data … --out …"
        )


@app.command("create")
def create_cmd(
    cluster_id: Annotated[str, typer.Argument(help="Identifiant du cluster (E0001…).")],
    code: Annotated[str, typer.Option("--code", help="Code du nouveau motif (minuscules, chiffres, « _ »).")],
    label: Annotated[str, typer.Option("--label", help="Libellé du motif.")],
    domain: Annotated[str, typer.Option("--domain", help="Domaine parent (code), p. ex. information.")],
    definition: Annotated[str, typer.Option("--definition", help="Définition : ce que le motif inclut et exclut.")],
    reviewer: ReviewerOption = None,
    database_url: DatabaseOption = None,
    scope: ScopeOption = None,
    taxonomy_dir: TaxonomyDirOption = None,
) -> None:
    """Crée un motif à partir du cluster : brouillon de la version suivante de la base (création dans la table de
    correspondance), notes du cluster comme exemples.

    Exemple : motifs review create E0001 --code aide_chauffage --label "Aide exceptionnelle au chauffage"
    --domain information --definition "Inclut : questions sur la nouvelle aide au chauffage."
    """
    with _database(database_url) as db:
        outcome = create_reason(
            db,
            cluster_id,
            code=code,
            label=label,
            domain=domain,
            definition=definition,
            reviewer=_reviewer(reviewer),
            scope=scope,
            taxonomy_dir=taxonomy_dir,
        )
    _done(outcome)


@app.command("attach")
def attach_cmd(
    cluster_id: Annotated[str, typer.Argument(help="Identifiant du cluster (E0001…).")],
    code: Annotated[str, typer.Option("--code", help="Code du motif existant.")],
    reviewer: ReviewerOption = None,
    database_url: DatabaseOption = None,
    scope: ScopeOption = None,
    taxonomy_dir: TaxonomyDirOption = None,
) -> None:
    """Rattache le cluster à un motif existant : ses notes deviennent des exemples d'entraînement de ce motif.

    Exemple : motifs review attach E0002 --code paiement_non_recu
    """
    with _database(database_url) as db:
        outcome = attach_cluster(
            db, cluster_id, code=code, reviewer=_reviewer(reviewer), scope=scope, taxonomy_dir=taxonomy_dir
        )
    _done(outcome)


@app.command("dismiss")
def dismiss_cmd(
    cluster_id: Annotated[str, typer.Argument(help="Identifiant du cluster (E0001…).")],
    reviewer: ReviewerOption = None,
    database_url: DatabaseOption = None,
    scope: ScopeOption = None,
) -> None:
    """Écarte le cluster (bruit) : il garde son identifiant et ne lève plus d'alerte.

    Exemple : motifs review dismiss E0003 --reviewer analyste.qualite
    """
    with _database(database_url) as db:
        outcome = dismiss_cluster(db, cluster_id, reviewer=_reviewer(reviewer), scope=scope)
    _done(outcome)


@app.command("queue")
def queue_cmd(
    database_url: DatabaseOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="Nombre d'appels de la file.")] = 20,
    since: Annotated[
        str | None, typer.Option("--since", help="Seulement les appels depuis ce jour (AAAA-MM-JJ, UTC).")
    ] = None,
    site: Annotated[str | None, typer.Option("--site", help="Seulement les appels de ce site.")] = None,
    similarity: Annotated[
        float,
        typer.Option(
            "--similarity", min=0.05, max=1.0, help="Cosinus à partir duquel deux notes comptent comme semblables."
        ),
    ] = 0.5,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Exporter la file (CSV, Parquet ou JSON Lines, selon l'extension)."),
    ] = None,
) -> None:
    """File « à confirmer » : les appels dont l'étiquette apprendrait le plus au modèle (incertitude × diversité ×
    volume de notes semblables), un représentant par groupe de notes semblables. Étiqueter : page /revue/a-confirmer.

    Exemple : motifs review queue --limit 30 --out file-a-confirmer.csv
    """
    import datetime as dt

    import pandas as pd

    from pipeline.tables import TableWriter
    from serving.days import parse_day
    from serving.review.confirm import confirmation_queue

    day = parse_day(since, "--since") if since is not None else None
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) if day is not None else None
    with _database(database_url) as db:
        items = confirmation_queue(db, limit=limit, since=moment, site=site, similarity=similarity)
    rows: list[dict[str, Any]] = [
        {
            "rang": item.rank,
            "call_id": item.record.call_id,
            "date": item.record.called_at.isoformat(),
            "site": item.record.site or "",
            "score": round(item.entry.score, 4),
            "incertitude": round(item.entry.uncertainty, 4),
            "notes_semblables": item.entry.group_size,
            "motifs_proposes": " ".join(item.choices),
            "note": item.record.redacted_text or "",
        }
        for item in items
    ]
    if out is not None:
        with TableWriter(out) as writer:
            writer.write(pd.DataFrame(rows, columns=list(_QUEUE_COLUMNS)))
        _console.print(f"{len(rows)} appel(s) écrit(s) dans {escape(str(out))}.")
        return
    if not rows:
        _console.print("Aucun appel « à confirmer » sans étiquette.")
        return
    table = Table(title="File « à confirmer » (notes anonymisées)")
    for column in ("Rang", "Appel", "Date", "Score", "Incertitude", "Semblables", "Motifs proposés", "Note"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["rang"]),
            escape(str(row["call_id"])),
            str(row["date"])[:16],
            fmt.decimal(float(row["score"]), 2),
            fmt.decimal(float(row["incertitude"]), 2),
            str(row["notes_semblables"]),
            escape(str(row["motifs_proposes"])),
            escape(str(row["note"])[:120]),
        )
    _console.print(table)


_QUEUE_COLUMNS = (
    "rang",
    "call_id",
    "date",
    "site",
    "score",
    "incertitude",
    "notes_semblables",
    "motifs_proposes",
    "note",
)

"""The agents' choices for `motifs train --with-feedback` and `motifs learn`: read from the store (serving), handed
to training as its plain `FeedbackNote`s (training never imports serving), and what became of them, printed."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console

from training.feedback import FeedbackNote, FeedbackReport

_console = Console(highlight=False)


def read_feedback_notes(database_url: str | None, since: datetime | None) -> list[FeedbackNote]:
    """Agents' choices with their calls' redacted notes, from the store, as training's plain records."""
    from serving.store import Database

    db = Database.open(database_url)
    try:
        return [
            FeedbackNote(
                call_id=row.call_id,
                code=row.chosen_code,
                taxonomy_ref=row.taxonomy_version,
                given_at=row.created_at,
                text=row.redacted_text,
                site=row.site,
                agent=row.agent,
            )
            for row in db.feedback.with_notes(since=since)
        ]
    finally:
        db.close()


def print_feedback_report(report: FeedbackReport) -> None:
    """Counts and codes only: a note's text never reaches the terminal."""
    _console.print(
        f"[bold]Retours des agents[/] : {report.read} choix lus, {report.calls} appels, {report.used} exemples "
        f"appris (dont {report.autre} « autre »), {report.superseded} choix remplacés par un choix plus récent"
    )
    for change, n in report.migrated.items():
        _console.print(f"  code migré par la table de correspondance {change} ({n})")
    for why, n in report.dropped.items():
        _console.print(f"  [yellow]{n} appel(s) écarté(s)[/] ({why})")
    if report.contradictory_notes:
        _console.print(
            f"  [yellow]{report.contradictory_notes} note(s) identique(s) avec des motifs différents[/] "
            f"({report.contradictory_calls} appels) : gardées, à vérifier"
        )

"""The « à confirmer » queue over the store: rank the stored calls awaiting confirmation (`serving.review.queue`),
and store an analyst's label of one of them as feedback (`source = analyst`), which `motifs train --with-feedback`
and `motifs learn` read like an agent's choice.

Used by `motifs review queue` and by the review page `/revue/a-confirmer`: one library, the same rules.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from serving.errors import InvalidReview, UnknownCall
from serving.review.queue import (
    DEFAULT_SIMILARITY,
    QueueCandidate,
    QueueEntry,
    note_vectors,
    rank_queue,
    uncertainty,
)
from serving.store import Database, FeedbackRecord, PredictionRecord

CANDIDATES_LIMIT = 5000  # the most recent calls awaiting confirmation that are ranked (bounded time and memory)
AUTRE = "autre"


@dataclass(frozen=True)
class QueueItem:
    """A line of the queue: the representative call (its latest stored prediction) and its group."""

    record: PredictionRecord
    entry: QueueEntry
    rank: int

    @property
    def choices(self) -> tuple[str, ...]:
        """The codes offered first: the conformal set, else the top-k (best first), never « autre »."""
        codes = self.record.prediction_set or tuple(s.code for s in self.record.top_k)
        return tuple(code for code in codes if code != AUTRE)[:9]


def confirmation_queue(
    database: Database,
    *,
    limit: int = 20,
    since: datetime | None = None,
    site: str | None = None,
    similarity: float = DEFAULT_SIMILARITY,
    candidates_limit: int = CANDIDATES_LIMIT,
) -> list[QueueItem]:
    """The `limit` calls whose label teaches most (uncertainty × diversity × volume), best first."""
    records = database.predictions.awaiting_confirmation(since=since, site=site, limit=candidates_limit)
    candidates = [
        QueueCandidate(
            call_id=r.call_id,
            text=r.redacted_text or "",
            top_scores=tuple(s.confidence for s in r.top_k),
            prediction_set=r.prediction_set,
        )
        for r in records
    ]
    vectors = note_vectors([c.text for c in candidates])
    entries = rank_queue(candidates, vectors, similarity=similarity, limit=limit)
    return [QueueItem(record=records[e.index], entry=e, rank=rank) for rank, e in enumerate(entries, start=1)]


def resolve_choice(item: QueueItem, typed: str) -> str:
    """What the analyst typed → a code: « 1 »…« 9 » the reason of that number in `item.choices`, « 0 » « autre »,
    anything else is taken as a code (checked against the base when stored). A number without a reason raises
    `InvalidReview`."""
    value = typed.strip()
    if len(value) == 1 and value.isdigit():
        number = int(value)
        if number == 0:
            return AUTRE
        if number > len(item.choices):
            raise InvalidReview(f"pas de motif n° {number} pour cet appel (1 à {len(item.choices)}, ou 0 : autre)")
        return item.choices[number - 1]
    return value


def queue_item(database: Database, call_id: str) -> QueueItem | None:
    """One stored call as a queue line of its own (rank 0: not among the ranked representatives), e.g. a call of a
    group whose representative is shown, or one asked for by its id; None when the store has no prediction of it."""
    records = database.predictions.get(call_id)
    if not records:
        return None
    record = records[-1]
    doubt = uncertainty(tuple(s.confidence for s in record.top_k), len(record.prediction_set))
    entry = QueueEntry(call_id=call_id, index=-1, score=doubt, uncertainty=doubt, group_size=1, members=())
    return QueueItem(record=record, entry=entry, rank=0)


def label_call(
    database: Database,
    call_id: str,
    code: str,
    *,
    analyst: str,
    known_codes: Collection[str],
    taxonomy_ref: str,
) -> FeedbackRecord:
    """Store the analyst's label of a stored call as feedback (source analyst). `code` must be in `known_codes`
    (« autre » included: the note is outside the base). Raises `UnknownCall` when the store has no prediction of
    that call, `UnknownReasonCode` for a code outside the base."""
    if not analyst.strip():
        raise InvalidReview("nom de l'analyste vide (attendu : l'auteur de l'étiquette)")
    records = database.predictions.get(call_id)
    if not records:
        raise UnknownCall(call_id)
    latest = records[-1]
    shown = latest.prediction_set or tuple(s.code for s in latest.top_k)
    record = FeedbackRecord(
        call_id=call_id,
        suggested_codes=tuple(c for c in shown if c in known_codes),
        chosen_code=code,
        taxonomy_version=taxonomy_ref,
        site=latest.site,
        model_version=latest.model_version,
        source="analyst",
        agent=analyst.strip(),
    )
    database.feedback.add(record, known_codes=known_codes)
    return record


__all__ = ["CANDIDATES_LIMIT", "QueueItem", "confirmation_queue", "label_call", "queue_item", "resolve_choice"]

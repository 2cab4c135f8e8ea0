"""The queue's measured precision: of the items analysts decided on, the share they confirmed.

Confirmed = a new reason was created from the item or it was attached to an existing reason; dismissed = « écarter
(bruit) ». The latest decision of each item counts (one per item and scope). With no decision yet there is nothing
to measure, and the summary says so instead of showing a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from serving.monitoring._format import pct
from serving.store import ReviewDecisionRecord

CONFIRMING = frozenset({"create", "attach"})


@dataclass(frozen=True)
class QueuePrecision:
    confirmed: int  # items created or attached
    dismissed: int

    @property
    def decided(self) -> int:
        return self.confirmed + self.dismissed

    @property
    def precision(self) -> float | None:
        return self.confirmed / self.decided if self.decided else None

    def sentence(self) -> str:
        """French, for the run summary and the review page."""
        if self.precision is None:
            return "Précision mesurée de la file : pas encore de décisions."
        return (
            f"Précision mesurée de la file : {pct(self.precision, 0)} — {self.confirmed} élément(s) confirmé(s) "
            f"(nouveau motif ou rattaché) et {self.dismissed} écarté(s) sur {self.decided} décidé(s)."
        )

    def to_dict(self) -> dict[str, int | float | None]:
        return {"confirmed": self.confirmed, "dismissed": self.dismissed, "precision": self.precision}


def queue_precision(decisions: Sequence[ReviewDecisionRecord]) -> QueuePrecision:
    """From the stored decisions of one scope (`db.review.decisions(scope)`)."""
    latest: dict[str, ReviewDecisionRecord] = {}
    for decision in sorted(decisions, key=lambda d: d.id or 0):
        latest[decision.cluster_id] = decision
    confirmed = sum(d.action in CONFIRMING for d in latest.values())
    return QueuePrecision(confirmed=confirmed, dismissed=len(latest) - confirmed)

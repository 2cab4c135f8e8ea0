"""Where monitoring's inputs come from besides a CSV: the store's predictions and the taxonomy.

Thin converters so the analytics stay plain DataFrame / dict code: `calls_from_predictions` turns the store's
`PredictionRecord`s (one model version) into the input contract of `calls.py`; `known_reasons` and `reason_labels`
read a `Taxonomy` into the texts novelty is measured against and the labels of the French messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import pandas as pd

from taxonomy import AUTRE, Taxonomy

if TYPE_CHECKING:
    from serving.store import PredictionRecord

COLUMNS = (
    "call_id",
    "timestamp",
    "site",
    "channel",
    "text",
    "code",
    "confidence",
    "autre",
    "decision",
    "agent_code",
    "top_k",
)


def calls_from_predictions(
    records: Iterable[PredictionRecord], agent_choices: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """The store's predictions (e.g. `db.predictions.iter_between(start, end, model_version=…)`) as monitoring input.

    Filter on one model version: the store keeps one row per (call, model version), the contract one per call.
    `agent_choices`: call id → the code the agent finally chose (`db.feedback.latest_choices(call_ids)`); a call
    whose agent chose « autre » counts in the « autre » share whatever the model said.
    """
    choices = agent_choices or {}
    rows = [
        (
            record.call_id,
            record.called_at,
            record.site,
            record.channel,
            record.redacted_text or "",
            record.code,
            record.confidence,
            record.autre,
            record.decision,
            choices.get(record.call_id, ""),
            [{"code": item.code, "confidence": item.confidence} for item in record.top_k],
        )
        for record in records
    ]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    if rows:
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    return frame


def known_reasons(taxonomy: Taxonomy) -> dict[str, list[str]]:
    """Code → label and examples of every active reason but « autre » (the fixed novelty references).

    Definitions are left out: their « Exclut : … » part describes the neighbouring reasons."""
    return {
        reason.code: [reason.label, *reason.examples]
        for reason in taxonomy.reasons
        if reason.is_active and reason.code != AUTRE
    }


def reason_labels(taxonomy: Taxonomy) -> dict[str, str]:
    """Code → French label, for the alert messages."""
    return {reason.code: reason.label for reason in taxonomy.reasons}

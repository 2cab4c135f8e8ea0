"""Writers run in threads or child processes by tests/test_store_concurrency.py (importable by `spawn`)."""

from __future__ import annotations

from datetime import UTC, datetime

from serving.store import Database, FeedbackRecord, PredictionRecord, ScoredCode

CALLED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def prediction(call_id: str, source: str) -> PredictionRecord:
    return PredictionRecord(
        call_id=call_id,
        called_at=CALLED_AT,
        code="paiement_non_recu",
        confidence=0.7,
        autre=False,
        top_k=(ScoredCode("paiement_non_recu", 0.7),),
        model_version="m1",
        taxonomy_version="national@1.1.0",
        source=source,  # type: ignore[arg-type]
        redacted_text="versement pas reçu",
    )


def api_writer(url: str, prefix: str, n: int, database: Database | None = None) -> None:
    """What the API does: one short transaction per request (a prediction, then the agent's feedback)."""
    db = database or Database.open(url)
    for i in range(n):
        db.predictions.add(prediction(f"{prefix}-{i}", "api"))
        db.feedback.add(
            FeedbackRecord(f"{prefix}-{i}", ("paiement_non_recu",), "paiement_non_recu", "national@1.1.0"),
            known_codes={"paiement_non_recu"},
        )
    if database is None:
        db.close()


def batch_writer(url: str, prefix: str, n: int, chunk: int, database: Database | None = None) -> None:
    """What a batch reclassification does: large chunks, each in one transaction."""
    db = database or Database.open(url)
    for start in range(0, n, chunk):
        db.predictions.add_many(prediction(f"{prefix}-{i}", "batch") for i in range(start, min(n, start + chunk)))
    if database is None:
        db.close()

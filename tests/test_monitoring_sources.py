"""Monitoring inputs from the store's predictions and from the taxonomy."""

from __future__ import annotations

from datetime import UTC, datetime

from serving.monitoring import calls_from_predictions, known_reasons, prepare_calls, reason_labels
from serving.store import PredictionRecord
from serving.store.records import ScoredCode
from taxonomy import AUTRE, load_taxonomy


def _record(call_id: str, code: str, confidence: float, called_at: datetime) -> PredictionRecord:
    return PredictionRecord(
        call_id=call_id,
        called_at=called_at,
        code=code,
        confidence=confidence,
        autre=code == AUTRE,
        top_k=(ScoredCode(code, confidence),),
        model_version="m1",
        taxonomy_version="national@1.0.0",
        source="batch",
        site="lyon",
        redacted_text="note anonymisée",
    )


def test_store_predictions_follow_the_input_contract() -> None:
    frame = calls_from_predictions(
        [
            _record("b", "attestation", 0.9, datetime(2024, 3, 10, 23, 30, tzinfo=UTC)),
            _record("a", AUTRE, 0.3, datetime(2024, 3, 4, 8, 0, tzinfo=UTC)),
        ]
    )
    calls = prepare_calls(frame, require_text=True)
    assert calls["call_id"].tolist() == ["a", "b"]
    assert calls["period"].tolist() == ["2024-W10", "2024-W11"]  # 23:30 UTC on Sunday is Monday in Paris
    assert calls["autre"].tolist() == [True, False] and calls["channel"].tolist() == ["non renseigné"] * 2
    assert calls["top_k"].iloc[1] == [{"code": "attestation", "confidence": 0.9}]
    assert calls_from_predictions([]).columns.tolist() == frame.columns.tolist()


def test_taxonomy_texts_and_labels() -> None:
    taxonomy = load_taxonomy("1.0.0")
    texts = known_reasons(taxonomy)
    assert AUTRE not in texts and set(texts) == set(taxonomy.active_codes) - {AUTRE}
    reason = taxonomy.get("attestation")
    assert texts["attestation"] == [reason.label, *reason.examples]
    assert reason_labels(taxonomy)["attestation"] == reason.label

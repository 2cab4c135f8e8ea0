"""Monitoring inputs from the store's predictions and from the taxonomy."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from serving.monitoring import calls_from_predictions, known_reasons, prepare_calls, reason_labels
from serving.review.emerging import calls_from_store
from serving.store import Database, FeedbackRecord, PredictionRecord
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


def _scored(call_id: str, decision: str, *, code: str = "attestation") -> PredictionRecord:
    record = _record(call_id, AUTRE if decision == "autre" else code, 0.4, datetime(2024, 3, 4, 8, 0, tzinfo=UTC))
    return PredictionRecord(**{**record.__dict__, "decision": decision, "created_at": None})


def test_store_decisions_and_agent_choices_make_the_autre_share() -> None:
    records = [_scored("n", "autre"), _scored("d", "to_confirm"), _scored("a", "confident"), _scored("k", "to_confirm")]
    frame = calls_from_predictions(records, {"a": AUTRE, "k": "attestation"})
    calls = prepare_calls(frame).set_index("call_id")
    assert calls["decision"].to_dict() == {"a": "confident", "d": "to_confirm", "k": "to_confirm", "n": "autre"}
    assert calls["autre"].to_dict() == {"a": True, "d": False, "k": False, "n": True}
    assert calls["to_confirm"].sum() == 2


def test_calls_from_store_take_each_call_s_latest_agent_choice(tmp_path: Path) -> None:
    db = Database.open(f"sqlite:///{tmp_path / 'motifs.db'}")
    try:
        db.predictions.add_many([_scored("n", "autre"), _scored("d", "to_confirm"), _scored("a", "confident")])
        known = {"attestation", "paiement_non_recu", AUTRE}
        db.feedback.add(FeedbackRecord("a", ("attestation",), "attestation", "national@1.0.0"), known_codes=known)
        db.feedback.add(FeedbackRecord("a", ("attestation",), AUTRE, "national@1.0.0"), known_codes=known)
        db.feedback.add(FeedbackRecord("d", ("attestation",), AUTRE, "national@1.0.0"), known_codes=known)
        db.feedback.add(FeedbackRecord("d", ("attestation",), "paiement_non_recu", "national@1.0.0"), known_codes=known)
        source = calls_from_store(db, model_version="m1")
    finally:
        db.close()
    calls = prepare_calls(source.frame).set_index("call_id")
    assert calls["agent_code"].to_dict() == {"a": AUTRE, "d": "paiement_non_recu", "n": ""}
    assert calls["autre"].to_dict() == {"a": True, "d": False, "n": True}  # d: the agent changed their mind
    assert any("par l'agent lui-même" in line for line in source.summary)

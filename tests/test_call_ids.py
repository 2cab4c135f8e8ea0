"""A call_id belongs to its source: an API suggestion never overwrites a batch-qualified call (409, and the store
refuses it even when the check is raced); feedback for a call the store never saw is kept but flagged."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fastapi.testclient import TestClient

from serving.api import Settings, create_app
from serving.store import Database, FeedbackRecord
from tests.api_doubles import make_resources, sqlite_url
from tests.test_store import record


def test_a_row_is_only_replaced_by_its_own_source(db_url: str) -> None:
    db = Database.open(db_url)
    try:
        batch = record("c1", model="keywords-1", redacted_text="note historique", source="batch")
        db.predictions.add(batch)
        db.predictions.add(replace(batch, redacted_text="note de l'API", code="attestation", source="api"))
        (kept,) = db.predictions.get("c1")
        assert (kept.source, kept.redacted_text, kept.code) == ("batch", "note historique", "paiement_non_recu")
        db.predictions.add(replace(batch, redacted_text="batch relancé"))  # same source: still replaced
        assert db.predictions.get("c1")[0].redacted_text == "batch relancé"
        assert db.predictions.other_sources("c1", "api") == {"batch"}
        assert db.predictions.other_sources("c1", "batch") == set()
    finally:
        db.close()


def test_api_call_id_collision_leaves_the_batch_row_intact(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    db = Database.open(url)
    batch = record("HIST-1", model="keywords-1", redacted_text="note historique", source="batch")
    db.predictions.add(batch)
    app = create_app(Settings(database_url=url), loader=lambda s: make_resources(s.database_url))
    with TestClient(app) as client:
        response = client.post("/v1/suggestions", json={"text": "une attestation svp", "call_id": "HIST-1"})
        assert response.status_code == 409
        assert "HIST-1" in response.json()["detail"] and "batch" in response.json()["detail"]
        assert "attestation svp" not in response.text
        fresh = client.post("/v1/suggestions", json={"text": "une attestation svp", "call_id": "NEW-1"})
        assert fresh.status_code == 200
    (kept,) = db.predictions.get("HIST-1")
    assert kept == batch
    assert db.predictions.get("NEW-1")[0].source == "api"
    db.close()


def test_feedback_for_an_unknown_call_is_kept_and_flagged(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    app = create_app(Settings(database_url=url), loader=lambda s: make_resources(s.database_url))
    with TestClient(app) as client:
        client.post("/v1/suggestions", json={"text": "une attestation svp", "call_id": "KNOWN-1"})
        known = client.post("/v1/feedback", json={"call_id": "KNOWN-1", "chosen_code": "attestation"})
        unknown = client.post("/v1/feedback", json={"call_id": "NEVER-SEEN", "chosen_code": "attestation"})
    assert (known.status_code, known.json()["call_known"]) == (201, True)
    assert (unknown.status_code, unknown.json()["call_known"]) == (201, False)
    db = Database.open(url, migrate=False)
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    flags = {f.call_id: f.call_known for f in db.feedback.iter_between(now - timedelta(hours=1), now + timedelta(1))}
    assert flags == {"KNOWN-1": True, "NEVER-SEEN": False}
    db.close()
    assert FeedbackRecord("c", (), "x", "national@1.1.0").call_known is None  # set by the store only

"""GET /v1/forecast: one series from the stored predictions, intervals ordered, clear French errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from serving.api import Settings, create_app
from serving.store import Database, PredictionRecord, ScoredCode
from tests.api_doubles import make_resources, sqlite_url

WEEKDAY = {"attestation": [12, 10, 10, 9, 8, 2, 0], "rdv_gestion": [5, 4, 4, 4, 3, 1, 0]}


def _fill(db: Database, days: int) -> None:
    rng = np.random.default_rng(3)
    today = dt.date.today()
    records = []
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        for code, shape in WEEKDAY.items():
            for i in range(int(rng.poisson(shape[day.weekday()]))):
                records.append(
                    PredictionRecord(
                        call_id=f"{day.isoformat()}-{code}-{i}",
                        called_at=dt.datetime.combine(day, dt.time(10, i % 60), tzinfo=dt.UTC),
                        code=code,
                        confidence=0.8,
                        autre=False,
                        top_k=(ScoredCode(code, 0.8),),
                        model_version="m1",
                        taxonomy_version="national@1.1.0",
                        source="batch",
                    )
                )
    db.predictions.add_many(records)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    url = sqlite_url(tmp_path)
    app = create_app(Settings(database_url=url), loader=lambda s: make_resources(s.database_url))
    with TestClient(app) as test_client:
        yield test_client


def test_forecast_of_a_reason_and_of_the_total(client: TestClient, tmp_path: Path) -> None:
    db = Database.open(sqlite_url(tmp_path))
    _fill(db, 120)
    response = client.get("/v1/forecast", params={"reason": "attestation", "horizon": 14})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["reason"] == "attestation" and body["model_version"] == "m1" and body["period"] == "day"
    assert body["history_end"] == (dt.date.today() - dt.timedelta(days=1)).isoformat()
    points = body["points"]
    assert len(points) == 14 and points[0]["date"] == dt.date.today().isoformat()
    for p in points:
        assert p["lo95"] <= p["lo80"] <= p["forecast"] <= p["hi80"] <= p["hi95"]
    sundays = [p["forecast"] for p in points if dt.date.fromisoformat(p["date"]).weekday() == 6]
    mondays = [p["forecast"] for p in points if dt.date.fromisoformat(p["date"]).weekday() == 0]
    assert max(sundays) < min(mondays)  # the weekday shape is learnt

    total = client.get("/v1/forecast", params={"horizon": 4, "period": "week"}).json()
    assert total["reason"] is None and len(total["points"]) == 4
    assert total["points"][0]["forecast"] > sum(WEEKDAY["attestation"])  # two reasons together


def test_forecast_errors_are_french(client: TestClient, tmp_path: Path) -> None:
    empty = client.get("/v1/forecast")
    assert empty.status_code == 404 and "aucune prédiction" in empty.json()["detail"]
    db = Database.open(sqlite_url(tmp_path))
    _fill(db, 10)
    short = client.get("/v1/forecast", params={"horizon": 7})
    assert short.status_code == 409 and "trop court" in short.json()["detail"]
    _fill(db, 60)
    unknown = client.get("/v1/forecast", params={"reason": "paiement_non_recu"})
    assert unknown.status_code == 404 and "aucun appel du motif paiement_non_recu" in unknown.json()["detail"]
    assert client.get("/v1/forecast", params={"horizon": 0}).status_code == 422
    assert client.get("/v1/forecast", params={"period": "month"}).status_code == 422

"""The API storing suggestions while a batch process writes to the same database: nothing is lost."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text

from serving.api import Settings, create_app
from serving.store import Database
from tests.api_doubles import make_resources
from tests.live_server import running_server
from tests.store_writers import batch_writer

AGENTS, CALLS, BATCH_ROWS = 4, 40, 4000


@pytest.mark.slow
def test_api_and_batch_write_at_the_same_time(db_url: str) -> None:
    Database.open(db_url).close()  # schema first, as `motifs db upgrade` would
    app = create_app(Settings(database_url=db_url), loader=lambda s: make_resources(s.database_url))
    batch = multiprocessing.get_context("spawn").Process(target=batch_writer, args=(db_url, "batch", BATCH_ROWS, 200))

    def agent(base_url: str, number: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=base_url, timeout=60) as http:
            for i in range(CALLS):
                call_id = f"agent{number}-{i}"
                note = {"text": f"versement non reçu, appel {i}", "call_id": call_id}
                statuses.append(http.post("/v1/suggestions", json=note).status_code)
                choice = {"call_id": call_id, "chosen_code": "paiement_non_recu"}
                statuses.append(http.post("/v1/feedback", json=choice).status_code)
        return statuses

    with running_server(app) as base_url:
        batch.start()
        with ThreadPoolExecutor(AGENTS) as pool:
            statuses = [s for result in pool.map(lambda n: agent(base_url, n), range(AGENTS)) for s in result]
        batch.join(timeout=300)
    assert batch.exitcode == 0
    assert sorted(set(statuses)) == [200, 201]
    db = Database.open(db_url, migrate=False)
    assert db.predictions.count() == AGENTS * CALLS + BATCH_ROWS
    assert db.feedback.count() == AGENTS * CALLS
    with db.engine.connect() as connection:
        spans = dict(
            (source, (first, last))
            for source, first, last in connection.execute(
                text("SELECT source, MIN(created_at), MAX(created_at) FROM predictions GROUP BY source")
            )
        )
    # The two writers really overlapped in time (otherwise this test would prove nothing).
    assert spans["batch"][0] < spans["api"][1] and spans["api"][0] < spans["batch"][1]
    db.close()

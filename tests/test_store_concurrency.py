"""API writes and a batch writing to the same database at the same time lose nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable

import pytest

from serving.store import Database, head_revision
from serving.store.migrate import current_revision
from tests.store_writers import api_writer, batch_writer

API_WRITERS, API_CALLS, BATCH_ROWS, BATCH_CHUNK = 3, 60, 3000, 250


def _run_threads(targets: list[tuple[Callable[..., None], tuple[object, ...]]]) -> None:
    errors: list[BaseException] = []

    def guarded(target: Callable[..., None], args: tuple[object, ...]) -> None:
        try:
            target(*args)
        except BaseException as exc:  # surfaced below: a lost write must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=item) for item in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)


def _check(db: Database) -> None:
    assert db.predictions.count() == API_WRITERS * API_CALLS + BATCH_ROWS
    assert db.feedback.count() == API_WRITERS * API_CALLS
    ids = db.predictions.existing_call_ids(
        [f"api{w}-{i}" for w in range(API_WRITERS) for i in range(API_CALLS)]
        + [f"batch-{i}" for i in range(BATCH_ROWS)],
        model_version="m1",
    )
    assert len(ids) == API_WRITERS * API_CALLS + BATCH_ROWS


def test_threads_sharing_one_engine_lose_nothing(db_url: str) -> None:
    db = Database.open(db_url)
    _run_threads(
        [(api_writer, (db_url, f"api{w}", API_CALLS, db)) for w in range(API_WRITERS)]
        + [(batch_writer, (db_url, "batch", BATCH_ROWS, BATCH_CHUNK, db))]
    )
    _check(db)
    db.close()


@pytest.mark.slow
def test_processes_starting_on_an_empty_database_lose_nothing(db_url: str) -> None:
    """Separate processes, as `motifs serve` and `motifs reclassify` would be: they also race to migrate."""
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=api_writer, args=(db_url, f"api{w}", API_CALLS)) for w in range(API_WRITERS)
    ] + [context.Process(target=batch_writer, args=(db_url, "batch", BATCH_ROWS, BATCH_CHUNK))]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert [process.exitcode for process in processes] == [0] * len(processes)
    db = Database.open(db_url, migrate=False)
    assert current_revision(db.engine) == head_revision()
    _check(db)
    db.close()

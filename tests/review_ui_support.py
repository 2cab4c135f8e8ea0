"""An API app whose store holds a monitoring run with the planted theme (tests/review_support.py) as cluster E0001,
for the tests of the review pages (TestClient and real Chromium)."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from serving.api import Settings, create_app
from serving.review.emerging import run_emerging
from serving.store import Database
from tests.api_doubles import make_resources
from tests.review_support import SIMPLE_CONFIG, NoRedactor, lemmatizer, store_predictions, stream

PLANTED = "E0001"


def build_store(directory: Path) -> Path:
    """A SQLite store with the stream's predictions and one weekly `motifs emerging` run over them."""
    path = directory / "monitored.db"
    url = f"sqlite:///{path}"
    db = Database.open(url)
    store_predictions(db, stream())
    db.close()
    with threadpool_limits(1):  # one BLAS thread: on 2 busy cores, a small eigh with many threads takes seconds
        run_emerging(
            granularity="week", config=SIMPLE_CONFIG, lemmatizer=lemmatizer(), redactor=NoRedactor(), database_url=url
        )
    return path


def review_app(template: Path, directory: Path, *, reviewer: str | None = None) -> tuple[FastAPI, str, Path]:
    """A fresh copy of the monitored store and an empty local taxonomy folder for one test."""
    database = directory / "api.db"
    shutil.copyfile(template, database)
    url = f"sqlite:///{database}"
    taxonomy_dir = directory / "taxonomie"
    settings = Settings(database_url=url, taxonomy_dir=taxonomy_dir, reviewer=reviewer)
    return create_app(settings, loader=lambda s: make_resources(s.database_url)), url, taxonomy_dir

"""Storage of predictions and feedback: SQLAlchemy 2 (SQLite file by default, PostgreSQL via MOTIFS_DATABASE_URL),
schema migrations with Alembic shipped in the package. Serving code goes through these repositories only."""

from serving.store.engine import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, database_url, make_engine, safe_url
from serving.store.migrate import current_revision, head_revision, upgrade
from serving.store.records import CodeCount, FeedbackRecord, PredictionRecord, ScoredCode
from serving.store.repository import Database, FeedbackStore, OnConflict, PredictionStore

__all__ = [
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "CodeCount",
    "Database",
    "FeedbackRecord",
    "FeedbackStore",
    "OnConflict",
    "PredictionRecord",
    "PredictionStore",
    "ScoredCode",
    "current_revision",
    "database_url",
    "head_revision",
    "make_engine",
    "safe_url",
    "upgrade",
]

"""Storage of predictions, feedback, monitoring runs and review decisions: SQLAlchemy 2 (SQLite file by default,
PostgreSQL via MOTIFS_DATABASE_URL), schema migrations with Alembic shipped in the package. Serving code goes through
these repositories only."""

from serving.store.engine import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, database_url, make_engine, safe_url
from serving.store.migrate import current_revision, head_revision, upgrade
from serving.store.models import ModelRecord, ModelStore
from serving.store.monitoring import MonitoringStore, ReviewStore
from serving.store.records import (
    CLUSTER_STATUSES,
    REVIEW_ACTIONS,
    ClusterRecord,
    ClusterSnapshot,
    CodeCount,
    FeedbackNote,
    FeedbackRecord,
    MonitoringRunRecord,
    PeriodState,
    PredictionRecord,
    ReviewDecisionRecord,
    ReviewedExample,
    ScoredCode,
    monitoring_scope,
)
from serving.store.repository import Database, FeedbackStore, OnConflict, PredictionStore
from serving.store.schema import ROLES
from serving.store.users import NewUser, UserRecord, UserStore, hash_token

__all__ = [
    "CLUSTER_STATUSES",
    "DATABASE_URL_ENV",
    "DEFAULT_DATABASE_URL",
    "REVIEW_ACTIONS",
    "ROLES",
    "ClusterRecord",
    "ClusterSnapshot",
    "CodeCount",
    "Database",
    "FeedbackNote",
    "FeedbackRecord",
    "FeedbackStore",
    "ModelRecord",
    "ModelStore",
    "MonitoringRunRecord",
    "MonitoringStore",
    "NewUser",
    "OnConflict",
    "PeriodState",
    "PredictionRecord",
    "PredictionStore",
    "ReviewDecisionRecord",
    "ReviewStore",
    "ReviewedExample",
    "ScoredCode",
    "UserRecord",
    "UserStore",
    "current_revision",
    "database_url",
    "hash_token",
    "head_revision",
    "make_engine",
    "monitoring_scope",
    "safe_url",
    "upgrade",
]

"""The tables of the motifs database (SQLAlchemy 2 typed ORM). Alembic migrations must reproduce them exactly.

- `predictions`: one row per (call, model version) — a suggestion made by the API or a batch reclassification.
  Re-running a batch or re-asking the API for the same call with the same model replaces the row (idempotent),
  while a new model version adds a row next to the old one (history is kept for comparisons and monitoring).
  Only the **redacted** text is ever stored (column `redacted_text`).
- `feedback`: one row per choice made by an agent (append-only: an agent who changes their mind adds a row; the
  latest row of a call is its chosen code). The chosen code was validated against the taxonomy before insertion.

Timestamps are stored in UTC and always returned timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Explicit constraint names: identical on SQLite and PostgreSQL, and Alembic can alter them later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SOURCES = ("api", "batch")
METHODS = ("model", "crosswalk")

CALL_ID_LENGTH = 128
CODE_LENGTH = 64
SITE_LENGTH = 64
CHANNEL_LENGTH = 32
VERSION_LENGTH = 128


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored in UTC (SQLite keeps no offset: values come back tagged UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: motifs stores timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_ID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class PredictionRow(Base):
    __tablename__ = "predictions"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(CALL_ID_LENGTH))
    called_at: Mapped[datetime] = mapped_column(comment="when the call happened (request time for the API)")
    site: Mapped[str | None] = mapped_column(String(SITE_LENGTH))
    channel: Mapped[str | None] = mapped_column(String(CHANNEL_LENGTH))
    redacted_text: Mapped[str | None] = mapped_column(Text, comment="the note AFTER redaction; never the raw text")
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), comment="retained reason, « autre » under the threshold")
    confidence: Mapped[float] = mapped_column(Float)
    autre: Mapped[bool]
    top_k: Mapped[list[dict[str, Any]]] = mapped_column(JSON, comment='[{"code": …, "confidence": …}], best first')
    model_version: Mapped[str] = mapped_column(String(VERSION_LENGTH))
    taxonomy_version: Mapped[str] = mapped_column(String(VERSION_LENGTH), comment='taxonomy ref, "national@1.1.0"')
    source: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(
        String(16), default="model", server_default="model", comment="model, or crosswalk (taxonomy migration)"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, comment="when this prediction was computed")

    __table_args__ = (
        UniqueConstraint("call_id", "model_version"),
        CheckConstraint("source IN ('api', 'batch')", name="source"),
        CheckConstraint("method IN ('model', 'crosswalk')", name="method"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence"),
        Index(None, "called_at"),
        Index(None, "site", "called_at"),
        Index(None, "code", "called_at"),
    )


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(CALL_ID_LENGTH))
    suggested_codes: Mapped[list[str]] = mapped_column(JSON, comment="codes shown to the agent, best first")
    chosen_code: Mapped[str] = mapped_column(String(CODE_LENGTH), comment="validated against taxonomy_version")
    site: Mapped[str | None] = mapped_column(String(SITE_LENGTH))
    model_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    taxonomy_version: Mapped[str] = mapped_column(String(VERSION_LENGTH))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index(None, "call_id"),
        Index(None, "created_at"),
    )

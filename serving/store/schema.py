"""The tables of the motifs database (SQLAlchemy 2 typed ORM). Alembic migrations must reproduce them exactly.

- `predictions`: one row per (call, model version) — a suggestion made by the API or a batch reclassification.
  Re-running a batch or re-asking the API for the same call with the same model replaces the row (idempotent),
  while a new model version adds a row next to the old one (history is kept for comparisons and monitoring).
  Only the **redacted** text is ever stored (column `redacted_text`).
- `feedback`: one row per choice made by an agent (append-only: an agent who changes their mind adds a row; the
  latest row of a call is its chosen code). The chosen code was validated against the taxonomy before insertion.

Three outcomes (revision 0003): `predictions.decision` (confident / to_confirm / autre — « autre » only when the
note is outside the base, not when the model doubts) and `predictions.prediction_set` (the conformal set of codes
offered for confirmation). Rows written before it get `autre` where they were « autre », else `confident`.

Monitoring and review (revision 0002), per *scope* (`week`, `month@caf-75`: a granularity, optionally one site —
each scope has its own cluster ids, since period labels of different granularities do not compare):
- `clusters`: the registry of emerging clusters — stable id, state (lemma-profile centroid, per-period sizes, call
  fingerprints) as JSON, first/last period seen, parent reason of a sub-theme, and the analyst's `status`, which
  only review decisions change (saving a monitoring run never overwrites it);
- `monitoring_runs`: one row per `motifs emerging` run — when, which periods, parameters, « autre » share per
  period, alerts;
- `cluster_snapshots`: a cluster as one period saw it (size, keywords, redacted examples, call ids, novelty, growth,
  signal) — the points of its trend chart; a rerun over a period replaces that period's snapshots;
- `review_decisions`: who decided what on a cluster and when (create a reason, attach to a reason, dismiss);
- `reviewed_examples`: the redacted notes a decision turned into training examples of a reason.

Revision 0004: `users` — a name, a role (agent, analyst, admin) and the SHA-256 of the user's token (the token
itself is shown once and never stored; revoking keeps the row: decisions still name their author); and
`feedback.call_known` (was the call in the store when the feedback came: the API accepts feedback for any call_id
but flags the unknown ones).

Revision 0005: `feedback.source` (`agent` through `/v1/feedback`, `analyst` through the « à confirmer » queue) and
`feedback.agent` (who chose, when known), so training can cap one agent's share as it caps one site's.

Revision 0006: `monitoring_periods` and `note_tokens` (incremental monitoring). Revision 0007: `models` — one row per
model version that wrote predictions (batch or API), with its taxonomy and the calibration its manifest carries, so
the report shows the expected false-« autre » rate of the model that scored the calls without being given the model.
Revision 0008: `note_tokens.saved_at`, so `motifs db prune-tokens` can bound that table.

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
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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
SCOPE_LENGTH = 100
CLUSTER_ID_LENGTH = 32
PERIOD_LENGTH = 16
REVIEWER_LENGTH = 128
USER_NAME_LENGTH = 64

ROLES = ("agent", "analyst", "admin")

CLUSTER_STATUSES = ("open", "created", "attached", "dismissed")
REVIEW_ACTIONS = ("create", "attach", "dismiss")
GRANULARITIES = ("day", "week", "month")
SIGNALS = ("none", "weak", "strong")


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
    decision: Mapped[str] = mapped_column(
        String(16), default="confident", server_default="confident", comment="confident, to_confirm or autre"
    )
    prediction_set: Mapped[list[str] | None] = mapped_column(JSON, comment="conformal set of codes (to_confirm)")
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
        CheckConstraint("decision IN ('confident', 'to_confirm', 'autre')", name="decision"),
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
    call_known: Mapped[bool | None] = mapped_column(
        comment="the call had a prediction in the store when the feedback came (revision 0004; NULL before)"
    )
    source: Mapped[str] = mapped_column(
        String(8),
        default="agent",
        server_default="agent",
        comment="agent (/v1/feedback) or analyst (the « à confirmer » queue); revision 0005",
    )
    agent: Mapped[str | None] = mapped_column(
        String(REVIEWER_LENGTH), comment="who chose (user name or declared agent id); NULL when unknown"
    )

    __table_args__ = (
        CheckConstraint("source IN ('agent', 'analyst')", name="source"),
        Index(None, "call_id"),
        Index(None, "created_at"),
    )


class ClusterRow(Base):
    __tablename__ = "clusters"

    scope: Mapped[str] = mapped_column(String(SCOPE_LENGTH), primary_key=True, comment='"week", "month@caf-75"…')
    cluster_id: Mapped[str] = mapped_column(String(CLUSTER_ID_LENGTH), primary_key=True, comment="E0001…, stable")
    status: Mapped[str] = mapped_column(
        String(16), default="open", server_default="open", comment="open, created, attached, dismissed"
    )
    first_seen: Mapped[str] = mapped_column(String(PERIOD_LENGTH), comment="period label, e.g. 2024-W10")
    last_seen: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    parent_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH), comment="reason of a sub-theme")
    keywords: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[dict[str, Any]] = mapped_column(
        JSON, comment="registry entry: lemma profile (centroid), per-period sizes, call fingerprints, last calls"
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("status IN ('open', 'created', 'attached', 'dismissed')", name="status"),
        Index(None, "scope", "status"),
    )


class MonitoringRunRow(Base):
    __tablename__ = "monitoring_runs"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(SCOPE_LENGTH))
    granularity: Mapped[str] = mapped_column(String(8))
    site: Mapped[str | None] = mapped_column(String(SITE_LENGTH))
    period_from: Mapped[str | None] = mapped_column(String(PERIOD_LENGTH), comment="first period reported")
    period_to: Mapped[str | None] = mapped_column(String(PERIOD_LENGTH), comment="last period reported")
    source: Mapped[str] = mapped_column(String(16), comment="store (predictions table) or files")
    model_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    taxonomy_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, comment="options of the run (dates, inputs, config)")
    autre_share: Mapped[float | None] = mapped_column(Float, comment="over the reported periods")
    periods: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, comment='[{"period", "start", "n_calls", "n_autre", "autre_share"}]'
    )
    alerts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("granularity IN ('day', 'week', 'month')", name="granularity"),
        Index(None, "scope", "created_at"),
    )


class ClusterSnapshotRow(Base):
    __tablename__ = "cluster_snapshots"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(_ID, ForeignKey("monitoring_runs.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(SCOPE_LENGTH))
    cluster_id: Mapped[str] = mapped_column(String(CLUSTER_ID_LENGTH))
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH))
    size: Mapped[int] = mapped_column(Integer, comment="calls in the window")
    period_size: Mapped[int] = mapped_column(Integer, comment="of which in this period")
    keywords: Mapped[list[str]] = mapped_column(JSON)
    examples: Mapped[list[str]] = mapped_column(JSON, comment="representative notes, REDACTED")
    call_ids: Mapped[list[str]] = mapped_column(JSON, comment="most central first")
    notes: Mapped[dict[str, str]] = mapped_column(
        JSON, comment="call_id → REDACTED note, for the most central calls (training examples on review)"
    )
    novelty: Mapped[float] = mapped_column(Float)
    growth: Mapped[float] = mapped_column(Float)
    signal: Mapped[str] = mapped_column(String(8))
    parent_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    nearest_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, comment="share, rate, previous_rate, cohesion, first_seen")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("scope", "cluster_id", "period"),
        CheckConstraint("signal IN ('none', 'weak', 'strong')", name="signal"),
        Index(None, "scope", "period"),
        Index(None, "run_id"),
    )


class MonitoringPeriodRow(Base):
    """What an incremental `motifs emerging` needs of each analysed period (issue 17): the fingerprint of its calls
    and of the settings it was analysed with (equal → reused, not recomputed), and its stored results."""

    __tablename__ = "monitoring_periods"

    scope: Mapped[str] = mapped_column(String(SCOPE_LENGTH), primary_key=True)
    period: Mapped[str] = mapped_column(String(PERIOD_LENGTH), primary_key=True)
    calls_fingerprint: Mapped[str] = mapped_column(String(64), comment="count, ids and times of its calls, hashed")
    settings_fingerprint: Mapped[str] = mapped_column(String(64), comment="model, taxonomy, configuration, hashed")
    n_calls: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), comment="PeriodReport; null: history only"
    )
    registry_state: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), comment="cluster registry after this period"
    )
    writing_change: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), comment="change of writing found in it"
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoteTokensRow(Base):
    """Content lemmas and static vector of a note as the monitoring's lemmatizer made them (issue 17): a later
    incremental run reads them instead of running spaCy again on its reference periods. Keyed by a hash of the
    lemmatizer's settings and the note: the note itself is not stored here."""

    __tablename__ = "note_tokens"

    key: Mapped[str] = mapped_column(String(40), primary_key=True, comment="sha1(lemmatizer settings, note)")
    lemmas: Mapped[list[str]] = mapped_column(JSON)
    vector: Mapped[bytes | None] = mapped_column(LargeBinary, comment="float32 mean static vector; null: none")
    saved_at: Mapped[datetime | None] = mapped_column(
        default=utcnow, comment="when the lemmas were kept; null: before revision 0008"
    )

    __table_args__ = (Index(None, "saved_at"),)


class ModelRow(Base):
    """A model version that wrote predictions, and what it promised about « autre » (revision 0007)."""

    __tablename__ = "models"

    model_version: Mapped[str] = mapped_column(String(VERSION_LENGTH), primary_key=True)
    taxonomy_version: Mapped[str] = mapped_column(String(VERSION_LENGTH), comment='taxonomy ref, "national@1.1.0"')
    calibration: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), comment="the manifest's calibration report; null: the model carries none"
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, comment="last time it wrote predictions here")


class ReviewDecisionRow(Base):
    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(SCOPE_LENGTH))
    cluster_id: Mapped[str] = mapped_column(String(CLUSTER_ID_LENGTH))
    action: Mapped[str] = mapped_column(String(16), comment="create, attach or dismiss")
    target_code: Mapped[str | None] = mapped_column(String(CODE_LENGTH), comment="reason created or attached to")
    reviewer: Mapped[str] = mapped_column(String(REVIEWER_LENGTH), comment="declared, not authenticated")
    taxonomy_ref: Mapped[str | None] = mapped_column(
        String(VERSION_LENGTH), comment="draft version written (create) or version holding the target (attach)"
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, comment="label, domain, definition, draft file…")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("action IN ('create', 'attach', 'dismiss')", name="action"),
        Index(None, "scope", "cluster_id"),
        Index(None, "created_at"),
    )


class ReviewedExampleRow(Base):
    __tablename__ = "reviewed_examples"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(_ID, ForeignKey("review_decisions.id", ondelete="CASCADE"))
    call_id: Mapped[str] = mapped_column(String(CALL_ID_LENGTH))
    redacted_text: Mapped[str] = mapped_column(Text, comment="the note AFTER redaction; never the raw text")
    code: Mapped[str] = mapped_column(String(CODE_LENGTH))
    taxonomy_ref: Mapped[str] = mapped_column(String(VERSION_LENGTH), comment="a version where the code exists")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("decision_id", "call_id"),
        Index(None, "code"),
    )


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(USER_NAME_LENGTH), unique=True)
    role: Mapped[str] = mapped_column(String(16), comment="agent, analyst or admin")
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the token, never the token")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(comment="set when revoked: the token no longer opens anything")

    __table_args__ = (CheckConstraint("role IN ('agent', 'analyst', 'admin')", name="role"),)

"""Monitoring runs, the emerging-cluster registry with per-period snapshots, review decisions, reviewed examples.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

Frozen: written out in full (no import of the ORM) so later changes to `serving.store.schema` need a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clusters",
        sa.Column("scope", sa.String(length=100), nullable=False, comment='"week", "month@caf-75"…'),
        sa.Column("cluster_id", sa.String(length=32), nullable=False, comment="E0001…, stable"),
        sa.Column(
            "status",
            sa.String(length=16),
            server_default="open",
            nullable=False,
            comment="open, created, attached, dismissed",
        ),
        sa.Column("first_seen", sa.String(length=16), nullable=False, comment="period label, e.g. 2024-W10"),
        sa.Column("last_seen", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True, comment="reason of a sub-theme"),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.JSON(),
            nullable=False,
            comment="registry entry: lemma profile (centroid), per-period sizes, call fingerprints, last calls",
        ),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.CheckConstraint("status IN ('open', 'created', 'attached', 'dismissed')", name=op.f("ck_clusters_status")),
        sa.PrimaryKeyConstraint("scope", "cluster_id", name=op.f("pk_clusters")),
    )
    op.create_index(op.f("ix_clusters_scope_status"), "clusters", ["scope", "status"])

    op.create_table(
        "monitoring_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("granularity", sa.String(length=8), nullable=False),
        sa.Column("site", sa.String(length=64), nullable=True),
        sa.Column("period_from", sa.String(length=16), nullable=True, comment="first period reported"),
        sa.Column("period_to", sa.String(length=16), nullable=True, comment="last period reported"),
        sa.Column("source", sa.String(length=16), nullable=False, comment="store (predictions table) or files"),
        sa.Column("model_version", sa.String(length=128), nullable=True),
        sa.Column("taxonomy_version", sa.String(length=128), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False, comment="options of the run (dates, inputs, config)"),
        sa.Column("autre_share", sa.Float(), nullable=True, comment="over the reported periods"),
        sa.Column(
            "periods", sa.JSON(), nullable=False, comment='[{"period", "start", "n_calls", "n_autre", "autre_share"}]'
        ),
        sa.Column("alerts", sa.JSON(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint("granularity IN ('day', 'week', 'month')", name=op.f("ck_monitoring_runs_granularity")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_runs")),
    )
    op.create_index(op.f("ix_monitoring_runs_scope_created_at"), "monitoring_runs", ["scope", "created_at"])

    op.create_table(
        "review_decisions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("cluster_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False, comment="create, attach or dismiss"),
        sa.Column("target_code", sa.String(length=64), nullable=True, comment="reason created or attached to"),
        sa.Column("reviewer", sa.String(length=128), nullable=False, comment="declared, not authenticated"),
        sa.Column(
            "taxonomy_ref",
            sa.String(length=128),
            nullable=True,
            comment="draft version written (create) or version holding the target (attach)",
        ),
        sa.Column("payload", sa.JSON(), nullable=False, comment="label, domain, definition, draft file…"),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint("action IN ('create', 'attach', 'dismiss')", name=op.f("ck_review_decisions_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
    )
    op.create_index(op.f("ix_review_decisions_created_at"), "review_decisions", ["created_at"])
    op.create_index(op.f("ix_review_decisions_scope_cluster_id"), "review_decisions", ["scope", "cluster_id"])

    op.create_table(
        "cluster_snapshots",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_id", _ID, nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("cluster_id", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False, comment="calls in the window"),
        sa.Column("period_size", sa.Integer(), nullable=False, comment="of which in this period"),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False, comment="representative notes, REDACTED"),
        sa.Column("call_ids", sa.JSON(), nullable=False, comment="most central first"),
        sa.Column(
            "notes",
            sa.JSON(),
            nullable=False,
            comment="call_id → REDACTED note, for the most central calls (training examples on review)",
        ),
        sa.Column("novelty", sa.Float(), nullable=False),
        sa.Column("growth", sa.Float(), nullable=False),
        sa.Column("signal", sa.String(length=8), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("nearest_code", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False, comment="share, rate, previous_rate, cohesion, first_seen"),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint("signal IN ('none', 'weak', 'strong')", name=op.f("ck_cluster_snapshots_signal")),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["monitoring_runs.id"],
            name=op.f("fk_cluster_snapshots_run_id_monitoring_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_snapshots")),
        sa.UniqueConstraint("scope", "cluster_id", "period", name=op.f("uq_cluster_snapshots_scope_cluster_id_period")),
    )
    op.create_index(op.f("ix_cluster_snapshots_run_id"), "cluster_snapshots", ["run_id"])
    op.create_index(op.f("ix_cluster_snapshots_scope_period"), "cluster_snapshots", ["scope", "period"])

    op.create_table(
        "reviewed_examples",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("decision_id", _ID, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("redacted_text", sa.Text(), nullable=False, comment="the note AFTER redaction; never the raw text"),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("taxonomy_ref", sa.String(length=128), nullable=False, comment="a version where the code exists"),
        sa.Column("created_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["review_decisions.id"],
            name=op.f("fk_reviewed_examples_decision_id_review_decisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewed_examples")),
        sa.UniqueConstraint("decision_id", "call_id", name=op.f("uq_reviewed_examples_decision_id_call_id")),
    )
    op.create_index(op.f("ix_reviewed_examples_code"), "reviewed_examples", ["code"])


def downgrade() -> None:
    op.drop_table("reviewed_examples")
    op.drop_table("cluster_snapshots")
    op.drop_table("review_decisions")
    op.drop_table("monitoring_runs")
    op.drop_table("clusters")

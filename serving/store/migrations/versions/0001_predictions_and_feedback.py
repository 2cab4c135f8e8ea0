"""Predictions (API and batch) and agents' feedback.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Frozen: written out in full (no import of the ORM) so later changes to `serving.store.schema` need a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("called_at", _utc(), nullable=False, comment="when the call happened (request time for the API)"),
        sa.Column("site", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("redacted_text", sa.Text(), nullable=True, comment="the note AFTER redaction; never the raw text"),
        sa.Column(
            "code", sa.String(length=64), nullable=False, comment="retained reason, « autre » under the threshold"
        ),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("autre", sa.Boolean(), nullable=False),
        sa.Column("top_k", sa.JSON(), nullable=False, comment='[{"code": …, "confidence": …}], best first'),
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("taxonomy_version", sa.String(length=128), nullable=False, comment='taxonomy ref, "national@1.1.0"'),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column(
            "method",
            sa.String(length=16),
            server_default="model",
            nullable=False,
            comment="model, or crosswalk (taxonomy migration)",
        ),
        sa.Column("created_at", _utc(), nullable=False, comment="when this prediction was computed"),
        sa.CheckConstraint("method IN ('model', 'crosswalk')", name=op.f("ck_predictions_method")),
        sa.CheckConstraint("source IN ('api', 'batch')", name=op.f("ck_predictions_source")),
        sa.CheckConstraint("confidence >= 0 AND confidence <= 1", name=op.f("ck_predictions_confidence")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_predictions")),
        sa.UniqueConstraint("call_id", "model_version", name=op.f("uq_predictions_call_id_model_version")),
    )
    op.create_index(op.f("ix_predictions_called_at"), "predictions", ["called_at"])
    op.create_index(op.f("ix_predictions_code_called_at"), "predictions", ["code", "called_at"])
    op.create_index(op.f("ix_predictions_site_called_at"), "predictions", ["site", "called_at"])

    op.create_table(
        "feedback",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("suggested_codes", sa.JSON(), nullable=False, comment="codes shown to the agent, best first"),
        sa.Column("chosen_code", sa.String(length=64), nullable=False, comment="validated against taxonomy_version"),
        sa.Column("site", sa.String(length=64), nullable=True),
        sa.Column("model_version", sa.String(length=128), nullable=True),
        sa.Column("taxonomy_version", sa.String(length=128), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    op.create_index(op.f("ix_feedback_call_id"), "feedback", ["call_id"])
    op.create_index(op.f("ix_feedback_created_at"), "feedback", ["created_at"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("predictions")

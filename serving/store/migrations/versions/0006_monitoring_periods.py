"""Incremental monitoring (issue 17): `monitoring_periods` keeps, per scope and period, the fingerprint of the
period's calls and of the settings it was analysed with, and its results (report, registry after it, change of
writing), so a rerun recomputes only the periods that are new or whose calls changed; `note_tokens` keeps the
lemmas and static vector of each note (keyed by a hash, not the note), so the history a new period needs is not
lemmatised again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

Frozen: written out in full (no import of the ORM) so later changes to `serving.store.schema` need a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_periods",
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column(
            "calls_fingerprint",
            sa.String(length=64),
            nullable=False,
            comment="count, ids and times of its calls, hashed",
        ),
        sa.Column(
            "settings_fingerprint",
            sa.String(length=64),
            nullable=False,
            comment="model, taxonomy, configuration, hashed",
        ),
        sa.Column("n_calls", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(none_as_null=True), nullable=True, comment="PeriodReport; null: history only"),
        sa.Column(
            "registry_state", sa.JSON(none_as_null=True), nullable=True, comment="cluster registry after this period"
        ),
        sa.Column("writing_change", sa.JSON(none_as_null=True), nullable=True, comment="change of writing found in it"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "period", name=op.f("pk_monitoring_periods")),
    )
    op.create_table(
        "note_tokens",
        sa.Column("key", sa.String(length=40), nullable=False, comment="sha1(lemmatizer settings, note)"),
        sa.Column("lemmas", sa.JSON(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True, comment="float32 mean static vector; null: none"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_note_tokens")),
    )


def downgrade() -> None:
    op.drop_table("note_tokens")
    op.drop_table("monitoring_periods")

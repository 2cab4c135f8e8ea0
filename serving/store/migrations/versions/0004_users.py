"""Users of the API and the review pages (name, role, SHA-256 of their token); feedback flagged when its call is
unknown to the store.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04

Frozen: written out in full (no import of the ORM) so later changes to `serving.store.schema` need a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(
            sa.Column(
                "call_known",
                sa.Boolean(),
                nullable=True,
                comment="the call had a prediction in the store when the feedback came (revision 0004; NULL before)",
            )
        )
    op.create_table(
        "users",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False, comment="agent, analyst or admin"),
        sa.Column(
            "token_sha256", sa.String(length=64), nullable=False, comment="SHA-256 of the token, never the token"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "revoked_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="set when revoked: the token no longer opens anything",
        ),
        sa.CheckConstraint("role IN ('agent', 'analyst', 'admin')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_users_token_sha256")),
    )


def downgrade() -> None:
    op.drop_table("users")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("call_known")

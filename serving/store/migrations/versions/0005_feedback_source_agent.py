"""Who gave a feedback: `feedback.source` (agent: `/v1/feedback`; analyst: the « à confirmer » queue) and
`feedback.agent` (the agent's name when known: the logged-in user, or the optional `agent` field of the request), so
that training can cap the share of one agent as it caps one site.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

Rows already stored were all given through the API by agents: `source` is `agent`, `agent` unknown (NULL).

Frozen: written out in full (no import of the ORM) so later changes to `serving.store.schema` need a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(
            sa.Column(
                "source",
                sa.String(length=8),
                server_default="agent",
                nullable=False,
                comment="agent (/v1/feedback) or analyst (the « à confirmer » queue); revision 0005",
            )
        )
        batch.add_column(
            sa.Column(
                "agent",
                sa.String(length=128),
                nullable=True,
                comment="who chose (user name or declared agent id); NULL when unknown",
            )
        )
        batch.create_check_constraint("source", "source IN ('agent', 'analyst')")


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_constraint(op.f("ck_feedback_source"), type_="check")
        batch.drop_column("agent")
        batch.drop_column("source")

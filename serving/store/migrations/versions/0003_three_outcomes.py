"""Three outcomes per prediction: `decision` (confident / to_confirm / autre) and the conformal `prediction_set`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

Rows already stored keep their meaning: what was « autre » stays `autre`, the rest becomes `confident` (models of
that time had no « à confirmer » outcome).

Frozen: written out in full (no import of the ORM) so later changes to `serving.store.schema` need a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.add_column(
            sa.Column(
                "decision",
                sa.String(length=16),
                server_default="confident",
                nullable=False,
                comment="confident, to_confirm or autre",
            )
        )
        batch.add_column(
            sa.Column("prediction_set", sa.JSON(), nullable=True, comment="conformal set of codes (to_confirm)")
        )
        batch.create_check_constraint("decision", "decision IN ('confident', 'to_confirm', 'autre')")
    predictions = sa.table("predictions", sa.column("autre", sa.Boolean()), sa.column("decision", sa.String()))
    op.execute(predictions.update().where(predictions.c.autre == sa.true()).values(decision="autre"))


def downgrade() -> None:
    with op.batch_alter_table("predictions") as batch:
        batch.drop_constraint(op.f("ck_predictions_decision"), type_="check")
        batch.drop_column("prediction_set")
        batch.drop_column("decision")

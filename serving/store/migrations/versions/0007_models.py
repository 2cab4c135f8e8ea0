"""`models`: the model versions that wrote predictions, with their taxonomy and the calibration their manifest
carries (the novelty gate's α and the interval of its false-« autre » rate), so `motifs report` over the store shows
the expected false-« autre » rate of the model that scored the calls without `--model`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

Models that wrote predictions before this revision have no row: the report says their rate is unknown and names
`--model`, as before.

Frozen: written out in full (no import of the ORM) so later changes to `serving.store.schema` need a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("model_version", sa.String(length=128), nullable=False),
        sa.Column("taxonomy_version", sa.String(length=128), nullable=False, comment='taxonomy ref, "national@1.1.0"'),
        sa.Column(
            "calibration",
            sa.JSON(none_as_null=True),
            nullable=True,
            comment="the manifest's calibration report; null: the model carries none",
        ),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="last time it wrote predictions here",
        ),
        sa.PrimaryKeyConstraint("model_version", name=op.f("pk_models")),
    )


def downgrade() -> None:
    op.drop_table("models")

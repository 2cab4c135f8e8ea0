"""`note_tokens.saved_at`: when a note's lemmas were kept, so `motifs db prune-tokens --older-than DAYS` can bound the
table (it grows with every note the monitoring lemmatises: ≈ 2 kB a note, most of the 1.9 GB a store grew by in a year
at national rate).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

Rows kept before this revision have no date: a prune counts them as old.

Frozen: written out in full (no import of the ORM) so later changes to `serving.store.schema` need a new revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "note_tokens",
        sa.Column(
            "saved_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the lemmas were kept; null: before revision 0008",
        ),
    )
    op.create_index(op.f("ix_note_tokens_saved_at"), "note_tokens", ["saved_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_note_tokens_saved_at"), table_name="note_tokens")
    with op.batch_alter_table("note_tokens") as batch:
        batch.drop_column("saved_at")

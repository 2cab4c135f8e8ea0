"""Alembic environment: runs on the connection handed over by `serving.store.migrate` (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from serving.store.schema import Base


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("motifs migrations run through serving.store.migrate.upgrade (no connection given)")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: Alembic copies the table instead
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported: run `motifs db upgrade` against the database")
run_migrations_online()

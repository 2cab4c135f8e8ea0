"""Schema migrations (Alembic), shipped inside the package and applied programmatically.

`upgrade(engine)` brings a database to the latest revision; it is run when the API starts and by `motifs db
upgrade`. Two processes starting at once are serialised (SQLite write lock / PostgreSQL advisory lock), so the
second one finds the schema up to date. New tables (monitoring, review decisions) come as new revisions in
`serving/store/migrations/versions/`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from serving.errors import StoreError
from serving.store.engine import safe_url, writer

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x6D6F7469  # "moti": advisory lock key held while migrating


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration without alembic.ini: the migrations folder of the package, an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migration shipped"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Apply the migrations up to `revision`; returns the revision the database is at afterwards."""
    try:
        with writer(engine).begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            command.upgrade(alembic_config(connection), revision)
            reached = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        origin = type(getattr(exc, "orig", None) or exc).__name__
        raise StoreError(f"migration du schéma impossible sur {safe_url(engine.url)} ({origin})") from exc
    return reached or "base"

"""Small helpers shared by the repositories: dialect-specific INSERT (for ON CONFLICT) and safe error messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from serving.errors import StoreError
from serving.store.engine import safe_url


def insert_statement(connection: Connection, table: Table) -> Any:
    """An INSERT of the connection's dialect, which has `on_conflict_do_update` / `on_conflict_do_nothing`."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise StoreError(f"dialecte {dialect} non pris en charge")  # make_engine already refuses other backends


def store_error(action: str, engine: Engine, exc: SQLAlchemyError) -> StoreError:
    """A French one-liner naming the action, the database (password hidden) and the exception type.

    Never str(exc): SQLAlchemy puts the bound parameters (redacted texts, call ids) in its messages."""
    origin = type(getattr(exc, "orig", None) or exc).__name__
    return StoreError(f"{action} impossible dans {safe_url(engine.url)} ({origin})")

"""Opening the motifs database: a SQLite file by default, PostgreSQL through `MOTIFS_DATABASE_URL`.

SQLite is set up for several writers at once (the API and a batch reclassification): WAL journal (readers never
block the writer), a busy timeout (a writer waits for the lock instead of failing), and write transactions opened
with `BEGIN IMMEDIATE` (the lock is taken up front, so two writers never deadlock on a read→write upgrade — the one
case where SQLite returns "database is locked" without waiting).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import ArgumentError

from serving.errors import UnsupportedDatabase
from taxonomy import LOCAL_DATA_DIR

DATABASE_URL_ENV = "MOTIFS_DATABASE_URL"
DEFAULT_DATABASE_URL = f"sqlite:///{(LOCAL_DATA_DIR / 'motifs.db').as_posix()}"
SQLITE_BUSY_TIMEOUT_S = 60.0
# Execution option read by the "begin" hook below: how a SQLite transaction starts.
SQLITE_BEGIN_OPTION = "motifs_sqlite_begin"


def database_url(explicit: str | None = None) -> str:
    """The URL to use: the explicit one, else `MOTIFS_DATABASE_URL`, else the SQLite file under ./motifs-data/."""
    return explicit or os.environ.get(DATABASE_URL_ENV) or DEFAULT_DATABASE_URL


def safe_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(URL illisible)"


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for `url` (SQLite or PostgreSQL), tuned for concurrent writers. Creates a SQLite file's folder."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise UnsupportedDatabase(
            "URL de base de données illisible (attendu : sqlite:///chemin.db ou postgresql+psycopg://…)"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3 is the driver we install
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    raise UnsupportedDatabase(
        f"base de données « {backend} » non prise en charge (attendu : sqlite ou postgresql) dans {safe_url(parsed)}"
    )


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
    connect_args.update(kwargs.pop("connect_args", {}))
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook (below) open transactions instead of the sqlite3 module's implicit BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            cursor.execute("PRAGMA synchronous=NORMAL")  # durable across application crashes in WAL mode
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def writer(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions take the write lock up front on SQLite."""
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    return engine

"""`motifs db upgrade` and `motifs serve` are thin over serving.store / serving.api."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect, text, update
from typer.testing import CliRunner

from motifs.cli.main import build_app
from serving.errors import ModelNotLoaded, UnsupportedDatabase
from serving.store import Database, head_revision, make_engine
from serving.store.schema import NoteTokensRow


def test_db_upgrade_creates_then_keeps_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'motifs.db'}"
    for _ in range(2):
        result = CliRunner().invoke(build_app(), ["db", "upgrade", "--database-url", url])
        assert result.exit_code == 0, result.output
        assert f"révision {head_revision()} (à jour)" in result.output
    assert {"predictions", "feedback"} <= set(inspect(make_engine(url)).get_table_names())


def test_db_upgrade_refuses_an_unsupported_backend_without_showing_the_password() -> None:
    result = CliRunner().invoke(build_app(), ["db", "upgrade", "--database-url", "mysql://u:s3cret@h/db"])
    assert isinstance(result.exception, UnsupportedDatabase)
    assert "s3cret" not in str(result.exception)


def test_serve_without_a_model_is_a_domain_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("MOTIFS_MODEL", raising=False)
    result = CliRunner().invoke(build_app(), ["serve", "--model", ""])
    assert isinstance(result.exception, ModelNotLoaded)


def test_prune_tokens_forgets_only_the_old_lemmas(db_url: str) -> None:
    db = Database.open(db_url)
    db.monitoring.save_note_tokens({"old": (["aide"], None), "new": (["loyer"], b"\x00" * 8), "undated": ([], None)})
    with make_engine(db_url).begin() as connection:
        table = NoteTokensRow.__table__
        connection.execute(
            update(table).where(table.c.key == "old").values(saved_at=datetime.now(UTC) - timedelta(days=100))
        )
        connection.execute(update(table).where(table.c.key == "undated").values(saved_at=None))
    db.close()
    result = CliRunner().invoke(build_app(), ["db", "prune-tokens", "--older-than", "90", "--database-url", db_url])
    assert result.exit_code == 0, result.output
    assert "2 note(s) oubliée(s)" in result.output
    db = Database.open(db_url)
    assert set(db.monitoring.note_tokens(["old", "new", "undated"])) == {"new"}
    db.close()
    with make_engine(db_url).connect() as connection:
        assert connection.execute(text("select count(*) from note_tokens")).scalar_one() == 1


def test_prune_tokens_needs_a_positive_age(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    result = CliRunner().invoke(build_app(), ["db", "prune-tokens", "--older-than", "0", "--database-url", url])
    assert result.exit_code != 0

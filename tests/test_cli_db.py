"""`motifs db upgrade` and `motifs serve` are thin over serving.store / serving.api."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from typer.testing import CliRunner

from motifs.cli.main import build_app
from serving.errors import ModelNotLoaded, UnsupportedDatabase
from serving.store import head_revision, make_engine


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

"""Users and tokens: stored hashed, shown once, revocable; `motifs users add|list|revoke`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from motifs.cli.main import build_app
from serving.errors import InvalidUser, UnknownUser
from serving.store import Database, hash_token
from serving.store.schema import UserRow


@pytest.fixture
def db(db_url: str):  # type: ignore[no-untyped-def]
    database = Database.open(db_url)
    yield database
    database.close()


def test_a_token_opens_as_its_user_and_only_its_hash_is_stored(db: Database) -> None:
    created = db.users.add("martine.durand", "analyst")
    assert len(created.token) >= 40
    user = db.users.authenticate(created.token)
    assert user is not None and (user.name, user.role) == ("martine.durand", "analyst")
    with db.engine.connect() as connection:
        stored = connection.execute(select(UserRow.__table__)).one()._mapping
    assert created.token not in [str(value) for value in stored.values()]
    assert stored["token_sha256"] == hash_token(created.token)
    assert db.users.authenticate(created.token + "x") is None
    assert db.users.authenticate("") is None
    assert db.users.authenticate("a" * 10_000) is None


def test_revoking_closes_the_token_and_keeps_the_name_taken(db: Database) -> None:
    created = db.users.add("agent-01", "agent")
    assert db.users.count_active() == 1
    db.users.revoke("agent-01")
    assert db.users.authenticate(created.token) is None
    assert db.users.get_active(created.user.id or 0) is None
    assert db.users.count_active() == 0
    with pytest.raises(UnknownUser):
        db.users.revoke("agent-01")
    with pytest.raises(InvalidUser, match="existe déjà"):
        db.users.add("agent-01", "agent")
    assert [u.active for u in db.users.list()] == [False]


@pytest.mark.parametrize(("name", "role"), [("", "agent"), ("<b>x</b>", "agent"), ("a b", "agent"), ("ok", "root")])
def test_bad_names_and_roles_are_refused(db: Database, name: str, role: str) -> None:
    with pytest.raises(InvalidUser):
        db.users.add(name, role)


def test_users_cli_prints_the_token_once_lists_and_revokes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'motifs.db'}"
    app = build_app()
    added = CliRunner().invoke(app, ["users", "add", "jean", "--role", "admin", "--database-url", url])
    assert added.exit_code == 0, added.output
    token = next(line for line in added.output.splitlines() if line and " " not in line)
    database = Database.open(url)
    try:
        user = database.users.authenticate(token)
        assert user is not None and user.role == "admin"
    finally:
        database.close()
    listed = CliRunner().invoke(app, ["users", "list", "--database-url", url])
    assert "jean" in listed.output and "admin" in listed.output and token not in listed.output
    revoked = CliRunner().invoke(app, ["users", "revoke", "jean", "--database-url", url])
    assert revoked.exit_code == 0 and "révoqué" in revoked.output
    again = CliRunner().invoke(app, ["users", "revoke", "jean", "--database-url", url])
    assert isinstance(again.exception, UnknownUser)

"""Users of the API and the review pages: who they are (a name), what they may do (a role), how they prove it (a
token shown once at creation).

Only the SHA-256 of a token is stored: a copy of the database opens nothing. Tokens come from
`secrets.token_urlsafe` (256 bits), so a plain SHA-256 is enough — a slow password hash protects guessable secrets,
which these are not. Lookups go by hash and the found hash is compared again with `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Table, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from serving.errors import InvalidUser, UnknownUser
from serving.store._sql import store_error as _store_error
from serving.store.engine import writer
from serving.store.schema import ROLES, USER_NAME_LENGTH, UserRow, utcnow

_USERS: Table = UserRow.__table__  # type: ignore[assignment]
USER_NAME_PATTERN = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9._@-]{{0,{USER_NAME_LENGTH - 1}}}$")
TOKEN_BYTES = 32
_MAX_TOKEN_LENGTH = 512  # a longer "token" is refused before hashing


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str
    id: int | None = None
    created_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewUser:
    """A user just created, with the token to hand over (printed once, never stored)."""

    user: UserRecord
    token: str


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidUser(f"rôle « {role[:32]} » inconnu (attendu : {', '.join(ROLES)})")
    return role


class UserStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = writer(engine)

    def add(self, name: str, role: str) -> NewUser:
        """Create a user and their token. A name already taken (even by a revoked user) is refused."""
        if not USER_NAME_PATTERN.match(name):
            raise InvalidUser(
                f"nom d'utilisateur invalide (attendu : 1 à {USER_NAME_LENGTH} caractères parmi lettres sans accent, "
                "chiffres, « . _ @ - », commençant par une lettre ou un chiffre)"
            )
        check_role(role)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        created_at = utcnow()
        row = {"name": name, "role": role, "token_sha256": hash_token(token), "created_at": created_at}
        try:
            with self._writer.begin() as connection:
                new_id = connection.execute(_USERS.insert().values(**row).returning(_USERS.c.id)).scalar_one()
        except IntegrityError:
            raise InvalidUser(f"l'utilisateur {name} existe déjà (un nom ne sert qu'une fois, même révoqué)") from None
        except SQLAlchemyError as exc:
            raise _store_error(f"création de l'utilisateur {name}", self._engine, exc) from exc
        return NewUser(UserRecord(name=name, role=role, id=new_id, created_at=created_at), token)

    def revoke(self, name: str) -> UserRecord:
        """Revoke a user's token now (the row stays: decisions keep naming their author)."""
        try:
            with self._writer.begin() as connection:
                changed = connection.execute(
                    update(_USERS)
                    .where(_USERS.c.name == name, _USERS.c.revoked_at.is_(None))
                    .values(revoked_at=utcnow())
                    .returning(*_USERS.c)
                ).first()
        except SQLAlchemyError as exc:
            raise _store_error(f"révocation de l'utilisateur {name}", self._engine, exc) from exc
        if changed is None:
            raise UnknownUser(f"aucun utilisateur actif nommé {name} (voir motifs users list)")
        return _record(changed._mapping)

    def list(self, *, include_revoked: bool = True) -> list[UserRecord]:
        query = select(_USERS).order_by(_USERS.c.name)
        if not include_revoked:
            query = query.where(_USERS.c.revoked_at.is_(None))
        with self._engine.connect() as connection:
            return [_record(row._mapping) for row in connection.execute(query)]

    def authenticate(self, token: str) -> UserRecord | None:
        """The active user holding `token`, else None."""
        if not token or len(token) > _MAX_TOKEN_LENGTH:
            return None
        digest = hash_token(token)
        with self._engine.connect() as connection:
            row = connection.execute(
                select(_USERS).where(_USERS.c.token_sha256 == digest, _USERS.c.revoked_at.is_(None))
            ).first()
        if row is None or not hmac.compare_digest(row.token_sha256, digest):
            return None
        return _record(row._mapping)

    def get_active(self, user_id: int) -> UserRecord | None:
        """The user of a session, if still active (a revoked user's open sessions stop working)."""
        with self._engine.connect() as connection:
            row = connection.execute(
                select(_USERS).where(_USERS.c.id == user_id, _USERS.c.revoked_at.is_(None))
            ).first()
        return None if row is None else _record(row._mapping)

    def count_active(self) -> int:
        with self._engine.connect() as connection:
            query = select(func.count()).select_from(_USERS).where(_USERS.c.revoked_at.is_(None))
            return int(connection.scalar(query) or 0)


def _record(row: Any) -> UserRecord:
    return UserRecord(
        name=row["name"], role=row["role"], id=row["id"], created_at=row["created_at"], revoked_at=row["revoked_at"]
    )

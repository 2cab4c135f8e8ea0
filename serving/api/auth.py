"""Who is calling, and may they do this? Dependencies the routers declare (tests swap them with
`app.dependency_overrides`).

- Credentials: `Authorization: Bearer <token>` — a token from `motifs users add` (checked against its SHA-256 in
  the store) or, when OIDC is configured, a JWT of the identity provider (`serving.api.oidc`); or the signed
  session cookie of the web pages (`/connexion`), whose unsafe requests must also carry the session's CSRF token
  (form field `csrf`, or header `X-CSRF-Token` for the agents' page scripts).
- Roles are ordered: agent (suggestions, feedback, taxonomy) < analyst (+ review, reports) < admin (everything).
- Open mode: with no active user and no OIDC, every request is allowed as the local operator — `motifs serve` then
  listens on the loopback only (`serving.api.server.check_exposure`). Adding a user closes it within a second
  (`AuthSwitch`), no restart needed.
- Rate limits apply per authenticated identity (`MOTIFS_RATE_LIMIT`), before the route runs.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from serving.api.dependencies import ResourcesDep
from serving.api.handlers import OwnMessage
from serving.api.resources import Resources
from serving.api.settings import Settings
from serving.errors import AuthError
from serving.store import ROLES

ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
ROLE_LABELS = {"agent": "agents", "analyst": "analystes", "admin": "administrateurs"}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_COOKIE = "motifs_csrf"  # readable by the agents' page script (double submit), compared to the session's
SESSION_COOKIE = "motifs_session"
SESSION_USER = "uid"
SESSION_CSRF = "csrf"


@dataclass(frozen=True)
class Principal:
    """The caller. `name` is None in open mode (no users configured: the local operator)."""

    name: str | None
    role: str
    authenticated: bool
    via_session: bool = False
    csrf: str | None = None  # the session's CSRF token, to embed in forms

    def may(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


OPEN = Principal(name=None, role="admin", authenticated=False)


class Unauthenticated(OwnMessage):
    def __init__(self, detail: str = "authentification requise (en-tête Authorization: Bearer JETON)") -> None:
        super().__init__(status_code=401, detail=detail, headers={"WWW-Authenticate": 'Bearer realm="motifs"'})


class Forbidden(OwnMessage):
    def __init__(self, role: str, detail: str | None = None) -> None:
        super().__init__(status_code=403, detail=detail or f"accès réservé aux {ROLE_LABELS[role]} (ou plus)")


class RateLimited(OwnMessage):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            status_code=429,
            detail=f"trop de requêtes pour ce jeton (réglage MOTIFS_RATE_LIMIT) : réessayer dans {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )


# Documented on every protected JSON route (router `responses=`): what `require` may answer.
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Jeton absent, inconnu, révoqué ou expiré (en-tête Authorization: Bearer JETON)."},
    403: {"description": "Rôle insuffisant, ou jeton anti-CSRF absent d'une requête de session web."},
    429: {"description": "Trop de requêtes pour ce jeton (MOTIFS_RATE_LIMIT) ; en-tête Retry-After."},
}


class PageAuthRequired(Exception):
    """A web page asked without a session (→ login form) or by a user without the role (→ 403 page)."""

    def __init__(self, *, login: bool, role: str) -> None:
        super().__init__(role)
        self.login = login
        self.role = role


def auth_enabled(settings: Settings, resources: Resources) -> bool:
    return settings.oidc_enabled or resources.database.users.count_active() > 0


def _bearer(request: Request, resources: Resources, header: str) -> Principal:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("en-tête Authorization illisible (attendu : Bearer JETON)")
    verifier = getattr(request.app.state, "oidc", None)
    if verifier is not None and token.count(".") == 2:  # a JWT: the identity provider's
        try:
            identity = verifier.verify(token)
        except AuthError as exc:
            raise Unauthenticated(str(exc)) from None
        return Principal(name=identity.name, role=identity.role, authenticated=True)
    user = resources.database.users.authenticate(token)
    if user is None:
        raise Unauthenticated("jeton inconnu ou révoqué")
    return Principal(name=user.name, role=user.role, authenticated=True)


def session_principal(request: Request, resources: Resources) -> Principal | None:
    """The user of the request's web session, if it has one and they are still active."""
    session: dict[str, Any] = request.session
    user_id = session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    user = resources.database.users.get_active(user_id)
    if user is None:  # revoked since login
        session.clear()
        return None
    csrf = session.get(SESSION_CSRF)
    return Principal(name=user.name, role=user.role, authenticated=True, via_session=True, csrf=csrf)


def csrf_matches(principal: Principal, sent: str | None) -> bool:
    return principal.csrf is not None and sent is not None and hmac.compare_digest(principal.csrf, sent)


class AuthSwitch:
    """Whether authentication is required (users or OIDC), re-read from the store at most once per `ttl_s`: in open
    mode a request then costs no query and no thread hop (measured: docs/BENCHMARKS.md). A user added while the
    service runs closes the open mode within `ttl_s`."""

    def __init__(self, ttl_s: float = 1.0) -> None:
        self.ttl_s = ttl_s
        self._value: bool | None = None
        self._checked_at = 0.0

    async def enabled(self, settings: Settings, resources: Resources) -> bool:
        if settings.oidc_enabled:
            return True
        now = time.monotonic()
        if self._value is None or now - self._checked_at > self.ttl_s:
            self._value = await run_in_threadpool(auth_enabled, settings, resources)
            self._checked_at = now
        return self._value


async def current_principal(request: Request, resources: ResourcesDep) -> Principal | None:
    """The caller, `OPEN` in open mode, None when the service requires credentials and none were given; invalid
    credentials are refused here (401), whatever the mode. Tests swap it with `app.dependency_overrides`."""
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization")
    if header:
        return await run_in_threadpool(_bearer, request, resources, header)
    if SESSION_COOKIE in request.cookies:
        principal = await run_in_threadpool(session_principal, request, resources)
        if principal is not None:
            # Forms check their `csrf` field themselves (the body is theirs to read); scripts send the header.
            unsafe = request.method not in SAFE_METHODS and not request.url.path.startswith("/revue")
            if unsafe and not csrf_matches(principal, request.headers.get(CSRF_HEADER)):
                raise Forbidden(principal.role, "jeton anti-CSRF absent ou invalide : recharger la page")
            return principal
    if not await request.app.state.auth_switch.enabled(settings, resources):
        return OPEN
    return None


PrincipalDep = Annotated[Principal | None, Depends(current_principal)]


def _rate_limit(request: Request, principal: Principal) -> None:
    if not principal.authenticated:  # open mode: the local operator alone, on the loopback
        return
    retry_after = request.app.state.rate_limiter.hit(f"{principal.role}:{principal.name}")
    if retry_after is not None:
        raise RateLimited(retry_after)


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency of the JSON routes: 401 without valid credentials, 403 below `role`, 429 over the rate limit."""

    async def dependency(request: Request, principal: PrincipalDep) -> Principal:
        if principal is None:
            raise Unauthenticated()
        if not principal.may(role):
            raise Forbidden(role)
        _rate_limit(request, principal)
        return principal

    return dependency


def require_page(role: str) -> Callable[..., Awaitable[Principal]]:
    """Dependency of the web pages: the login form without a session, a French 403 page below `role`."""

    async def dependency(request: Request, principal: PrincipalDep) -> Principal:
        if principal is None:
            raise PageAuthRequired(login=True, role=role)
        if not principal.may(role):
            raise PageAuthRequired(login=False, role=role)
        _rate_limit(request, principal)
        return principal

    return dependency


AgentDep = Annotated[Principal, Depends(require("agent"))]
AnalystDep = Annotated[Principal, Depends(require("analyst"))]
AnalystPageDep = Annotated[Principal, Depends(require_page("analyst"))]
AgentPageDep = Annotated[Principal, Depends(require_page("agent"))]

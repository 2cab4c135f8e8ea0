"""/connexion, /deconnexion — the web pages' login: a user pastes their token once, then a signed session cookie
(Starlette's SessionMiddleware, itsdangerous) carries their identity; every unsafe request of the session must also
carry its CSRF token (forms: field `csrf`; the agents' page script: header `X-CSRF-Token`, read from the cookie
`motifs_csrf`, which is what makes it unreadable to other sites).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.api.auth import (
    CSRF_COOKIE,
    ROLE_LABELS,
    SESSION_CSRF,
    SESSION_USER,
    PageAuthRequired,
    auth_enabled,
    csrf_matches,
    session_principal,
)
from serving.api.dependencies import ResourcesDep, SettingsDep
from serving.api.forms import read_form, same_origin
from serving.api.routers.review import page

router = APIRouter(include_in_schema=False)
DEFAULT_NEXT = "/revue"


def safe_next(target: str | None) -> str:
    """Only a path of this site (never `//other.site` or a full URL: no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return DEFAULT_NEXT
    return target


@router.get("/connexion", response_class=HTMLResponse)
def login_page(
    resources: ResourcesDep, settings: SettingsDep, suite: str | None = Query(default=None, max_length=2000)
) -> Response:
    if not auth_enabled(settings, resources):
        return RedirectResponse(safe_next(suite), status_code=303)
    return page("login.html", title="Connexion", nav="", suite=safe_next(suite))


@router.post("/connexion")
async def login(request: Request, resources: ResourcesDep) -> Response:
    if not same_origin(request):
        return page("login.html", 403, title="Connexion", nav="", suite=DEFAULT_NEXT, error="autre origine : refusé")
    form = await read_form(request, ("token", "suite")) or {}
    target = safe_next(form.get("suite"))
    # Tokens are 256-bit random (no guessing), but each attempt costs a query: attempts are limited per client.
    retry_after = request.app.state.rate_limiter.hit(f"connexion:{request.client.host if request.client else '?'}")
    if retry_after is not None:
        error = f"trop de tentatives de connexion : réessayer dans {retry_after} s"
        return page("login.html", 429, title="Connexion", nav="", suite=target, error=error)
    user = await run_in_threadpool(resources.database.users.authenticate, form.get("token", "").strip())
    if user is None:
        return page("login.html", 401, title="Connexion", nav="", suite=target, error="jeton inconnu ou révoqué")
    request.session.clear()  # a fresh session (and CSRF token) at each login: no session fixation
    csrf = secrets.token_urlsafe(32)
    request.session.update({SESSION_USER: user.id, SESSION_CSRF: csrf})
    response = RedirectResponse(target, status_code=303)
    settings = request.app.state.settings
    response.set_cookie(
        CSRF_COOKIE, csrf, max_age=settings.session_max_age_s, samesite="strict", secure=settings.secure_cookies
    )
    return response


@router.post("/deconnexion")
async def logout(request: Request, resources: ResourcesDep) -> Response:
    form = await read_form(request, ("csrf",)) or {}
    principal = await run_in_threadpool(session_principal, request, resources)  # None: no session to close
    if principal is not None and not csrf_matches(principal, form.get("csrf")):
        return page("review_base.html", 403, title="Refusé", nav="", error="jeton anti-CSRF absent ou invalide")
    request.session.clear()
    response = RedirectResponse("/connexion", status_code=303)
    response.delete_cookie(CSRF_COOKIE)
    return response


async def page_auth_required(request: Request, exc: Exception) -> Response:
    """No session → the login form, then back here; a role too low → a French 403 page."""
    assert isinstance(exc, PageAuthRequired)
    if exc.login:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/connexion?{urlencode({'suite': here})}", status_code=303)
    return page(
        "review_base.html",
        403,
        title="Accès refusé",
        nav="",
        error=f"page réservée aux {ROLE_LABELS[exc.role]} : demander le rôle à un administrateur",
    )

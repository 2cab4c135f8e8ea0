"""The FastAPI application: created here, routers included, nothing else.

`uvicorn --factory serving.api.main:create_app` reads its settings from the environment (MOTIFS_*).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from serving.api import handlers
from serving.api.auth import SESSION_COOKIE, AuthSwitch, PageAuthRequired
from serving.api.guard import GuardMiddleware
from serving.api.lifespan import make_lifespan
from serving.api.oidc import OidcVerifier
from serving.api.ratelimit import RateLimiter
from serving.api.resources import ResourceLoader, load_resources
from serving.api.routers import (
    agent,
    confirm_queue,
    discovery_review,
    feedback,
    forecast,
    health,
    login,
    review,
    review_api,
    suggestions,
    taxonomy,
)
from serving.api.routers.agent import STATIC_DIR
from serving.api.settings import Settings

DESCRIPTION = """
Suggestions de **motifs d'appel** pour les agents des services publics, pendant qu'ils rédigent leur note.

- `POST /v1/suggestions` : motifs probables d'une note, drapeau « autre », piste d'autonomie ;
- `POST /v1/feedback` : motif finalement retenu par l'agent ;
- `GET /v1/taxonomy` : base de motifs en vigueur (avec l'extension locale d'un site) ;
- `GET /v1/review/clusters` : clusters émergents à revoir (pages de revue des analystes : `/revue`) ;
- `GET /v1/forecast` : appels attendus par jour ou par semaine, pour un motif ou au total.

Authentification : `Authorization: Bearer JETON` (jeton de `motifs users add`, ou jeton OIDC si configuré).
Rôles : agent (suggestions, retours, base de motifs) < analyst (+ revue) < admin (tout). Sans utilisateur
configuré, le service n'écoute que sur la machine locale et n'exige rien.

Les notes sont anonymisées avant tout enregistrement et ne sont jamais journalisées ni reprises dans un message
d'erreur.
"""

TAGS = [
    {"name": "suggestions", "description": "Motifs suggérés pour une note."},
    {"name": "retours", "description": "Motifs choisis par les agents : la meilleure donnée d'entraînement."},
    {"name": "base de motifs", "description": "Codes et libellés que l'agent peut choisir."},
    {"name": "revue", "description": "Clusters émergents à revoir (lecture) ; les décisions se prennent sur /revue."},
    {"name": "prévisions", "description": "Appels attendus par motif, d'après les appels enregistrés."},
    {"name": "santé", "description": "Sondes et versions."},
]


def create_app(settings: Settings | None = None, *, loader: ResourceLoader | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="motifs — suggestions de motifs d'appel",
        description=DESCRIPTION,
        version="1",
        openapi_tags=TAGS,
        lifespan=make_lifespan(loader or load_resources),
        # FastAPI's native OpenTelemetry records exception messages: they may quote a note. Off.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        # Swagger UI and ReDoc load their scripts from a CDN: off, so that nothing the app serves needs the network.
        # The schema stays at /openapi.json (docs/SERVING.md).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.resources = None
    app.state.rate_limiter = RateLimiter(settings.rate_limit)
    app.state.auth_switch = AuthSwitch()
    app.state.oidc = oidc_verifier(settings)
    handlers.install(app)
    app.add_exception_handler(PageAuthRequired, login.page_auth_required)
    # Outermost last: the Host header is checked before anything else runs (DNS rebinding), then errors are guarded.
    secret = settings.session_secret.get_secret_value() if settings.session_secret else secrets.token_urlsafe(32)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        # Lax: an agent opening the page from another intranet tool stays logged in; every POST needs the CSRF token.
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(GuardMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    for router in (
        suggestions.router,
        feedback.router,
        taxonomy.router,
        review_api.router,
        forecast.router,
        health.router,
        agent.router,
        login.router,
        confirm_queue.router,  # before review.router: its /revue/{scope}/{id} would catch /revue/a-confirmer/{call}
        discovery_review.router,  # before review.router too: /revue/decouverte/{name} is not a cluster
        review.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def oidc_verifier(settings: Settings) -> OidcVerifier | None:
    """The OIDC token verifier when MOTIFS_OIDC_ISSUER is set (keys: URL or local JWKS file), else None."""
    if not settings.oidc_enabled:
        return None
    assert settings.oidc_issuer is not None
    options: dict[str, Any] = {
        "issuer": settings.oidc_issuer,
        "audience": settings.oidc_audience,
        "roles_claim": settings.oidc_roles_claim,
        "role_map": settings.oidc_role_map,
        "name_claim": settings.oidc_name_claim,
    }
    if settings.oidc_jwks_file is not None:
        return OidcVerifier.from_file(settings.oidc_jwks_file, **options)
    return OidcVerifier(jwks_url=settings.oidc_jwks_url, **options)

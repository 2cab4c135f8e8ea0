"""The FastAPI application: created here, routers included, nothing else.

`uvicorn --factory serving.api.main:create_app` reads its settings from the environment (MOTIFS_*).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from serving.api import handlers
from serving.api.guard import GuardMiddleware
from serving.api.lifespan import make_lifespan
from serving.api.resources import ResourceLoader, load_resources
from serving.api.routers import agent, feedback, forecast, health, review, review_api, suggestions, taxonomy
from serving.api.routers.agent import STATIC_DIR
from serving.api.settings import Settings

DESCRIPTION = """
Suggestions de **motifs d'appel** pour les agents des services publics, pendant qu'ils rédigent leur note.

- `POST /v1/suggestions` : motifs probables d'une note, drapeau « autre », piste d'autonomie ;
- `POST /v1/feedback` : motif finalement retenu par l'agent ;
- `GET /v1/taxonomy` : base de motifs en vigueur (avec l'extension locale d'un site) ;
- `GET /v1/review/clusters` : clusters émergents à revoir (pages de revue des analystes : `/revue`) ;
- `GET /v1/forecast` : appels attendus par jour ou par semaine, pour un motif ou au total.

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
    handlers.install(app)
    app.add_middleware(GuardMiddleware, max_body_bytes=settings.max_body_bytes)
    for router in (
        suggestions.router,
        feedback.router,
        taxonomy.router,
        review_api.router,
        forecast.router,
        health.router,
        agent.router,
        review.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app

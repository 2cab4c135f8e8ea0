"""GET /livez, /readyz, /version — for the platform's probes and for support."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from serving.api.dependencies import ResourcesDep
from serving.api.resources import Resources
from serving.api.schemas import Liveness, Readiness, VersionOut
from serving.store import current_revision

router = APIRouter(tags=["santé"])


@router.get("/livez", summary="Le processus répond", response_model=Liveness)
async def livez() -> Liveness:
    return Liveness(status="ok")


@router.get(
    "/readyz",
    summary="Prêt à suggérer",
    description="200 quand le modèle et la base de motifs sont chargés et que la base de données répond, sinon 503.",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Pas prêt (démarrage, base de données injoignable)."}},
)
def readyz(request: Request) -> JSONResponse:
    resources: Resources | None = getattr(request.app.state, "resources", None)
    loaded = resources is not None
    database = resources.database.ping() if resources is not None else False
    ready = loaded and database
    body = Readiness(status="ok" if ready else "indisponible", model=loaded, taxonomy=loaded, database=database)
    return JSONResponse(status_code=200 if ready else 503, content=body.model_dump())


@router.get("/version", summary="Versions du logiciel, du modèle et de la base de motifs", response_model=VersionOut)
def get_version(resources: ResourcesDep) -> VersionOut:
    return VersionOut(
        motifs=_motifs_version(),
        api="v1",
        model_version=resources.model_version,
        taxonomy_version=resources.taxonomy.ref,
        sites=sorted(resources.sites),
        schema_revision=current_revision(resources.database.engine),
    )


def _motifs_version() -> str:
    try:
        return version("motifs")
    except PackageNotFoundError:  # running from a source checkout (PYTHONPATH=.)
        return "dev"

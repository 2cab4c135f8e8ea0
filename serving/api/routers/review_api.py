"""GET /v1/review/clusters[/{id}] — the review pages' data as JSON (read-only; decisions go through /revue or
`motifs review`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from serving.api.auth import AUTH_RESPONSES, require
from serving.api.dependencies import ResourcesDep, SettingsDep
from serving.api.routers.review import SCOPE_PATTERN
from serving.api.schemas import (
    ClusterDetailOut,
    ClusterListOut,
    ClusterOut,
    DecisionOut,
    ErrorOut,
    TrendPointOut,
    ValidationErrorOut,
)
from serving.errors import NoMonitoringData, UnknownCluster
from serving.review.workflow import ClusterView, list_clusters, show_cluster, taxonomy_context

router = APIRouter(
    prefix="/v1/review", tags=["revue"], dependencies=[Depends(require("analyst"))], responses=AUTH_RESPONSES
)

ScopeQuery = Query(
    default=None,
    pattern=SCOPE_PATTERN,
    description="Suivi (week, month@site…) ; par défaut celui de la dernière analyse enregistrée.",
)
COMMON = {
    422: {"model": ValidationErrorOut, "description": "Paramètre invalide."},
    500: {"model": ErrorOut, "description": "Brouillon local de la base de motifs illisible (MOTIFS_TAXONOMY_DIR)."},
    503: {"model": ErrorOut, "description": "Service en cours de démarrage."},
}


def _cluster(view: ClusterView) -> dict[str, object]:
    return {
        "id": view.cluster_id,
        "scope": view.scope,
        "status": view.status,
        "signal": view.signal,
        "best_signal": view.best_signal,
        "size": view.size,
        "period": view.period,
        "first_seen": view.first_seen,
        "last_seen": view.last_seen,
        "growth": view.growth,
        "novelty": view.novelty,
        "keywords": list(view.keywords),
        "parent_code": view.parent_code,
        "nearest_code": view.nearest_code,
        "trend": [TrendPointOut(period=p.period, size=p.size) for p in view.trend],
    }


@router.get(
    "/clusters",
    summary="Clusters émergents d'un suivi",
    description=(
        "Clusters de notes « autre » ou peu sûres (et sous-thèmes de motifs connus) enregistrés par `motifs emerging`,"
        " à traiter d'abord, signal le plus fort d'abord. Sans suivi enregistré : liste vide et `scope` nul."
    ),
    response_model=ClusterListOut,
    responses={404: {"model": ErrorOut, "description": "Suivi inconnu."}, **COMMON},  # type: ignore[dict-item]
)
def get_clusters(
    resources: ResourcesDep,
    settings: SettingsDep,
    scope: str | None = ScopeQuery,
    include_silent: bool = Query(default=False, description="Aussi les clusters jamais signalés et encore ouverts."),
) -> ClusterListOut | JSONResponse:
    context = taxonomy_context(taxonomy_dir=settings.taxonomy_dir)
    try:
        listing = list_clusters(resources.database, scope, include_silent=include_silent, context=context)
    except NoMonitoringData as exc:
        if scope is None:
            return ClusterListOut(scope=None, scopes=[], run_id=None, hidden=0, clusters=[])
        return JSONResponse(status_code=404, content={"detail": str(exc)})
    return ClusterListOut(
        scope=listing.scope,
        scopes=list(listing.scopes),
        run_id=listing.run.id if listing.run is not None else None,
        hidden=listing.hidden,
        clusters=[ClusterOut(**_cluster(view)) for view in listing.clusters],  # type: ignore[arg-type]
    )


@router.get(
    "/clusters/{cluster_id}",
    summary="Un cluster émergent",
    description="Mots-clés, notes représentatives anonymisées, tendance et décisions d'un cluster.",
    response_model=ClusterDetailOut,
    responses={404: {"model": ErrorOut, "description": "Suivi ou cluster inconnu."}, **COMMON},  # type: ignore[dict-item]
)
def get_cluster(
    resources: ResourcesDep,
    settings: SettingsDep,
    cluster_id: str = Path(pattern=r"^[A-Za-z0-9_-]{1,32}$", description="Identifiant du cluster.", examples=["E0001"]),
    scope: str | None = ScopeQuery,
) -> ClusterDetailOut | JSONResponse:
    context = taxonomy_context(taxonomy_dir=settings.taxonomy_dir)
    try:
        view = show_cluster(resources.database, cluster_id, scope, context=context)
    except (NoMonitoringData, UnknownCluster) as exc:
        return JSONResponse(status_code=404, content={"detail": str(exc)})
    return ClusterDetailOut(
        **_cluster(view),  # type: ignore[arg-type]
        examples=list(view.examples),
        notes_count=view.notes_count,
        decisions=[
            DecisionOut(
                action=d.action,
                reviewer=d.reviewer,
                target_code=d.target_code,
                taxonomy_ref=d.taxonomy_ref,
                created_at=d.created_at.isoformat() if d.created_at else None,
            )
            for d in view.decisions
        ],
    )

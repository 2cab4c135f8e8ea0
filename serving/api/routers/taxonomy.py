"""GET /v1/taxonomy — the reasons an agent can choose, with the site's local reasons."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query

from serving.api.auth import AUTH_RESPONSES, require
from serving.api.catalog import describe
from serving.api.dependencies import ResourcesDep
from serving.api.schemas import CODE_PATTERN, ErrorOut, TaxonomyOut, ValidationErrorOut

router = APIRouter(
    prefix="/v1", tags=["base de motifs"], dependencies=[Depends(require("agent"))], responses=AUTH_RESPONSES
)


@router.get(
    "/taxonomy",
    summary="Base de motifs en vigueur",
    description=(
        "Les motifs actifs de la version de la base utilisée par le modèle, « autre » compris. Avec `site`, les "
        "motifs locaux du site sont ajoutés (chacun avec son parent national). Un site sans extension reçoit la "
        "base nationale (`site_extension: false`)."
    ),
    response_model=TaxonomyOut,
    responses={
        422: {"model": ValidationErrorOut, "description": "Identifiant de site invalide."},
        503: {"model": ErrorOut, "description": "Service en cours de démarrage."},
    },
)
def get_taxonomy(
    resources: ResourcesDep,
    site: str | None = Query(default=None, pattern=CODE_PATTERN, description="Identifiant du site."),
) -> TaxonomyOut:
    taxonomy = resources.taxonomy_for(site)
    return TaxonomyOut(
        taxonomy_version=taxonomy.ref,
        site=site,
        site_extension=site is not None and site in resources.sites,
        reasons=describe(taxonomy.active_reasons, taxonomy),
    )

"""POST /v1/feedback — the code the agent finally chose: the best training data there is."""

from __future__ import annotations

from fastapi import APIRouter, status

from serving.api.auth import AUTH_RESPONSES, AgentDep
from serving.api.dependencies import ResourcesDep
from serving.api.schemas import ErrorOut, FeedbackRequest, FeedbackResponse, ValidationErrorOut
from serving.store import FeedbackRecord

router = APIRouter(prefix="/v1", tags=["retours"], responses=AUTH_RESPONSES)


@router.post(
    "/feedback",
    summary="Enregistrer le motif choisi par l'agent",
    description=(
        "Enregistre, pour un appel, les codes suggérés et le code finalement retenu par l'agent. Les codes sont "
        "vérifiés dans la base de motifs (avec l'extension du site) : un code inconnu est refusé (422) avec un "
        "message qui le nomme. Un agent qui change d'avis envoie un nouveau retour : le dernier fait foi. Un appel "
        "inconnu de la base (aucune suggestion enregistrée pour ce call_id) est accepté mais marqué "
        "(`call_known: false`)."
    ),
    status_code=status.HTTP_201_CREATED,
    response_model=FeedbackResponse,
    responses={
        400: {"model": ErrorOut, "description": "Corps de requête illisible (pas du JSON UTF-8)."},
        422: {"model": ValidationErrorOut, "description": "Requête invalide ou code de motif inconnu."},
        500: {"model": ErrorOut, "description": "Erreur interne (avec une référence pour le journal)."},
        503: {"model": ErrorOut, "description": "Service en cours de démarrage."},
    },
)
def post_feedback(body: FeedbackRequest, resources: ResourcesDep, principal: AgentDep) -> FeedbackResponse:
    # A plain `def`: FastAPI runs it in its thread pool, so the database write never blocks the event loop.
    taxonomy = resources.taxonomy_for(body.site)
    record = FeedbackRecord(
        call_id=body.call_id,
        suggested_codes=tuple(body.suggested_codes),
        chosen_code=body.chosen_code,
        taxonomy_version=taxonomy.ref,
        site=body.site,
        model_version=resources.model_version,
        # Authenticated: the user who sent it, whatever the body says; open mode: the declared id, if any.
        agent=principal.name if principal.authenticated and principal.name else body.agent,
    )
    call_known = resources.database.feedback.add(record, known_codes=frozenset(taxonomy.active_codes))
    return FeedbackResponse(
        call_id=body.call_id,
        chosen_code=body.chosen_code,
        national_code=taxonomy.roll_up(body.chosen_code),
        taxonomy_version=taxonomy.ref,
        call_known=call_known,
    )

"""POST /v1/suggestions — reason codes for a note, while the agent types."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from functools import partial

from fastapi import APIRouter, BackgroundTasks, Depends

from serving.api.auth import AUTH_RESPONSES, require
from serving.api.dependencies import ResourcesDep, SettingsDep
from serving.api.guard import log_exception_safely
from serving.api.handlers import CallIdTaken, TextTooLong
from serving.api.schemas import ErrorOut, SuggestionRequest, SuggestionResponse, ValidationErrorOut
from serving.api.suggest import compute_suggestion, degraded_response, run_with_timeout
from serving.errors import CallIdConflict, ServingError
from serving.store import Database, PredictionRecord

router = APIRouter(
    prefix="/v1", tags=["suggestions"], dependencies=[Depends(require("agent"))], responses=AUTH_RESPONSES
)
logger = logging.getLogger("motifs.api")


@router.post(
    "/suggestions",
    summary="Suggérer des motifs pour une note",
    description=(
        "Renvoie les motifs les plus probables pour la note (ou transcription) d'un appel, le drapeau « autre » "
        "quand aucun motif n'atteint le seuil, et la piste d'autonomie (self-service) du premier motif. "
        "Avec `site`, l'extension locale de la base de motifs s'applique (libellés et motifs locaux). "
        "La note est anonymisée avant tout enregistrement et n'est jamais journalisée ; elle est enregistrée "
        "(anonymisée) seulement si `call_id` est fourni ; un `call_id` déjà qualifié par une autre source "
        "(reclassification batch) est refusé (409) sans rien écraser. Si le modèle ne répond pas à temps "
        "(MOTIFS_REQUEST_TIMEOUT_S), la réponse est vide avec `degraded: true`."
    ),
    response_model=SuggestionResponse,
    responses={
        409: {"model": ErrorOut, "description": "call_id déjà qualifié par une autre source (batch), rien d'écrasé."},
        413: {"model": ErrorOut, "description": "Note plus longue que MOTIFS_MAX_TEXT_LENGTH, ou requête trop lourde."},
        400: {"model": ErrorOut, "description": "Corps de requête illisible (pas du JSON UTF-8)."},
        422: {"model": ValidationErrorOut, "description": "Requête invalide (la valeur reçue n'est jamais reprise)."},
        500: {"model": ErrorOut, "description": "Erreur interne (avec une référence pour le journal)."},
        503: {"model": ErrorOut, "description": "Service en cours de démarrage."},
    },
)
async def post_suggestions(
    body: SuggestionRequest, background: BackgroundTasks, resources: ResourcesDep, settings: SettingsDep
) -> SuggestionResponse:
    if len(body.text) > settings.max_text_length:
        raise TextTooLong(len(body.text), settings.max_text_length)
    k = body.k or settings.top_k
    work = partial(compute_suggestion, resources, body, k=k, store=settings.store_suggestions, now=datetime.now(UTC))
    try:
        outcome = await run_with_timeout(resources.executor, work, settings.request_timeout_s)
    except CallIdConflict as exc:
        raise CallIdTaken(exc.call_id, exc.sources) from None
    except TimeoutError:
        logger.warning("suggestion dégradée : pas de réponse du modèle en %.2f s", settings.request_timeout_s)
        return degraded_response(resources, body.site)
    if outcome.record is not None:
        background.add_task(store_prediction, resources.database, outcome.record)
    return outcome.response


STORE_ATTEMPTS = 3


def store_prediction(database: Database, record: PredictionRecord) -> None:
    """After the answer is sent: the agent never waits for the database. A write that fails (database briefly
    unreachable, lock held longer than the busy timeout) is retried, then logged by call_id."""
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            database.predictions.add(record)
            return
        except ServingError as exc:
            if attempt == STORE_ATTEMPTS:
                log_exception_safely(exc, record.call_id, "enregistrement de la suggestion de l'appel")
                return
            time.sleep(0.2 * attempt)

"""Error answers in French that never echo what the client sent.

FastAPI's default 422 answer repeats each invalid value (`input`) — possibly a note full of personal data. Ours
keeps only where the error is (`loc`, with unknown field names hidden too: a key can hold personal data as well),
its type and a French message built from our own schema's limits.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from serving.errors import (
    ClusterAlreadyReviewed,
    ModelNotLoaded,
    NoMonitoringData,
    ReviewError,
    UnknownCluster,
    UnknownReasonCode,
)

UNKNOWN_FIELD = "(champ inconnu)"

_HTTP_MESSAGES = {
    400: "corps de requête illisible (attendu : du JSON encodé en UTF-8)",
    404: "ressource introuvable",
    405: "méthode non autorisée pour cette adresse",
    401: "authentification requise",
    403: "accès refusé",
    413: "requête trop volumineuse",
    415: "type de contenu non pris en charge (attendu : application/json)",
}


class OwnMessage(HTTPException):
    """An HTTP error whose detail is our own French text (never a caller's): shown as is."""


class TextTooLong(OwnMessage):
    def __init__(self, received: int, limit: int) -> None:
        super().__init__(
            status_code=413,
            detail=(
                f"note trop longue : {received} caractères reçus, {limit} au plus "
                "(réglage MOTIFS_MAX_TEXT_LENGTH) ; la note n'a été ni analysée ni enregistrée"
            ),
        )


class CallIdTaken(OwnMessage):
    def __init__(self, call_id: str, sources: set[str]) -> None:
        super().__init__(
            status_code=409,
            detail=(
                f"l'appel {call_id} est déjà qualifié par une autre source ({', '.join(sorted(sources))}) : "
                "la suggestion n'a pas été enregistrée (attendu : un call_id propre à l'appel en cours)"
            ),
        )


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "champ obligatoire manquant"
    if kind == "extra_forbidden":
        return "champ inconnu : il n'est pas accepté par cette adresse (voir le schéma /openapi.json)"
    if kind == "json_invalid":
        return "corps de requête JSON illisible"
    if kind in {"model_attributes_type", "dict_type", "model_type"}:
        return "objet JSON attendu"
    if kind == "string_type":
        return "texte attendu"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return "nombre entier attendu"
    if kind == "list_type":
        return "liste attendue"
    if kind == "string_too_short":
        return "texte vide"
    if kind == "string_too_long":
        return f"texte trop long ({ctx.get('max_length')} caractères au plus)"
    if kind == "too_long":
        return f"liste trop longue ({ctx.get('max_length')} éléments au plus)"
    if kind == "string_pattern_mismatch":
        return f"format invalide (attendu : {ctx.get('pattern')})"
    if kind in {"greater_than_equal", "greater_than", "less_than_equal", "less_than"}:
        bound = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[kind]
        limit = next(iter(ctx.values()), "?")
        return f"valeur hors limites (attendu : {bound} {limit})"
    if kind == "unknown_reason_code":
        return str(error.get("msg", "code de motif inconnu"))
    return "valeur invalide"


def _location(error: dict[str, Any]) -> list[str | int]:
    loc = [part if isinstance(part, str | int) else str(type(part).__name__) for part in error.get("loc", ())]
    if error.get("type") == "extra_forbidden" and loc:
        loc[-1] = UNKNOWN_FIELD  # the unknown key itself may be personal data
    return loc


def safe_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors without `input`, `ctx` values echoed, URL, nor unknown keys."""
    return [{"loc": _location(e), "type": str(e.get("type", "invalid")), "msg": _message(e)} for e in errors]


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse(status_code=422, content={"detail": safe_errors(list(exc.errors()))})


async def unknown_code(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnknownReasonCode)
    item = {"loc": ["body", exc.field], "type": "unknown_reason_code", "msg": str(exc)}
    return JSONResponse(status_code=422, content={"detail": [item]})


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc, OwnMessage) else None
    detail = detail or _HTTP_MESSAGES.get(exc.status_code) or f"erreur HTTP {exc.status_code}"
    return JSONResponse(status_code=exc.status_code, content={"detail": detail}, headers=exc.headers)


async def not_ready(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": str(exc)})


async def review_error(_request: Request, exc: Exception) -> JSONResponse:
    """A review error the JSON routes did not answer themselves (e.g. an unreadable local draft): its French
    message, which never quotes a note, a label or a definition."""
    if isinstance(exc, UnknownCluster | NoMonitoringData):
        status = 404
    elif isinstance(exc, ClusterAlreadyReviewed):
        status = 409
    else:
        status = 500
    return JSONResponse(status_code=status, content={"detail": str(exc)})


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(UnknownReasonCode, unknown_code)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(ModelNotLoaded, not_ready)
    app.add_exception_handler(ReviewError, review_error)

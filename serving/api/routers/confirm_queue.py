"""/revue/a-confirmer — the active-learning queue: the stored « à confirmer » calls whose label teaches the model
most (`serving.review.confirm`), labelled from the keyboard and stored as feedback from an analyst.

Same rules as the other review pages (`serving.api.routers.review`): analysts only, server-rendered, no JavaScript
(so the fast path is a field focused on arrival: type « 2 » then Entrée for the second reason of the prediction set,
« 0 » for « autre », or a code of the base, offered by a native `datalist`; the choice buttons also carry
`accesskey`s 1–9 / 0), every form checked for its origin and, with users, the session's CSRF token; the
label is stored under the logged-in user's name (in open mode: the declared name, as for cluster decisions).
Messages never quote a note.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.api.auth import AnalystPageDep, Principal, csrf_matches
from serving.api.dependencies import ResourcesDep, SettingsDep
from serving.api.forms import read_form, same_origin
from serving.api.routers.review import page, remember_reviewer, reviewer_default
from serving.api.settings import Settings
from serving.errors import ReviewError, UnknownCall, UnknownReasonCode
from serving.review.confirm import AUTRE, QueueItem, confirmation_queue, label_call, queue_item, resolve_choice
from serving.review.workflow import REVIEWER_PATTERN

QUEUE_URL = "/revue/a-confirmer"
CALL_PATTERN = r"^[A-Za-z0-9_.:@/-]{1,128}$"
FORM_FIELDS = ("code", "reviewer", "csrf")
PAGE_SIZE = 20
PAGE_CANDIDATES = 2000  # the most recent awaiting calls ranked per page view (about a second on one core)

router = APIRouter(prefix=QUEUE_URL, include_in_schema=False)


def _queue_page(
    request: Request,
    principal: Principal,
    resources: Any,
    settings: Settings,
    *,
    call_id: str | None = None,
    status_code: int = 200,
    success: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    items = confirmation_queue(resources.database, limit=PAGE_SIZE, candidates_limit=PAGE_CANDIDATES)
    current: QueueItem | None = next((i for i in items if i.record.call_id == call_id), None)
    if current is None and call_id is not None:  # a call asked for by id, or the one whose label was refused
        current = queue_item(resources.database, call_id)
    if current is None and items:
        current = items[0]
    taxonomy = resources.taxonomy_for(current.record.site if current else None)
    labels = taxonomy.labels
    form = form or {}
    return page(
        "review_queue.html",
        status_code,
        principal=principal,
        title="À confirmer",
        nav="queue",
        items=items,
        current=current,
        choices=[(code, labels.get(code, code)) for code in (current.choices if current else ())],
        base=[(code, labels.get(code, code)) for code in taxonomy.active_codes if code != AUTRE],
        autre=AUTRE,
        success=success,
        error=error,
        form=form,
        reviewer=principal.name or form.get("reviewer") or reviewer_default(request, settings),
        label_url=lambda item: f"{QUEUE_URL}/{quote(item.record.call_id, safe='')}",
        item_url=lambda item: f"{QUEUE_URL}?{urlencode({'appel': item.record.call_id})}",
    )


@router.get("", response_class=HTMLResponse)
def queue_page(
    request: Request,
    principal: AnalystPageDep,
    resources: ResourcesDep,
    settings: SettingsDep,
    appel: str | None = Query(default=None, pattern=CALL_PATTERN),
    fait: str | None = Query(default=None, pattern=CALL_PATTERN),
    code: str | None = Query(default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$"),
) -> HTMLResponse:
    success = None
    if fait is not None and code is not None:
        success = f"Étiquette enregistrée : appel {fait} → {code} (retour d'analyste, appris au prochain entraînement)."
    return _queue_page(request, principal, resources, settings, call_id=appel, success=success)


@router.post("/{call_id:path}")
async def label_action(
    request: Request, principal: AnalystPageDep, call_id: str, resources: ResourcesDep, settings: SettingsDep
) -> Response:
    def refused(status_code: int, error: str, form: dict[str, str] | None = None) -> HTMLResponse:
        return _queue_page(
            request, principal, resources, settings, call_id=call_id, status_code=status_code, error=error, form=form
        )

    if not same_origin(request):
        return refused(403, "formulaire envoyé depuis une autre origine : étiquette refusée")
    form = await read_form(request, FORM_FIELDS)
    if form is None:
        return refused(415, "formulaire illisible (attendu : un formulaire HTML encodé en UTF-8)")
    if principal.via_session and not csrf_matches(principal, form.get("csrf")):
        return refused(403, "jeton anti-CSRF absent ou invalide : recharger la page puis refaire le choix")
    reviewer = principal.name if principal.name is not None else form.get("reviewer", "").strip()
    if not REVIEWER_PATTERN.match(reviewer):
        return refused(422, "indiquez votre nom (1 à 128 caractères) : il est enregistré avec l'étiquette", form)
    typed = form.get("code", "").strip()
    if not typed:
        return refused(422, "choisissez un motif (numéro 1 à 9, 0 pour « autre », ou un code de la base)", form)
    db = resources.database
    item = await run_in_threadpool(queue_item, db, call_id)
    if item is None:
        return refused(404, str(UnknownCall(call_id)))
    taxonomy = resources.taxonomy_for(item.record.site)
    try:
        code = resolve_choice(item, typed)
        await run_in_threadpool(
            label_call,
            db,
            call_id,
            code,
            analyst=reviewer,
            known_codes=frozenset(taxonomy.active_codes),
            taxonomy_ref=taxonomy.ref,
        )
    except UnknownCall as exc:
        return refused(404, str(exc))
    except UnknownReasonCode:
        return refused(422, f"code de motif inconnu dans la base {taxonomy.ref} : choisir un code de la liste", form)
    except ReviewError as exc:
        return refused(422, str(exc), form)
    target = f"{QUEUE_URL}?{urlencode({'fait': call_id, 'code': code})}"
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    remember_reviewer(response, principal, reviewer)
    return response


__all__ = ["QUEUE_URL", "router"]

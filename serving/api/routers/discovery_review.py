"""/revue/decouverte — curating a draft of `motifs discover --revue NOM` in the browser: its candidates (label,
keywords, size, representative redacted notes) and the steps of `motifs curate` — rename, merge, split, discard,
move notes — then publish as version 1.0.0 of a new taxonomy id, with the accepted candidates' notes as weak labels.

Thin over `serving.discovery.workspace`, which runs the very functions of `serving.discovery.curation` the CLI runs.
Same bar as the other review pages (`serving.api.routers.review`): analysts only, server-rendered, no JavaScript;
every form is checked for its origin and, with users, the session's CSRF token; the step's author is the logged-in
user (in open mode: the declared name). Each form carries the draft's state token: a form shown before another
step (another tab, another analyst) is refused with 409 and changes nothing. Messages never quote a note or a label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from serving.api.auth import AnalystPageDep, Principal, csrf_matches
from serving.api.dependencies import SettingsDep
from serving.api.forms import read_form_lists, same_origin
from serving.api.routers.review import page, remember_reviewer, reviewer_default
from serving.api.settings import Settings
from serving.discovery import curation, workspace
from serving.discovery.draft import keywords_of
from serving.discovery.errors import (
    DiscoveryError,
    DraftAlreadyPublished,
    InvalidCuration,
    StaleDraft,
    UnknownDraft,
)
from serving.review.workflow import REVIEWER_PATTERN
from taxonomy import AUTRE
from taxonomy.errors import TaxonomyError

BASE_URL = "/revue/decouverte"
CODE_QUERY = r"^[a-z][a-z0-9_]{0,63}$"
FIELDS = ("etat", "reviewer", "csrf", "label", "definition", "code", "codes", "into", "parts", "to", "call_id", "id")
NOTES_SHOWN = 200
DONE = {
    "renommer": "Motif renommé : {code}.",
    "fusionner": "Motifs fusionnés dans {code} : leurs notes et leurs exemples l'ont rejoint.",
    "scinder": "Motif scindé : ses notes forment maintenant les motifs {code}.",
    "ecarter": "Motif {code} écarté : ses notes restent « autre ».",
    "deplacer": "Note(s) déplacée(s) vers {code}.",
    "publier": "Base publiée : {code}.",
}

router = APIRouter(prefix=BASE_URL, include_in_schema=False)


@dataclass(frozen=True)
class CandidateView:
    code: str
    label: str
    domain: str
    size: int
    keywords: tuple[str, ...]
    definition: str
    examples: tuple[str, ...]


def draft_url(name: str) -> str:
    return f"{BASE_URL}/{quote(name)}"


def candidate_url(name: str, code: str) -> str:
    return f"{draft_url(name)}/motifs/{quote(code)}"


def _candidates(state: workspace.DraftState) -> list[CandidateView]:
    sizes = state.sizes()
    domains = {domain.code: domain.label for domain in state.draft.domains}
    return [
        CandidateView(
            code=reason.code,
            label=reason.label,
            domain=domains.get(reason.domain or "", reason.domain or "—"),
            size=sizes.get(reason.code, 0),
            keywords=keywords_of(reason.definition),
            definition=reason.definition,
            examples=tuple(reason.examples),
        )
        for reason in state.draft.reasons
        if reason.code != AUTRE
    ]


def _common(request: Request, principal: Principal, settings: Settings, form: dict[str, str] | None) -> dict[str, Any]:
    form = form or {}
    return {
        "principal": principal,
        "nav": "decouverte",
        "form": form,
        "reviewer": principal.name or form.get("reviewer") or reviewer_default(request, settings),
        "draft_url": draft_url,
        "candidate_url": candidate_url,
        "autre": AUTRE,
    }


def _error_page(principal: Principal, status_code: int, error: str) -> HTMLResponse:
    title = "Brouillon illisible" if status_code >= 500 else "Brouillon introuvable"
    return page("review_base.html", status_code, principal=principal, title=title, nav="decouverte", error=error)


def _open(principal: Principal, settings: Settings, name: str) -> tuple[Any, Any] | HTMLResponse:
    """The draft's workspace and state, or the French error page (404 unknown, 500 unreadable)."""
    try:
        ws = workspace.open_workspace(name, settings.discovery_dir)
        return ws, workspace.load_state(ws)
    except UnknownDraft as exc:
        return _error_page(principal, 404, str(exc))
    except (DiscoveryError, TaxonomyError) as exc:  # e.g. a draft file edited by hand into an invalid one
        return _error_page(principal, 500, str(exc))


def _draft_page(
    request: Request,
    principal: Principal,
    settings: Settings,
    name: str,
    *,
    status_code: int = 200,
    success: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    opened = _open(principal, settings, name)
    if isinstance(opened, HTMLResponse):
        return opened
    ws, state = opened
    sizes = state.sizes()
    return page(
        "discovery_draft.html",
        status_code,
        title=f"Brouillon {name}",
        name=name,
        state=state,
        candidates=_candidates(state),
        notes=len(state.assignments),
        autre_size=sizes.get(AUTRE, 0),
        journal=workspace.journal(ws),
        success=success,
        error=error,
        **_common(request, principal, settings, form),
    )


def _candidate_page(
    request: Request,
    principal: Principal,
    settings: Settings,
    name: str,
    code: str,
    *,
    status_code: int = 200,
    success: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    opened = _open(principal, settings, name)
    if isinstance(opened, HTMLResponse):
        return opened
    ws, state = opened
    if code != AUTRE and code not in state.draft:
        return _draft_page(
            request, principal, settings, name, status_code=404,
            error=f"motif « {code[:64]} » absent du brouillon (fusionné, écarté ou renommé entre-temps ?)",
        )  # fmt: skip
    candidate = next((c for c in _candidates(state) if c.code == code), None)
    try:
        text_of = workspace.note_texts(ws)
    except DiscoveryError as exc:
        return _error_page(principal, 500, str(exc))
    members = state.assignments[state.assignments["cluster"] == code]
    members = members.assign(score=members["confidence"].astype(float)).sort_values(["score", "call_id"])
    shown = members.head(NOTES_SHOWN)
    notes = [(row.call_id, row.confidence, text_of.get(row.call_id, "")) for row in shown.itertuples()]
    return page(
        "discovery_candidate.html",
        status_code,
        title=f"Motif candidat {code}" if code != AUTRE else "Notes « autre »",
        name=name,
        state=state,
        code=code,
        candidate=candidate,
        size=len(members),
        notes=notes,
        targets=[(c.code, c.label) for c in _candidates(state) if c.code != code],
        success=success,
        error=error,
        **_common(request, principal, settings, form),
    )


# --- pages ---------------------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def drafts_list(request: Request, principal: AnalystPageDep, settings: SettingsDep) -> HTMLResponse:
    drafts: list[dict[str, Any]] = []
    for ws in workspace.list_workspaces(settings.discovery_dir):
        try:
            state = workspace.load_state(ws)
        except (DiscoveryError, TaxonomyError):
            drafts.append({"name": ws.name, "state": None})
            continue
        sizes = state.sizes()
        drafts.append({"name": ws.name, "state": state, "notes": len(state.assignments), "autre": sizes.get(AUTRE, 0)})
    return page(
        "discovery_list.html",
        title="Découverte de motifs",
        drafts=drafts,
        folder=str(workspace.drafts_dir(settings.discovery_dir)),
        **_common(request, principal, settings, None),
    )


@router.get("/{name}", response_class=HTMLResponse)
def draft_page(
    request: Request,
    principal: AnalystPageDep,
    settings: SettingsDep,
    name: str,
    fait: str | None = Query(default=None, pattern=r"^[a-z]{1,16}$"),
    code: str | None = Query(default=None, pattern=r"^[a-z][a-z0-9_@.,]{0,300}$"),
) -> HTMLResponse:
    success = DONE[fait].format(code=code.replace(",", ", ")) if fait in DONE and code else None
    return _draft_page(request, principal, settings, name, success=success)


@router.get("/{name}/motifs/{code}", response_class=HTMLResponse)
def candidate_page(
    request: Request,
    principal: AnalystPageDep,
    settings: SettingsDep,
    name: str,
    code: str,
    fait: str | None = Query(default=None, pattern=r"^[a-z]{1,16}$"),
    vers: str | None = Query(default=None, pattern=CODE_QUERY),
) -> HTMLResponse:
    success = None
    if fait in DONE:
        success = DONE[fait].format(code=vers or code)
    return _candidate_page(request, principal, settings, name, code, success=success)


# --- actions -------------------------------------------------------------------------------------------------------


def _status(exc: DiscoveryError | TaxonomyError) -> int:
    if isinstance(exc, TaxonomyError):
        return 500
    if isinstance(exc, UnknownDraft):
        return 404
    if isinstance(exc, StaleDraft | DraftAlreadyPublished):
        return 409
    return 422


async def _act(request: Request, principal: Principal, settings: Settings, name: str, code: str | None) -> Response:
    """Checks shared by every step; then the step itself (`_run`)."""

    def refused(status_code: int, error: str, form: dict[str, str] | None = None) -> HTMLResponse:
        if code is not None:
            return _candidate_page(
                request, principal, settings, name, code, status_code=status_code, error=error, form=form
            )
        return _draft_page(request, principal, settings, name, status_code=status_code, error=error, form=form)

    if not same_origin(request):
        return refused(403, "formulaire envoyé depuis une autre origine : action refusée")
    lists = await read_form_lists(request, FIELDS)
    if lists is None:
        return refused(415, "formulaire illisible (attendu : un formulaire HTML encodé en UTF-8)")
    form = {key: values[0] for key, values in lists.items() if values}
    if principal.via_session and not csrf_matches(principal, form.get("csrf")):
        return refused(403, "jeton anti-CSRF absent ou invalide : recharger la page puis refaire l'action")
    reviewer = principal.name if principal.name is not None else form.get("reviewer", "").strip()
    if not REVIEWER_PATTERN.match(reviewer):
        return refused(422, "indiquez votre nom (1 à 128 caractères) : il est enregistré avec l'action", form)
    action = request.url.path.rsplit("/", 1)[-1]
    try:
        ws = await run_in_threadpool(workspace.open_workspace, name, settings.discovery_dir)
        target = await run_in_threadpool(_run, ws, action, code, lists, form, reviewer, settings)
    except (DiscoveryError, TaxonomyError) as exc:
        return refused(_status(exc), str(exc), form)
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    remember_reviewer(response, principal, reviewer)
    return response


def _parts(form: dict[str, str]) -> int:
    try:
        parts = int(form.get("parts", ""))
    except ValueError:
        raise InvalidCuration("nombre de motifs invalide (attendu : un entier de 2 à 20)") from None
    if not 2 <= parts <= 20:
        raise InvalidCuration("nombre de motifs invalide (attendu : un entier de 2 à 20)")
    return parts


def _run(
    ws: workspace.Workspace,
    action: str,
    code: str | None,
    lists: dict[str, list[str]],
    form: dict[str, str],
    reviewer: str,
    settings: Settings,
) -> str:
    """One step through `serving.discovery.workspace` (and so `curation`); the URL to show next."""
    token = form.get("etat", "")
    name = ws.name
    done = "?" + urlencode({"fait": action})
    if action == "publier":
        published = workspace.publish(
            ws, token, taxonomy_id=form.get("id", "").strip(), label=form.get("label", "").strip() or None,
            reviewer=reviewer, released=date.today(), taxonomy_dir=settings.taxonomy_dir,
        )  # fmt: skip
        return f"{draft_url(name)}?{urlencode({'fait': action, 'code': published.taxonomy.ref})}"
    if action == "fusionner":
        into = form.get("into", "")
        codes = [c for c in lists.get("codes", []) if c]
        workspace.apply_step(
            ws, token, lambda d, a: curation.merge(d, a, codes, into=into), action=action, reviewer=reviewer,
            codes=[*codes, into],
        )  # fmt: skip
        return candidate_url(name, into) + done
    assert code is not None
    if action == "renommer":
        new_code = form.get("code", "").strip()  # empty: refused by curation.rename (no silent keep)
        workspace.apply_step(
            ws, token,
            lambda d, a: curation.rename(
                d, a, code, label=form.get("label", ""), definition=form.get("definition", ""), new_code=new_code
            ),
            action=action, reviewer=reviewer, codes=[code, new_code],
        )  # fmt: skip
        return candidate_url(name, new_code) + done
    if action == "scinder":
        before = set(workspace.load_state(ws).draft.codes)
        after = workspace.apply_step(
            ws, token, workspace.split_step(ws, code, _parts(form)), action=action, reviewer=reviewer, codes=[code]
        )
        new = sorted(set(after.draft.codes) - before)
        return f"{draft_url(name)}?{urlencode({'fait': action, 'code': ','.join(new)})}"
    if action == "ecarter":
        workspace.apply_step(
            ws, token, lambda d, a: curation.discard(d, a, code), action=action, reviewer=reviewer, codes=[code]
        )
        return f"{draft_url(name)}?{urlencode({'fait': action, 'code': code})}"
    # deplacer
    to = form.get("to", "")
    ids = lists.get("call_id", [])
    workspace.apply_step(
        ws, token, lambda d, a: curation.move(d, a, ids, to=to), action=action, reviewer=reviewer, codes=[to]
    )
    return candidate_url(name, code) + "?" + urlencode({"fait": action, "vers": to})


@router.post("/{name}/fusionner")
async def merge_action(request: Request, principal: AnalystPageDep, settings: SettingsDep, name: str) -> Response:
    return await _act(request, principal, settings, name, None)


@router.post("/{name}/publier")
async def publish_action(request: Request, principal: AnalystPageDep, settings: SettingsDep, name: str) -> Response:
    return await _act(request, principal, settings, name, None)


@router.post("/{name}/motifs/{code}/{action}")
async def candidate_action(
    request: Request, principal: AnalystPageDep, settings: SettingsDep, name: str, code: str, action: str
) -> Response:
    if action not in ("renommer", "scinder", "ecarter", "deplacer"):
        return _error_page(principal, 404, "action inconnue (attendu : renommer, scinder, ecarter ou deplacer)")
    return await _act(request, principal, settings, name, code)


__all__ = ["BASE_URL", "router"]

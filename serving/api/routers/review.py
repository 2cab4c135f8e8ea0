"""/revue — the quality analysts' review pages: clusters of a monitoring scope, one cluster and its three actions
(create a reason, attach, dismiss), the taxonomy's current draft with its validation result.

Server-rendered HTML (Jinja2, autoescaped), plain forms and redirects: no JavaScript, no CDN, no web font, so the
pages work air-gapped and with the keyboard alone. Every text shown is escaped; error messages come from the review
workflow, which never quotes a note, a label or a definition. Pages are for analysts (`serving.api.auth`): with users
configured, the decision's author is the logged-in user and every form carries the session's CSRF token; in open mode
(no users, loopback only) the reviewer's name is a form field, prefilled from a cookie or MOTIFS_REVIEWER.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from serving.api.auth import AnalystPageDep, Principal, csrf_matches
from serving.api.dependencies import ResourcesDep, SettingsDep
from serving.api.forms import read_form, same_origin
from serving.api.settings import Settings
from serving.errors import ClusterAlreadyReviewed, NoMonitoringData, ReviewError, UnknownCluster
from serving.review import charts
from serving.review.workflow import (
    REVIEWER_PATTERN,
    ClusterView,
    TaxonomyContext,
    attach_cluster,
    create_reason,
    dismiss_cluster,
    list_clusters,
    show_cluster,
    store_taxonomy_id,
    taxonomy_context,
)

REVIEWER_COOKIE = "motifs_reviewer"
SCOPE_PATTERN = r"^[A-Za-z0-9_.@-]{1,100}$"
FORM_FIELDS = ("code", "label", "domain", "definition", "reviewer", "csrf")

# Our own files only; forms post to our own pages. The trend charts are inline SVG (no style attribute).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # our forms then send their Origin (checked on every decision)
    "Cache-Control": "no-store",
}
STATUS_LABELS = {"open": "à traiter", "created": "nouveau motif", "attached": "rattaché", "dismissed": "écarté"}
SIGNAL_LABELS = {"strong": "fort", "weak": "faible", "none": "aucun"}
ACTION_LABELS = {"create": "Nouveau motif", "attach": "Rattaché", "dismiss": "Écarté"}
DONE_MESSAGES = {
    "attach": "Décision enregistrée : cluster rattaché au motif {code} ; {n} note(s) anonymisée(s) deviennent des "
    "exemples d'entraînement.",
    "dismiss": "Décision enregistrée : cluster écarté.",
}

router = APIRouter(prefix="/revue", include_in_schema=False)


def _decimal(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}".replace(".", ",")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("serving.api", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        status_label=lambda status: STATUS_LABELS.get(status, status),
        signal_label=lambda signal: SIGNAL_LABELS.get(signal, signal),
        action_label=lambda action: ACTION_LABELS.get(action, action),
        decimal=_decimal,
        growth=lambda value: "—" if value is None else f"×{_decimal(value, 1)}",
        pct=lambda value: f"{100 * value:.1f} %".replace(".", ","),
        cluster_url=_cluster_url,
        trend=_trend,
    )
    return env


def _cluster_url(view: ClusterView) -> str:
    return f"/revue/clusters/{quote(view.cluster_id)}?{urlencode({'scope': view.scope})}"


def _trend(view: ClusterView, width: int, height: int) -> Markup:
    svg = charts.trend_svg(
        [(point.period, point.size) for point in view.trend],
        title=f"Tendance du cluster {view.cluster_id}",
        chart_id=f"tendance-{view.cluster_id}-{width}",
        width=width,
        height=height,
    )
    return Markup(svg)  # built by charts.trend_svg, which escapes every text it writes


def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("success", None)
    context.setdefault("error", None)
    context.setdefault("principal", None)
    html = _environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def reviewer_default(request: Request, settings: Settings) -> str:
    cookie = unquote(request.cookies.get(REVIEWER_COOKIE, ""))
    for value in (cookie, settings.reviewer or ""):
        if REVIEWER_PATTERN.match(value.strip()):
            return value.strip()
    return ""


def remember_reviewer(response: Response, principal: Principal, reviewer: str) -> None:
    """In open mode, the declared name goes in a cookie and is prefilled next time (never with a login)."""
    if not principal.authenticated:
        response.set_cookie(
            REVIEWER_COOKIE, quote(reviewer), max_age=365 * 24 * 3600, path="/revue", httponly=True, samesite="strict"
        )


def _context(settings: Settings, resources: Any, scope: str | None = None) -> TaxonomyContext:
    """The base of the scope's calls (that of the latest monitoring run), as `motifs review` uses it."""
    return taxonomy_context(store_taxonomy_id(resources.database, scope), taxonomy_dir=settings.taxonomy_dir)


# --- pages ---------------------------------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def cluster_list(
    principal: AnalystPageDep,
    resources: ResourcesDep,
    settings: SettingsDep,
    scope: str | None = Query(default=None, pattern=SCOPE_PATTERN),
    tous: bool = False,
) -> HTMLResponse:
    try:
        context = _context(settings, resources, scope)
    except ReviewError as exc:  # e.g. a draft in the local folder that no longer follows the published version
        return page(
            "review_base.html",
            500,
            principal=principal,
            title="Base de motifs illisible",
            nav="clusters",
            error=str(exc),
        )
    try:
        listing = list_clusters(resources.database, scope, include_silent=tous, context=context)
    except NoMonitoringData as exc:
        if scope is None:  # nothing stored yet: the empty state says what to run
            return page(
                "review_list.html",
                principal=principal,
                title="Clusters",
                nav="clusters",
                listing=None,
                include_silent=tous,
            )
        return page(
            "review_list.html",
            404,
            principal=principal,
            title="Clusters",
            nav="clusters",
            listing=None,
            include_silent=tous,
            error=str(exc),
        )
    return page(
        "review_list.html", principal=principal, title="Clusters", nav="clusters", listing=listing, include_silent=tous
    )


def _cluster_page(
    request: Request,
    resources: Any,
    settings: Settings,
    cluster_id: str,
    scope: str | None,
    *,
    principal: Principal,
    status_code: int = 200,
    success: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        context = _context(settings, resources, scope)
        view = show_cluster(resources.database, cluster_id, scope, context=context)
    except (UnknownCluster, NoMonitoringData) as exc:
        return page(
            "review_base.html", 404, principal=principal, title="Cluster introuvable", nav="clusters", error=str(exc)
        )
    except ReviewError as exc:
        return page(
            "review_base.html",
            500,
            principal=principal,
            title="Base de motifs illisible",
            nav="clusters",
            error=str(exc),
        )
    form = form or {}
    return page(
        "review_cluster.html",
        status_code,
        principal=principal,
        title=f"Cluster {view.cluster_id}",
        nav="clusters",
        view=view,
        success=success,
        error=error,
        form=form,
        reviewer=principal.name or form.get("reviewer") or reviewer_default(request, settings),
        domains=context.domains(),
        attachable=context.attachable(),
        action_url=lambda action: f"{_cluster_url(view).split('?')[0]}/{action}?{urlencode({'scope': view.scope})}",
    )


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster_page(
    request: Request,
    principal: AnalystPageDep,
    cluster_id: str,
    resources: ResourcesDep,
    settings: SettingsDep,
    scope: str | None = Query(default=None, pattern=SCOPE_PATTERN),
    fait: str | None = Query(default=None, pattern=r"^(attach|dismiss)$"),
) -> HTMLResponse:
    success = None
    if fait is not None:
        try:
            view = show_cluster(resources.database, cluster_id, scope)
        except ReviewError:
            view = None
        last = view.decisions[-1] if view is not None and view.decisions else None
        if last is not None and last.action == fait:
            examples = int(last.payload.get("examples", 0) or 0)
            success = DONE_MESSAGES[fait].format(code=last.target_code, n=examples)
    return _cluster_page(request, resources, settings, cluster_id, scope, principal=principal, success=success)


@router.get("/base", response_class=HTMLResponse)
def taxonomy_page(
    principal: AnalystPageDep,
    resources: ResourcesDep,
    settings: SettingsDep,
    cree: str | None = Query(default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$"),
) -> HTMLResponse:
    from taxonomy import draft_path, local_taxonomy_dir, validate_paths

    try:
        context = _context(settings, resources)
    except ReviewError as exc:
        return page("review_base.html", 500, principal=principal, title="Base de motifs", nav="base", error=str(exc))
    report = None
    draft_file = ""
    new_reasons: list[Any] = []
    success = None
    if context.draft is not None:
        path = draft_path(context.draft, taxonomy_dir=settings.taxonomy_dir)
        report = validate_paths([path], taxonomy_dir=settings.taxonomy_dir)
        folder = local_taxonomy_dir(settings.taxonomy_dir)
        draft_file = str(path.relative_to(folder)) if path.is_relative_to(folder) else path.name
        new_reasons = [context.draft.get(code) for code in context.draft_codes]
        if cree in context.draft_codes:
            success = f"Motif {cree} ajouté au brouillon {context.draft.ref}."
    return page(
        "review_taxonomy.html",
        principal=principal,
        title="Base de motifs et brouillon",
        nav="base",
        context=context,
        report=report,
        draft_file=draft_file,
        new_reasons=new_reasons,
        created=cree,
        success=success,
    )


# --- actions -------------------------------------------------------------------------------------------------------


_STATUS = {UnknownCluster: 404, NoMonitoringData: 404, ClusterAlreadyReviewed: 409}


async def _decide(
    request: Request, principal: Principal, resources: Any, settings: Settings, cluster_id: str, action: str
) -> Response:
    scope = request.query_params.get("scope")
    if scope is not None and not _valid_scope(scope):  # never fall back to another scope's cluster of that id
        return page(
            "review_base.html",
            404,
            principal=principal,
            title="Suivi introuvable",
            nav="clusters",
            error="suivi invalide",
        )
    if not same_origin(request):
        return page(
            "review_base.html",
            403,
            principal=principal,
            title="Refusé",
            nav="clusters",
            error="formulaire envoyé depuis une autre origine : décision refusée",
        )
    form = await read_form(request, FORM_FIELDS)
    if form is None:
        return _cluster_page(
            request,
            resources,
            settings,
            cluster_id,
            scope,
            principal=principal,
            status_code=415,
            error="formulaire illisible (attendu : un formulaire HTML encodé en UTF-8)",
        )
    if principal.via_session and not csrf_matches(principal, form.get("csrf")):
        return _cluster_page(
            request,
            resources,
            settings,
            cluster_id,
            scope,
            principal=principal,
            status_code=403,
            error="jeton anti-CSRF absent ou invalide : recharger la page puis refaire la décision",
        )
    # Authenticated: the decision is recorded under the user's name, whatever the form says.
    reviewer = principal.name if principal.name is not None else form.get("reviewer", "").strip()
    if not REVIEWER_PATTERN.match(reviewer):
        return _cluster_page(
            request,
            resources,
            settings,
            cluster_id,
            scope,
            principal=principal,
            status_code=422,
            form=form,
            error="indiquez votre nom (1 à 128 caractères) : il est enregistré avec la décision",
        )
    db = resources.database
    try:
        if action == "create":
            outcome = await run_in_threadpool(
                create_reason,
                db,
                cluster_id,
                code=form.get("code", "").strip(),
                label=form.get("label", ""),
                domain=form.get("domain", ""),
                definition=form.get("definition", ""),
                reviewer=reviewer,
                scope=scope,
                taxonomy_dir=settings.taxonomy_dir,
            )
        elif action == "attach":
            outcome = await run_in_threadpool(
                attach_cluster,
                db,
                cluster_id,
                code=form.get("code", ""),
                reviewer=reviewer,
                scope=scope,
                taxonomy_dir=settings.taxonomy_dir,
            )
        else:
            outcome = await run_in_threadpool(dismiss_cluster, db, cluster_id, reviewer=reviewer, scope=scope)
    except ReviewError as exc:
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 422)
        return _cluster_page(
            request,
            resources,
            settings,
            cluster_id,
            scope,
            principal=principal,
            status_code=status,
            form=form,
            error=str(exc),
        )
    decision = outcome.decision
    if action == "create":
        target = f"/revue/base?{urlencode({'cree': decision.target_code})}"
    else:
        target = f"/revue/clusters/{quote(decision.cluster_id)}?{urlencode({'scope': decision.scope, 'fait': action})}"
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    remember_reviewer(response, principal, reviewer)
    return response


def _valid_scope(scope: str) -> bool:
    return re.match(SCOPE_PATTERN, scope) is not None


@router.post("/clusters/{cluster_id}/creer")
async def create_action(
    request: Request, principal: AnalystPageDep, cluster_id: str, resources: ResourcesDep, settings: SettingsDep
) -> Response:
    return await _decide(request, principal, resources, settings, cluster_id, "create")


@router.post("/clusters/{cluster_id}/rattacher")
async def attach_action(
    request: Request, principal: AnalystPageDep, cluster_id: str, resources: ResourcesDep, settings: SettingsDep
) -> Response:
    return await _decide(request, principal, resources, settings, cluster_id, "attach")


@router.post("/clusters/{cluster_id}/ecarter")
async def dismiss_action(
    request: Request, principal: AnalystPageDep, cluster_id: str, resources: ResourcesDep, settings: SettingsDep
) -> Response:
    return await _decide(request, principal, resources, settings, cluster_id, "dismiss")


@router.get("/{scope}/{cluster_id}")
def cluster_short_url(principal: AnalystPageDep, scope: str, cluster_id: str) -> Response:
    """`/revue/week/E0001`: the form `motifs report --review-url http://…/revue/{scope}/{id}` links to (declared
    last: `/revue/clusters/…` wins, and no scope is called « clusters »)."""
    if not _valid_scope(scope):
        return page(
            "review_base.html",
            404,
            principal=principal,
            title="Cluster introuvable",
            nav="clusters",
            error="suivi invalide",
        )
    return RedirectResponse(f"/revue/clusters/{quote(cluster_id)}?{urlencode({'scope': scope})}", status_code=303)


__all__ = ["REVIEWER_COOKIE", "SECURITY_HEADERS", "page", "remember_reviewer", "reviewer_default", "router"]

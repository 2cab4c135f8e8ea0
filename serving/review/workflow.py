"""The review workflow on emerging clusters: list, show, and decide — create a reason, attach to a reason, dismiss.

Shared by the CLI (`motifs review`) and the web pages / JSON endpoints of the API. Every decision is stored with
who took it (declared, not authenticated: there is no login in motifs), when, and what; the cluster's status changes
in the same transaction and sticks across monitoring runs (stable ids).

- **create**: a new reason (code, label, domain, definition) goes into the **draft** of the next minor version of
  the taxonomy (`taxonomy.drafts`: written in the local taxonomy folder, crosswalk `new`); the cluster's
  representative notes become the reason's examples in the draft, and all its stored notes become reviewed training
  examples of the new code. A second reason before publication amends the same draft. The draft is validated as the
  continuation of the published lineage before the decision is stored (and removed again if storing fails).
- **attach**: the cluster's notes become reviewed training examples of an existing reason (published, or created in
  the current draft).
- **dismiss**: noise; the cluster keeps its id and raises no alert any more.

`motifs train --taxonomy <draft version> --reviewed-examples` closes the loop: the draft's examples and the reviewed
examples become training signal.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serving.errors import ClusterAlreadyReviewed, InvalidReview, NoMonitoringData, UnknownCluster
from serving.review.precision import QueuePrecision, queue_precision
from serving.store import (
    ClusterRecord,
    ClusterSnapshot,
    Database,
    MonitoringRunRecord,
    ReviewDecisionRecord,
    ReviewedExample,
)

SIGNAL_RANK = {"strong": 2, "weak": 1, "none": 0}
REVIEWER_PATTERN = re.compile(r"^[^\x00-\x1f\x7f]{1,128}$")
CLUSTER_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
MAX_TREND_PERIODS = 26
MAX_EXAMPLE_NOTES = 200  # reviewed examples stored per decision


@dataclass(frozen=True)
class TrendPoint:
    period: str
    size: int  # calls of the cluster in that period (0 when it was not seen)


@dataclass(frozen=True)
class ClusterView:
    """What an analyst sees of a cluster: its latest snapshot, its best grade, its trend, the decisions on it."""

    scope: str
    cluster_id: str
    status: str
    first_seen: str
    last_seen: str
    keywords: tuple[str, ...]
    size: int  # calls in the window of the last period it was seen in
    period: str | None  # that period
    signal: str  # its grade in that period
    best_signal: str  # its strongest grade over the reported periods
    novelty: float | None
    growth: float | None
    examples: tuple[str, ...]  # 3–5 representative redacted notes
    parent_code: str | None = None  # a sub-theme of this reason (candidate split)
    parent_label: str | None = None
    parent_domain: str | None = None  # suggested domain for « nouveau motif » on a sub-theme
    nearest_code: str | None = None
    nearest_label: str | None = None
    trend: tuple[TrendPoint, ...] = ()
    notes_count: int = 0  # redacted notes stored for it (what « rattacher » turns into training examples)
    decisions: tuple[ReviewDecisionRecord, ...] = ()
    priority: float = 0.0  # expected value in its last period (size × novelty × persistence × growth)
    why: str = ""  # French: why it is in the queue (monitoring's `EmergingCluster.why`)
    kind: str = "cluster"  # or "theme": a theme crossing reasons (`serving.monitoring.themes`)
    reasons: dict[str, int] = field(default_factory=dict)  # a theme's reasons → calls in its last period
    share: float | None = None  # a theme's share of all the calls of its last period

    @property
    def is_theme(self) -> bool:
        return self.kind == "theme"

    @property
    def is_subtheme(self) -> bool:
        return self.parent_code is not None


@dataclass(frozen=True)
class ClusterList:
    scope: str
    scopes: tuple[str, ...]
    run: MonitoringRunRecord | None
    clusters: tuple[ClusterView, ...]
    hidden: int = 0  # clusters never graded weak or strong, left out unless asked for
    precision: QueuePrecision | None = None  # the analysts' past decisions on this scope


@dataclass(frozen=True)
class DecisionOutcome:
    decision: ReviewDecisionRecord
    cluster: ClusterView
    examples_stored: int = 0
    draft_ref: str | None = None
    draft_path: Path | None = None
    draft_codes: tuple[str, ...] = field(default=())  # codes the draft adds (all reasons created so far)


@dataclass(frozen=True)
class TaxonomyContext:
    """The published taxonomy and its current draft (if any): what codes an analyst may attach to or create."""

    published: Any
    draft: Any | None

    @property
    def draft_codes(self) -> tuple[str, ...]:
        if self.draft is None:
            return ()
        return tuple(code for code in self.draft.active_codes if code not in self.published)

    def reason(self, code: str | None) -> Any | None:
        if code is None:
            return None
        for taxonomy in (self.published, self.draft):
            if taxonomy is not None and code in taxonomy:
                return taxonomy.get(code)
        return None

    def attachable(self) -> list[tuple[str, str, bool]]:
        """(code, label, in the draft only) of every active reason but « autre »."""
        out = [(r.code, r.label, False) for r in self.published.active_reasons if r.code != "autre"]
        if self.draft is not None:
            out += [(code, self.draft.get(code).label, True) for code in self.draft_codes]
        return out

    def domains(self) -> list[tuple[str, str]]:
        return [(d.code, d.label) for d in self.published.domains]


def taxonomy_context(taxonomy_id: str = "national", *, taxonomy_dir: str | Path | None = None) -> TaxonomyContext:
    from taxonomy import TaxonomyError, current_draft, load_taxonomy

    published = load_taxonomy(taxonomy_id, taxonomy_dir=taxonomy_dir)
    try:
        draft = current_draft(taxonomy_id, taxonomy_dir=taxonomy_dir)
    except TaxonomyError as exc:
        raise InvalidReview(str(exc)) from None
    return TaxonomyContext(published=published, draft=draft)


# --- reading -------------------------------------------------------------------------------------------------------


def resolve_scope(db: Database, scope: str | None) -> str:
    """`scope` when the store has runs for it; else the scope of the latest run."""
    scopes = db.monitoring.scopes()
    if not scopes:
        raise NoMonitoringData("aucun suivi enregistré (attendu : lancer d'abord motifs emerging)")
    if scope is None:
        return scopes[0]
    if scope not in scopes:
        raise NoMonitoringData(f"aucun suivi « {scope[:80]} » enregistré (suivis : {', '.join(scopes)})")
    return scope


def store_taxonomy_id(db: Database, scope: str | None = None) -> str:
    """Id of the base the scope's latest monitoring run read its calls with (`an_qe16` for `an_qe16@1.0.0`): the
    review proposes that base's reasons and writes its drafts. `national` when nothing is stored yet, or for runs
    stored before runs recorded their base (they were all on the national base)."""
    scopes = db.monitoring.scopes()
    if not scopes:
        return "national"
    run = db.monitoring.latest_run(scope if scope in scopes else scopes[0])  # an unknown scope is refused later
    ref = run.taxonomy_version if run is not None else None
    return ref.partition("@")[0] if ref else "national"


def check_cluster_id(cluster_id: str) -> str:
    if not CLUSTER_ID_PATTERN.match(cluster_id or ""):
        raise UnknownCluster("identifiant de cluster invalide (attendu : E0001…)")
    return cluster_id


def list_clusters(
    db: Database,
    scope: str | None = None,
    *,
    include_silent: bool = False,
    context: TaxonomyContext | None = None,
) -> ClusterList:
    """Clusters of a scope, open first, then strongest signal, then largest. Clusters never graded weak or strong
    and still open are left out unless `include_silent` (there are many: ordinary low-confidence calls group too)."""
    scope = resolve_scope(db, scope)
    run = db.monitoring.latest_run(scope)
    periods = _trend_periods(run)
    snapshots: dict[str, list[ClusterSnapshot]] = {}
    for snapshot in db.monitoring.snapshots(scope):
        snapshots.setdefault(snapshot.cluster_id, []).append(snapshot)
    views = []
    hidden = 0
    for record in db.monitoring.registry(scope):
        own = snapshots.get(record.cluster_id, [])
        view = _view(record, own, periods, context)
        if not include_silent and record.status == "open" and view.best_signal == "none":
            hidden += 1
            continue
        views.append(view)
    views.sort(key=_order)
    return ClusterList(
        scope=scope,
        scopes=tuple(db.monitoring.scopes()),
        run=run,
        clusters=tuple(views),
        hidden=hidden,
        precision=queue_precision(db.review.decisions(scope)),
    )


def show_cluster(
    db: Database, cluster_id: str, scope: str | None = None, *, context: TaxonomyContext | None = None
) -> ClusterView:
    scope = resolve_scope(db, scope)
    record = _cluster(db, scope, check_cluster_id(cluster_id))
    view = _view(
        record,
        db.monitoring.snapshots(scope, record.cluster_id),
        _trend_periods(db.monitoring.latest_run(scope)),
        context,
    )
    return _with_decisions(db, view)


def _cluster(db: Database, scope: str, cluster_id: str) -> ClusterRecord:
    record = db.monitoring.cluster(scope, cluster_id)
    if record is None:
        raise UnknownCluster(f"cluster {cluster_id} absent du suivi « {scope} » (attendu : un identifiant de la liste)")
    return record


def _with_decisions(db: Database, view: ClusterView) -> ClusterView:
    decisions = tuple(db.review.decisions(view.scope, view.cluster_id))
    return ClusterView(**{**view.__dict__, "decisions": decisions})


def _order(view: ClusterView) -> tuple[bool, int, int, float, int, str]:
    """Open first, then strongest grade, then the monitoring's expected value (see `EmergingCluster.priority`)."""
    return (
        view.status != "open",
        -SIGNAL_RANK.get(view.best_signal, 0),
        -SIGNAL_RANK.get(view.signal, 0),
        -view.priority,
        -view.size,
        view.cluster_id,
    )


def _trend_periods(run: MonitoringRunRecord | None) -> list[str]:
    if run is None:
        return []
    return [str(p["period"]) for p in run.periods][-MAX_TREND_PERIODS:]


def _view(
    record: ClusterRecord,
    snapshots: Sequence[ClusterSnapshot],
    periods: Sequence[str],
    context: TaxonomyContext | None,
) -> ClusterView:
    ordered = sorted(snapshots, key=lambda s: s.period)
    latest = ordered[-1] if ordered else None
    history = {str(k): int(v) for k, v in (record.state.get("history") or {}).items()}
    axis = sorted(set(periods) | {p for p in history if not periods or p >= periods[0]})[-MAX_TREND_PERIODS:]
    best = max((SIGNAL_RANK.get(s.signal, 0) for s in ordered), default=0)
    parent = context.reason(record.parent_code) if context else None
    nearest_code = latest.nearest_code if latest else None
    nearest = context.reason(nearest_code) if context else None
    notes: set[str] = set()
    for snapshot in ordered:
        notes.update(snapshot.notes)
    return ClusterView(
        scope=record.scope,
        cluster_id=record.cluster_id,
        status=record.status,
        first_seen=record.first_seen,
        last_seen=record.last_seen,
        keywords=latest.keywords if latest else record.keywords,
        size=latest.size if latest else 0,
        period=latest.period if latest else None,
        signal=latest.signal if latest else "none",
        best_signal={2: "strong", 1: "weak"}.get(best, "none"),
        novelty=latest.novelty if latest else None,
        growth=latest.growth if latest else None,
        examples=latest.examples[:5] if latest else (),
        parent_code=record.parent_code,
        parent_label=parent.label if parent is not None else None,
        parent_domain=parent.domain if parent is not None else None,
        nearest_code=nearest_code,
        nearest_label=nearest.label if nearest is not None else None,
        trend=tuple(TrendPoint(p, history.get(p, 0)) for p in axis),
        notes_count=len(notes),
        priority=float(latest.details.get("priority") or 0.0) if latest else 0.0,
        why=str(latest.details.get("why") or "") if latest else "",
        kind=str(latest.details.get("kind") or "cluster") if latest else "cluster",
        reasons={str(k): int(v) for k, v in (latest.details.get("reasons") or {}).items()} if latest else {},
        share=float(latest.details["share"]) if latest and latest.details.get("share") is not None else None,
    )


def _notes(db: Database, scope: str, cluster_id: str) -> list[tuple[str, str]]:
    """(call_id, redacted note) of the cluster, latest period first, each call once, at most MAX_EXAMPLE_NOTES."""
    seen: dict[str, str] = {}
    for snapshot in sorted(db.monitoring.snapshots(scope, cluster_id), key=lambda s: s.period, reverse=True):
        for call_id in snapshot.call_ids:
            text = snapshot.notes.get(call_id)
            if text and call_id not in seen:
                seen[call_id] = text
    return list(seen.items())[:MAX_EXAMPLE_NOTES]


# --- deciding ------------------------------------------------------------------------------------------------------


def check_reviewer(reviewer: str | None) -> str:
    """The declared author of a decision: 1–128 printable characters (never quoted back in an error)."""
    value = (reviewer or "").strip()
    if not REVIEWER_PATTERN.match(value):
        raise InvalidReview(
            "auteur de la décision absent ou invalide (attendu : un nom de 1 à 128 caractères — champ du formulaire "
            "de revue, option --reviewer ou réglage MOTIFS_REVIEWER)"
        )
    return value


def _open_cluster(db: Database, scope: str | None, cluster_id: str) -> tuple[str, ClusterRecord]:
    scope = resolve_scope(db, scope)
    record = _cluster(db, scope, check_cluster_id(cluster_id))
    if record.status != "open":
        raise ClusterAlreadyReviewed(
            f"cluster {record.cluster_id} déjà traité (statut : {record.status}) ; une seule décision par cluster"
        )
    return scope, record


def dismiss_cluster(db: Database, cluster_id: str, *, reviewer: str, scope: str | None = None) -> DecisionOutcome:
    """Noise: the cluster keeps its id and stays silent on the next runs."""
    reviewer = check_reviewer(reviewer)
    scope, _ = _open_cluster(db, scope, cluster_id)
    decision = db.review.decide(
        ReviewDecisionRecord(scope=scope, cluster_id=cluster_id, action="dismiss", reviewer=reviewer)
    )
    return DecisionOutcome(decision=decision, cluster=show_cluster(db, cluster_id, scope))


def attach_cluster(
    db: Database,
    cluster_id: str,
    *,
    code: str,
    reviewer: str,
    scope: str | None = None,
    taxonomy_id: str | None = None,
    taxonomy_dir: str | Path | None = None,
) -> DecisionOutcome:
    """The cluster's notes become reviewed training examples of `code` (an active reason of the published version
    or of its current draft). `taxonomy_id`: default, the base of the scope's calls (`store_taxonomy_id`)."""
    reviewer = check_reviewer(reviewer)
    scope, _ = _open_cluster(db, scope, cluster_id)
    context = taxonomy_context(taxonomy_id or store_taxonomy_id(db, scope), taxonomy_dir=taxonomy_dir)
    targets = {target for target, _, _ in context.attachable()}
    if code not in targets:
        shown = code if re.match(r"^[a-z][a-z0-9_]{0,63}$", code or "") else "(valeur invalide)"
        raise InvalidReview(
            f"motif « {shown} » inconnu ou retiré dans {context.published.ref}"
            + (f" et son brouillon {context.draft.ref}" if context.draft is not None else "")
            + " (attendu : un code actif autre que « autre »)"
        )
    holder: Any = context.published if code in context.published else context.draft
    notes = _notes(db, scope, cluster_id)
    decision = db.review.decide(
        ReviewDecisionRecord(
            scope=scope,
            cluster_id=cluster_id,
            action="attach",
            reviewer=reviewer,
            target_code=code,
            taxonomy_ref=holder.ref,
            payload={"examples": len(notes)},
        ),
        [ReviewedExample(call_id, text, code, holder.ref) for call_id, text in notes],
    )
    return DecisionOutcome(
        decision=decision, cluster=show_cluster(db, cluster_id, scope, context=context), examples_stored=len(notes)
    )


def create_reason(
    db: Database,
    cluster_id: str,
    *,
    code: str,
    label: str,
    domain: str,
    definition: str,
    reviewer: str,
    scope: str | None = None,
    taxonomy_id: str | None = None,
    taxonomy_dir: str | Path | None = None,
) -> DecisionOutcome:
    """A new reason in the draft of the next minor version, from the cluster (see the module docstring); of the
    base of the scope's calls unless `taxonomy_id` says otherwise."""
    from taxonomy import (
        TaxonomyError,
        add_reason,
        current_draft,
        draft_path,
        load_taxonomy,
        validate_paths,
        write_draft,
    )

    reviewer = check_reviewer(reviewer)
    scope, record = _open_cluster(db, scope, cluster_id)
    taxonomy_id = taxonomy_id or store_taxonomy_id(db, scope)
    snapshots = sorted(db.monitoring.snapshots(scope, cluster_id), key=lambda s: s.period)
    examples = snapshots[-1].examples if snapshots else ()
    notes = _notes(db, scope, cluster_id)
    with _draft_lock(taxonomy_id, taxonomy_dir):
        try:
            base = load_taxonomy(taxonomy_id, taxonomy_dir=taxonomy_dir)
            draft = current_draft(taxonomy_id, taxonomy_dir=taxonomy_dir)
            updated = add_reason(
                base,
                draft=draft,
                code=code,
                label=label,
                domain=domain,
                definition=definition,
                examples=examples,
                note=f"Créé à la revue du cluster émergent {cluster_id} (suivi « {scope} »).",
            )
        except TaxonomyError as exc:
            raise InvalidReview(str(exc)) from None
        path = draft_path(updated, taxonomy_dir=taxonomy_dir)
        previous = path.read_bytes() if path.exists() else None
        write_draft(updated, taxonomy_dir=taxonomy_dir)
        try:
            report = validate_paths([path], taxonomy_dir=taxonomy_dir)
            if not report.ok:
                raise InvalidReview(
                    f"le brouillon {updated.ref} ne passe pas la validation : "
                    + "; ".join(str(issue) for issue in report.issues[:3])
                )
            decision = db.review.decide(
                ReviewDecisionRecord(
                    scope=scope,
                    cluster_id=cluster_id,
                    action="create",
                    reviewer=reviewer,
                    target_code=code,
                    taxonomy_ref=updated.ref,
                    payload={
                        "label": label.strip(),
                        "domain": domain,
                        "definition": definition.strip(),
                        "draft_file": f"{updated.id}/{path.name}",
                        "parent_code": record.parent_code,
                        "examples": len(notes),
                    },
                ),
                [ReviewedExample(call_id, text, code, updated.ref) for call_id, text in notes],
            )
        except BaseException:
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(previous)
            raise
    context = TaxonomyContext(published=base, draft=updated)
    return DecisionOutcome(
        decision=decision,
        cluster=show_cluster(db, cluster_id, scope, context=context),
        examples_stored=len(notes),
        draft_ref=updated.ref,
        draft_path=path,
        draft_codes=context.draft_codes,
    )


@contextlib.contextmanager
def _draft_lock(taxonomy_id: str, taxonomy_dir: str | Path | None) -> Iterator[None]:
    """One writer of a taxonomy's draft at a time (two analysts creating reasons at once amend it in turn)."""
    from taxonomy import local_taxonomy_dir

    folder = local_taxonomy_dir(taxonomy_dir) / taxonomy_id
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no POSIX lock; a single analyst at a time is assumed
        yield
        return
    with open(folder / ".brouillon.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

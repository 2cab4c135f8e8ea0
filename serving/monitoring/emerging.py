"""Emerging reasons: each period, cluster the recent calls whose content the known reasons do not cover, then grade
every cluster as a weak or strong signal.

Recent = the `window_periods` last periods (the current one and the one before by default), so a theme with a few
calls a week forms a group within its first two weeks. The pool clustered for a period is:
- the recent « autre » calls: the model's novelty « autre » (outside the base) and the agents' own « autre »
  choices (`calls.prepare_calls`), plus calls auto-coded with a confidence < `low_confidence` (only models from
  before the three outcomes auto-coded such calls);
- the recent calls filed under a known reason — auto-coded or « à confirmer » — that are *unusual for their own
  reason* c (their top reason): their novelty against c's references (below) is ≥ 1 − `subthemes.unusual_quantile`
  — a new theme hiding inside a broad reason with high confidence (a website outage filed under a payment reason,
  COVID-19 under « santé »).
« À confirmer » calls are not pooled as such: the model hesitated between known reasons, which is doubt, not
novelty; only those unusual for their top reason join, through the second path. A new theme is usually split between
« autre » and a few known reasons; pooling both keeps it in one cluster.

References of a reason c = its taxonomy texts (`known_reasons[c]`: label and examples, see `sources.known_reasons`)
plus up to `reference_calls_per_code` of its auto-coded (`confident`) calls from the `growth_periods` periods before
the window (never from the window itself, where the new theme may already be misfiled) — only those the model was
sure of (not `doubted`): a new theme the model files under a close reason at a middling confidence would otherwise
become that reason's reference from its second week on and stop looking new (small demo stream, fold-mean model:
the reform's novelty fell to 0.3–0.6; without those calls 0.94–1.0).

Novelty is relative, so it means the same whatever the pool size or the representation: for a call whose nearest
reference has similarity s, novelty = the share of references whose own nearest other reference is more similar than
s (leave-one-out). 0.9 = farther from the known reasons than 90 % of their texts are from each other. A cluster's
novelty is the mean over its calls — against every reason's references, or, for a sub-theme, against its parent's.

A cluster is a **sub-theme** of reason c (`parent_code` = c, a candidate split) when at least
`subthemes.parent_share` of its calls were confidently filed under c; it is then only graded if it holds at least
`subthemes.min_share` of c's recent calls. Otherwise `parent_code` is None (a candidate new reason) and
`nearest_code` hints at the closest known reason (vote of the members' nearest references).

Each cluster gets c-TF-IDF keywords, its call ids sorted by similarity to the centroid (the first `examples` distinct
notes are its examples), a stable id from the registry, `period_size` (its calls of the current period), and
growth = (rate + 1) / (previous_rate + 1): `rate` = calls per period in the window that are "like these" — any call,
whatever the model filed it under, at least as similar to the cluster's centroid as its `growth_similarity_quantile`
member — and `previous_rate` the same over the `growth_periods` analysed periods before the window (their calls are
embedded in the same space, sampled like the window's, counts weighted back). Growth is measured on the calls, not on
cluster ids, so it does not jump when a cluster splits or merges from one period to the next, and ordinary calls the
model was unsure of every week (their like existed before) do not look new. The grade:

    strong  if size ≥ strong.min_size, share ≥ strong.min_share (of the window's calls), novelty ≥ strong.min_novelty
            and growth ≥ strong.min_growth
    weak    if the same holds with the weak bounds
    none    otherwise; and always when the cluster has fewer than `min_period_calls` calls in the current period, or
            fewer than `min_history_periods` analysed periods precede the window (nothing to compare with).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from serving.monitoring._format import number
from serving.monitoring.calls import AUTRE, PERIOD, PERIOD_START, Granularity, previous_starts
from serving.monitoring.clustering import cluster_vectors
from serving.monitoring.config import DriftConfig, EmergingConfig, GradingConfig, SubthemeConfig
from serving.monitoring.registry import ClusterRegistry
from serving.monitoring.representation import Embedding, embed, keywords, profile, profile_similarity
from serving.monitoring.results import EmergingCluster, Signal, TrendPoint
from serving.monitoring.text import Lemmatizer

_CHUNK = 1024


def grade(*, size: int, share: float, novelty: float, growth: float, bounds: GradingConfig) -> Signal:
    """`strong`, `weak` or `none` from the cluster's size, share of the window's calls, novelty and growth."""
    for name, limits in (("strong", bounds.strong), ("weak", bounds.weak)):
        if (
            size >= limits.min_size
            and share >= limits.min_share
            and novelty >= limits.min_novelty
            and growth >= limits.min_growth
        ):
            return "strong" if name == "strong" else "weak"
    return "none"


def relative_novelty(similarities: np.ndarray, reference_self: np.ndarray) -> np.ndarray:
    """Per call: share of references whose nearest other reference is more similar than the call's nearest one."""
    if len(reference_self) == 0:
        return np.ones(len(similarities))
    ordered = np.sort(reference_self)
    return 1.0 - np.searchsorted(ordered, similarities, side="right") / len(ordered)


def _nearest(rows: np.ndarray, others: np.ndarray, *, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For each row: index of and similarity to its most similar row of `others` (chunked; itself excluded)."""
    index = np.zeros(len(rows), dtype=int)
    best = np.full(len(rows), -np.inf)
    if len(others) == 0:
        return index, best
    for begin in range(0, len(rows), _CHUNK):
        sims = rows[begin : begin + _CHUNK] @ others.T
        if exclude_self:
            span = np.arange(begin, min(begin + _CHUNK, len(rows)))
            sims[span - begin, span] = -np.inf
        index[begin : begin + _CHUNK] = sims.argmax(axis=1)
        best[begin : begin + _CHUNK] = sims.max(axis=1)
    return index, best


def _stable_sample(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    """At most `limit` rows, chosen by a hash of call_id (same rows whatever the file order), in original order."""
    if len(frame) <= limit:
        return frame
    keys = frame["call_id"].map(lambda value: hashlib.sha1(value.encode("utf-8")).hexdigest())
    return frame.loc[keys.sort_values(kind="mergesort").index[:limit]].sort_index()


def pooled(calls: pd.DataFrame, settings: EmergingConfig) -> pd.Series:
    """The calls pooled as such for clustering (see the module docstring): « autre » (novelty or agent), and calls
    auto-coded below `low_confidence` (older models). Never the « à confirmer » ones as such."""
    return calls["autre"] | ((calls["decision"] == "confident") & (calls["confidence"] < settings.low_confidence))


def doubted(calls: pd.DataFrame, settings: SubthemeConfig) -> np.ndarray:
    """Calls the model itself was unsure of: « à confirmer », or a confidence below `subthemes.doubt_confidence`
    (none when it is null)."""
    if settings.doubt_confidence is None:
        return np.zeros(len(calls), dtype=bool)
    return ((calls["decision"] == "to_confirm") | (calls["confidence"] < settings.doubt_confidence)).to_numpy()


def unusual(novelty: np.ndarray, doubt: np.ndarray, settings: SubthemeConfig) -> np.ndarray:
    """Calls filed under a known reason that join the pool: novelty against their reason's references ≥
    1 − `unusual_quantile`, or ≥ 1 − `doubt_quantile` when the model was unsure of them (`doubted`). Two weaker
    pieces of evidence together: a new theme the model files under a close reason usually gets a lower confidence
    and sits farther from that reason's references than most of its notes, without being its farthest 10 %."""
    doubt_bar = 1.0 - max(settings.doubt_quantile, settings.unusual_quantile)
    bar = np.where(doubt, doubt_bar, 1.0 - settings.unusual_quantile)
    return np.asarray(novelty >= bar)


def _weighted_sample(calls: pd.DataFrame, settings: EmergingConfig) -> pd.DataFrame:
    """The calls to embed, with a `weight` column (calls each kept row stands for): every « autre »/low-confidence
    call up to `max_candidates`, every confident call of a reason up to `subthemes.max_calls_per_reason`."""
    low = pooled(calls, settings)
    groups = [calls[low], *(group for _, group in calls[~low].groupby("code", sort=True))]
    limits = [settings.max_candidates] + [settings.subthemes.max_calls_per_reason] * (len(groups) - 1)
    parts = []
    for group, limit in zip(groups, limits, strict=True):
        kept = _stable_sample(group, limit)
        parts.append(kept.assign(weight=len(group) / len(kept) if len(kept) else 1.0))
    return pd.concat(parts).sort_index() if parts else calls.assign(weight=1.0)


@dataclass(frozen=True)
class _Space:
    """One period's embedding: the recent calls, the calls of the periods before the window, then the references,
    with the references' nearest-reference statistics."""

    embedding: Embedding
    recent: pd.DataFrame
    past: pd.DataFrame
    ref_codes: np.ndarray  # one code per reference row
    reference_self: np.ndarray  # each reference's similarity to its nearest other reference (any reason)
    code_self: dict[str, np.ndarray]  # the same within each reason

    @property
    def n_recent(self) -> int:
        return len(self.recent)

    @property
    def past_rows(self) -> np.ndarray:
        return np.arange(self.n_recent, self.n_recent + len(self.past))

    def references_of(self, code: str | None) -> np.ndarray:
        rows = np.arange(len(self.ref_codes)) if code is None else np.flatnonzero(self.ref_codes == code)
        return rows + self.n_recent + len(self.past)

    def novelty(self, rows: np.ndarray, code: str | None) -> tuple[np.ndarray, np.ndarray]:
        """Relative novelty of `rows` against the references of `code` (all reasons when None) + nearest refs."""
        refs = self.references_of(code)
        vectors = self.embedding.vectors
        nearest, sims = _nearest(vectors[rows], vectors[refs])
        own = self.reference_self if code is None else self.code_self.get(code, np.zeros(0))
        offset = self.n_recent + len(self.past)
        return relative_novelty(sims, own), refs[nearest] - offset if len(refs) else nearest


def _space(
    recent: pd.DataFrame,
    past: pd.DataFrame,
    references: list[tuple[str, str]],
    *,
    lemmatizer: Lemmatizer,
    settings: EmergingConfig,
) -> _Space:
    texts = recent["text"].tolist() + past["text"].tolist() + [text for _, text in references]
    embedding = embed(lemmatizer(texts), settings.representation)
    ref_codes = np.array([code for code, _ in references], dtype=object)
    ref_vectors = embedding.vectors[len(recent) + len(past) :]
    _, reference_self = _nearest(ref_vectors, ref_vectors, exclude_self=True)
    code_self = {}
    for code in sorted(set(ref_codes)):
        rows = np.flatnonzero(ref_codes == code)
        if len(rows) >= 2:
            code_self[str(code)] = _nearest(ref_vectors[rows], ref_vectors[rows], exclude_self=True)[1]
    finite = np.isfinite(reference_self)
    return _Space(embedding, recent, past, ref_codes, reference_self[finite], code_self)


def _cohesion(vectors: np.ndarray) -> float:
    """Mean cosine similarity between two different members (1 = identical notes)."""
    n = len(vectors)
    if n < 2:
        return 1.0
    total = vectors.sum(axis=0)
    return float((total @ total - (vectors * vectors).sum()) / (n * (n - 1)))


@dataclass(frozen=True)
class _Found:
    """A cluster before it gets an id."""

    call_ids: tuple[str, ...]  # closest to the centroid first
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    profile: dict[str, float]
    novelty: float
    parent_code: str | None
    nearest_code: str | None
    period_size: int
    cohesion: float
    rate: float  # calls like these per period in the window (all calls, not only the pool)
    previous_rate: float  # the same over the periods before the window
    eligible: bool  # a sub-theme holds enough of its parent's recent calls
    since_change_rate: float | None = None  # the same over the periods since a change of writing (None: no change)


def _past_in(space: _Space, before: Sequence[pd.Timestamp]) -> np.ndarray:
    """Which rows of `space.past` belong to the `before` periods."""
    return space.past[PERIOD_START].isin(before).to_numpy() if len(space.past) else np.zeros(0, dtype=bool)


def _centroid_similarities(space: _Space, groups: Sequence[np.ndarray]) -> np.ndarray:
    """Each recent then past call's cosine similarity to each group's centroid (one column per group), in one matrix
    product over a view of the vectors — not one copy of the past vectors per cluster."""
    vectors = space.embedding.vectors
    centroids = np.vstack([vectors[members].mean(axis=0) for members in groups])
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    centroids /= np.where(norms > 0, norms, 1.0)
    return np.asarray(vectors[: space.n_recent + len(space.past)] @ centroids.T)


def _rates(
    space: _Space,
    similarity: np.ndarray,
    members: np.ndarray,
    *,
    window: int,
    before: Sequence[pd.Timestamp],
    past_in: np.ndarray,
    quantile: float,
) -> tuple[float, float]:
    """Calls per period "like these" now and before: calls (any code) at least as similar to the cluster's centroid
    as its `quantile` member, counted with their sampling weights, over the window and over the `before` periods
    (`past_in`: the rows of `space.past` in them). `similarity`: every recent then past call's similarity to the
    cluster's centroid (a column of `_centroid_similarities`)."""
    radius = float(np.quantile(similarity[members], quantile))
    weights = space.recent["weight"].to_numpy()
    now = float(weights[similarity[: space.n_recent] >= radius].sum()) / window
    if not before or not len(space.past):
        return now, 0.0
    past = (similarity[space.n_recent :] >= radius) & past_in
    return now, float(space.past["weight"].to_numpy()[past].sum()) / len(before)


def _merge_near_duplicates(
    space: _Space, pool: np.ndarray, labels: np.ndarray, settings: EmergingConfig
) -> list[np.ndarray]:
    """The members of each cluster, clusters whose lemma profiles are at least `clustering.merge_similarity` alike
    joined (single link): one theme written two ways, or split between « autre » and a reason, is one item."""
    groups = [pool[labels == label] for label in range(int(labels.max()) + 1 if len(labels) else 0)]
    threshold = settings.clustering.merge_similarity
    if threshold is None or len(groups) < 2:
        return groups
    top = settings.registry.profile_terms
    profiles = [profile(space.embedding, members, top=top) for members in groups]
    root = list(range(len(groups)))

    def find(i: int) -> int:
        while root[i] != i:
            i = root[i]
        return i

    for i in range(len(groups)):
        for j in range(i + 1, len(groups)):
            if profile_similarity(profiles[i], profiles[j]) >= threshold:
                root[max(find(i), find(j))] = min(find(i), find(j))
    merged: dict[int, list[np.ndarray]] = {}
    for i, members in enumerate(groups):
        merged.setdefault(find(i), []).append(members)
    return [np.sort(np.concatenate(parts)) for _, parts in sorted(merged.items())]


def _find_clusters(
    space: _Space,
    *,
    current: pd.Timestamp,
    window: int,
    before: Sequence[pd.Timestamp],
    since_change: Sequence[pd.Timestamp] = (),
    settings: EmergingConfig,
) -> list[_Found]:
    recent, sub = space.recent, settings.subthemes
    if space.n_recent == 0:
        return []
    low = pooled(recent, settings).to_numpy()
    in_pool = low.copy()
    confident_codes = recent["code"].to_numpy()
    doubt = doubted(recent, sub)
    if sub.enabled:
        for code in sorted(set(confident_codes[~low])):
            if len(space.references_of(code)) < sub.min_references:
                continue
            rows = np.flatnonzero(~low & (confident_codes == code))
            novelty, _ = space.novelty(rows, code)
            in_pool[rows[unusual(novelty, doubt[rows], sub)]] = True
    vectors = space.embedding.vectors
    pool = np.flatnonzero(in_pool & (np.linalg.norm(vectors[: space.n_recent], axis=1) > 0))
    labels = cluster_vectors(vectors[pool], settings.clustering)
    texts, ids = recent["text"].tolist(), recent["call_id"].tolist()
    is_current = (recent[PERIOD_START] == current).to_numpy()
    recent_per_code = Counter(confident_codes[~low])
    found = []
    groups = _merge_near_duplicates(space, pool, labels, settings)
    past_before, past_since_change = _past_in(space, before), _past_in(space, since_change)
    block = 128  # centroids per matrix product: bounded memory whatever the number of clusters
    for index, members in enumerate(groups):
        if index % block == 0:
            similarities = _centroid_similarities(space, groups[index : index + block])
        similarity = similarities[:, index % block]
        filed = Counter(confident_codes[members[~low[members]]])
        parent = None
        if filed:
            top_code, top_count = min(filed.items(), key=lambda item: (-item[1], item[0]))
            if top_count >= sub.parent_share * len(members):
                parent = str(top_code)
        novelty, nearest = space.novelty(members, parent)
        nearest_code: str | None = parent
        if parent is None and len(space.ref_codes):
            votes = Counter(space.ref_codes[nearest])
            nearest_code = str(min(votes, key=lambda code: (-votes[code], code)))
        centroid = vectors[members].mean(axis=0)
        order = members[np.lexsort((np.array([ids[i] for i in members]), -(vectors[members] @ centroid)))]
        examples: list[str] = []
        for i in order:
            if texts[i] not in examples:
                examples.append(texts[i])
            if len(examples) == settings.examples:
                break
        quantile = settings.growth_similarity_quantile
        rate, previous_rate = _rates(
            space, similarity, members, window=window, before=before, past_in=past_before, quantile=quantile
        )
        since_change_rate = (
            _rates(
                space,
                similarity,
                members,
                window=window,
                before=since_change,
                past_in=past_since_change,
                quantile=quantile,
            )[1]
            if since_change
            else None
        )
        # Keywords contrast the cluster with every other call and reference of the period's space.
        found.append(
            _Found(
                call_ids=tuple(ids[i] for i in order),
                examples=tuple(examples),
                keywords=tuple(keywords(space.embedding, members, top=settings.keywords)),
                profile=profile(space.embedding, members, top=settings.registry.profile_terms),
                novelty=float(novelty.mean()),
                parent_code=parent,
                nearest_code=nearest_code,
                period_size=int(is_current[members].sum()),
                cohesion=_cohesion(vectors[members]),
                rate=rate,
                previous_rate=previous_rate,
                since_change_rate=since_change_rate,
                eligible=parent is None or len(members) >= sub.min_share * recent_per_code[parent],
            )
        )
    return found


def _references(texts: Mapping[str, Sequence[str]], history: pd.DataFrame, per_code: int) -> list[tuple[str, str]]:
    """(code, text) pairs: each reason's taxonomy texts, then up to `per_code` of its past confident calls.

    Repeated texts are kept once per reason: a duplicate would be its twin's nearest reference (similarity 1) and
    make every other call look unusual."""
    references = []
    for code in sorted(set(texts) | set(history["code"])):
        past = _stable_sample(history[history["code"] == code], per_code)["text"].tolist() if per_code else []
        seen: set[str] = set()
        for text in [*texts.get(code, ()), *past]:
            key = " ".join(text.lower().split())
            if key and key not in seen:
                seen.add(key)
                references.append((code, text))
    return references


_SIGNAL_FR = {"strong": "signal fort", "weak": "signal faible", "none": "sous les seuils"}


def _why(item: _Found, *, signal: Signal, growth: float, persistence: int, since_change: bool = False) -> str:
    """One French sentence: what puts the item where it is in the queue."""
    where = f"dans le motif {item.parent_code}" if item.parent_code else "hors des motifs connus"
    against = "aux périodes depuis le changement d'écriture" if since_change else "aux périodes précédentes"
    return (
        f"{_SIGNAL_FR[signal]} : {len(item.call_ids)} appels {where}, nouveauté {number(item.novelty, 2)}, "
        f"croissance ×{number(growth)} par rapport {against}, présent sur {persistence} période(s)"
    )


@dataclass(frozen=True)
class WritingChange:
    """The way notes are written changed in `period` (new tool, template or team): new sub-themes showed up in many
    reasons at once. `reasons`, `sites` (site → calls) and `n_calls` describe the signals it explains (sub-themes, and
    candidates made of known reasons' notes; before re-baselining); `withdrawn` = how many of the period's signals
    the re-baselined references withdrew."""

    period: str
    start: str  # ISO date of the period's first day
    reasons: tuple[str, ...]
    sites: dict[str, int]
    n_calls: int
    reasons_seen: int
    withdrawn: int


@dataclass(frozen=True)
class EmergingResult:
    clusters: dict[str, list[EmergingCluster]]  # period label → clusters, strongest first
    writing_changes: dict[str, WritingChange]  # period label → the change detected in it


def _is_writing_change(parents: set[str], reasons_seen: int, settings: DriftConfig) -> bool:
    return len(parents) >= max(settings.min_reasons, settings.min_fraction * reasons_seen)


def _rewritten_reasons(item: _Found, filed: Mapping[str, str], settings: DriftConfig) -> set[str]:
    """Known reasons whose notes a graded candidate new reason (`parent_code` None) gathers: those holding ≥
    `candidate_reason_calls` of its calls, when less than `candidate_max_autre` of them are « autre » (`filed`: call
    id → code of the calls filed under a known reason). On a small stream the notes of every reason written a new
    way group across reasons by their shared new words, rather than as a sub-theme of each; a new need is mostly
    « autre » (the model does not know it) or one close reason."""
    if settings.candidate_max_autre is None or item.parent_code is not None:
        return set()
    codes = Counter(filed[c] for c in item.call_ids if c in filed)
    if 1 - codes.total() / len(item.call_ids) >= settings.candidate_max_autre:
        return set()
    return {code for code, n in codes.items() if n >= settings.candidate_reason_calls}


def _signal(item: _Found, *, has_history: bool, window_calls: float, settings: EmergingConfig) -> Signal:
    if not (has_history and item.eligible and item.period_size >= settings.min_period_calls):
        return "none"
    return grade(
        size=len(item.call_ids),
        share=len(item.call_ids) / window_calls,
        novelty=item.novelty,
        growth=(item.rate + 1) / (item.previous_rate + 1),
        bounds=settings.grading,
    )


def detect_emerging(
    calls: pd.DataFrame,
    granularity: Granularity,
    *,
    settings: EmergingConfig,
    registry: ClusterRegistry,
    lemmatizer: Lemmatizer,
    known_reasons: Mapping[str, Sequence[str]] | None = None,
    since: str | None = None,
    until: str | None = None,
    prior_changes: Mapping[str, WritingChange] | None = None,
) -> EmergingResult:
    """Clusters of every period of `calls` (from `prepare_calls`) from `since` to `until` (labels, included), keyed
    by period label, and the changes of writing detected.

    `prior_changes`: the changes of writing found in periods before `since` (by an earlier run or an earlier call):
    the latest one re-baselines the references as if those periods had been analysed in this call, so analysing
    the periods one call at a time gives the same results as one call over all of them.

    `registry` is updated in place (ids, histories). `known_reasons`: code → texts describing the reason (label,
    definition, examples), the fixed part of the references. Periods before `since` only serve as history.

    Writing change: when the first analysis of a period shows sub-theme signals in at least `drift.min_reasons`
    reasons and `drift.min_fraction` of the reasons seen in the window, the notes are written another way. With
    `drift.rebaseline`, the period is analysed again with each reason's references taken from its confident calls of
    that period (minus the members of candidate new reasons, which may be a real event), and the following periods
    take them from the period of the change up to the one before them, until the usual history (the
    `growth_periods` before the window) lies wholly after the change: ordinary notes written the new way then look
    like their reason again, and the change is one item instead of one « new sub-theme » per reason.
    """
    known = {code: list(texts) for code, texts in (known_reasons or {}).items() if code != AUTRE}
    starts: list[pd.Timestamp] = sorted(calls[PERIOD_START].unique())
    label_of = dict(zip(calls[PERIOD_START], calls[PERIOD], strict=False))
    analysed = set(starts)
    confident = (
        (calls["decision"] == "confident")
        & ~calls["autre"]
        & (calls["confidence"] >= settings.low_confidence)
        & (calls["code"] != AUTRE)
        & ~doubted(calls, settings.subthemes)
    )
    out: dict[str, list[EmergingCluster]] = {}
    changes: dict[str, WritingChange] = {}
    change_start: pd.Timestamp | None = None
    if settings.drift.rebaseline:
        earlier_changes = [c for label, c in (prior_changes or {}).items() if since is None or label < since]
        if earlier_changes:
            latest = max(earlier_changes, key=lambda c: c.period)
            change_start = pd.Timestamp(latest.start)
            label_of.setdefault(change_start, latest.period)
    for start in starts:
        label = label_of[start]
        if (since is not None and label < since) or (until is not None and label > until):
            continue
        earlier = previous_starts(start, granularity, settings.window_periods - 1)
        window = sorted(s for s in (*earlier, start) if s in analysed)
        before = [s for s in starts if s < window[0]]
        growth_before = before[-settings.growth_periods :]
        recent = _weighted_sample(calls[calls[PERIOD_START].isin(window)], settings)
        window_calls = max(float(recent["weight"].sum()), 1.0)
        # Re-baselined after a change of writing until the usual history lies wholly after it: references and, for
        # themes first seen since the change, growth come from the periods written the new way.
        rebaselined = change_start is not None and (not growth_before or growth_before[0] < change_start)
        since_change = [s for s in starts if rebaselined and change_start is not None and change_start <= s < start]
        past = _weighted_sample(calls[calls[PERIOD_START].isin({*growth_before, *since_change})], settings)
        has_history = len(before) >= settings.min_history_periods
        in_window = calls[PERIOD_START].isin(window) & ~calls["autre"]
        reasons_seen = int(calls.loc[in_window, "code"].nunique())

        def analyse(reference_periods: Sequence[pd.Timestamp], exclude: set[str]) -> list[_Found]:
            history = calls[calls[PERIOD_START].isin(reference_periods) & confident & ~calls["call_id"].isin(exclude)]
            references = _references(known, history, settings.reference_calls_per_code)
            space = _space(recent, past, references, lemmatizer=lemmatizer, settings=settings)  # noqa: B023
            return _find_clusters(
                space,
                current=start,  # noqa: B023
                window=len(window),  # noqa: B023
                before=growth_before,  # noqa: B023
                since_change=since_change,  # noqa: B023
                settings=settings,
            )

        reference_periods: list[pd.Timestamp] = since_change if rebaselined else list(growth_before)
        found = analyse(reference_periods, set())
        signals = [
            _signal(item, has_history=has_history, window_calls=window_calls, settings=settings) for item in found
        ]
        # The reasons showing notes unlike their references: sub-themes, and candidates made of known reasons' notes.
        filed = recent.loc[~pooled(recent, settings), ["call_id", "code"]]
        filed_codes = dict(zip(filed["call_id"], filed["code"].astype(str), strict=True))
        spans = [
            ({item.parent_code} if item.parent_code else _rewritten_reasons(item, filed_codes, settings.drift))
            for item, sig in zip(found, signals, strict=True)
            if sig != "none"
        ]
        parents = set().union(*spans)
        if _is_writing_change(parents, reasons_seen, settings.drift):
            graded = [item for item, sig in zip(found, signals, strict=True) if sig != "none"]
            explained = [item for item, span in zip(graded, spans, strict=True) if span]
            sites = Counter(
                recent.set_index("call_id").loc[[c for item in explained for c in item.call_ids], "site"].astype(str)
            )
            withdrawn = 0
            if settings.drift.rebaseline:
                change_start = start
                # Candidate new reasons the change does not explain may be a real event: not references.
                events = {c for item, span in zip(graded, spans, strict=True) if not span for c in item.call_ids}
                before_count = sum(sig != "none" for sig in signals)
                found = analyse([start], events)
                signals = [
                    _signal(item, has_history=has_history, window_calls=window_calls, settings=settings)
                    for item in found
                ]
                withdrawn = max(before_count - sum(sig != "none" for sig in signals), 0)
            changes[label] = WritingChange(
                period=label,
                start=pd.Timestamp(start).date().isoformat(),
                reasons=tuple(sorted(parents)),
                sites=dict(sorted(sites.items())),
                n_calls=sum(len(item.call_ids) for item in explained),
                reasons_seen=reasons_seen,
                withdrawn=withdrawn,
            )
        ids = registry.match(
            period=label,
            profiles=[item.profile for item in found],
            members=[item.call_ids for item in found],
            parent_codes=[item.parent_code for item in found],
            sizes=[item.period_size for item in found],
            keywords=[list(item.keywords) for item in found],
            match_similarity=settings.registry.match_similarity,
            update_weight=settings.registry.update_weight,
            profile_terms=settings.registry.profile_terms,
            lineage_overlap=settings.registry.lineage_overlap,
        )
        clusters: list[EmergingCluster] = []
        change_label = label_of[change_start] if change_start is not None else None
        for cluster_id, item, signal in zip(ids, found, signals, strict=True):
            entry = registry.entries[cluster_id]
            growth = (item.rate + 1) / (item.previous_rate + 1)
            against_change = False
            if (
                settings.drift.new_themes_since_change
                and change_label is not None
                and (rebaselined or label == change_label)
                and entry.first_seen >= change_label
            ):
                # A theme first seen since the change of writing: in the period of the change it cannot be told
                # from the change itself; after it, its growth is measured against the periods written the new way.
                if item.since_change_rate is None:
                    signal = "none"
                else:
                    against_change = True
                    growth = (item.rate + 1) / (item.since_change_rate + 1)
                    signal = _signal(
                        replace(item, previous_rate=item.since_change_rate),
                        has_history=has_history,
                        window_calls=window_calls,
                        settings=settings,
                    )
            trend = tuple(TrendPoint(label_of[s], entry.history.get(label_of[s], 0)) for s in [*growth_before, *window])
            persistence = max(sum(point.size > 0 for point in trend), 1)
            clusters.append(
                EmergingCluster(
                    id=cluster_id,
                    size=len(item.call_ids),
                    period_size=item.period_size,
                    cohesion=item.cohesion,
                    keywords=item.keywords,
                    examples=item.examples,
                    call_ids=item.call_ids,
                    novelty=item.novelty,
                    growth=growth,
                    share=len(item.call_ids) / window_calls,
                    rate=item.rate,
                    previous_rate=item.previous_rate,
                    signal=signal,
                    first_seen=entry.first_seen,
                    parent_code=item.parent_code,
                    nearest_code=item.nearest_code,
                    status=entry.status,
                    trend=trend,
                    persistence=persistence,
                    priority=len(item.call_ids) * item.novelty * persistence * growth,
                    why=_why(item, signal=signal, growth=growth, persistence=persistence, since_change=against_change),
                )
            )
        rank = {"strong": 0, "weak": 1, "none": 2}
        clusters.sort(key=lambda c: (rank[c.signal], -c.priority, -c.size, c.id))
        out[label] = clusters
    return EmergingResult(clusters=out, writing_changes=changes)

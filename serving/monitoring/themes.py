"""Themes that cross reasons (the pandemic case, issue 12): one item for a theme present in many known reasons at once.

Clusters (`emerging.py`) look for calls unlike their reason; a theme such as COVID-19 that runs through santé,
paiement, attestation… lives *inside* ordinary calls of many reasons: each reason shows at most a small unusual
sub-group, and the queue gets a handful of weak clusters while the theme fills the traffic. Here the whole period is
read as words instead, in the spirit of BERTrend's weak/strong signals:

1. **bursting terms**: content lemmas (uni- and bigrams, one count per call) whose share of the current period's
   calls is well above their share over the reference periods (the `growth_periods` analysed periods before the
   window, as for clusters): at least `min_support` calls and `min_share` of the period's calls, a ratio ≥
   `min_ratio` to the reference share (smoothed: (count + 0.5) / (calls + 1)), and a one-sided binomial z ≥ `min_z`;
2. **themes**: bursting terms grouped by co-occurrence in the period's calls (two terms belong together when the
   calls holding both are ≥ `cooccurrence` of the calls holding the rarer one; single link); a theme has at least
   `min_terms` terms (one word alone, « délai », « proposer », is how a new note template shows, not a subject);
3. **calls**: every call of the window (the current period and the one before) holding one of the theme's terms;
4. **cross-reason**: the theme is kept only when its calls of the current period are spread over at least
   `min_reasons` known reasons (each with ≥ `min_reason_calls` of them), no reason or « autre » holds more than
   `max_reason_share` of them (otherwise it is one reason's sub-theme or a new reason: the clusters' business), and
   it does not run through nearly every reason seen in the period alike (more than `max_reason_fraction` of them):
   a new note template or tool makes its words burst everywhere at once — that is a change of writing, not a theme.

A theme is an `EmergingCluster` with `kind = "theme"`, an id `T…` from the same registry as the clusters (so it keeps
its id across weeks, and the review actions and statuses work on it), `reasons` = reason → calls of the current
period, `share` = its calls / all calls of the period. Its grade uses the clusters' bounds with
novelty = 1 − reference share / current share (the part of its calls the past does not explain) and growth =
(calls per period in the window + 1) / (calls per period in the reference periods + 1).

After a change of writing found by the clusters (`drift.rebaseline`), the period of the change has no theme and the
next ones take their reference periods from the change on (the new words are then the usual ones).

Sub-theme and other clusters of the period whose calls are mostly (≥ `fold_share`) the theme's are folded into it
(graded `none`, their `why` naming the theme), as the writing-change item does for the sub-themes it explains.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import pandas as pd

from serving.monitoring._format import number, pct
from serving.monitoring.calls import AUTRE, PERIOD, PERIOD_START, Granularity, previous_starts
from serving.monitoring.config import EmergingConfig, ThemesConfig
from serving.monitoring.emerging import WritingChange, grade
from serving.monitoring.registry import ClusterRegistry
from serving.monitoring.results import EmergingCluster, Signal, TrendPoint
from serving.monitoring.text import Lemmatizer

THEME_PREFIX = "T"


def terms_of(lemmas: Sequence[str]) -> frozenset[str]:
    """The distinct unigrams and bigrams of one note's content lemmas."""
    return frozenset([*lemmas, *(f"{a} {b}" for a, b in pairwise(lemmas))])


def _sample(frame: pd.DataFrame, limit: int) -> pd.DataFrame:
    if len(frame) <= limit:
        return frame
    keys = frame["call_id"].map(lambda value: hashlib.sha1(value.encode("utf-8")).hexdigest())
    return frame.loc[keys.sort_values(kind="mergesort").index[:limit]].sort_index()


@dataclass(frozen=True)
class Burst:
    term: str
    count: int  # calls of the current period holding the term
    share: float
    reference_share: float  # smoothed
    ratio: float
    z: float


def bursting_terms(
    now: Sequence[frozenset[str]], before: Sequence[frozenset[str]], settings: ThemesConfig
) -> list[Burst]:
    """Terms whose share of the calls `now` is significantly above their share `before` (see the module docstring),
    most frequent first, at most `max_terms`."""
    if not now:
        return []
    counts_now = Counter(term for terms in now for term in terms)
    counts_before = Counter(term for terms in before for term in terms)
    n_now, n_before = len(now), len(before)
    floor = max(settings.min_support, settings.min_share * n_now)
    found = []
    for term, count in counts_now.items():
        if count < floor:
            continue
        share = count / n_now
        reference = (counts_before.get(term, 0) + 0.5) / (n_before + 1)
        ratio = share / reference
        z = (share - reference) / math.sqrt(reference * (1 - reference) / n_now) if reference < 1 else 0.0
        if ratio >= settings.min_ratio and z >= settings.min_z:
            found.append(Burst(term, count, share, reference, ratio, z))
    found.sort(key=lambda burst: (-burst.count, burst.term))
    return found[: settings.max_terms]


def group_terms(bursts: Sequence[Burst], now: Sequence[frozenset[str]], settings: ThemesConfig) -> list[list[Burst]]:
    """Bursting terms joined when they co-occur (calls with both / calls with the rarer ≥ `cooccurrence`)."""
    holders = {burst.term: {i for i, terms in enumerate(now) if burst.term in terms} for burst in bursts}
    root = list(range(len(bursts)))

    def find(i: int) -> int:
        while root[i] != i:
            i = root[i]
        return i

    for i, left in enumerate(bursts):
        for j in range(i + 1, len(bursts)):
            right = bursts[j]
            common = len(holders[left.term] & holders[right.term])
            if common >= settings.cooccurrence * min(len(holders[left.term]), len(holders[right.term])):
                root[max(find(i), find(j))] = min(find(i), find(j))
    groups: dict[int, list[Burst]] = {}
    for i, burst in enumerate(bursts):
        groups.setdefault(find(i), []).append(burst)
    return [groups[key] for key in sorted(groups)]


@dataclass(frozen=True)
class _Theme:
    terms: tuple[str, ...]
    call_ids: tuple[str, ...]  # window calls holding a term, most terms first
    examples: tuple[str, ...]
    period_size: int
    reasons: dict[str, int]  # known reason → calls of the current period
    share: float  # current period calls holding it / all calls of the period
    reference_share: float
    rate: float
    previous_rate: float
    profile: dict[str, float]


def _span(codes: Sequence[str], settings: ThemesConfig, reasons_seen: int) -> dict[str, int] | None:
    """Reason → calls when the theme's current calls cross reasons (module docstring, step 4), else None."""
    counts = Counter(codes)
    if not counts or max(counts.values()) > settings.max_reason_share * len(codes):
        return None
    spanned = {code: n for code, n in sorted(counts.items()) if code != AUTRE and n >= settings.min_reason_calls}
    if len(spanned) < settings.min_reasons:
        return None
    if reasons_seen and len(spanned) > settings.max_reason_fraction * reasons_seen:
        return None
    return dict(sorted(spanned.items(), key=lambda item: (-item[1], item[0])))


def _why(theme: _Theme, *, signal: Signal, growth: float, persistence: int) -> str:
    what = {"strong": "signal fort", "weak": "signal faible", "none": "sous les seuils"}[signal]
    reasons = ", ".join(list(theme.reasons)[:6]) + (
        f" et {len(theme.reasons) - 6} autre(s)" if len(theme.reasons) > 6 else ""
    )
    return (
        f"{what} : thème transversal présent dans {len(theme.reasons)} motifs à la fois ({reasons}), "
        f"{theme.period_size} appels de la période ({pct(theme.share)} de tous les appels, contre "
        f"{pct(theme.reference_share)} avant), croissance ×{number(growth)}, présent sur {persistence} période(s)"
    )


def detect_themes(
    calls: pd.DataFrame,
    granularity: Granularity,
    *,
    settings: EmergingConfig,
    registry: ClusterRegistry,
    lemmatizer: Lemmatizer,
    since: str | None = None,
    until: str | None = None,
    changes: Mapping[str, WritingChange] | None = None,
    terms_cache: dict[pd.Timestamp, tuple[pd.DataFrame, list[frozenset[str]]]] | None = None,
) -> dict[str, list[EmergingCluster]]:
    """Cross-reason themes of every period of `calls` (from `prepare_calls`) from `since` to `until` (labels,
    included), keyed by period label. `terms_cache`: period start → its sampled calls and their terms, kept by the
    caller between calls (one call per period); periods older than the current one's history are dropped from it.

    `registry` is updated in place (ids `T…`, histories), as for the clusters. `changes`: the changes of writing
    the clusters found (`emerging.detect_emerging`); with `drift.rebaseline`, the period of a change has no theme
    (its new words burst everywhere) and the next ones compare with the periods since the change, until the usual
    reference periods lie wholly after it — as the clusters' references do."""
    config = settings.themes
    out: dict[str, list[EmergingCluster]] = {}
    if not config.enabled or calls.empty:
        return out
    starts: list[pd.Timestamp] = sorted(calls[PERIOD_START].unique())
    label_of = dict(zip(calls[PERIOD_START], calls[PERIOD], strict=False))
    terms_cache = {} if terms_cache is None else terms_cache
    change_start: pd.Timestamp | None = None
    if settings.drift.rebaseline:
        earlier = [change for label, change in (changes or {}).items() if since is not None and label < since]
        if earlier:
            change_start = pd.Timestamp(max(earlier, key=lambda change: change.period).start)

    def period_terms(start: pd.Timestamp) -> tuple[pd.DataFrame, list[frozenset[str]]]:
        if start not in terms_cache:
            frame = _sample(calls[calls[PERIOD_START] == start], config.max_calls_per_period)
            tokens = lemmatizer(frame["text"].tolist())
            terms_cache[start] = (frame, [terms_of(t.lemmas) for t in tokens])
        return terms_cache[start]

    for start in starts:
        label = label_of[start]
        if (since is not None and label < since) or (until is not None and label > until):
            continue
        earlier = previous_starts(start, granularity, settings.window_periods - 1)
        window = sorted(s for s in (*earlier, start) if s in set(starts))
        before = [s for s in starts if s < window[0]][-settings.growth_periods :]
        if settings.drift.rebaseline and label in (changes or {}):
            change_start = start
        if change_start is not None and (not before or before[0] < change_start):
            before = [s for s in starts if change_start <= s < start]
        for old in [s for s in terms_cache if s < min([*before, *window])]:
            del terms_cache[old]  # bounded memory: only the current period's history is kept
        if len(before) < max(settings.min_history_periods, 1):
            out[label] = []
            continue
        frame, now = period_terms(start)
        past = [terms for s in before for terms in period_terms(s)[1]]
        bursts = bursting_terms(now, past, config)
        codes = frame["code"].where(~frame["autre"], AUTRE).astype(str).tolist()
        seen = Counter(code for code in codes if code != AUTRE)
        reasons_seen = sum(n >= config.min_reason_calls for n in seen.values())
        themes: list[_Theme] = []
        for group in group_terms(bursts, now, config):
            if len(group) < config.min_terms:
                continue
            words = {burst.term for burst in group}
            held = [i for i, terms in enumerate(now) if terms & words]
            reasons = _span([codes[i] for i in held], config, reasons_seen)
            if reasons is None:
                continue
            members: list[tuple[int, str, str, bool]] = []  # (-terms held, call id, text, current period)
            for s in window:
                window_frame, window_terms = period_terms(s)
                for call_id, text, terms in zip(
                    window_frame["call_id"], window_frame["text"], window_terms, strict=True
                ):
                    if terms & words:
                        members.append((-len(terms & words), str(call_id), str(text), s == start))
            members.sort()
            examples: list[str] = []
            for _, _, text, _ in members:
                if text not in examples:
                    examples.append(text)
                if len(examples) == settings.examples:
                    break
            past_held = sum(1 for terms in past if terms & words)
            top = sorted(group, key=lambda burst: (-burst.count, burst.term))
            weights = {burst.term: burst.count / len(held) for burst in top[: settings.registry.profile_terms]}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            themes.append(
                _Theme(
                    terms=tuple(burst.term for burst in top),
                    call_ids=tuple(call_id for _, call_id, _, _ in members),
                    examples=tuple(examples),
                    period_size=len(held),
                    reasons=reasons,
                    share=len(held) / len(now),
                    reference_share=past_held / len(past) if past else 0.0,
                    rate=len(members) / len(window),
                    previous_rate=past_held / len(before),
                    profile={term: round(w / norm, 6) for term, w in weights.items()},
                )
            )
        ids = registry.match(
            period=label,
            profiles=[theme.profile for theme in themes],
            members=[theme.call_ids for theme in themes],
            parent_codes=[None] * len(themes),
            sizes=[theme.period_size for theme in themes],
            keywords=[list(theme.terms[: settings.keywords]) for theme in themes],
            match_similarity=settings.registry.match_similarity,
            update_weight=settings.registry.update_weight,
            profile_terms=settings.registry.profile_terms,
            prefix=THEME_PREFIX,
            lineage_overlap=settings.registry.lineage_overlap,
        )
        found = []
        for theme_id, theme in zip(ids, themes, strict=True):
            entry = registry.entries[theme_id]
            growth = (theme.rate + 1) / (theme.previous_rate + 1)
            novelty = max(0.0, 1.0 - theme.reference_share / theme.share) if theme.share else 0.0
            signal: Signal = (
                grade(
                    size=len(theme.call_ids),
                    share=theme.share,
                    novelty=novelty,
                    growth=growth,
                    bounds=settings.grading,
                )
                if theme.period_size >= settings.min_period_calls
                else "none"
            )
            trend = tuple(TrendPoint(label_of[s], entry.history.get(label_of[s], 0)) for s in [*before, *window])
            persistence = max(sum(point.size > 0 for point in trend), 1)
            found.append(
                EmergingCluster(
                    id=theme_id,
                    kind="theme",
                    size=len(theme.call_ids),
                    period_size=theme.period_size,
                    keywords=theme.terms[: settings.keywords],
                    examples=theme.examples,
                    call_ids=theme.call_ids,
                    novelty=novelty,
                    growth=growth,
                    share=theme.share,
                    rate=theme.rate,
                    previous_rate=theme.previous_rate,
                    signal=signal,
                    first_seen=entry.first_seen,
                    nearest_code=next(iter(theme.reasons)),
                    reasons=theme.reasons,
                    status=entry.status,
                    trend=trend,
                    persistence=persistence,
                    priority=len(theme.call_ids) * novelty * persistence * growth,
                    why=_why(theme, signal=signal, growth=growth, persistence=persistence),
                )
            )
        out[label] = found
    return out


def fold_into_themes(
    clusters: Sequence[EmergingCluster], themes: Sequence[EmergingCluster], *, fold_share: float
) -> list[EmergingCluster]:
    """Clusters of one period whose calls are mostly (≥ `fold_share`) a graded theme's: graded `none` and their
    `why` names the theme (they stay listed, below it). Others unchanged."""
    graded = [theme for theme in themes if theme.signal != "none"]
    out = []
    for cluster in clusters:
        members = set(cluster.call_ids)
        host = next(
            (t for t in graded if members and len(members & set(t.call_ids)) >= fold_share * len(members)),
            None,
        )
        if host is None or cluster.signal == "none":
            out.append(cluster)
            continue
        out.append(
            replace(
                cluster,
                signal="none",
                folded_into=host.id,
                why=f"regroupé dans le thème transversal {host.id} ({cluster.why})",
            )
        )
    return out


def with_themes(
    clusters: dict[str, list[EmergingCluster]],
    calls: pd.DataFrame,
    granularity: Granularity,
    *,
    settings: EmergingConfig,
    registry: ClusterRegistry,
    lemmatizer: Lemmatizer,
    since: str | None = None,
    until: str | None = None,
    changes: Mapping[str, WritingChange] | None = None,
    terms_cache: dict[pd.Timestamp, tuple[pd.DataFrame, list[frozenset[str]]]] | None = None,
) -> dict[str, list[EmergingCluster]]:
    """The clusters of each period with its themes crossing reasons added and the clusters they explain folded into
    them, in queue order (strong, weak, none; then expected value)."""
    themes = detect_themes(
        calls,
        granularity,
        settings=settings,
        registry=registry,
        lemmatizer=lemmatizer,
        since=since,
        until=until,
        changes=changes,
        terms_cache=terms_cache,
    )
    rank = {"strong": 0, "weak": 1, "none": 2}
    out = {}
    for label in sorted(set(clusters) | set(themes)):
        found = themes.get(label, [])
        items = [*found, *fold_into_themes(clusters.get(label, []), found, fold_share=settings.themes.fold_share)]
        items.sort(key=lambda c: (rank[c.signal], -c.priority, -c.size, c.id))
        out[label] = items
    return out

"""One call for everything: « autre » share and alerts, volume alerts, emerging clusters, as a `MonitoringReport`.

Pure apart from spaCy: data in (a DataFrame of calls and predictions, the configuration, the taxonomy's example
texts, the registry of known clusters), data out. The CLI, the review UI and the HTML report sit on top of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from threadpoolctl import threadpool_limits

from serving.monitoring._format import number, pct
from serving.monitoring.autre import ALL_SCOPE, autre_alerts, autre_share_table, to_confirm_alerts
from serving.monitoring.calls import PERIOD, Granularity, prepare_calls
from serving.monitoring.config import MonitoringConfig, default_config
from serving.monitoring.emerging import WritingChange, detect_emerging
from serving.monitoring.registry import ClusterRegistry
from serving.monitoring.results import Alert, EmergingCluster, MonitoringReport, PeriodReport
from serving.monitoring.text import Lemmatizer, make_lemmatizer
from serving.monitoring.themes import with_themes
from serving.monitoring.volume import volume_alerts, volume_table

_SIGNAL_FR = {"weak": "faible", "strong": "fort"}
HEALTH_TOP_CLUSTERS = (
    3  # the health alarm looks at the share of « autre » calls held by the 3 largest emerging clusters
)
HEALTH_EXPLAINED_SHARE = 0.3  # and mentions a possible new need above this share


@dataclass(frozen=True)
class MonitoringRun:
    """The report, the updated registry (store it for the next run) and the tables behind the charts."""

    report: MonitoringReport
    registry: ClusterRegistry
    autre_table: pd.DataFrame
    volume_table: pd.DataFrame
    changes: dict[str, WritingChange] = field(default_factory=dict)  # period label → change of writing found in it
    registry_states: dict[str, dict[str, Any]] = field(default_factory=dict)  # period → registry after it


def writing_change_alert(change: WritingChange, *, reason_labels: Mapping[str, str] | None = None) -> Alert:
    """The one « changement d'écriture » item of a period (`emerging.WritingChange`): its date, reasons and sites."""
    labels = reason_labels or {}
    reasons = [labels.get(code, code) for code in change.reasons]
    shown = ", ".join(reasons[:6]) + (f" et {len(reasons) - 6} autre(s)" if len(reasons) > 6 else "")
    sites = ", ".join(f"{site} ({count})" for site, count in sorted(change.sites.items(), key=lambda kv: -kv[1]))
    return Alert(
        kind="text_drift",
        severity="warning",
        period=change.period,
        scope={},
        value=float(len(change.reasons)),
        baseline=float(change.reasons_seen),
        threshold=None,
        message=(
            f"Changement d'écriture des notes à partir du {change.start} : de nouveaux sous-thèmes apparaissent dans "
            f"{len(change.reasons)} motifs sur {change.reasons_seen} à la fois ({shown}) ; sites : {sites or '—'}. "
            "Un changement d'outil, de modèle de note ou d'équipe est plus probable que autant de nouveaux besoins : "
            "vérifier la saisie et envisager de réentraîner le modèle. Les sous-thèmes de la période sont regroupés "
            + (
                f"ici et les références des motifs reprennent à partir de cette date ({change.withdrawn} signal(s) "
                "retiré(s))."
                if change.withdrawn
                else "ici."
            )
        ),
        details={
            "parent_codes": list(change.reasons),
            "sites": dict(change.sites),
            "n_calls": change.n_calls,
            "start": change.start,
            "withdrawn_signals": change.withdrawn,
        },
    )


def emerging_alerts(
    period: str,
    clusters: Sequence[EmergingCluster],
    *,
    reason_labels: Mapping[str, str] | None = None,
    subthemes: bool = True,
) -> list[Alert]:
    """One alert per open cluster graded weak or strong (dismissed or already handled clusters stay silent);
    `subthemes=False` leaves out the sub-theme ones (folded into a drift alert)."""
    labels = reason_labels or {}
    alerts = []
    for cluster in clusters:
        if cluster.signal == "none" or cluster.status != "open":
            continue
        if cluster.parent_code is not None and not subthemes:
            continue
        words = ", ".join(cluster.keywords[:5]) or "(aucun mot-clé)"
        if cluster.kind == "theme":
            alerts.append(theme_alert(period, cluster, reason_labels=labels))
            continue
        if cluster.parent_code is None:
            what = f"Motif émergent possible {cluster.id}"
        else:
            parent = cluster.parent_code + (
                f" ({labels[cluster.parent_code]})" if cluster.parent_code in labels else ""
            )
            what = f"Nouveau sous-thème possible {cluster.id} dans le motif {parent}"
        scope = {"cluster": cluster.id} | ({"code": cluster.parent_code} if cluster.parent_code else {})
        alerts.append(
            Alert(
                kind="emerging_reason" if cluster.parent_code is None else "emerging_subtheme",
                severity="warning" if cluster.signal == "strong" else "info",
                period=period,
                scope=scope,
                value=float(cluster.size),
                baseline=None,
                threshold=None,
                message=(
                    f"{what} (signal {_SIGNAL_FR[cluster.signal]}) : {cluster.size} appels, mots-clés : {words} ; "
                    f"nouveauté {number(cluster.novelty, 2)}, croissance ×{number(cluster.growth)}."
                ),
                details={
                    "signal": cluster.signal,
                    "novelty": cluster.novelty,
                    "growth": cluster.growth,
                    "first_seen": cluster.first_seen,
                    "nearest_code": cluster.nearest_code,
                },
            )
        )
    return alerts


def theme_alert(period: str, theme: EmergingCluster, *, reason_labels: Mapping[str, str] | None = None) -> Alert:
    """The alert of a theme crossing reasons (`themes.py`): its volume, share of all calls and the reasons it spans."""
    labels = reason_labels or {}
    names = [labels.get(code, code) for code in theme.reasons]
    shown = ", ".join(names[:6]) + (f" et {len(names) - 6} autre(s)" if len(names) > 6 else "")
    return Alert(
        kind="emerging_theme",
        severity="warning" if theme.signal == "strong" else "info",
        period=period,
        scope={"cluster": theme.id},
        value=float(theme.period_size),
        baseline=None,
        threshold=None,
        message=(
            f"Thème transversal possible {theme.id} (signal {_SIGNAL_FR[theme.signal]}) : {theme.period_size} appels "
            f"de la période ({pct(theme.share)} de tous les appels) dans {len(theme.reasons)} motifs à la fois "
            f"({shown}) ; mots-clés : {', '.join(theme.keywords[:5])} ; croissance ×{number(theme.growth)}."
        ),
        details={
            "signal": theme.signal,
            "share": theme.share,
            "growth": theme.growth,
            "reasons": dict(theme.reasons),
            "first_seen": theme.first_seen,
        },
    )


def _explain_health(alert: Alert, calls: pd.DataFrame, clusters: Sequence[EmergingCluster]) -> Alert:
    """A health alarm says how many of the period's « autre » calls the few largest emerging clusters hold: a broken
    chain spreads « autre » over every usual theme (many clusters, or none), a sudden national new need (a reform
    announced everywhere at once) concentrates it in one or two themes."""
    autre = set(calls.loc[(calls[PERIOD] == alert.period) & calls["autre"], "call_id"])
    signals = sorted((c for c in clusters if c.signal != "none"), key=lambda c: -c.size)
    grouped = {call_id for cluster in signals[:HEALTH_TOP_CLUSTERS] for call_id in cluster.call_ids}
    share = len(autre & grouped) / len(autre) if autre else 0.0
    message = alert.message
    if share >= HEALTH_EXPLAINED_SHARE:
        message += (
            f" Toutefois {pct(share)} des appels « autre » de la période tiennent dans "
            f"{min(len(signals), HEALTH_TOP_CLUSTERS)} groupe(s) émergent(s) : un nouveau besoin apparu partout à la "
            "fois est aussi possible (voir les motifs émergents)."
        )
    details = {**alert.details, "autre_in_top_emerging_clusters": share, "emerging_clusters": len(signals)}
    return replace(alert, message=message, details=details)


# One BLAS thread: the matrices are small, and on a busy 2-core machine a multi-threaded SVD of a few hundred notes
# took 5x longer (8.4 s instead of 1.7 s, measured in tests/test_review_loop.py).
@threadpool_limits.wrap(limits=1)
def run_monitoring(
    frame: pd.DataFrame,
    *,
    granularity: Granularity = "week",
    config: MonitoringConfig | None = None,
    known_reasons: Mapping[str, Sequence[str]] | None = None,
    reason_labels: Mapping[str, str] | None = None,
    registry: ClusterRegistry | None = None,
    lemmatizer: Lemmatizer | None = None,
    since: str | None = None,
    emerging: bool = True,
    prior_changes: Mapping[str, WritingChange] | None = None,
    keep_states: bool = False,
    progress: Callable[[Sequence[str]], Iterable[str]] = iter,
) -> MonitoringRun:
    """Monitor the calls of `frame` (input contract in `serving.monitoring.calls`), period by period.

    `known_reasons`: code → texts describing the reason (taxonomy label, definition, examples) for novelty;
    `reason_labels`: code → French label for messages; `registry`: the clusters of earlier runs (not modified: the
    updated copy is returned); `since`: first period label to report (earlier periods are history only);
    `emerging=False` skips clustering (no text needed, no spaCy). `prior_changes`: the changes of writing found
    before `since` by earlier runs; `keep_states`: keep the registry as it stands after each period (what an
    incremental run starts from); `progress`: wraps the periods (a progress bar).
    """
    config = config or default_config()
    calls = prepare_calls(frame, granularity=granularity, require_text=emerging)
    dimensions = tuple(dict.fromkeys((*config.autre.dimensions, config.health.dimension)))
    shares = autre_share_table(
        calls, granularity, dimensions=dimensions, baseline_periods=config.autre.baseline_periods
    )
    volumes = volume_table(calls, granularity, settings=config.volume)
    if config.volume.expected == "forecast":
        from serving.monitoring.volume_band import banded_volume_table  # statsmodels, only when asked for

        volumes = banded_volume_table(calls, volumes, granularity, since=since)
    alerts: dict[str, list[Alert]] = {}
    found_alerts = (
        to_confirm_alerts(shares, config)
        + autre_alerts(shares, config)
        + volume_alerts(volumes, config.volume, reason_labels=reason_labels)
    )
    for alert in found_alerts:
        alerts.setdefault(alert.period, []).append(alert)

    registry = registry.copy() if registry is not None else ClusterRegistry()
    clusters: dict[str, list[EmergingCluster]] = {}
    changes: dict[str, WritingChange] = dict(prior_changes or {})
    states: dict[str, dict[str, Any]] = {}
    if emerging:
        settings = config.emerging
        lemmatizer = lemmatizer or make_lemmatizer(
            settings.representation.lemmatizer, extra_stop_words=settings.representation.extra_stop_words
        )
        terms_cache: dict[pd.Timestamp, tuple[pd.DataFrame, list[frozenset[str]]]] = {}
        labels = sorted(label for label in calls[PERIOD].unique() if since is None or label >= since)
        # One period at a time, clusters then themes: the registry after period p depends only on periods ≤ p, so an
        # incremental run (from the registry stored after p) gives exactly what a full run gives.
        for label in progress(labels):
            found_emerging = detect_emerging(
                calls,
                granularity,
                settings=settings,
                registry=registry,
                lemmatizer=lemmatizer,
                known_reasons=known_reasons,
                since=label,
                until=label,
                prior_changes=changes,
            )
            changes.update(found_emerging.writing_changes)
            clusters.update(
                with_themes(
                    found_emerging.clusters,
                    calls,
                    granularity,
                    settings=settings,
                    registry=registry,
                    lemmatizer=lemmatizer,
                    since=label,
                    until=label,
                    changes=changes,
                    terms_cache=terms_cache,
                )
            )
            if keep_states:
                states[label] = registry.to_dict()

    overall = shares[shares["scope"] == ALL_SCOPE]
    periods = []
    for row in overall.itertuples(index=False):
        if since is not None and row.period < since:
            continue
        found = clusters.get(row.period, [])
        period_alerts = alerts.get(row.period, [])
        drift, new_needs = None, []
        if emerging:
            period_alerts = [
                _explain_health(alert, calls, found) if alert.kind == "model_health" else alert
                for alert in period_alerts
            ]
            change = changes.get(row.period)
            drift = writing_change_alert(change, reason_labels=reason_labels) if change else None
            new_needs = emerging_alerts(row.period, found, reason_labels=reason_labels, subthemes=drift is None)
            # A health alarm the largest emerging clusters do not explain, with more new themes than is plausible at
            # once: the chain is likely broken and the clusters are its symptoms; their alerts are folded into it.
            unexplained = [
                alert
                for alert in period_alerts
                if alert.kind == "model_health"
                and alert.details["autre_in_top_emerging_clusters"] < HEALTH_EXPLAINED_SHARE
            ]
            if unexplained and len(new_needs) > config.health.max_new_themes:
                folded = replace(
                    unexplained[0], details={**unexplained[0].details, "emerging_alerts_folded": len(new_needs)}
                )
                period_alerts = [folded if alert is unexplained[0] else alert for alert in period_alerts]
                new_needs = []
        periods.append(
            PeriodReport(
                period=row.period,
                start=row.period_start.date().isoformat(),
                n_calls=int(row.n_calls),
                n_autre=int(row.n_autre),
                n_to_confirm=int(row.n_to_confirm),
                n_autre_agent=int(row.n_autre_agent),
                clusters=tuple(found),
                alerts=(
                    *period_alerts,
                    *([drift] if drift else []),
                    *new_needs,
                ),
            )
        )
    report = MonitoringReport(granularity=granularity, periods=tuple(periods))
    return MonitoringRun(
        report=report,
        registry=registry,
        autre_table=shares,
        volume_table=volumes,
        changes={label: change for label, change in changes.items() if since is None or label >= since},
        registry_states=states,
    )

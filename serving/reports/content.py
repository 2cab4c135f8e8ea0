"""What the report says, as plain data: built from a `MonitoringRun` and the calls, rendered by `render.py`.

Pure: no I/O, no clock (the generation time is given). Every text meant for the reader is French. Examples of
emerging clusters come from the monitoring input's `text` column, which holds redacted notes only; they are redacted
once more here (redaction is idempotent) so that a report can never show a note that skipped the redactor upstream.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pandas as pd

from serving.monitoring import AUTRE, MonitoringConfig, MonitoringRun
from serving.monitoring.results import Alert, EmergingCluster
from serving.reports import formatting as fmt
from serving.reports.calibration import AutreCalibration
from serving.reports.forecasts import ForecastSection
from taxonomy import Taxonomy

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
SEVERITY_LABELS = {"critical": "critique", "warning": "attention", "info": "information"}
SIGNAL_RANK = {"strong": 2, "weak": 1, "none": 0}
SIGNAL_LABELS = {"strong": "fort", "weak": "faible", "none": "aucun"}
STATUS_LABELS = {
    "open": "à examiner",
    "dismissed": "écarté (bruit)",
    "created": "nouveau motif créé",
    "attached": "rattaché à un motif existant",
}
# Alert families, in the order of the report (most serious first).
ALERT_FAMILIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("health", "Alarmes de santé de la chaîne de qualification", ("model_health", "model_doubt")),
    (
        "emerging",
        "Motifs émergents, sous-thèmes et dérive de rédaction",
        ("emerging_theme", "emerging_reason", "emerging_subtheme", "text_drift"),
    ),
    ("volume", "Volumes des motifs connus (pics et baisses)", ("volume_spike", "volume_drop")),
    ("autre", "Part de « autre » (hausses et dépassements de cible)", ("autre_rise", "autre_above_target")),
)
KIND_LABELS = {
    "model_health": "alarme de santé",
    "model_doubt": "modèle à vérifier",
    "emerging_theme": "thème transversal",
    "emerging_reason": "motif émergent",
    "emerging_subtheme": "nouveau sous-thème",
    "text_drift": "dérive de rédaction",
    "volume_spike": "pic de volume",
    "volume_drop": "baisse de volume",
    "autre_rise": "hausse de « autre »",
    "autre_above_target": "« autre » au-dessus de la cible",
}
ALL_SITES = "Ensemble"
NO_DOMAIN = "Hors base"
MAX_CLUSTER_CARDS = 12  # clusters shown in full; the others in a short table
MAX_AUTRE_LINES = 7  # sites drawn on the « autre » chart besides all calls (all of them are in the table)


@dataclass(frozen=True)
class PeriodInfo:
    label: str  # 2026-W03
    start: dt.date
    title: str  # semaine du 12/01/2026
    short: str  # 12/01
    n_calls: int
    n_autre: int  # outside the base: the model's novelty « autre » + the agents' own « autre » choices
    n_to_confirm: int = 0  # sent « à confirmer » (the model hesitated): a model-quality indicator, not « autre »
    n_autre_agent: int = 0  # of n_autre: chosen « autre » by the agent where the model had not

    @property
    def autre_share(self) -> float:
        return self.n_autre / self.n_calls if self.n_calls else 0.0

    @property
    def to_confirm_share(self) -> float:
        return self.n_to_confirm / self.n_calls if self.n_calls else 0.0


@dataclass(frozen=True)
class ReasonRow:
    code: str
    label: str
    domain: str
    calls: int
    share: float
    per_period: tuple[int, ...]


@dataclass(frozen=True)
class DomainRow:
    code: str
    label: str
    calls: int
    share: float
    reasons: int


@dataclass(frozen=True)
class AutreSeries:
    group: str  # « Ensemble » or a site
    target: float
    shares: tuple[float | None, ...]  # per period; None = no call
    calls: tuple[int, ...]
    autre: tuple[int, ...]

    @property
    def total_share(self) -> float:
        total = sum(self.calls)
        return sum(self.autre) / total if total else 0.0


@dataclass(frozen=True)
class AlertRow:
    period: str
    period_title: str
    kind: str
    kind_label: str
    severity: str
    severity_label: str
    message: str


@dataclass(frozen=True)
class AlertFamily:
    key: str
    title: str
    rows: tuple[AlertRow, ...]


@dataclass(frozen=True)
class RisingRow:
    period_title: str
    code: str
    label: str
    where: str
    observed: int
    expected: float | None
    ratio: float | None
    z: float
    severity: str
    severity_label: str


@dataclass(frozen=True)
class ClusterView:
    id: str
    kind: str  # "new" (candidate new reason), "subtheme" (inside parent_code) or "theme" (crossing reasons)
    signal: str  # best grade over the report's periods
    signal_label: str
    status: str
    status_label: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    size: int  # calls in the window of the last period it was seen
    period_size: int
    growth: float
    novelty: float
    first_seen: str
    last_seen: str
    parent_code: str | None
    parent_label: str | None
    nearest_code: str | None
    nearest_label: str | None
    trend: tuple[tuple[str, int], ...]  # (period title, calls of that period in the cluster) over the report
    link: str | None
    reasons: tuple[str, ...] = ()  # a theme's reasons (labels), most calls first
    share: float = 0.0  # a theme's share of all the calls of its last period


@dataclass(frozen=True)
class Fact:
    text: str
    severity: str  # critical / warning / info


@dataclass(frozen=True)
class Coverage:
    start: dt.date
    end: dt.date
    site: str | None
    granularity: str
    n_calls: int
    n_autre: int
    first_call: dt.datetime | None
    last_call: dt.datetime | None
    sites: Mapping[str, int]
    channels: Mapping[str, int]
    model_versions: Mapping[str, int]
    taxonomy_versions: Mapping[str, int]
    source: str
    history_start: dt.date
    generated_at: dt.datetime
    review_url: str | None = None
    scope: str = ""  # the monitoring scope the cluster ids belong to (`week`, `week@lyon`)
    n_to_confirm: int = 0  # calls sent « à confirmer » (not in n_autre)


@dataclass(frozen=True)
class ReportContent:
    title: str
    coverage: Coverage
    facts: tuple[Fact, ...]
    periods: tuple[PeriodInfo, ...]
    reasons: tuple[ReasonRow, ...]
    domains: tuple[DomainRow, ...]
    autre_target: float
    autre_series: tuple[AutreSeries, ...]
    rising: tuple[RisingRow, ...]
    alert_families: tuple[AlertFamily, ...]
    alert_counts: Mapping[str, int]
    clusters: tuple[ClusterView, ...]
    more_clusters: tuple[ClusterView, ...]
    granularity_label: str
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    calibration: AutreCalibration = field(default_factory=AutreCalibration)  # expected false-« autre » rate
    max_to_confirm_share: float | None = None  # « modèle à vérifier » above this « à confirmer » share
    forecasts: ForecastSection | None = None  # « Prévisions » (serving.reports.forecasts), filled by make_report

    @property
    def n_alerts(self) -> int:
        return sum(self.alert_counts.values())


GRANULARITY_LABELS = {"day": "jour", "week": "semaine", "month": "mois"}


def review_link(template: str | None, cluster_id: str, scope: str = "") -> str | None:
    """The review UI page of a cluster: `template` with `{id}` and `{scope}` filled in, or a base URL the id is
    appended to; None without a template."""
    if not template:
        return None
    if "{id}" in template or "{scope}" in template:
        return template.replace("{scope}", quote(scope, safe="@")).replace("{id}", quote(cluster_id, safe=""))
    return f"{template.rstrip('/')}/{quote(cluster_id, safe='')}"


def build_report(
    run: MonitoringRun,
    calls: pd.DataFrame,
    *,
    taxonomy: Taxonomy,
    config: MonitoringConfig,
    coverage: Coverage,
    redact: Callable[[str], str],
    calibration: AutreCalibration | None = None,
) -> ReportContent:
    """The report's content. `calls` = the monitoring input restricted to the report's dates, after
    `serving.monitoring.prepare_calls` (columns `period`, `code`, `autre`, `site`…); `redact` is applied to every note
    shown; `calibration`: the model's expected false-« autre » rate (« inconnu » when None)."""
    calibration = calibration or AutreCalibration()
    granularity = run.report.granularity
    periods = tuple(
        PeriodInfo(
            label=p.period,
            start=dt.date.fromisoformat(p.start),
            title=fmt.period_title(dt.date.fromisoformat(p.start), granularity),
            short=fmt.period_short(dt.date.fromisoformat(p.start), granularity),
            n_calls=p.n_calls,
            n_autre=p.n_autre,
            n_to_confirm=p.n_to_confirm,
            n_autre_agent=p.n_autre_agent,
        )
        for p in run.report.periods
    )
    titles = {p.label: p.title for p in periods}
    labels = {reason.code: reason.label for reason in taxonomy.reasons}
    reasons, domains = _volumes(calls, periods, taxonomy)
    series = _autre_series(run.autre_table, periods, config)
    alert_rows = [alert for period in run.report.periods for alert in period.alerts]
    families = _alert_families(alert_rows, titles)
    counts: dict[str, int] = {}
    for alert in alert_rows:
        counts[alert.kind] = counts.get(alert.kind, 0) + 1
    rising = _rising(alert_rows, titles, labels)
    clusters = _clusters(run, periods, labels, redact, coverage.review_url, coverage.scope)
    shown = tuple(c for c in clusters if c.signal != "none")
    cards = tuple(c for c in shown if c.status == "open")[:MAX_CLUSTER_CARDS]
    rest = tuple(c for c in shown if c not in cards)
    facts = synthesis(
        periods=periods,
        reasons=reasons,
        series=series,
        alerts=alert_rows,
        clusters=shown,
        titles=titles,
        labels=labels,
        config=config,
        coverage=coverage,
        calibration=calibration,
    )
    where = f" — site {coverage.site}" if coverage.site else ""
    return ReportContent(
        title=f"Motifs d'appel : rapport du {coverage.start:%d/%m/%Y} au {coverage.end:%d/%m/%Y}{where}",
        coverage=coverage,
        facts=tuple(facts),
        periods=periods,
        reasons=reasons,
        domains=domains,
        autre_target=config.autre.target,
        autre_series=series,
        rising=rising,
        alert_families=families,
        alert_counts=counts,
        clusters=cards,
        more_clusters=rest,
        granularity_label=GRANULARITY_LABELS.get(granularity, granularity),
        thresholds={
            "autre_target": config.autre.target,
            "rise_points": config.autre.rise_points,
            "baseline_periods": config.autre.baseline_periods,
            "volume_ratio": config.volume.min_ratio,
            "volume_z": config.volume.min_z,
            "weak": config.emerging.grading.weak,
            "strong": config.emerging.grading.strong,
        },
        calibration=calibration,
        max_to_confirm_share=config.health.max_to_confirm_share,
    )


def _volumes(
    calls: pd.DataFrame, periods: Sequence[PeriodInfo], taxonomy: Taxonomy
) -> tuple[tuple[ReasonRow, ...], tuple[DomainRow, ...]]:
    index = {p.label: i for i, p in enumerate(periods)}
    in_range = calls[calls["period"].isin(index)]
    total = len(in_range)
    per_code: dict[str, list[int]] = {}
    for (period, code), n in in_range.groupby(["period", "code"]).size().items():
        per_code.setdefault(str(code), [0] * len(periods))[index[str(period)]] = int(n)
    rows = []
    for code, values in per_code.items():
        if code == AUTRE:
            label, domain = "Autre motif (hors base)", NO_DOMAIN
        elif code in taxonomy:
            reason = taxonomy.get(code)
            found = taxonomy.domain_of(code)
            label, domain = reason.label, found.label if found is not None else NO_DOMAIN
        else:
            label, domain = code, NO_DOMAIN
        calls_n = sum(values)
        rows.append(ReasonRow(code, label, domain, calls_n, calls_n / total if total else 0.0, tuple(values)))
    rows.sort(key=lambda row: (-row.calls, row.code))
    by_domain: dict[str, list[ReasonRow]] = {}
    for row in rows:
        by_domain.setdefault(row.domain, []).append(row)
    domain_codes = {d.label: d.code for d in taxonomy.domains}
    domains = [
        DomainRow(
            code=domain_codes.get(name, ""),
            label=name,
            calls=sum(r.calls for r in members),
            share=sum(r.calls for r in members) / total if total else 0.0,
            reasons=len(members),
        )
        for name, members in by_domain.items()
    ]
    domains.sort(key=lambda row: (-row.calls, row.label))
    return tuple(rows), tuple(domains)


def _autre_series(
    table: pd.DataFrame, periods: Sequence[PeriodInfo], config: MonitoringConfig
) -> tuple[AutreSeries, ...]:
    index = {p.label: i for i, p in enumerate(periods)}
    rows = table[table["period"].isin(index) & table["scope"].isin(["all", "site"])]
    series = []
    for (scope, group), members in rows.groupby(["scope", "group"], sort=True):
        calls, autre = [0] * len(periods), [0] * len(periods)
        shares: list[float | None] = [None] * len(periods)
        for row in members.itertuples(index=False):
            i = index[str(row.period)]
            calls[i], autre[i], shares[i] = int(row.n_calls), int(row.n_autre), float(row.share)
        name = ALL_SITES if scope == "all" else str(group)
        target = config.autre.site_targets.get(name, config.autre.target) if scope == "site" else config.autre.target
        series.append(AutreSeries(name, target, tuple(shares), tuple(calls), tuple(autre)))
    series.sort(key=lambda s: (s.group != ALL_SITES, s.group))
    return tuple(series)


def _alert_families(alerts: Sequence[Alert], titles: Mapping[str, str]) -> tuple[AlertFamily, ...]:
    families = []
    for key, title, kinds in ALERT_FAMILIES:
        members = [a for a in alerts if a.kind in kinds]
        members.sort(key=lambda a: (a.period, SEVERITY_RANK.get(a.severity, 3), kinds.index(a.kind)))
        rows = tuple(
            AlertRow(
                period=a.period,
                period_title=titles.get(a.period, a.period),
                kind=a.kind,
                kind_label=KIND_LABELS.get(a.kind, a.kind),
                severity=a.severity,
                severity_label=SEVERITY_LABELS.get(a.severity, a.severity),
                message=a.message,
            )
            for a in members
        )
        families.append(AlertFamily(key, title, rows))
    return tuple(families)


def _where(scope: Mapping[str, str]) -> str:
    extra = {k: v for k, v in scope.items() if k != "code"}
    if not extra:
        return "tous sites"
    words = {"site": "site", "channel": "canal"}
    return ", ".join(f"{words.get(k, k)} {v}" for k, v in extra.items())


def _rising(alerts: Sequence[Alert], titles: Mapping[str, str], labels: Mapping[str, str]) -> tuple[RisingRow, ...]:
    rows = []
    for alert in alerts:
        if alert.kind != "volume_spike":
            continue
        code = alert.scope.get("code", "")
        ratio = alert.details.get("ratio")
        rows.append(
            RisingRow(
                period_title=titles.get(alert.period, alert.period),
                code=code,
                label=labels.get(code, code),
                where=_where(alert.scope),
                observed=int(alert.value or 0),
                expected=alert.baseline,
                ratio=float(ratio) if ratio is not None else None,
                z=float(alert.details.get("z", 0.0)),
                severity=alert.severity,
                severity_label=SEVERITY_LABELS.get(alert.severity, alert.severity),
            )
        )
    return tuple(rows)


def _clusters(
    run: MonitoringRun,
    periods: Sequence[PeriodInfo],
    labels: Mapping[str, str],
    redact: Callable[[str], str],
    review_url: str | None,
    scope: str,
) -> list[ClusterView]:
    titles = {p.label: p.title for p in periods}
    seen: dict[str, dict[str, EmergingCluster]] = {}
    for period in run.report.periods:
        for cluster in period.clusters:
            seen.setdefault(cluster.id, {})[period.period] = cluster
    views = []
    for cluster_id, by_period in seen.items():
        best = max(by_period.values(), key=lambda c: SIGNAL_RANK.get(c.signal, 0))
        signalled = [label for label, c in by_period.items() if c.signal != "none"]
        latest = by_period[max(signalled or by_period)]
        status = run.registry.entries[cluster_id].status if cluster_id in run.registry.entries else latest.status
        views.append(
            ClusterView(
                id=cluster_id,
                kind="theme" if latest.kind == "theme" else "new" if latest.parent_code is None else "subtheme",
                signal=best.signal,
                signal_label=SIGNAL_LABELS.get(best.signal, best.signal),
                status=status,
                status_label=STATUS_LABELS.get(status, status),
                keywords=latest.keywords,
                examples=tuple(redact(text) for text in latest.examples),
                size=latest.size,
                period_size=latest.period_size,
                growth=latest.growth,
                novelty=latest.novelty,
                first_seen=titles.get(latest.first_seen, latest.first_seen),
                last_seen=titles.get(max(by_period), max(by_period)),
                parent_code=latest.parent_code,
                parent_label=labels.get(latest.parent_code) if latest.parent_code else None,
                nearest_code=latest.nearest_code,
                nearest_label=labels.get(latest.nearest_code) if latest.nearest_code else None,
                trend=tuple((p.title, by_period[p.label].period_size if p.label in by_period else 0) for p in periods),
                link=review_link(review_url, cluster_id, scope),
                reasons=tuple(labels.get(code, code) for code in latest.reasons),
                share=latest.share if latest.kind == "theme" else 0.0,
            )
        )
    views.sort(key=lambda v: (-SIGNAL_RANK.get(v.signal, 0), -max(n for _, n in v.trend), v.id))
    return views


# ----------------------------------------------------------------------------------------------------- synthesis
def synthesis(
    *,
    periods: Sequence[PeriodInfo],
    reasons: Sequence[ReasonRow],
    series: Sequence[AutreSeries],
    alerts: Sequence[Alert],
    clusters: Sequence[ClusterView],
    titles: Mapping[str, str],
    labels: Mapping[str, str],
    config: MonitoringConfig,
    coverage: Coverage,
    calibration: AutreCalibration | None = None,
) -> list[Fact]:
    """The 3–5 facts a service director reads first: volume, « autre » share, then at most 3 events, most serious
    first (health alarm, strong emerging reason, drift of the notes' wording, strong sub-theme, critical volume
    spike, then the weak ones)."""
    gran = coverage.granularity
    facts = [_volume_fact(periods, reasons, coverage)]
    autre_fact = _autre_fact(periods, series, config, gran, calibration or AutreCalibration())
    if autre_fact is not None:
        facts.append(autre_fact)
    events: list[tuple[float, Fact]] = []
    events += _health_facts(alerts, titles, gran)
    events += _doubt_facts(alerts, titles, gran)
    events += _cluster_facts(clusters, gran)
    events += _drift_facts(alerts, titles, gran)
    events += _spike_facts(alerts, titles, labels, gran)
    events.sort(key=lambda item: -item[0])
    facts += [fact for _, fact in events[:3]]
    if not events:
        facts.append(Fact("Aucun motif émergent, aucun pic de volume ni alarme de santé sur la période.", "info"))
    return facts


def _volume_fact(periods: Sequence[PeriodInfo], reasons: Sequence[ReasonRow], coverage: Coverage) -> Fact:
    total = sum(p.n_calls for p in periods)
    known = [r for r in reasons if r.code != AUTRE][:3]
    top = ", ".join(f"« {r.label} » ({fmt.pct(r.share, 0)})" for r in known)
    text = (
        f"{fmt.count(total)} appels qualifiés du {fmt.date_fr(coverage.start)} au {fmt.date_fr(coverage.end)} "
        f"({len(periods)} {fmt.unit(coverage.granularity, len(periods))})."
    )
    if top:
        text += f" Motifs les plus fréquents : {top}."
    return Fact(text, "info")


def _autre_fact(
    periods: Sequence[PeriodInfo],
    series: Sequence[AutreSeries],
    config: MonitoringConfig,
    gran: str,
    calibration: AutreCalibration,
) -> Fact | None:
    """The « autre » share (outside the base) with the rate the model is expected to send there by mistake, then
    the « à confirmer » share (model doubt), which is never part of it."""
    overall = next((s for s in series if s.group == ALL_SITES), None)
    if overall is None or not periods:
        return None
    target = config.autre.target
    share = overall.total_share
    present = [(p, s) for p, s in zip(periods, overall.shares, strict=True) if s is not None]
    if not present:
        return None
    (first, first_share), (last, last_share) = present[0], present[-1]
    text = (
        f"Part des appels classés « autre » (hors base) : {fmt.pct(share)} sur la période, "
        f"{calibration.expected_phrase()}, pour une cible de {fmt.pct(target)}"
    )
    if len(present) > 1:
        text += (
            f" ({fmt.pct(first_share or 0.0)} {fmt.at_period(first.title, gran)}, "
            f"{fmt.pct(last_share or 0.0)} {fmt.at_period(last.title, gran)})"
        )
    text += "."
    calls = sum(p.n_calls for p in periods)
    to_confirm = sum(p.n_to_confirm for p in periods)
    if to_confirm:
        text += (
            f" À part, {fmt.pct(to_confirm / calls)} des appels ont été envoyés « à confirmer » (le modèle hésitait "
            "entre motifs connus) : un indicateur de qualité du modèle, non compté dans « autre »."
        )
    above = [s for s in series if s.group != ALL_SITES and s.total_share > s.target]
    if above:
        names = ", ".join(s.group for s in sorted(above, key=lambda s: -s.total_share)[:3])
        more = f" et {len(above) - 3} autre(s)" if len(above) > 3 else ""
        text += f" Sites au-dessus de leur cible sur la période : {names}{more}."
    severity = "warning" if share > target or (last_share or 0.0) > target else "info"
    return Fact(text, severity)


def _span(labels: Sequence[str], titles: Mapping[str, str], gran: str) -> str:
    ordered = sorted(labels)
    first, last = titles.get(ordered[0], ordered[0]), titles.get(ordered[-1], ordered[-1])
    text = fmt.period_span(first, last, gran)
    return text if len(ordered) == 1 else f"{text} ({len(ordered)} {fmt.unit(gran, len(ordered))})"


def _health_facts(alerts: Sequence[Alert], titles: Mapping[str, str], gran: str) -> list[tuple[float, Fact]]:
    health = [a for a in alerts if a.kind == "model_health"]
    if not health:
        return []
    worst = max(health, key=lambda a: a.value or 0.0)
    explained = any(a.details.get("autre_in_top_emerging_clusters", 0.0) >= 0.3 for a in health)
    # « a bondi » only when there was an earlier level to jump from: an alarm on the first periods (no baseline)
    # or on a share that was already too high says how high it is, not that it rose.
    rose = any(a.baseline is not None and (a.value or 0.0) > a.baseline for a in health)
    what = (
        "a bondi partout à la fois"
        if rose
        else "est anormalement haute, sans hausse mesurable sur une période antérieure"
    )
    text = (
        f"Alarme de santé de la chaîne de qualification {_span([a.period for a in health], titles, gran)} : la part "
        f"de « autre » {what} (jusqu'à {fmt.pct(worst.value or 0.0)}). Vérifier le prétraitement "
        "des notes et la version du modèle, ou réentraîner le modèle sur des notes récentes, avant d'interpréter "
        "les chiffres de ces périodes."
    )
    if explained:
        text += " Une partie de la hausse tient dans quelques groupes émergents : un nouveau besoin est aussi possible."
    return [(1000.0, Fact(text, "critical"))]


def _doubt_facts(alerts: Sequence[Alert], titles: Mapping[str, str], gran: str) -> list[tuple[float, Fact]]:
    doubt = [a for a in alerts if a.kind == "model_doubt"]
    if not doubt:
        return []
    worst = max(doubt, key=lambda a: a.value or 0.0)
    text = (
        f"Modèle à vérifier {_span([a.period for a in doubt], titles, gran)} : il hésite entre motifs connus sur "
        f"jusqu'à {fmt.pct(worst.value or 0.0)} des appels, envoyés « à confirmer » (au-delà de "
        f"{fmt.pct(worst.threshold or 0.0)}). Ces appels ne sont pas comptés dans « autre » ; évaluer le modèle sur "
        "des notes récentes et le réentraîner."
    )
    return [(900.0, Fact(text, "critical"))]


def _cluster_facts(clusters: Sequence[ClusterView], gran: str) -> list[tuple[float, Fact]]:
    out: list[tuple[float, Fact]] = []
    new = [c for c in clusters if c.kind == "new" and c.status == "open"][:2]
    sub = [c for c in clusters if c.kind == "subtheme" and c.status == "open"][:1]
    for cluster in new:
        words = ", ".join(cluster.keywords[:5])
        peak = max((n for _, n in cluster.trend), default=0)
        score = (500.0 if cluster.signal == "strong" else 200.0) + peak / 10
        out.append(
            (
                score,
                Fact(
                    f"Motif émergent possible ({cluster.id}, signal {cluster.signal_label}) : « {words} » — jusqu'à "
                    f"{fmt.count(peak)} appels par {fmt.unit(gran)}, {fmt.since_period(cluster.first_seen, gran)}, "
                    f"croissance {fmt.ratio(cluster.growth)}. À examiner : créer un motif ou le rattacher à un motif "
                    "existant.",
                    "warning" if cluster.signal == "strong" else "info",
                ),
            )
        )
    for cluster in [c for c in clusters if c.kind == "theme" and c.status == "open"][:2]:
        words = ", ".join(cluster.keywords[:5])
        peak = max((n for _, n in cluster.trend), default=0)
        score = (600.0 if cluster.signal == "strong" else 200.0) + peak / 10
        out.append(
            (
                score,
                Fact(
                    f"Thème transversal possible ({cluster.id}, signal {cluster.signal_label}) : « {words} » — "
                    f"jusqu'à {fmt.count(peak)} appels par {fmt.unit(gran)} ({fmt.pct(cluster.share)} de tous les "
                    f"appels), dans {len(cluster.reasons)} motifs à la fois ({', '.join(cluster.reasons[:5])}), "
                    f"{fmt.since_period(cluster.first_seen, gran)}. Un même sujet traverse les motifs : à suivre "
                    "comme un tout.",
                    "warning" if cluster.signal == "strong" else "info",
                ),
            )
        )
    for cluster in sub:
        words = ", ".join(cluster.keywords[:5])
        peak = max((n for _, n in cluster.trend), default=0)
        score = (400.0 if cluster.signal == "strong" else 150.0) + peak / 10
        parent = cluster.parent_label or cluster.parent_code or ""
        out.append(
            (
                score,
                Fact(
                    f"Nouveau sous-thème possible dans le motif « {parent} » ({cluster.id}) : « {words} » — jusqu'à "
                    f"{fmt.count(peak)} appels par {fmt.unit(gran)}, {fmt.since_period(cluster.first_seen, gran)}. "
                    "Candidat à un motif distinct.",
                    "warning" if cluster.signal == "strong" else "info",
                ),
            )
        )
    return out


def _drift_facts(alerts: Sequence[Alert], titles: Mapping[str, str], gran: str) -> list[tuple[float, Fact]]:
    drift = [a for a in alerts if a.kind == "text_drift"]
    if not drift:
        return []
    text = (
        f"Dérive de la rédaction des notes {_span([a.period for a in drift], titles, gran)} : de nouveaux "
        "sous-thèmes apparaissent dans de nombreux motifs à la fois. Un changement d'outil, de modèle de note ou "
        "d'équipe est probable : vérifier la saisie et envisager de réentraîner le modèle."
    )
    return [(450.0, Fact(text, "warning"))]


def _spike_facts(
    alerts: Sequence[Alert], titles: Mapping[str, str], labels: Mapping[str, str], gran: str
) -> list[tuple[float, Fact]]:
    spikes = [a for a in alerts if a.kind == "volume_spike" and set(a.scope) == {"code"}]
    spikes.sort(key=lambda a: -float(a.details.get("z", 0.0)))
    out = []
    for alert in spikes[:2]:
        code = alert.scope["code"]
        ratio = alert.details.get("ratio")
        factor = f", {fmt.ratio(float(ratio))}" if ratio else ""
        score = (300.0 if alert.severity == "critical" else 100.0) + float(alert.details.get("z", 0.0))
        when = fmt.at_period(titles.get(alert.period, alert.period), gran)
        out.append(
            (
                score,
                Fact(
                    f"Pic d'appels pour « {labels.get(code, code)} » {when} : {fmt.count(alert.value or 0)} appels "
                    f"contre {fmt.count(alert.baseline or 0)} attendus{factor}. Un événement extérieur (panne d'un "
                    "service en ligne, courrier, réforme) est à rechercher.",
                    "warning" if alert.severity == "critical" else "info",
                ),
            )
        )
    return out

"""`motifs emerging` as a library: read calls and predictions (files or the store), run the monitoring with the
store's cluster registry, save the updated registry, the per-period cluster snapshots and the run, return the report.

    inputs ─ files: the calls export (data contract, `pipeline.calls.read_calls`) + its reclassification output
           │        (docs/BATCH.md columns), joined on call_id; notes redacted here unless the output carries them
           └ store: the predictions table (one model version; its redacted notes)
    registry of the scope (`week`, `month@caf-75`) from the store ─ run_monitoring ─ save registry + snapshots + run

The analyst's decisions live in the registry's `status`: a dismissed cluster keeps its id and stays silent on the next
run, and saving a run never overwrites a status (`serving.store.monitoring`).
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pandas as pd

from pipeline.calls import TIMEZONE
from serving.errors import NoMonitoringData
from serving.monitoring import (
    Alert,
    ClusterRegistry,
    EmergingCluster,
    MonitoringConfig,
    MonitoringReport,
    PeriodReport,
    calls_from_predictions,
    known_reasons,
    load_config,
    reason_labels,
    run_monitoring,
)
from serving.monitoring.calls import GRANULARITIES, Granularity, period_labels, period_starts
from serving.monitoring.emerging import WritingChange
from serving.monitoring.errors import InvalidCallsFrame
from serving.monitoring.registry import FORMAT_VERSION
from serving.monitoring.spark_text import SparkLemmatizer
from serving.monitoring.text import CachedLemmatizer, Lemmatizer, make_lemmatizer
from serving.redaction import default_redactor
from serving.review.incremental import (
    Period,
    StoredLemmatizer,
    labels_of,
    lemmatizer_key,
    local_period_starts,
    period_end,
    plan,
    settings_fingerprint,
    utc_bounds,
)
from serving.review.precision import QueuePrecision, queue_precision
from serving.spark import build_session
from serving.store import (
    ClusterRecord,
    ClusterSnapshot,
    Database,
    MonitoringRunRecord,
    PeriodState,
    monitoring_scope,
)
from taxonomy import AUTRE

LOCAL_TZ = ZoneInfo(TIMEZONE)
NOTES_PER_SNAPSHOT = 200  # redacted notes kept per cluster and period: what « rattacher » turns into examples
PREDICTION_COLUMNS = {"reason": "code", "code": "code", "confidence": "confidence", "autre": "autre", "top_k": "top_k"}


@dataclass(frozen=True)
class EmergingInput:
    """Calls in the monitoring input contract (`serving.monitoring.calls`), with where they came from."""

    frame: pd.DataFrame
    source: str  # "store" or "files"
    model_version: str | None = None
    taxonomy_ref: str | None = None
    summary: tuple[str, ...] = ()  # French lines: what was read, guessed, left out
    inputs: dict[str, Any] = field(default_factory=dict)  # recorded with the run


@dataclass(frozen=True)
class EmergingOutcome:
    report: MonitoringReport
    registry: ClusterRegistry
    scope: str
    run: MonitoringRunRecord | None  # the stored run (None when nothing is stored)
    source: EmergingInput
    precision: QueuePrecision | None = None  # analysts' past decisions on this scope (None without a store)
    reused: tuple[str, ...] = ()  # periods whose stored results were reused (incremental run over the store)
    computed: tuple[str, ...] = ()  # periods computed (all of them outside an incremental run)

    def to_json_dict(self) -> dict[str, Any]:
        """The scripting format: `{"periods": [{"period", "autre_share", "clusters": [{"id", "size", "keywords",
        "examples", "call_ids", "novelty", "growth", "signal", …}], "alerts": [...], …}], "granularity": …}`."""
        return self.report.to_dict()


# --- windows -------------------------------------------------------------------------------------------------------


def history_periods(config: MonitoringConfig) -> int:
    """Periods read before `--from` so that the first reported period has its baselines and growth history."""
    emerging = config.emerging
    return max(
        config.autre.baseline_periods,
        config.volume.baseline_periods,
        emerging.window_periods - 1 + emerging.growth_periods,
    )


def history_start(day: date, granularity: Granularity, periods: int) -> date:
    if granularity == "month":
        shifted = pd.Timestamp(day) - pd.DateOffset(months=periods)
        return shifted.date().replace(day=1)
    # Days are compared with the same weekday of previous weeks, so their history counts in weeks too.
    return day - timedelta(weeks=periods)


def period_label(day: date, granularity: Granularity) -> str:
    starts = period_starts(pd.Series([pd.Timestamp(day)]), granularity)
    return str(period_labels(starts, granularity).iloc[0])


def local_midnight_utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=LOCAL_TZ).astimezone(UTC)


# --- inputs --------------------------------------------------------------------------------------------------------


def utc_window(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    """[start, end] in local days as UTC instants [low, high) (open ends: far past, far future)."""
    low = local_midnight_utc(start) if start else datetime(1970, 1, 1, tzinfo=UTC)
    high = local_midnight_utc(end + timedelta(days=1)) if end else datetime(9999, 1, 1, tzinfo=UTC)
    return low, high


def followed_model_version(
    db: Database, low: datetime, high: datetime, model_version: str | None
) -> tuple[str, dict[str, int]]:
    """`model_version`, else the one that scored the most calls in [low, high) (the newest on a tie); with the
    calls each version scored there."""
    versions = db.predictions.model_versions(low, high)
    if not versions:
        raise NoMonitoringData(
            "aucune prédiction dans la base pour cette période (attendu : motifs reclassify --out db)"
        )
    if model_version is None:
        # On a tie (the history reclassified again by a retrained model), the newest: model versions are UTC
        # timestamps (`pipeline.artifact.save_model`), so the greatest is the latest.
        model_version = max(versions.items(), key=lambda item: (item[1], item[0]))[0]
    elif model_version not in versions:
        raise NoMonitoringData(
            f"aucune prédiction du modèle {model_version[:128]} pour cette période "
            f"(modèles présents : {', '.join(sorted(versions))})"
        )
    return model_version, versions


def calls_from_store(
    db: Database,
    *,
    start: date | None = None,
    end: date | None = None,
    site: str | None = None,
    model_version: str | None = None,
) -> EmergingInput:
    """The store's predictions of calls made in [start, end] (local days, `end` included) by one model version:
    `model_version`, else the one that scored the most calls of the window (the newest on a tie)."""
    low, high = utc_window(start, end)
    model_version, versions = followed_model_version(db, low, high, model_version)
    # Streamed into the frame chunk by chunk: the prediction records of a long history are never all held at once.
    refs: Counter[str] = Counter()
    parts = []
    records = db.predictions.iter_between(low, high, site=site, model_version=model_version)
    while chunk := list(itertools.islice(records, 20_000)):
        refs.update(record.taxonomy_version for record in chunk)
        parts.append(calls_from_predictions(chunk))
    if not parts:
        raise NoMonitoringData("aucune prédiction pour ce site et cette période")
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    # The agents' own choices: a call whose latest feedback is « autre » counts as « autre » whatever the model said.
    choices = db.feedback.latest_choices(frame["call_id"])
    frame["agent_code"] = frame["call_id"].map(choices).fillna("")
    summary = [f"Base {db.safe_url} : {len(frame)} appel(s) notés par le modèle {model_version}."]
    chose_autre = sum(1 for code in choices.values() if code == AUTRE)
    if chose_autre:
        summary.append(f"{chose_autre} appel(s) classés « autre » par l'agent lui-même, comptés dans « autre ».")
    if len(versions) > 1:
        summary.append(
            f"Autres modèles présents sur la période (ignorés) : {', '.join(sorted(set(versions) - {model_version}))}."
        )
    return EmergingInput(
        frame=frame,
        source="store",
        model_version=model_version,
        taxonomy_ref=refs.most_common(1)[0][0],
        summary=tuple(summary),
        inputs={"database": db.safe_url},
    )


def calls_from_files(
    calls_path: str | Path,
    predictions_path: str | Path,
    *,
    site: str | None = None,
    start: date | None = None,
    end: date | None = None,
    redactor: Any = None,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
) -> EmergingInput:
    """A calls export (data contract) joined on `call_id` with its reclassification output (docs/BATCH.md).
    `columns` (contract column → file column), `encoding` and `delimiter` read the export as `motifs reclassify`
    read it (detected when not given).

    The note comes from the output's `redacted_text` when it has one (`motifs reclassify --with-text`), else the
    export's text is redacted here (`redactor`, default `pipeline.redaction.Redactor()`): monitoring, the store and
    the review screens only ever see redacted notes."""
    from pipeline.calls import read_calls

    calls_read = read_calls(calls_path, columns=columns, encoding=encoding, delimiter=delimiter)
    calls = calls_read.frame
    predictions = _read_predictions(Path(predictions_path))
    summary = [calls_read.summary()]
    if len(calls_read.rejected):
        summary.append(f"{len(calls_read.rejected)} ligne(s) d'appels rejetée(s), non suivies (voir ci-dessus).")
    keep = ["call_id", "timestamp", "site", "channel", "text"]
    merged = calls[[c for c in keep if c in calls.columns]].merge(
        predictions, on="call_id", how="inner", suffixes=("", "_prediction")
    )
    missing = len(calls) - len(merged)
    if missing:
        summary.append(f"{missing} appel(s) sans prédiction dans {Path(predictions_path).name}, non suivis.")
    if merged.empty:
        raise NoMonitoringData(
            f"aucun call_id commun entre {Path(calls_path).name} et {Path(predictions_path).name} "
            "(attendu : la sortie de motifs reclassify sur ce fichier d'appels)"
        )
    merged["timestamp"] = pd.to_datetime(merged["timestamp"])
    if start is not None or end is not None:
        low = pd.Timestamp(start) if start else merged["timestamp"].min()
        high = pd.Timestamp(end + timedelta(days=1)) if end else merged["timestamp"].max() + pd.Timedelta(seconds=1)
        merged = merged[(merged["timestamp"] >= low) & (merged["timestamp"] < high)]
    if site is not None:
        merged = merged[merged["site"].astype("string") == site] if "site" in merged.columns else merged.iloc[0:0]
    if merged.empty:
        raise NoMonitoringData("aucun appel pour ce site et cette période dans les fichiers donnés")
    if "redacted_text" in merged.columns and merged["redacted_text"].astype("string").str.strip().ne("").all():
        merged["text"] = merged["redacted_text"].astype(str)
        summary.append("Notes anonymisées reprises de la sortie de reclassification.")
    else:
        redactor = redactor or default_redactor()
        texts = [str(text) for text in merged["text"].tolist()]
        transform = getattr(redactor, "transform", None)
        merged["text"] = list(transform(texts)) if callable(transform) else [redactor.redact(t) for t in texts]
        summary.append(f"{len(merged)} note(s) anonymisée(s) avant analyse.")
    frame = merged[
        [
            c
            for c in (
                "call_id",
                "timestamp",
                "site",
                "channel",
                "text",
                "code",
                "confidence",
                "autre",
                "decision",
                "top_k",
            )
            if c in merged.columns
        ]
    ]
    model_version = _most_common(merged.get("model_version"))
    return EmergingInput(
        frame=frame.reset_index(drop=True),
        source="files",
        model_version=model_version,
        taxonomy_ref=_most_common(merged.get("taxonomy_version")),
        summary=tuple(summary),
        inputs={"calls": Path(calls_path).name, "predictions": Path(predictions_path).name},
    )


def _most_common(values: pd.Series | None) -> str | None:
    if values is None:
        return None
    cleaned = values.dropna().astype(str).str.strip()
    cleaned = cleaned[cleaned != ""]
    return str(cleaned.value_counts().index[0]) if len(cleaned) else None


def _read_predictions(path: Path) -> pd.DataFrame:
    from pipeline.tables import inspect_table, iter_table, read_header

    spec = inspect_table(path)
    header = read_header(spec)
    code_column = "reason" if "reason" in header else "code" if "code" in header else None
    missing = [name for name in ("call_id", "confidence") if name not in header] + ([] if code_column else ["reason"])
    if missing:
        raise InvalidCallsFrame(
            f"{path.name} : colonne(s) {', '.join(missing)} absente(s) (attendu : la sortie de motifs reclassify, "
            "colonnes call_id, reason, confidence, autre, top_k)"
        )
    wanted = ["call_id", code_column, "confidence"] + [
        name
        for name in ("autre", "decision", "top_k", "model_version", "taxonomy_version", "redacted_text")
        if name in header
    ]
    parts = [chunk.frame[[c for c in wanted if c in chunk.frame.columns]] for chunk in iter_table(spec)]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=wanted)
    frame = frame.rename(columns={code_column: "code"})
    frame["call_id"] = frame["call_id"].astype(str).str.strip()
    duplicated = frame["call_id"].duplicated()
    if duplicated.any():
        frame = frame[~duplicated]
    return frame


# --- registry ↔ store ----------------------------------------------------------------------------------------------


def registry_from_records(records: Sequence[ClusterRecord]) -> ClusterRegistry:
    """The scope's registry as monitoring wants it; each entry's status is the one stored (the analyst's)."""
    entries = []
    numbers = [0]
    for record in records:
        entries.append({**record.state, "id": record.cluster_id, "status": record.status})
        digits = "".join(ch for ch in record.cluster_id if ch.isdigit())
        numbers.append(int(digits) if digits else 0)
    return ClusterRegistry.from_dict({"format": FORMAT_VERSION, "next_number": max(numbers) + 1, "entries": entries})


def records_from_registry(registry: ClusterRegistry, scope: str) -> list[ClusterRecord]:
    records = []
    for entry in registry.entries.values():
        state = entry.to_dict()
        records.append(
            ClusterRecord(
                scope=scope,
                cluster_id=entry.id,
                first_seen=entry.first_seen,
                last_seen=entry.last_seen,
                keywords=tuple(entry.keywords),
                state=state,
                parent_code=entry.parent_code,
                status=entry.status,
            )
        )
    return records


def snapshots_from_report(
    report: MonitoringReport, scope: str, texts: Mapping[str, str], *, notes_per_snapshot: int = NOTES_PER_SNAPSHOT
) -> list[ClusterSnapshot]:
    snapshots = []
    for period in report.periods:
        for cluster in period.clusters:
            notes = {
                call_id: texts[call_id]
                for call_id in cluster.call_ids[:notes_per_snapshot]
                if call_id in texts and texts[call_id].strip()
            }
            snapshots.append(
                ClusterSnapshot(
                    scope=scope,
                    cluster_id=cluster.id,
                    period=period.period,
                    size=cluster.size,
                    period_size=cluster.period_size,
                    keywords=tuple(cluster.keywords),
                    examples=tuple(cluster.examples),
                    call_ids=tuple(cluster.call_ids),
                    notes=notes,
                    novelty=float(cluster.novelty),
                    growth=float(cluster.growth),
                    signal=cluster.signal,
                    parent_code=cluster.parent_code,
                    nearest_code=cluster.nearest_code,
                    details={
                        "first_seen": cluster.first_seen,
                        "share": cluster.share,
                        "rate": cluster.rate,
                        "previous_rate": cluster.previous_rate,
                        "cohesion": cluster.cohesion,
                        "status": cluster.status,
                        "persistence": cluster.persistence,
                        "priority": cluster.priority,
                        "why": cluster.why,
                        "kind": cluster.kind,
                        "reasons": dict(cluster.reasons),
                        "folded_into": cluster.folded_into,
                    },
                )
            )
    return snapshots


def run_record(
    report: MonitoringReport,
    *,
    scope: str,
    granularity: str,
    site: str | None,
    source: EmergingInput,
    parameters: Mapping[str, Any],
) -> MonitoringRunRecord:
    periods = tuple(
        {
            "period": p.period,
            "start": p.start,
            "n_calls": p.n_calls,
            "n_autre": p.n_autre,
            "autre_share": round(p.autre_share, 6),
            "n_autre_agent": p.n_autre_agent,
            "n_to_confirm": p.n_to_confirm,
            "to_confirm_share": round(p.to_confirm_share, 6),
        }
        for p in report.periods
    )
    calls = sum(p.n_calls for p in report.periods)
    autre = sum(p.n_autre for p in report.periods)
    alerts = tuple(json.loads(json.dumps(alert.to_dict(), ensure_ascii=False)) for alert in report.alerts)
    return MonitoringRunRecord(
        scope=scope,
        granularity=granularity,
        site=site,
        source=source.source,
        periods=periods,
        alerts=alerts,
        period_from=report.periods[0].period if report.periods else None,
        period_to=report.periods[-1].period if report.periods else None,
        model_version=source.model_version,
        taxonomy_version=source.taxonomy_ref,
        parameters={**source.inputs, **parameters},
        autre_share=round(autre / calls, 6) if calls else None,
    )


# --- reading a stored run ------------------------------------------------------------------------------------------


def stored_outcome(
    db: Database,
    source: EmergingInput,
    *,
    granularity: Granularity,
    site: str | None,
    since: str,
    until: str,
    run_id: int | None = None,
) -> EmergingOutcome | None:
    """The monitoring `motifs emerging` stored, read back instead of computed again (`motifs report`): run `run_id`,
    else the scope's latest run covering the periods `since`..`until`. Its periods, clusters (from the run's
    snapshots) and alerts, with the registry as it is now (analysts' decisions). `None` when the scope was never
    monitored; `NoMonitoringData` when runs exist but none covers the range, or `run_id` does not fit."""
    scope = monitoring_scope(granularity, site)
    if run_id is not None:
        run = db.monitoring.get_run(run_id)
        if run is None or run.scope != scope:
            raise NoMonitoringData(
                f"exécution de suivi n° {run_id} introuvable pour le suivi « {scope} » (voir motifs review list)"
            )
    else:
        runs = db.monitoring.runs(scope)
        if not runs:
            return None
        covering = [r for r in runs if (r.period_from or "") <= since and (r.period_to or "") >= until]
        if not covering:
            raise NoMonitoringData(
                f"aucun suivi « {scope} » enregistré ne couvre les périodes {since} à {until} (dernier : "
                f"{runs[0].period_from} à {runs[0].period_to}) : lancer d'abord motifs emerging sur ces dates"
            )
        run = max(covering, key=lambda r: r.id or 0)
    labels = [str(p["period"]) for p in run.periods if since <= str(p["period"]) <= until]
    snapshots = [s for s in db.monitoring.snapshots(scope) if s.period in set(labels)]
    replaced = sorted({s.run_id for s in snapshots if s.run_id != run.id and s.run_id is not None})
    if replaced:
        raise NoMonitoringData(
            f"les groupes de l'exécution n° {run.id} ont été remplacés par l'exécution n° {replaced[-1]} sur ces "
            "périodes : choisir celle-ci (--run) ou relancer motifs emerging"
        )
    clusters: dict[str, list[EmergingCluster]] = {}
    for snapshot in snapshots:
        details = snapshot.details
        clusters.setdefault(snapshot.period, []).append(
            EmergingCluster(
                id=snapshot.cluster_id,
                size=snapshot.size,
                period_size=snapshot.period_size,
                keywords=tuple(snapshot.keywords),
                examples=tuple(snapshot.examples),
                call_ids=tuple(snapshot.call_ids),
                novelty=float(snapshot.novelty),
                growth=float(snapshot.growth),
                signal=snapshot.signal,  # type: ignore[arg-type]
                first_seen=str(details.get("first_seen", snapshot.period)),
                cohesion=float(details.get("cohesion", 0.0)),
                share=float(details.get("share", 0.0)),
                rate=float(details.get("rate", 0.0)),
                previous_rate=float(details.get("previous_rate", 0.0)),
                parent_code=snapshot.parent_code,
                nearest_code=snapshot.nearest_code,
                status=str(details.get("status", "open")),
                persistence=int(details.get("persistence", 1)),
                priority=float(details.get("priority", 0.0)),
                why=str(details.get("why", "")),
                kind=str(details.get("kind", "cluster")),
                reasons={str(k): int(v) for k, v in (details.get("reasons") or {}).items()},
                folded_into=details.get("folded_into"),
            )
        )
    alerts = [Alert.from_dict(dict(item)) for item in run.alerts]
    periods = tuple(
        PeriodReport(
            period=str(p["period"]),
            start=str(p["start"]),
            n_calls=int(p["n_calls"]),
            n_autre=int(p["n_autre"]),
            clusters=tuple(sorted(clusters.get(str(p["period"]), []), key=lambda c: c.id)),
            alerts=tuple(a for a in alerts if a.period == str(p["period"])),
        )
        for p in run.periods
        if str(p["period"]) in labels
    )
    if not periods:
        raise NoMonitoringData(f"l'exécution de suivi n° {run.id} n'a aucune période de {since} à {until}")
    return EmergingOutcome(
        report=MonitoringReport(granularity=granularity, periods=periods),
        registry=registry_from_records(db.monitoring.registry(scope)),
        scope=scope,
        run=run,
        source=source,
        precision=queue_precision(db.review.decisions(scope)),
    )


# --- the job -------------------------------------------------------------------------------------------------------


def monitor_emerging(
    source: EmergingInput,
    *,
    granularity: Granularity = "week",
    db: Database | None = None,
    site: str | None = None,
    since: str | None = None,
    config: MonitoringConfig | None = None,
    taxonomy: Any = None,
    lemmatizer: Lemmatizer | None = None,
    parameters: Mapping[str, Any] | None = None,
    save: bool = True,
    progress: Callable[[Sequence[str]], Iterable[str]] = iter,
) -> EmergingOutcome:
    """Run the monitoring on `source` from the scope's stored registry, and store the result when `db` is given
    (and `save`: with `save=False` the store is only read, the review queue stays as it was).

    `taxonomy`: the known reasons (novelty references, labels); default: exactly the version that scored the calls
    (`calls_taxonomy`: refused when it cannot be found). `since`: first period label to report (earlier ones are
    history)."""
    if granularity not in GRANULARITIES:
        raise InvalidCallsFrame(f"période « {str(granularity)[:10]} » inconnue (attendu : {', '.join(GRANULARITIES)})")
    config = config or load_config()
    taxonomy = taxonomy if taxonomy is not None else calls_taxonomy(source.taxonomy_ref)
    scope = monitoring_scope(granularity, site)
    registry = registry_from_records(db.monitoring.registry(scope)) if db is not None else None
    run = run_monitoring(
        source.frame,
        granularity=granularity,
        config=config,
        known_reasons=known_reasons(taxonomy),
        reason_labels=reason_labels(taxonomy),
        registry=registry,
        lemmatizer=lemmatizer,
        since=since,
        progress=progress,
    )
    if not run.report.periods:
        raise NoMonitoringData("aucune période à analyser dans la fenêtre demandée")
    stored = None
    if db is not None and save:
        texts = dict(zip(source.frame["call_id"].astype(str), source.frame["text"].astype(str), strict=True))
        stored = db.monitoring.save_run(
            run_record(
                run.report,
                scope=scope,
                granularity=granularity,
                site=site,
                source=source,
                parameters={"since": since, **(parameters or {})},
            ),
            records_from_registry(run.registry, scope),
            snapshots_from_report(run.report, scope, texts),
        )
    precision = queue_precision(db.review.decisions(scope)) if db is not None else None
    return EmergingOutcome(
        report=run.report, registry=run.registry, scope=scope, run=stored, source=source, precision=precision
    )


def _with_statuses(report: PeriodReport, registry: ClusterRegistry) -> PeriodReport:
    """A stored period's report with each item's status as the registry has it now, and the alerts of items an
    analyst has decided on since left out (a dismissed cluster stays silent, as in a computed period)."""
    clusters = tuple(
        replace(c, status=registry.entries[c.id].status) if c.id in registry.entries else c for c in report.clusters
    )
    status = {c.id: c.status for c in clusters}
    alerts = tuple(a for a in report.alerts if status.get(str(a.scope.get("cluster")), "open") == "open")
    return replace(report, clusters=clusters, alerts=alerts)


_LEMMATIZER_KINDS = {"SpacyLemmatizer": "spacy", "LookupLemmatizer": "lookup", "SimpleLemmatizer": "simple"}


def _lemmatizer_name(lemmatizer: Lemmatizer | None, config: MonitoringConfig) -> str:
    """What the notes' tokens depend on: the lemmatizer's kind and stop words (the configured ones by default), so
    `motifs demo`, which passes its own lemmatizer, and `motifs emerging` share stored results."""
    words = config.emerging.representation
    if lemmatizer is None:
        return lemmatizer_key(words.lemmatizer, words.extra_stop_words)
    inner = getattr(lemmatizer, "lemmatizer", lemmatizer)  # through the per-run cache
    kind = getattr(inner, "kind", None) or _LEMMATIZER_KINDS.get(type(inner).__name__, type(inner).__name__)
    return lemmatizer_key(kind, getattr(inner, "extra_stop_words", words.extra_stop_words))


def monitor_store(
    db: Database,
    *,
    granularity: Granularity,
    config: MonitoringConfig,
    date_from: date | None = None,
    date_to: date | None = None,
    site: str | None = None,
    model_version: str | None = None,
    taxonomy: str | None = None,
    lemmatizer: Lemmatizer | None = None,
    parameters: Mapping[str, Any] | None = None,
    progress: Callable[[Sequence[str]], Iterable[str]] = iter,
    periods_per_read: int = 4,
) -> EmergingOutcome:
    """`motifs emerging` over the store, incrementally (`serving.review.incremental`): the periods whose calls and
    settings are those of their stored results are reused, the others computed `periods_per_read` at a time (each
    batch read from the store with the history it needs), and the whole saved as one run. `progress` wraps the
    batches (named by their first period)."""
    read_from = history_start(date_from, granularity, history_periods(config)) if date_from else None
    low, high = utc_window(read_from, date_to)
    version, versions = followed_model_version(db, low, high, model_version)
    scope = monitoring_scope(granularity, site)
    since = period_label(date_from, granularity) if date_from else None
    span = db.predictions.time_range(low, high, site=site, model_version=version)
    if span is None:
        raise NoMonitoringData("aucune prédiction pour ce site et cette période")
    first_day, last_day = (moment.astimezone(LOCAL_TZ).date() for moment in span)
    starts = local_period_starts(first_day, last_day, granularity)
    bounds = utc_bounds(starts, granularity, local_midnight_utc)
    bounds[0], bounds[-1] = max(bounds[0], low), min(bounds[-1], high)
    prints = db.predictions.period_fingerprints(bounds, site=site, model_version=version)
    periods = [
        Period(label, start, n, fingerprint)
        for label, start, (n, fingerprint) in zip(labels_of(starts, granularity), starts, prints, strict=True)
        if n
    ]
    settings = settings_fingerprint(
        config, model_version=version, taxonomy=taxonomy, lemmatizer=_lemmatizer_name(lemmatizer, config)
    )
    todo = plan(periods, db.monitoring.period_states(scope, results=False), since=since, settings=settings)
    if not todo.reported:
        raise NoMonitoringData("aucune période à analyser dans la fenêtre demandée")
    stored = db.monitoring.period_states(scope, periods=todo.reused) if todo.reused else {}
    current = registry_from_records(db.monitoring.registry(scope))
    by_label = {p.label: p for p in todo.periods}
    summary = [f"Base {db.safe_url} : {sum(p.n_calls for p in todo.periods)} appel(s) notés par le modèle {version}."]
    chose_autre = db.predictions.chosen_by_agent(low, high, AUTRE, site=site, model_version=version)
    if chose_autre:
        summary.append(f"{chose_autre} appel(s) classés « autre » par l'agent lui-même, comptés dans « autre ».")
    if len(versions) > 1:
        summary.append(
            f"Autres modèles présents sur la période (ignorés) : {', '.join(sorted(set(versions) - {version}))}."
        )
    reports = [_with_statuses(PeriodReport.from_dict(stored[label].report or {}), current) for label in todo.reused]
    states: list[PeriodState] = []
    computed_snapshots: list[ClusterSnapshot] = []
    if todo.computed:
        if todo.computed[0] == todo.reported[0]:
            registry = current
        else:  # the registry as it stood after the last reused period, with the analysts' decisions of now
            registry = ClusterRegistry.from_dict(db.monitoring.registry_after(scope, todo.reused[-1]) or {})
            for entry in registry.entries.values():
                if entry.id in current.entries:
                    entry.status = current.entries[entry.id].status
        prior = {
            label: WritingChange(**{**state.writing_change, "reasons": tuple(state.writing_change["reasons"])})
            for label, state in stored.items()
            if state.writing_change
        }
        words = config.emerging.representation
        base = lemmatizer or make_lemmatizer(words.lemmatizer, extra_stop_words=words.extra_stop_words)
        inner = getattr(base, "lemmatizer", base)  # below the per-run cache: the cache stays in front
        # Misses go to the store, not spaCy: a small in-memory cache is enough.
        stored_tokens = StoredLemmatizer(inner, db.monitoring, key=_lemmatizer_name(base, config))
        lemmatizer = CachedLemmatizer(stored_tokens, max_entries=50_000)
        step = max(periods_per_read, 1)
        batches = {todo.computed[i]: todo.computed[i : i + step] for i in range(0, len(todo.computed), step)}
        # A few periods at a time, each with only the history it needs: memory does not grow with the history.
        for first_label in progress(list(batches)):
            labels = batches[first_label]
            read = history_start(by_label[labels[0]].start, granularity, history_periods(config))
            end = period_end(by_label[labels[-1]].start, granularity)
            source = calls_from_store(
                db,
                start=max(read, read_from) if read_from else read,
                end=min(end, date_to) if date_to else end,
                site=site,
                model_version=version,
            )
            reasons = calls_taxonomy(source.taxonomy_ref, taxonomy)
            run = run_monitoring(
                source.frame,
                granularity=granularity,
                config=config,
                known_reasons=known_reasons(reasons),
                reason_labels=reason_labels(reasons),
                registry=registry,
                lemmatizer=lemmatizer,
                since=labels[0],
                prior_changes=prior,
                keep_states=True,
            )
            registry = run.registry
            prior.update(run.changes)
            reports += list(run.report.periods)
            taxonomy_ref = source.taxonomy_ref
            texts = dict(zip(source.frame["call_id"].astype(str), source.frame["text"].astype(str), strict=True))
            computed_snapshots += snapshots_from_report(run.report, scope, texts)
            for period in run.report.periods:
                change = run.changes.get(period.period)
                states.append(
                    PeriodState(
                        scope=scope,
                        period=period.period,
                        calls_fingerprint=by_label[period.period].fingerprint,
                        settings_fingerprint=settings,
                        n_calls=by_label[period.period].n_calls,
                        report=json.loads(json.dumps(period.to_dict(), ensure_ascii=False)),
                        registry=run.registry_states.get(period.period),
                        writing_change=asdict(change) if change else None,
                    )
                )
            del source, run, texts
    else:
        registry = current
        latest = db.monitoring.latest_run(scope)
        taxonomy_ref = latest.taxonomy_version if latest else None
    history = [p for p in todo.periods if p.label not in set(todo.reported)]
    known = db.monitoring.period_states(scope, results=False, periods=[p.label for p in history]) if history else {}
    states += [
        PeriodState(scope, p.label, p.fingerprint, settings, p.n_calls)
        for p in history
        if p.label not in known or known[p.label].calls_fingerprint != p.fingerprint
    ]
    summary.append(f"Périodes réutilisées : {len(todo.reused)}, calculées : {len(todo.computed)}.")
    source_info = EmergingInput(
        frame=pd.DataFrame(),
        source="store",
        model_version=version,
        taxonomy_ref=taxonomy_ref,
        summary=tuple(summary),
        inputs={"database": db.safe_url},
    )
    report = MonitoringReport(granularity=granularity, periods=tuple(sorted(reports, key=lambda p: p.period)))
    saved = db.monitoring.save_run(
        run_record(
            report,
            scope=scope,
            granularity=granularity,
            site=site,
            source=source_info,
            parameters={"since": since, **(parameters or {})},
        ),
        records_from_registry(registry, scope),
        computed_snapshots,
        states,
        kept_periods=todo.reused,
    )
    return EmergingOutcome(
        report=report,
        registry=registry,
        scope=scope,
        run=saved,
        source=source_info,
        precision=queue_precision(db.review.decisions(scope)),
        reused=todo.reused,
        computed=todo.computed,
    )


def calls_taxonomy(ref: str | None, explicit: str | None = None) -> Any:
    """The taxonomy the calls were scored with — exactly that version, looked up by its ref among the shipped bases
    and those registered by `motifs train` / `motifs reclassify` (local taxonomy folder) — or the one the user
    names (`explicit`: an id@version or a .yaml path). Never the national base in place of another: when it is not
    found, `TaxonomyNotFound` says what was looked for and how to give it."""
    from taxonomy import TaxonomyNotFound, load_taxonomy

    if explicit:
        return load_taxonomy(explicit)
    if not ref:
        raise TaxonomyNotFound(
            "les appels ne disent pas avec quelle base de motifs ils ont été qualifiés (colonne taxonomy_version "
            "vide ou absente) : indiquer la base avec --taxonomy ID@VERSION ou un chemin .yaml"
        )
    try:
        return load_taxonomy(ref)
    except TaxonomyNotFound as exc:
        raise TaxonomyNotFound(
            f"base {ref} des appels introuvable : {exc} — relancer motifs reclassify avec le modèle (il l'enregistre), "
            "ou indiquer le fichier de la base avec --taxonomy"
        ) from None


def run_emerging(
    *,
    granularity: Granularity,
    calls: str | Path | None = None,
    predictions: str | Path | None = None,
    database_url: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    site: str | None = None,
    store: bool = True,
    model_version: str | None = None,
    config_path: str | Path | None = None,
    json_out: str | Path | None = None,
    lemmatizer: Lemmatizer | None = None,
    config: MonitoringConfig | None = None,
    redactor: Any = None,
    columns: Mapping[str, str] | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    taxonomy: str | None = None,
    progress: Callable[[Sequence[str]], Iterable[str]] = iter,
    engine: Literal["local", "spark"] = "local",
    spark_master: str = "local[*]",
) -> EmergingOutcome:
    """What `motifs emerging` does: inputs from files (both `calls` and `predictions`, the export read with
    `columns`/`encoding`/`delimiter`) or from the store, periods from `date_from` to `date_to` (history before
    `date_from` is read for baselines), results stored unless `store=False`, JSON written to `json_out`. The
    reasons are those of the calls' base (`calls_taxonomy`), or of `taxonomy` (an id@version or a .yaml path).
    `engine="spark"`: the notes are lemmatised on Spark (`spark_master`), the rest runs here (same results)."""
    if (calls is None) != (predictions is None):
        raise NoMonitoringData("--calls et --predictions vont ensemble (ou aucun des deux : lecture de la base)")
    if date_from and date_to and date_to < date_from:
        raise NoMonitoringData(f"--to {date_to} est avant --from {date_from}")
    if engine not in ("local", "spark"):
        raise NoMonitoringData(f"--engine « {engine} » (attendu : local ou spark)")
    config = config or load_config(config_path)
    read_from = history_start(date_from, granularity, history_periods(config)) if date_from else None
    db = Database.open(database_url) if (store or calls is None) else None
    parameters = {
        "from": date_from.isoformat() if date_from else None,
        "to": date_to.isoformat() if date_to else None,
        "config": Path(config_path).name if config_path else None,
    }
    spark = None
    try:
        if engine == "spark":
            spark = build_session(spark_master, app="motifs-emerging")
            words = config.emerging.representation
            lemmatizer = CachedLemmatizer(
                SparkLemmatizer(spark, words.lemmatizer, extra_stop_words=words.extra_stop_words)
            )
        if calls is None and store:
            assert db is not None
            outcome = monitor_store(
                db,
                granularity=granularity,
                config=config,
                date_from=date_from,
                date_to=date_to,
                site=site,
                model_version=model_version,
                taxonomy=taxonomy,
                lemmatizer=lemmatizer,
                parameters=parameters,
                progress=progress,
            )
        else:
            if calls is not None and predictions is not None:
                source = calls_from_files(
                    calls,
                    predictions,
                    site=site,
                    start=read_from,
                    end=date_to,
                    redactor=redactor,
                    columns=columns,
                    encoding=encoding,
                    delimiter=delimiter,
                )
            else:
                assert db is not None
                source = calls_from_store(db, start=read_from, end=date_to, site=site, model_version=model_version)
            outcome = monitor_emerging(
                source,
                granularity=granularity,
                db=db if store else None,
                site=site,
                since=period_label(date_from, granularity) if date_from else None,
                config=config,
                taxonomy=calls_taxonomy(source.taxonomy_ref, taxonomy),
                lemmatizer=lemmatizer,
                parameters=parameters,
                progress=progress,
            )
    finally:
        if db is not None:
            db.close()
        if spark is not None:
            spark.stop()
    if json_out is not None:
        Path(json_out).parent.mkdir(parents=True, exist_ok=True)
        outcome.report.to_json(json_out)
    return outcome

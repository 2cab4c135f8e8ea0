"""One report, from loaded calls to the HTML file: run the monitoring, build the content, render, write.

    calls (store or files, with history) ─ run_monitoring(since = first period of the report, registry)
        └ build_report (pure) ─ render_report (Jinja2) ─ atomic write of report.html

The caller keeps `result.run.registry` (the clusters' ids) for the next run, exactly as after `motifs emerging`.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from serving.monitoring import (
    ClusterRegistry,
    Granularity,
    Lemmatizer,
    MonitoringConfig,
    MonitoringRun,
    default_config,
    known_reasons,
    prepare_calls,
    reason_labels,
    run_monitoring,
)
from serving.monitoring.calls import GRANULARITIES, period_labels, period_starts
from serving.reports.content import Coverage, ReportContent, build_report
from serving.reports.errors import InvalidReportOptions, NoCallsInRange
from serving.reports.render import render_report
from serving.reports.sources import PARIS, MonitoringInput
from taxonomy import Taxonomy, TaxonomyError, load_taxonomy


@dataclass(frozen=True)
class ReportRequest:
    start: dt.date  # first day of the report (Paris time)
    end: dt.date  # last day, included
    out: Path
    site: str | None = None
    granularity: Granularity = "week"
    review_url: str | None = None  # base URL of the review UI's cluster pages; no links without it

    def check(self) -> None:
        if self.end < self.start:
            raise InvalidReportOptions(
                f"--to {self.end:%Y-%m-%d} est avant --from {self.start:%Y-%m-%d} (attendu : début ≤ fin)"
            )
        if self.granularity not in GRANULARITIES:
            raise InvalidReportOptions(
                f"--period « {self.granularity} » inconnue (attendu : {', '.join(GRANULARITIES)})"
            )
        if self.review_url is not None and not self.review_url.startswith(("http://", "https://", "/")):
            raise InvalidReportOptions("--review-url : une adresse http(s)://… ou un chemin /… est attendu")


@dataclass(frozen=True)
class ReportResult:
    path: Path
    content: ReportContent
    run: MonitoringRun
    seconds: float


def history_start(start: dt.date, granularity: Granularity, config: MonitoringConfig) -> dt.date:
    """First day to read so the report's first period has its full history: the « autre » and volume baselines,
    and the emerging window plus the periods its growth and references are measured on."""
    periods = max(
        config.autre.baseline_periods,
        config.volume.baseline_periods,
        config.emerging.window_periods - 1 + config.emerging.growth_periods,
    )
    first = pd.Timestamp(start)
    if granularity == "day":
        # Days are compared with the same weekday of the previous weeks.
        return (first - pd.Timedelta(days=7 * periods)).date()
    aligned = period_starts(pd.Series([first]), granularity).iloc[0]
    if granularity == "week":
        return (aligned - pd.Timedelta(weeks=periods)).date()
    return (aligned - pd.DateOffset(months=periods)).date()


def _period_label(day: dt.date, granularity: Granularity) -> str:
    return str(period_labels(period_starts(pd.Series([pd.Timestamp(day)]), granularity), granularity).iloc[0])


def report_taxonomy(taxonomy_versions: dict[str, int]) -> Taxonomy:
    """The taxonomy most calls were scored with (labels, domains, novelty references); the latest national one when
    it cannot be loaded (a custom or from-data taxonomy: its codes are then shown as they are)."""
    for ref in taxonomy_versions:
        try:
            return load_taxonomy(ref)
        except TaxonomyError:
            continue
    return load_taxonomy()


def make_report(
    request: ReportRequest,
    data: MonitoringInput,
    *,
    config: MonitoringConfig | None = None,
    registry: ClusterRegistry | None = None,
    taxonomy: Taxonomy | None = None,
    lemmatizer: Lemmatizer | None = None,
    generated_at: dt.datetime | None = None,
    redact: Callable[[str], str] | None = None,
    version: str = "",
) -> ReportResult:
    """Monitor `data` (history included), build the report of [request.start, request.end], write it."""
    request.check()
    started = time.perf_counter()
    config = config or default_config()
    taxonomy = taxonomy or report_taxonomy(data.versions("taxonomy_version"))
    frame = data.frame
    if request.site is not None and "site" in frame.columns:
        frame = frame[frame["site"].astype(str) == request.site]
    calls = prepare_calls(frame, granularity=request.granularity) if len(frame) else frame
    low = pd.Timestamp(request.start)
    high = pd.Timestamp(request.end + dt.timedelta(days=1))
    in_range = calls[(calls["timestamp"] >= low) & (calls["timestamp"] < high)] if len(calls) else calls
    if in_range.empty:
        where = f" sur le site {request.site}" if request.site else ""
        raise NoCallsInRange(
            f"aucun appel qualifié du {request.start:%d/%m/%Y} au {request.end:%d/%m/%Y}{where} "
            f"({data.source}) : vérifier les dates (--from, --to) et le site"
        )
    calls = calls[calls["timestamp"] < high]
    run = run_monitoring(
        calls,
        granularity=request.granularity,
        config=config,
        known_reasons=known_reasons(taxonomy),
        reason_labels=reason_labels(taxonomy),
        registry=registry,
        lemmatizer=lemmatizer,
        since=_period_label(request.start, request.granularity),
    )
    coverage = Coverage(
        start=request.start,
        end=request.end,
        site=request.site,
        granularity=request.granularity,
        n_calls=len(in_range),
        n_autre=int(in_range["autre"].sum()),
        first_call=in_range["timestamp"].min().to_pydatetime(),
        last_call=in_range["timestamp"].max().to_pydatetime(),
        sites=_counts(in_range["site"]),
        channels=_counts(in_range["channel"]),
        model_versions=MonitoringInput(in_range, data.source).versions("model_version"),
        taxonomy_versions=MonitoringInput(in_range, data.source).versions("taxonomy_version"),
        source=data.source,
        history_start=history_start(request.start, request.granularity, config),
        generated_at=generated_at or dt.datetime.now(PARIS),
        review_url=request.review_url,
    )
    content = build_report(
        run,
        in_range,
        taxonomy=taxonomy,
        config=config,
        coverage=coverage,
        redact=redact or _redactor(),
    )
    html = render_report(content, version=version)
    write_atomically(request.out, html)
    return ReportResult(path=request.out, content=content, run=run, seconds=time.perf_counter() - started)


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts().items()}


def _redactor() -> Callable[[str], str]:
    from pipeline.redaction import redact

    return redact


def write_atomically(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` through a temporary file of the same folder: never a half-written report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class ReportSources:
    """Where the calls come from: a reclassification output (+ the calls file) or the store (the default)."""

    predictions: Path | None = None
    calls: Path | None = None
    database_url: str | None = None  # None with no predictions file = MOTIFS_DATABASE_URL or motifs-data/motifs.db
    model_version: str | None = None  # store only; default: the version that scored the most calls

    def check(self) -> None:
        if self.calls is not None and self.predictions is None:
            raise InvalidReportOptions(
                "--calls sans --predictions : donner aussi la sortie de motifs reclassify (--predictions), ou "
                "lire la base (--database-url)"
            )
        if self.predictions is not None and self.database_url is not None:
            raise InvalidReportOptions("--predictions et --database-url s'excluent : choisir des fichiers ou la base")
        if self.predictions is not None and self.model_version is not None:
            raise InvalidReportOptions("--model-version ne vaut que pour la base (--database-url)")


def run_report(
    request: ReportRequest,
    sources: ReportSources,
    *,
    config_path: Path | None = None,
    registry_path: Path | None = None,
    version: str = "",
    lemmatizer: Lemmatizer | None = None,
) -> ReportResult:
    """`motifs report`: load the calls (files or store) with their history, write the report; with
    `registry_path`, read the clusters' registry from it (when it exists) and write the updated one back, so ids
    stay those of earlier runs."""
    from serving.monitoring import load_config
    from serving.reports.sources import from_files, from_store

    request.check()
    sources.check()
    config = load_config(config_path)
    first = history_start(request.start, request.granularity, config)
    if sources.predictions is not None:
        data = from_files(sources.predictions, sources.calls, history_start=first, end=request.end, site=request.site)
    else:
        from serving.store import Database

        db = Database.open(sources.database_url)
        try:
            data = from_store(
                db,
                history_start=first,
                end=request.end,
                site=request.site,
                model_version=sources.model_version,
                report_start=request.start,
            )
        finally:
            db.close()
    registry = None
    if registry_path is not None and registry_path.exists():
        registry = ClusterRegistry.from_json(registry_path)
    result = make_report(request, data, config=config, registry=registry, version=version, lemmatizer=lemmatizer)
    if registry_path is not None:
        registry_path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(registry_path, result.run.registry.to_json() + "\n")
    return result

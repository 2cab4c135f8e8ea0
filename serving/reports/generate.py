"""One report, from calls to the HTML file, through the same path as `motifs emerging`:

calls ─ store (one model version) or files (calls export + reclassification output), with their history
    └ serving.review.emerging.monitor_emerging: the scope's cluster registry from the store, run_monitoring,
      registry + snapshots + run saved back (store only) — so the report's cluster ids are the review UI's
    └ the « autre » and volume tables behind the charts (run_monitoring without clustering, same calls)
    └ the expected false-« autre » rate from the model's manifest (`--model`, `calibration.py`), else from what the
      model recorded in the store, else « inconnu »
    └ build_report (pure) ─ render_report (Jinja2) ─ atomic write of the HTML file
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pandas as pd

from pipeline.calls import TIMEZONE
from pipeline.files import atomic_file
from serving.monitoring import Granularity, Lemmatizer, MonitoringConfig, MonitoringRun, prepare_calls, run_monitoring
from serving.monitoring.calls import GRANULARITIES
from serving.redaction import default_redactor
from serving.reports.calibration import AutreCalibration, read_calibration, stored_calibration
from serving.reports.content import Coverage, ReportContent, build_report
from serving.reports.errors import InvalidReportOptions, NoCallsInRange
from serving.reports.forecasts import forecast_section
from serving.reports.render import render_report
from serving.review.emerging import (
    EmergingInput,
    EmergingOutcome,
    calls_from_files,
    calls_from_store,
    calls_taxonomy,
    history_periods,
    history_start,
    monitor_emerging,
    period_label,
    stored_outcome,
)
from serving.store import Database
from taxonomy import Taxonomy

PARIS = ZoneInfo(TIMEZONE)


@dataclass(frozen=True)
class ReportRequest:
    start: dt.date  # first day of the report (Paris time)
    end: dt.date  # last day, included
    out: Path
    site: str | None = None
    granularity: Granularity = "week"
    # Review UI page of a cluster: "http://host:8000/revue/{scope}/{id}" (placeholders {id} and {scope}), or a base
    # URL the cluster id is appended to. No links without it.
    review_url: str | None = None

    def check(self) -> None:
        if self.end < self.start:
            raise InvalidReportOptions(
                f"--to {self.end:%Y-%m-%d} est avant --from {self.start:%Y-%m-%d} (attendu : début ≤ fin)"
            )
        if self.granularity not in GRANULARITIES:
            raise InvalidReportOptions(
                f"--period « {str(self.granularity)[:10]} » inconnue (attendu : {', '.join(GRANULARITIES)})"
            )
        if self.review_url is not None and not self.review_url.startswith(("http://", "https://", "/")):
            raise InvalidReportOptions("--review-url : une adresse http(s)://… ou un chemin /… est attendu")


@dataclass(frozen=True)
class ReportResult:
    path: Path
    content: ReportContent
    run: MonitoringRun
    scope: str
    stored_run_id: int | None  # the monitoring run saved in the store by this report (None for files or when read)
    seconds: float
    read_run_id: int | None = None  # the stored monitoring run the report was read from


def first_day_read(request: ReportRequest, config: MonitoringConfig) -> dt.date:
    """First day of calls to read so the report's first period has its baselines and growth history."""
    return history_start(request.start, request.granularity, history_periods(config))


def report_taxonomy(ref: str | None, explicit: str | None = None) -> Taxonomy:
    """The taxonomy the calls were scored with (labels, domains, novelty references): `calls_taxonomy` — exactly
    that version or a clear refusal, never the national one in its place."""
    return cast(Taxonomy, calls_taxonomy(ref, explicit))


def make_report(
    request: ReportRequest,
    source: EmergingInput,
    *,
    db: Database | None = None,
    config: MonitoringConfig | None = None,
    taxonomy: Taxonomy | None = None,
    lemmatizer: Lemmatizer | None = None,
    generated_at: dt.datetime | None = None,
    redact: Callable[[str], str] | None = None,
    version: str = "",
    monitored: EmergingOutcome | None = None,
    calibration: AutreCalibration | None = None,
    run_id: int | None = None,
) -> ReportResult:
    """Write the report of [request.start, request.end]: from the store (`db`), the monitoring run `run_id` stored
    by `motifs emerging` (default: the latest covering the range, `stored_outcome`), or, for a scope never
    monitored, a new monitoring saved like `motifs emerging`'s; from files, a monitoring computed here.

    `monitored`: the outcome of `motifs emerging` just run on this same `source` and range (the main job does it):
    reused instead of monitoring the calls a second time. `calibration`: the scoring model's expected false-« autre »
    rate (`read_calibration`); refused when it belongs to another model version than the calls'."""
    from serving.monitoring import load_config

    request.check()
    calibration = calibration or AutreCalibration()
    if calibration.model_version and source.model_version and calibration.model_version != source.model_version:
        raise InvalidReportOptions(
            f"--model : le modèle {calibration.model_version} n'est pas celui qui a noté les appels "
            f"({source.model_version}) ; donner le dossier du modèle {source.model_version}"
        )
    started = time.perf_counter()
    config = config or load_config()
    taxonomy = taxonomy or report_taxonomy(source.taxonomy_ref)
    low, high = pd.Timestamp(request.start), pd.Timestamp(request.end + dt.timedelta(days=1))
    calls = prepare_calls(source.frame, granularity=request.granularity)  # the loaders stop at request.end
    in_range = calls[(calls["timestamp"] >= low) & (calls["timestamp"] < high)]
    if in_range.empty:
        where = f" sur le site {request.site}" if request.site else ""
        raise NoCallsInRange(
            f"aucun appel qualifié du {request.start:%d/%m/%Y} au {request.end:%d/%m/%Y}{where} : vérifier les dates "
            "(--from, --to) et le site"
        )
    # From the store, the monitoring `motifs emerging` saved is read back (run `run_id`, else the latest covering
    # the range): same ids, same figures, the review queue untouched, no clustering redone. A scope never monitored
    # is monitored now and saved, as `motifs emerging` would.
    if monitored is None and db is not None:
        monitored = stored_outcome(
            db,
            source,
            granularity=request.granularity,
            site=request.site,
            since=period_label(request.start, request.granularity),
            until=period_label(request.end, request.granularity),
            run_id=run_id,
        )
        read_run = monitored.run if monitored is not None else None
    else:
        read_run = None
    outcome = monitored or monitor_emerging(
        source,
        granularity=request.granularity,
        db=db,
        site=request.site,
        since=period_label(request.start, request.granularity),
        config=config,
        taxonomy=taxonomy,
        lemmatizer=lemmatizer,
        parameters={
            "report": request.out.name,
            "from": request.start.isoformat(),
            "to": request.end.isoformat(),
        },
    )
    tables = run_monitoring(calls, granularity=request.granularity, config=config, emerging=False)
    run = MonitoringRun(
        report=outcome.report,
        registry=outcome.registry,
        autre_table=tables.autre_table,
        volume_table=tables.volume_table,
    )
    n_calls = len(in_range)
    where = (
        f"base de données {source.inputs.get('database', '')}".strip()
        if source.source == "store"
        else "fichiers " + " et ".join(str(v) for k, v in source.inputs.items() if k in ("calls", "predictions"))
    )
    coverage = Coverage(
        start=request.start,
        end=request.end,
        site=request.site,
        granularity=request.granularity,
        n_calls=n_calls,
        n_autre=int(in_range["autre"].sum()),
        n_to_confirm=int(in_range["to_confirm"].sum()),
        first_call=in_range["timestamp"].min().to_pydatetime(),
        last_call=in_range["timestamp"].max().to_pydatetime(),
        sites=_counts(in_range["site"]),
        channels=_counts(in_range["channel"]),
        model_versions={source.model_version: n_calls} if source.model_version else {},
        taxonomy_versions={source.taxonomy_ref: n_calls} if source.taxonomy_ref else {},
        source=where,
        history_start=first_day_read(request, config),
        generated_at=generated_at or dt.datetime.now(PARIS),
        review_url=request.review_url,
        scope=outcome.scope,
    )
    content = build_report(
        run,
        in_range,
        taxonomy=taxonomy,
        config=config,
        coverage=coverage,
        redact=redact or default_redactor().redact,
        calibration=calibration,
    )
    labels = {reason.code: reason.label for reason in taxonomy.reasons}
    content = replace(content, forecasts=forecast_section(calls, end=request.end, labels=labels))
    with atomic_file(request.out, "w") as handle:  # never a half-written report
        handle.write(render_report(content, version=version))
    return ReportResult(
        path=request.out,
        content=content,
        run=run,
        scope=outcome.scope,
        stored_run_id=outcome.run.id if outcome.run is not None and read_run is None else None,
        read_run_id=read_run.id if read_run is not None else None,
        seconds=time.perf_counter() - started,
    )


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts().items()}


@dataclass(frozen=True)
class ReportSources:
    """Where the calls come from: a calls export and its reclassification output, or the store (the default)."""

    calls: Path | None = None
    predictions: Path | None = None
    database_url: str | None = None  # None = MOTIFS_DATABASE_URL, else motifs-data/motifs.db
    model_version: str | None = None  # store only; default: the version that scored the most calls
    # The model that scored the calls (directory or models:/ URI): its manifest gives the expected false-« autre »
    # rate shown beside the « autre » share. None: shown as « inconnu ».
    model: str | None = None
    columns: dict[str, str] | None = None  # files: contract column → export column (detected otherwise)
    encoding: str | None = None
    delimiter: str | None = None
    taxonomy: str | None = None  # the base to read the codes with; default: the one that scored the calls
    run_id: int | None = None  # store only: the monitoring run to read; default: the latest covering the range

    def check(self) -> None:
        if (self.calls is None) != (self.predictions is None):
            raise InvalidReportOptions(
                "--calls et --predictions vont ensemble (l'export d'appels et sa sortie de motifs reclassify) ; "
                "sans eux, le rapport lit la base"
            )
        if self.predictions is not None and self.database_url is not None:
            raise InvalidReportOptions("--predictions et --database-url s'excluent : choisir des fichiers ou la base")
        if self.predictions is not None and self.run_id is not None:
            raise InvalidReportOptions("--run ne vaut que pour la base (le suivi enregistré par motifs emerging)")
        if self.predictions is not None and self.model_version is not None:
            raise InvalidReportOptions("--model-version ne vaut que pour la base")


def run_report(
    request: ReportRequest,
    sources: ReportSources,
    *,
    config_path: Path | None = None,
    config: MonitoringConfig | None = None,
    version: str = "",
    lemmatizer: Lemmatizer | None = None,
    monitored: EmergingOutcome | None = None,
) -> ReportResult:
    """`motifs report`: read the calls with their history, write the report.

    From the store, the monitoring starts from the scope's stored registry: the report's cluster ids are those of
    the review UI, and an analyst's decisions show in it. A scope `motifs emerging` already monitored is only read
    (the review queue is left exactly as it was); a scope never monitored is saved as `motifs emerging` saves it.
    From files, nothing is stored (ids are those of a fresh registry). `monitored`: see `make_report` (its calls
    are used, or read from the store when it kept none — an incremental run; nothing is monitored or stored
    again)."""
    from serving.monitoring import load_config

    request.check()
    sources.check()
    config = config or load_config(config_path)
    calibration = read_calibration(sources.model) if sources.model else None
    if monitored is not None and not monitored.source.frame.empty:
        return make_report(
            request,
            monitored.source,
            config=config,
            version=version,
            lemmatizer=lemmatizer,
            monitored=monitored,
            calibration=calibration,
        )
    first = first_day_read(request, config)
    if sources.calls is not None and sources.predictions is not None:
        source = calls_from_files(
            sources.calls,
            sources.predictions,
            site=request.site,
            start=first,
            end=request.end,
            columns=sources.columns,
            encoding=sources.encoding,
            delimiter=sources.delimiter,
        )
        taxonomy = report_taxonomy(source.taxonomy_ref, sources.taxonomy)
        return make_report(
            request,
            source,
            config=config,
            version=version,
            lemmatizer=lemmatizer,
            taxonomy=taxonomy,
            calibration=calibration,
        )
    db = Database.open(sources.database_url)
    try:
        source = calls_from_store(
            db, start=first, end=request.end, site=request.site, model_version=sources.model_version
        )
        taxonomy = report_taxonomy(source.taxonomy_ref, sources.taxonomy)
        if calibration is None:  # what the scoring model recorded in the store when it wrote its predictions
            calibration = stored_calibration(db, source.model_version)
        return make_report(
            request,
            source,
            db=db,
            config=config,
            version=version,
            lemmatizer=lemmatizer,
            taxonomy=taxonomy,
            run_id=sources.run_id,
            calibration=calibration,
            monitored=monitored,  # an incremental `motifs emerging` keeps no frame: its calls are read here
        )
    finally:
        db.close()

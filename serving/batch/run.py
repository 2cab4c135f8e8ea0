"""`reclassify`: one run of batch reclassification, from options to summary (the CLI is a thin layer over it).

1. List the input files (a file, or every supported file of a folder, sorted) and fingerprint them (SHA-256).
2. Load the model once and pin it: version, artifact SHA-256, taxonomy.
3. Open the destination: a file (resumable per chunk through committed parts, see `serving.batch.journal`) or the
   database (resumable per call_id).
4. Stream the input in chunks: bad rows go to the quarantine (their text redacted first); chunks already done are
   skipped; the others are scored by the engine (this process, worker processes, or Spark) and committed.
5. File output: assemble the parts in input order, write the quarantine, mark the run finished.

Interrupting at any point (Ctrl-C, crash, `kill -9`) loses at most the chunks being scored; running the same command
again finishes the job with no row lost or duplicated.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

import pandas as pd

from serving.batch.engines import Engine, InProcessEngine, ProcessPoolEngine, Task
from serving.batch.inputs import (
    DEFAULT_MAX_CHARS,
    InputChunk,
    ReadSettings,
    fingerprint,
    iter_input_chunks,
    list_inputs,
)
from serving.batch.journal import InputRecord, RunManifest
from serving.batch.records import QUARANTINE_COLUMNS, output_columns
from serving.batch.scoring import (
    LoadedBatchModel,
    ScoringSettings,
    load_batch_model,
    model_directory_for_workers,
    redact_many,
)
from serving.batch.sinks import DbSink, FileSink, QuarantineWriter, Totals, is_database_url
from serving.errors import InvalidBatchOptions
from serving.redaction import redactor_for
from taxonomy import LOCAL_DATA_DIR

logger = logging.getLogger("motifs.batch")
DEFAULT_CHUNK_ROWS = 10_000
QUARANTINE_TEXT_CHARS = 2000  # redacted text kept per quarantined row (enough to recognise it, not a whole transcript)
_REDACT_CHARS = 20_000  # a longer note is cut (at a space) before redaction, then its redaction cut again


class ProgressHook(Protocol):
    def start(self, total_rows: int) -> None: ...

    def advance(self, rows: int) -> None: ...

    def phase(self, label: str) -> None: ...


class _NoProgress:
    def start(self, total_rows: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass

    def phase(self, label: str) -> None:
        pass


@dataclass(frozen=True)
class ReclassifyOptions:
    input: Path
    output: str  # a file path (.csv, .parquet, .jsonl), a database URL, or "db" (MOTIFS_DATABASE_URL)
    model: str  # a model directory or models:/NAME@ALIAS
    engine: Literal["local", "spark"] = "local"
    workers: int = 1
    spark_master: str = "local[*]"
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    k: int = 3
    max_chars: int = DEFAULT_MAX_CHARS
    with_text: bool = False
    restart: bool = False
    taxonomy_from: str | None = None  # re-scoring: the taxonomy the stored codes belong to
    quarantine: Path | None = None
    columns: Mapping[str, str] | None = None
    encoding: str | None = None
    delimiter: str | None = None
    calls_date: date | None = None  # the date of every call of an undated export (`--date`)
    row_ids: bool = False  # ids « FILE:RECORD » for an export without ids (`--row-ids`)
    spark_session: Any = None  # tests pass one session for several runs

    def check(self) -> None:
        if self.engine not in ("local", "spark"):
            raise InvalidBatchOptions(f"moteur « {self.engine} » inconnu (attendu : local ou spark)")
        if self.workers < 1:
            raise InvalidBatchOptions(f"--workers {self.workers} (attendu : 1 ou plus)")
        if self.engine == "spark" and self.workers != 1:
            raise InvalidBatchOptions("--workers vaut pour le moteur local ; avec Spark, réglez --spark-master")
        if self.chunk_rows < 1:
            raise InvalidBatchOptions(f"--chunk-rows {self.chunk_rows} (attendu : 1 ou plus)")
        if not 1 <= self.k <= 10:
            raise InvalidBatchOptions(f"--top-k {self.k} (attendu : entre 1 et 10)")
        if self.max_chars < 1:
            raise InvalidBatchOptions(f"--max-chars {self.max_chars} (attendu : 1 ou plus)")

    @property
    def to_database(self) -> bool:
        return is_database_url(self.output)


@dataclass
class ReclassifySummary:
    output: str
    quarantine: Path
    manifest: Path | None
    model_version: str
    taxonomy_version: str
    engine: str
    files: int = 0
    rows_read: int = 0
    scored: int = 0  # rows scored by this run
    skipped: int = 0  # rows already done by an earlier run
    output_rows: int = 0  # rows in the output (file: all of them; database: written by this run)
    quarantined: dict[str, int] = field(default_factory=dict)
    quarantined_rows: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    autre: int = 0
    to_confirm: int = 0
    seconds: float = 0.0  # the whole run, model loading included
    scoring_seconds: float = 0.0  # from the first chunk handed to the engine to the last result
    resumed: bool = False
    already_done: bool = False

    @property
    def rate(self) -> float:
        """Notes per second while scoring (start-up and assembly left out)."""
        return self.scored / self.scoring_seconds if self.scoring_seconds > 0 else 0.0


def reclassify(options: ReclassifyOptions, *, progress: ProgressHook | None = None) -> ReclassifySummary:
    """Run (or resume) a batch reclassification; see the module docstring."""
    options.check()
    hook = progress or _NoProgress()
    started = time.perf_counter()
    files = _inputs_without_outputs(options)
    hook.phase("Empreinte des fichiers d'entrée")
    inputs = [fingerprint(path) for path in files]
    hook.phase("Chargement du modèle")
    loaded = load_batch_model(options.model)
    settings = _scoring_settings(options, loaded)
    quarantine_path = _quarantine_path(options, files)

    if options.to_database:
        return _run(options, hook, started, files, inputs, loaded, settings, quarantine_path, manifest=None)
    manifest = RunManifest(
        started_at=RunManifest.now(),
        model_version=loaded.model_version,
        model_sha256=loaded.artifact_sha256,
        taxonomy_version=loaded.taxonomy_version,
        inputs=[InputRecord(name=str(i.path.resolve()), size=i.size, sha256=i.sha256) for i in inputs],
        settings=_pinned_settings(options),
    )
    return _run(options, hook, started, files, inputs, loaded, settings, quarantine_path, manifest=manifest)


def _run(
    options: ReclassifyOptions,
    hook: ProgressHook,
    started: float,
    files: list[Path],
    inputs: list[Any],
    loaded: LoadedBatchModel,
    settings: ScoringSettings,
    quarantine_path: Path,
    *,
    manifest: RunManifest | None,
) -> ReclassifySummary:
    summary = ReclassifySummary(
        output=options.output,
        quarantine=quarantine_path,
        manifest=None,
        model_version=loaded.model_version,
        taxonomy_version=loaded.taxonomy_version,
        engine=_engine_label(options),
        files=len(files),
    )
    redactor = redactor_for(loaded.model)
    columns = output_columns(rescore=settings.rescore, with_text=options.with_text)
    sink: FileSink | DbSink
    if manifest is None:
        sink = DbSink(options.output, model=loaded, restart=options.restart)
        summary.output = sink.safe_url
    else:
        sink = FileSink(Path(options.output), columns, manifest, restart=options.restart)
        summary.manifest = sink.manifest_path
    with sink:  # the file sink's lock is taken first: it protects the quarantine file too
        if sink.already_done:
            return _already_done(summary, sink, started)
        with QuarantineWriter(quarantine_path) as quarantine:
            if isinstance(sink, DbSink):
                sink.quarantine = quarantine
            chunk_rows = options.chunk_rows
            if isinstance(sink, FileSink):
                chunk_rows = int(sink.manifest.settings.get("chunk_rows", chunk_rows))
                sink.manifest.settings["chunk_rows"] = chunk_rows
            read = ReadSettings(
                chunk_rows=chunk_rows,
                max_chars=options.max_chars,
                columns=options.columns,
                encoding=options.encoding,
                delimiter=options.delimiter,
                calls_date=options.calls_date,
                row_ids=options.row_ids,
            )
            hook.start(sum(i.rows_estimate for i in inputs))
            with tempfile.TemporaryDirectory(prefix="motifs-reclassify-") as scratch:
                engine = _engine(options, loaded, settings, Path(scratch))
                summary.engine = _engine_label(options, engine)
                aborted = True
                scoring_started = time.perf_counter()
                try:
                    tasks = _tasks(files, read, sink, quarantine, redactor, hook, summary)
                    for key, result in engine.map(tasks):
                        sink.write(key, result)
                        summary.scored += result.rows
                        hook.advance(result.rows)
                    aborted = False
                finally:
                    summary.scoring_seconds = time.perf_counter() - scoring_started
                    engine.close(abort=aborted)
            summary.resumed = sink.resumed
            if isinstance(sink, FileSink):
                hook.phase("Assemblage du fichier de sortie")
                totals = sink.assemble()
            else:
                totals = sink.totals
                summary.skipped = sink.skipped
            quarantine.commit(sink.stored_errors())
            _fill_counts(summary, totals, quarantine)
            summary.seconds = time.perf_counter() - started
            if isinstance(sink, FileSink):
                sink.complete(_counts(summary))
    return summary


def _inputs_without_outputs(options: ReclassifyOptions) -> list[Path]:
    """The input files, minus what this run writes (an output placed in the input folder is not read back)."""
    files = list_inputs(options.input)
    if options.to_database:
        return files
    out = Path(options.output).resolve()
    written = {out, out.with_name(out.name + ".quarantine.csv"), out.with_name(out.name + ".run.json")}
    if options.quarantine is not None:
        written.add(options.quarantine.resolve())
    if any(f.resolve() == out for f in files) and Path(options.input).is_file():
        raise InvalidBatchOptions(f"{out.name} : la sortie ne peut pas être le fichier d'entrée")
    kept = [f for f in files if f.resolve() not in written]
    if not kept:
        raise InvalidBatchOptions(f"{options.input} : aucun fichier d'appels à lire hors des fichiers de sortie")
    return kept


def _tasks(
    files: list[Path],
    read: ReadSettings,
    sink: FileSink | DbSink,
    quarantine: QuarantineWriter,
    redactor: Any,
    hook: ProgressHook,
    summary: ReclassifySummary,
) -> Iterator[Task]:
    for chunk in iter_input_chunks(files, read):
        summary.rows_read += chunk.rows_read
        quarantine.add(_redacted_quarantine(chunk, redactor))
        todo = sink.pending(chunk.key, chunk.frame)
        done_before = len(chunk.frame) - len(todo)
        if isinstance(sink, FileSink):
            summary.skipped += done_before
        hook.advance(len(chunk.rejected) + done_before)
        if len(todo):
            yield chunk.key, files[chunk.file_index].name, todo


def _redacted_quarantine(chunk: InputChunk, redactor: Any) -> pd.DataFrame:
    """The chunk's rejected rows with their text redacted (undecodable bytes replaced first), cut to a readable
    length. The raw text never leaves this function."""
    rejected = chunk.rejected
    if rejected.empty:
        return pd.DataFrame(columns=list(QUARANTINE_COLUMNS))
    texts = [_cut(t.encode("utf-8", "replace").decode("utf-8"), _REDACT_CHARS) for t in rejected["text"].tolist()]
    try:
        redacted = redact_many(redactor, texts)
    except Exception:
        redacted = [""] * len(texts)
    frame = rejected.drop(columns=["text"]).assign(redacted_text=[_cut(t, QUARANTINE_TEXT_CHARS) for t in redacted])
    return frame[list(QUARANTINE_COLUMNS)]


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    space = text.rfind(" ", 0, limit)
    return text[: space if space > limit // 2 else limit] + " […]"


def _engine(options: ReclassifyOptions, loaded: LoadedBatchModel, settings: ScoringSettings, scratch: Path) -> Engine:
    if options.engine == "spark":
        from serving.batch.spark import SparkEngine

        model_dir, sha = model_directory_for_workers(loaded, scratch)
        return SparkEngine(
            model_dir, sha, settings, master=options.spark_master, scratch=scratch, session=options.spark_session
        )
    if options.workers > 1:
        model_dir, sha = model_directory_for_workers(loaded, scratch)
        return ProcessPoolEngine(model_dir, sha, settings, workers=options.workers)
    return InProcessEngine(loaded.model, settings)


def _engine_label(options: ReclassifyOptions, engine: Engine | None = None) -> str:
    if options.engine == "spark":
        master = getattr(getattr(getattr(engine, "spark", None), "sparkContext", None), "master", options.spark_master)
        return f"spark ({master})"
    return f"local ({options.workers} processus)" if options.workers > 1 else "local"


def _scoring_settings(options: ReclassifyOptions, loaded: LoadedBatchModel) -> ScoringSettings:
    rescore = options.taxonomy_from is not None
    if rescore:
        _check_rescoring(options.taxonomy_from, loaded.taxonomy_version)
    return ScoringSettings(
        k=options.k,
        model_version=loaded.model_version,
        taxonomy_version=loaded.taxonomy_version,
        classes=tuple(loaded.classes),
        rescore_from=options.taxonomy_from,
        rescore=rescore,
    )


def _check_rescoring(source: str | None, target: str) -> None:
    """The source version must exist and lead to the model's version through crosswalks — said before any work."""
    from taxonomy import TaxonomyError, load_taxonomy, plan_migration

    if not target:
        raise InvalidBatchOptions("le modèle ne dit pas sur quelle base de motifs il a été entraîné (taxonomy_ref)")
    try:
        plan_migration(load_taxonomy(source), load_taxonomy(target))
    except TaxonomyError as exc:
        raise InvalidBatchOptions(f"--taxonomy-from {source} → base du modèle {target} : {exc}") from None


def _pinned_settings(options: ReclassifyOptions) -> dict[str, Any]:
    return {
        "k": options.k,
        "max_chars": options.max_chars,
        "chunk_rows": options.chunk_rows,
        "with_text": options.with_text,
        "columns": dict(options.columns or {}),
        "encoding": options.encoding,
        "delimiter": options.delimiter,
        "taxonomy_from": options.taxonomy_from,
        "date": options.calls_date.isoformat() if options.calls_date else None,
        "row_ids": options.row_ids,
    }


def _quarantine_path(options: ReclassifyOptions, files: list[Path]) -> Path:
    if options.quarantine is not None:
        return options.quarantine
    if options.to_database:
        return LOCAL_DATA_DIR / "reclassify" / f"{files[0].stem}.quarantine.csv"
    out = Path(options.output)
    return out.with_name(out.name + ".quarantine.csv")


def _fill_counts(summary: ReclassifySummary, totals: Totals, quarantine: QuarantineWriter) -> None:
    summary.output_rows = totals.rows
    summary.methods = dict(totals.methods)
    summary.autre = totals.autre
    summary.to_confirm = totals.to_confirm
    summary.quarantined = dict(quarantine.counts)
    summary.quarantined_rows = quarantine.rows


def _counts(summary: ReclassifySummary) -> dict[str, Any]:
    return {
        "rows_read": summary.rows_read,
        "output_rows": summary.output_rows,
        "quarantined_rows": summary.quarantined_rows,
        "quarantined": summary.quarantined,
        "methods": summary.methods,
        "autre": summary.autre,
        "to_confirm": summary.to_confirm,
    }


def _already_done(summary: ReclassifySummary, sink: FileSink | DbSink, started: float) -> ReclassifySummary:
    assert isinstance(sink, FileSink)
    counts = sink.manifest.counts or {}
    summary.already_done = True
    summary.rows_read = int(counts.get("rows_read", 0))
    summary.output_rows = int(counts.get("output_rows", 0))
    summary.skipped = summary.output_rows
    summary.quarantined_rows = int(counts.get("quarantined_rows", 0))
    summary.quarantined = dict(counts.get("quarantined", {}))
    summary.methods = dict(counts.get("methods", {}))
    summary.autre = int(counts.get("autre", 0))
    summary.to_confirm = int(counts.get("to_confirm", 0))
    summary.seconds = time.perf_counter() - started
    return summary

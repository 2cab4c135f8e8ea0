"""Where results go: a file (CSV, Parquet, JSON Lines) assembled from crash-safe parts, or the motifs database.

- `FileSink`: see `serving.batch.journal` for the files it keeps. Resuming is per chunk: a chunk whose part is
  committed is skipped. The output is assembled in input order once every chunk is done (and written atomically).
- `DbSink`: rows go to the `predictions` table with `source = batch`; the key (call_id, model_version) makes writes
  idempotent. Resuming is per call: the call ids already stored for the run's model version are skipped and rows are
  inserted with `on_conflict="keep"` (never touching a finished row); `--restart` recomputes and replaces them.
- `QuarantineWriter`: the quarantine file, rebuilt by every run (reading the input again is cheap compared to the
  model) and put in place atomically at the end, so it lists each bad row exactly once whatever happened before.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.files import TMP_PREFIX, atomic_path, default_mode, file_sha256, fsync_dir
from pipeline.tables import TableWriter, spreadsheet_safe, writable_table_kind
from serving.batch.journal import (
    DONE,
    PartStore,
    RunLock,
    RunManifest,
    read_manifest,
    remove_temporaries,
    write_manifest,
)
from serving.batch.records import QUARANTINE_COLUMNS, QUARANTINE_SCHEMA, frame_records, output_schema
from serving.batch.scoring import ChunkResult, LoadedBatchModel
from serving.errors import InvalidBatchOptions, RunMismatch
from serving.store import OnConflict

DB_WRITE_ROWS = 1000  # rows per transaction: short write locks, so the API writing at the same time never waits long


def is_database_url(out: str) -> bool:
    return out == "db" or out.startswith(("sqlite:", "postgresql")) or "://" in out


@dataclass
class Totals:
    """What the output holds (for a file: every part, including those of earlier runs)."""

    rows: int = 0
    methods: Counter[str] = field(default_factory=Counter)
    autre: int = 0
    to_confirm: int = 0

    def add(self, frame: pd.DataFrame) -> None:
        self.rows += len(frame)
        self.methods.update(frame["method"].tolist())
        self.autre += int(frame["autre"].sum())
        self.to_confirm += int((frame["decision"] == "to_confirm").sum())


class QuarantineWriter:
    """Quarantined rows → `path` (CSV, UTF-8), appended while reading, renamed into place by `commit`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.counts: Counter[str] = Counter()
        self.rows = 0
        self._handle: IO[str] | None = None
        self._tmp: Path | None = None
        self._writer: Any = None

    def __enter__(self) -> QuarantineWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        remove_temporaries(self.path.parent, self.path.name)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f"{TMP_PREFIX}{self.path.name}.")
        os.chmod(tmp, default_mode())
        self._tmp = Path(tmp)
        self._handle = os.fdopen(fd, "w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle)
        self._writer.writerow(QUARANTINE_COLUMNS)
        return self

    def add(self, frame: pd.DataFrame) -> None:
        if frame.empty:
            return
        assert self._writer is not None
        safe = spreadsheet_safe(frame[list(QUARANTINE_COLUMNS)])  # a CSV for spreadsheets: no formula, no NUL
        self._writer.writerows(safe.itertuples(index=False, name=None))
        self.rows += len(frame)
        for codes in frame["error_code"].tolist():
            self.counts.update(str(codes).split(","))

    def commit(self, more: Iterable[pd.DataFrame] = ()) -> None:
        for frame in more:
            self.add(frame)
        assert self._handle is not None and self._tmp is not None
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        self._handle = None
        os.replace(self._tmp, self.path)
        fsync_dir(self.path.parent)
        self._tmp = None

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)


class FileSink:
    """Results to a file through committed parts (see `serving.batch.journal`)."""

    def __init__(self, out: Path, columns: list[str], manifest: RunManifest, *, restart: bool) -> None:
        self.out = out
        writable_table_kind(out)  # refuses an unsupported extension (or .json, read-only), in French
        self.columns = columns
        self.schema = output_schema(columns)
        self.manifest = manifest
        self.restart = restart
        self.manifest_path = out.with_name(out.name + ".run.json")
        self.parts = PartStore(out.with_name(out.name + ".parts"))
        self._lock = RunLock(self.parts.directory / "verrou")
        self._done: set[tuple[int, int]] = set()
        self.resumed = False
        self.already_done = False

    # --- life cycle ------------------------------------------------------------------------------------------
    def __enter__(self) -> FileSink:
        self._lock.__enter__()
        try:
            self._prepare()
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        finished = self.already_done or self.manifest.status == DONE
        self._lock.release(remove=finished)
        if finished and self.parts.directory.is_dir():
            with contextlib.suppress(OSError):
                self.parts.directory.rmdir()

    def _prepare(self) -> None:
        previous = read_manifest(self.manifest_path)
        if self.restart:
            self._clear()
            previous = None
        elif previous is None and self.out.exists():
            raise InvalidBatchOptions(
                f"{self.out} existe déjà et n'a pas été écrit par motifs reclassify (pas de {self.manifest_path.name}) "
                "; choisissez un autre fichier de sortie ou ajoutez --restart pour l'écraser"
            )
        if previous is not None and previous.status != DONE and not self.parts.done():
            # A run that stopped before committing any chunk (wrong column, unreadable file…) has nothing to resume:
            # it must not block the corrected command.
            self._clear()
            previous = None
        if previous is not None:
            check_same_run(previous, self.manifest, self.manifest_path)
            if previous.status == DONE:
                if self.out.exists() and previous.output_sha256 == file_sha256(self.out):
                    self.already_done = True
                    self.manifest = previous
                    return
                raise RunMismatch(
                    f"{self.out} a changé ou disparu depuis la fin du lot ({self.manifest_path.name}) ; "
                    "relancez avec --restart pour le recalculer"
                )
            self.manifest.started_at = previous.started_at
            # Chunks are the unit of resumption: a resumed run cuts the input exactly as the first one did.
            self.manifest.settings["chunk_rows"] = previous.settings["chunk_rows"]
            self.resumed = True
        self.parts.directory.mkdir(parents=True, exist_ok=True)
        remove_temporaries(self.parts.directory)
        remove_temporaries(self.out.parent, self.out.name)
        remove_temporaries(self.out.parent, self.manifest_path.name)
        self._done = self.parts.done()
        write_manifest(self.manifest_path, self.manifest)

    def _clear(self) -> None:
        for path in (self.out, self.manifest_path):
            path.unlink(missing_ok=True)
        if self.parts.directory.is_dir():
            for path in self.parts.directory.iterdir():
                if path.name != "verrou":
                    path.unlink()

    # --- writing ---------------------------------------------------------------------------------------------
    @property
    def done_chunks(self) -> int:
        return len(self._done)

    def pending(self, key: tuple[int, int], frame: pd.DataFrame) -> pd.DataFrame:
        return frame.iloc[0:0] if key in self._done else frame

    def write(self, key: tuple[int, int], result: ChunkResult) -> None:
        table = pa.Table.from_pandas(result.output[self.columns], schema=self.schema, preserve_index=False)
        errors = None
        if len(result.errors):
            errors = pa.Table.from_pandas(
                result.errors[list(QUARANTINE_COLUMNS)], schema=QUARANTINE_SCHEMA, preserve_index=False
            )
        self.parts.commit(key, table, errors)
        self._done.add(key)

    def stored_errors(self) -> Iterator[pd.DataFrame]:
        """Notes the model failed on, in every part (this run's and earlier ones'), for the quarantine."""
        for path in self.parts.parts("errors"):
            yield pq.read_table(path).to_pandas()

    # --- finishing -------------------------------------------------------------------------------------------
    def assemble(self) -> Totals:
        """Every part, in input order, into the requested file (written atomically); returns what it holds."""
        totals = Totals()
        kind = writable_table_kind(self.out)

        def write(path: Path) -> None:
            if kind == "parquet":
                with pq.ParquetWriter(path, self.schema) as writer:
                    for part in self.parts.parts():
                        table = pq.read_table(part, schema=self.schema)
                        totals.add(table.select(["method", "autre", "decision"]).to_pandas())
                        writer.write_table(table)
                return
            with TableWriter(path) as writer:
                for part in self.parts.parts():
                    frame = pq.read_table(part, schema=self.schema).to_pandas()
                    totals.add(frame)
                    writer.write(frame)
                if writer.rows_written == 0 and kind == "csv":  # no row at all: still a header
                    writer.write(self.schema.empty_table().to_pandas())

        atomic_path(self.out, write)
        return totals

    def complete(self, counts: dict[str, Any]) -> None:
        """Mark the run finished (with the output's SHA-256), then remove the parts."""
        self.manifest.status = DONE
        self.manifest.finished_at = RunManifest.now()
        self.manifest.output_sha256 = file_sha256(self.out)
        self.manifest.counts = counts
        write_manifest(self.manifest_path, self.manifest)
        for path in self.parts.directory.iterdir():
            if path.name != "verrou":
                path.unlink()


def check_same_run(previous: RunManifest, current: RunManifest, where: Path) -> None:
    """Refuse to resume (or to call finished) a run made with another model, other inputs or other settings."""
    if previous.model_version != current.model_version or previous.model_sha256 != current.model_sha256:
        raise RunMismatch(
            f"le lot de {where.name} a été commencé avec le modèle {previous.model_version} "
            f"({previous.taxonomy_version}) ; reçu : le modèle {current.model_version} ({current.taxonomy_version}). "
            "Reprenez avec le même modèle, ou ajoutez --restart pour tout recalculer avec le nouveau"
        )
    if previous.inputs != current.inputs:
        before = ", ".join(i.name for i in previous.inputs)
        now = ", ".join(i.name for i in current.inputs)
        raise RunMismatch(
            f"les fichiers d'entrée ont changé depuis le début du lot de {where.name} (avant : {before} ; "
            f"maintenant : {now}, ou même noms au contenu modifié) ; ajoutez --restart pour tout recalculer"
        )
    changed = sorted(
        key
        for key in set(previous.settings) | set(current.settings)
        if key != "chunk_rows" and previous.settings.get(key) != current.settings.get(key)
    )
    if changed:
        details = ", ".join(f"{k} : {previous.settings.get(k)!r} → {current.settings.get(k)!r}" for k in changed)
        raise RunMismatch(
            f"réglages différents de ceux du lot commencé ({where.name}) : {details} ; "
            "reprenez avec les mêmes réglages ou ajoutez --restart"
        )


class DbSink:
    """Results to the motifs database (`source = batch`), resumable by call_id. The model is recorded in the store
    (`db.models`: version, taxonomy, calibration) before any of its predictions."""

    def __init__(self, url: str | None, *, model: LoadedBatchModel, restart: bool) -> None:
        from serving.store import Database

        self.database = Database.open(None if url == "db" else url)
        self.model_version = model.model_version
        self.database.models.record(model.model_version, model.taxonomy_version, model.calibration)
        self.restart = restart
        self.quarantine: QuarantineWriter | None = None  # set by the run once the quarantine is open
        self.resumed = False
        self.already_done = False
        self.skipped = 0
        self.totals = Totals()

    def __enter__(self) -> DbSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.database.close()

    @property
    def safe_url(self) -> str:
        return self.database.safe_url

    def pending(self, key: tuple[int, int], frame: pd.DataFrame) -> pd.DataFrame:
        if self.restart or frame.empty:
            return frame
        ids = frame["call_id"].tolist()
        existing = self.database.predictions.existing_call_ids(ids, model_version=self.model_version)
        if existing:
            self.resumed = True
            self.skipped += len(existing)
            return frame[~frame["call_id"].isin(existing)]
        return frame

    def write(self, key: tuple[int, int], result: ChunkResult) -> None:
        records = list(frame_records(result.output))
        on_conflict: OnConflict = "replace" if self.restart else "keep"
        for start in range(0, len(records), DB_WRITE_ROWS):
            self.database.predictions.add_many(records[start : start + DB_WRITE_ROWS], on_conflict=on_conflict)
        self.totals.add(result.output)
        if self.quarantine is not None:
            self.quarantine.add(result.errors)

    def stored_errors(self) -> Iterator[pd.DataFrame]:
        return iter(())

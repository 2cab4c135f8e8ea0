"""Redacting the text columns of a CSV, Parquet or JSON Lines file, chunk by chunk (flat memory).

Only counts leave this module (rows, spans per type, rejected row numbers): never a value of the file.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline.errors import MissingColumn, RedactionInputError
from pipeline.redaction.redactor import Redactor
from pipeline.tables import (
    ROW_COLUMN,
    TableSpec,
    TableWriter,
    inspect_table,
    iter_table,
    read_header,
    writable_table_kind,
)

_SURROGATES = re.compile("[\udc80-\udcff]")
ProgressCallback = Callable[[int], None]


@dataclass
class RedactionSummary:
    """What `redact_table` did, in numbers only."""

    rows: int = 0
    rejected_rows: list[int] = field(default_factory=list)  # malformed records (row numbers), not written
    undecodable_rows: int = 0  # rows whose undecodable bytes were replaced by U+FFFD
    counts: Counter[str] = field(default_factory=Counter)  # redacted spans per type
    seconds: float = 0.0
    guesses: tuple[str, ...] = ()

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def count_rows(spec: TableSpec) -> int | None:
    """Number of records when the format says it cheaply (Parquet), else None."""
    if spec.kind == "parquet":
        return int(pq.ParquetFile(spec.path).metadata.num_rows)
    return None


def redact_table(
    source: str | Path,
    target: str | Path,
    *,
    text_columns: Sequence[str] = ("text",),
    redactor: Redactor | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    chunk_rows: int = 5_000,
    workers: int = 1,
    on_progress: ProgressCallback | None = None,
) -> RedactionSummary:
    """Copy `source` to `target` (CSV, Parquet or JSON Lines by extension) with `text_columns` redacted.

    Other columns are copied unchanged. Malformed CSV/JSONL records are not written; their numbers are reported.
    `workers` > 1 redacts chunks in that many processes (order kept).
    """
    source, target = Path(source), Path(target)
    if source.resolve() == target.resolve():
        raise RedactionInputError(f"{target.name} : le fichier de sortie doit être différent du fichier d'entrée")
    writable_table_kind(target)  # refuse an unknown output extension before reading anything
    if not text_columns:
        raise MissingColumn("aucune colonne de texte indiquée (attendu : au moins une, par exemple « text »)")
    if workers < 1:
        raise RedactionInputError(f"workers : {workers} reçu, attendu : 1 ou plus")
    spec = inspect_table(source, encoding=encoding, delimiter=delimiter)
    header = read_header(spec)
    missing = [c for c in text_columns if c not in header]
    if missing:
        raise MissingColumn(
            f"{source.name} : colonne(s) {', '.join(missing)} absente(s) (colonnes du fichier : {', '.join(header)})"
        )
    redactor = redactor if redactor is not None else Redactor()
    redactor.fit()  # validates the parameters before any work
    summary = RedactionSummary(guesses=spec.guesses)
    started = time.perf_counter()
    executor = ProcessPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        with TableWriter(target) as writer:
            for chunk in iter_table(spec, chunk_rows=chunk_rows):
                frame, undecodable = _clean(chunk.frame.drop(columns=[ROW_COLUMN]))
                for name in text_columns:
                    redacted, counts = _redact_column(redactor, frame[name].tolist(), executor, workers)
                    frame[name] = redacted
                    summary.counts.update(counts)
                writer.write(frame)
                summary.rows += len(frame)
                summary.undecodable_rows += undecodable
                summary.rejected_rows.extend(bad.row for bad in chunk.malformed)
                if on_progress is not None:
                    on_progress(len(frame) + len(chunk.malformed))
    finally:
        if executor is not None:
            executor.shutdown()
    summary.seconds = time.perf_counter() - started
    return summary


def _redact_column(
    redactor: Redactor, texts: list[str], executor: Executor | None, workers: int
) -> tuple[list[str], Counter[str]]:
    if executor is None:
        return redactor.redact_with_counts(texts)
    jobs = [(redactor, part) for part in _split(texts, workers)]
    return _join(list(executor.map(_redact_part, jobs)))


def _split(values: list[str], parts: int) -> list[list[str]]:
    size = max(1, -(-len(values) // parts))
    return [values[k : k + size] for k in range(0, len(values), size)] or [[]]


def _redact_part(job: tuple[Redactor, list[str]]) -> tuple[list[str], Counter[str]]:
    redactor, texts = job
    return redactor.redact_with_counts(texts)


def _join(results: list[tuple[list[str], Counter[str]]]) -> tuple[list[str], Counter[str]]:
    texts: list[str] = []
    counts: Counter[str] = Counter()
    for part, part_counts in results:
        texts.extend(part)
        counts.update(part_counts)
    return texts, counts


def _clean(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Replace bytes that did not decode (lone surrogates) by U+FFFD so every writer accepts the values."""
    dirty = pd.Series(False, index=frame.index)
    for name in frame.columns:
        if name == ROW_COLUMN or frame[name].dtype != object:
            continue
        mask = frame[name].map(lambda v: isinstance(v, str) and _SURROGATES.search(v) is not None)
        if mask.any():
            frame.loc[mask, name] = frame.loc[mask, name].map(lambda v: _SURROGATES.sub("\ufffd", v))
            dirty |= mask
    return frame, int(dirty.sum())

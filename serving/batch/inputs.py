"""The calls a batch reclassifies: one file or every supported file of a folder, read in chunks through the
call-data contract (`pipeline.calls.iter_call_chunks`), with the batch's own checks on top.

Rows `pipeline.calls` rejects (malformed, undecodable, empty id or text, bad timestamp, duplicate id within a file)
and rows the batch rejects are **quarantined**, never dropped silently and never fatal:

- `too_long`: the note is longer than `max_chars` (the API answers 413 for the same note);
- `id_too_long`: a `call_id` longer than the database's column (a `site` or `channel` longer than its column
  stops the run with a clear error instead: it is a wrong column, not a bad row);
- `duplicate_id` across files: the same `call_id` in two files of a folder (the first one, in sorted file order,
  is kept).

Chunks are numbered per file; with the same `chunk_rows`, the same file always gives the same chunks, which is what
makes a run resumable chunk by chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from pipeline.calls import REJECTED_META, iter_call_chunks
from pipeline.errors import UnreadableTable
from pipeline.tables import table_kind
from serving.errors import InvalidBatchOptions
from serving.store.schema import CALL_ID_LENGTH, CHANNEL_LENGTH, SITE_LENGTH

SUPPORTED_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq", ".jsonl", ".ndjson", ".json")
DEFAULT_MAX_CHARS = 5000  # the API's default MOTIFS_MAX_TEXT_LENGTH: the same note is refused by both
BATCH_ERROR_LABELS: dict[str, str] = {
    "too_long": "texte trop long",
    "id_too_long": "call_id trop long",
    "field_too_long": "site ou canal trop long",
    "model_error": "erreur du modèle",
}
_READ_BLOCK = 1 << 22


@dataclass(frozen=True)
class InputFile:
    """One input file and what pins it for a run: size and SHA-256 of its bytes."""

    path: Path
    size: int
    sha256: str
    rows_estimate: int  # data lines (CSV, JSON Lines) or rows (Parquet): for the progress bar only


def list_inputs(path: str | Path) -> list[Path]:
    """`path` itself, or every supported file directly in the folder `path` (sorted by name, hidden files skipped)."""
    path = Path(path)
    if not path.exists():
        raise InvalidBatchOptions(f"{path} : fichier ou dossier d'entrée introuvable")
    if path.is_file():
        table_kind(path)  # refuses an unsupported extension with the list of supported ones
        return [path]
    files = sorted(
        p
        for p in path.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_SUFFIXES
    )
    if not files:
        raise InvalidBatchOptions(
            f"{path} : aucun fichier d'appels dans ce dossier (extensions lues : {', '.join(SUPPORTED_SUFFIXES)})"
        )
    return files


def fingerprint(path: Path) -> InputFile:
    """Size, SHA-256 and an estimate of the number of rows, in one pass over the file."""
    digest = hashlib.sha256()
    lines = 0
    last = b"\n"
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(_READ_BLOCK), b""):
                digest.update(block)
                lines += block.count(b"\n")
                last = block[-1:]
    except OSError as exc:
        raise UnreadableTable(f"{path.name} : lecture impossible ({type(exc).__name__})") from None
    kind = table_kind(path)
    if kind == "parquet":
        try:
            rows = pq.ParquetFile(path).metadata.num_rows
        except Exception:
            rows = 0
    else:
        lines += last != b"\n"
        rows = max(0, lines - (1 if kind == "csv" else 0))
    return InputFile(path=path, size=path.stat().st_size, sha256=digest.hexdigest(), rows_estimate=rows)


@dataclass(frozen=True)
class ReadSettings:
    chunk_rows: int
    max_chars: int = DEFAULT_MAX_CHARS
    columns: Mapping[str, str] | None = None
    encoding: str | None = None
    delimiter: str | None = None
    calls_date: date | None = None  # dates every row of undated exports (`--date`)
    row_ids: bool = False  # ids « FILE:RECORD » for exports without ids (`--row-ids`)


@dataclass
class InputChunk:
    """Valid rows of one chunk (contract columns, index `row`) and its quarantined rows (raw text, not yet
    redacted: the caller redacts it before it goes anywhere)."""

    file_index: int
    chunk_index: int
    frame: pd.DataFrame
    rejected: pd.DataFrame  # file, row, call_id, error_code, error, text (raw)
    rows_read: int

    @property
    def key(self) -> tuple[int, int]:
        return (self.file_index, self.chunk_index)


class _SeenAcrossFiles:
    """Call ids of the files already read (64-bit hashes in sorted runs) with the file and row that first had them."""

    def __init__(self) -> None:
        self._hashes: list[np.ndarray] = []
        self._origin: list[np.ndarray] = []

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """Packed origin (file << 40 | row) of each hash seen before, -1 when new."""
        found = np.full(len(hashes), -1, dtype=np.int64)
        for run, origin in zip(self._hashes, self._origin, strict=True):
            pos = np.minimum(np.searchsorted(run, hashes), len(run) - 1)
            hit = (run[pos] == hashes) & (found < 0)
            found[hit] = origin[pos[hit]]
        return found

    def add(self, hashes: np.ndarray, origin: np.ndarray) -> None:
        if len(hashes) == 0:
            return
        order = np.argsort(hashes, kind="stable")
        self._hashes.append(hashes[order])
        self._origin.append(origin[order])
        while len(self._hashes) >= 2 and len(self._hashes[-2]) <= len(self._hashes[-1]):
            h = np.concatenate(self._hashes[-2:])
            o = np.concatenate(self._origin[-2:])
            order = np.argsort(h, kind="stable")
            self._hashes[-2:] = [h[order]]
            self._origin[-2:] = [o[order]]


def iter_input_chunks(files: Sequence[Path], settings: ReadSettings) -> Iterator[InputChunk]:
    """Every chunk of every file, in order, with valid rows and quarantined rows apart."""
    across = _SeenAcrossFiles() if len(files) > 1 else None
    for file_index, path in enumerate(files):
        reader = iter_call_chunks(
            path,
            encoding=settings.encoding,
            delimiter=settings.delimiter,
            columns=settings.columns,
            chunk_rows=settings.chunk_rows,
            calls_date=settings.calls_date,
            row_ids=settings.row_ids,
        )
        text_column = _in_rejected(reader.columns["text"])
        for chunk_index, chunk in enumerate(reader):
            frame, extra = _batch_checks(chunk.frame, settings.max_chars, path.name)
            if across is not None and len(frame):
                frame, duplicates = _cross_file_duplicates(frame, file_index, across, files)
                extra.append(duplicates)
            rejected = _from_calls_rejected(chunk.rejected, path.name, text_column)
            parts = [p for p in (rejected, *extra) if len(p)]
            quarantined = (
                pd.concat(parts, ignore_index=True).sort_values("row", kind="stable").reset_index(drop=True)
                if parts
                else _empty_rejected()
            )
            yield InputChunk(
                file_index=file_index,
                chunk_index=chunk_index,
                frame=frame,
                rejected=quarantined,
                rows_read=len(chunk.frame) + len(chunk.rejected),
            )


def _in_rejected(name: str) -> str:
    """The name a source column has in `pipeline.calls`' rejected frame."""
    return f"{name} (source)" if name in REJECTED_META else name


def _empty_rejected() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "file": pd.Series(dtype=object),
            "row": pd.Series(dtype="int64"),
            "call_id": pd.Series(dtype=object),
            "error_code": pd.Series(dtype=object),
            "error": pd.Series(dtype=object),
            "text": pd.Series(dtype=object),
        }
    )


def _from_calls_rejected(rejected: pd.DataFrame, file_name: str, text_column: str) -> pd.DataFrame:
    if rejected.empty:
        return _empty_rejected()
    texts = rejected[text_column].astype(object).where(rejected["error_code"] != "malformed", rejected["raw"])
    return pd.DataFrame(
        {
            "file": file_name,
            "row": rejected["row"].astype("int64").to_numpy(),
            "call_id": rejected["call_id"].astype(str).to_numpy(),
            "error_code": rejected["error_code"].astype(str).to_numpy(),
            "error": rejected["error"].astype(str).to_numpy(),
            "text": texts.fillna("").astype(str).to_numpy(),
        }
    )


def _batch_checks(frame: pd.DataFrame, max_chars: int, file_name: str) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    if frame.empty:
        return frame, []
    text_len = frame["text"].str.len().to_numpy()
    checks = {
        "too_long": (text_len > max_chars, lambda i: f"texte de {text_len[i]} caractères (maximum : {max_chars})"),
        "id_too_long": (
            frame["call_id"].str.len().to_numpy() > CALL_ID_LENGTH,
            lambda i: f"call_id de plus de {CALL_ID_LENGTH} caractères",
        ),
    }
    for column, limit in (("site", SITE_LENGTH), ("channel", CHANNEL_LENGTH)):
        too_long = int((frame[column].str.len().to_numpy() > limit).sum())
        if too_long:
            # A column problem, not a row problem: quarantining a third of a file for it would hide the cause.
            raise InvalidBatchOptions(
                f"{file_name} : {too_long} valeur(s) de {column} de plus de {limit} caractères dans les lignes "
                f"{int(frame.index[0])} à {int(frame.index[-1])} (limite de la base) : ce n'est sans doute pas une "
                f"colonne de {column} — en choisir une autre (--{column}-col) ou n'en donner aucune (facultative)"
            )
    bad = np.zeros(len(frame), dtype=bool)
    for mask, _ in checks.values():
        bad |= mask
    if not bad.any():
        return frame, []
    records = []
    rows = frame.index.to_numpy()
    for i in np.flatnonzero(bad).tolist():
        codes = [code for code, (mask, _) in checks.items() if mask[i]]
        records.append(
            {
                "file": file_name,
                "row": int(rows[i]),
                "call_id": "" if "id_too_long" in codes else str(frame["call_id"].iat[i]),
                "error_code": ",".join(codes),
                "error": " ; ".join(checks[code][1](i) for code in codes),
                "text": str(frame["text"].iat[i]),
            }
        )
    return frame[~bad], [pd.DataFrame.from_records(records, columns=list(_empty_rejected().columns))]


def _cross_file_duplicates(
    frame: pd.DataFrame, file_index: int, across: _SeenAcrossFiles, files: Sequence[Path]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = frame["call_id"].to_numpy(dtype=object)
    hashes = pd.util.hash_array(ids).astype(np.uint64)
    origin = across.lookup(hashes)
    duplicate = origin >= 0
    rows = frame.index.to_numpy(dtype=np.int64)
    keep = ~duplicate
    across.add(hashes[keep], (np.int64(file_index) << 40) | rows[keep])
    if not duplicate.any():
        return frame, _empty_rejected()
    records = []
    for i in np.flatnonzero(duplicate).tolist():
        first_file, first_row = int(origin[i]) >> 40, int(origin[i]) & ((1 << 40) - 1)
        records.append(
            {
                "file": files[file_index].name,
                "row": int(rows[i]),
                "call_id": str(ids[i]),
                "error_code": "duplicate_id",
                "error": f"call_id en double (première occurrence : {files[first_file].name} ligne {first_row})",
                "text": str(frame["text"].iat[i]),
            }
        )
    return frame[keep], pd.DataFrame.from_records(records, columns=list(_empty_rejected().columns))

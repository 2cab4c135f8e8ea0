"""Reading and writing tabular files (CSV, Parquet, JSON Lines; JSON arrays are read) in chunks, whatever the tool.

Exports from telephony and CRM tools are often Windows-1252 with `;` or `|` separators. Reading guesses the encoding
and the delimiter when they are not given and says what it guessed; bytes that do not decode are kept as lone
surrogates (`surrogateescape`) so one bad row can be reported by number instead of failing the whole file; a row
with the wrong number of fields is returned apart, never dropped silently. Every value is read as a string.
A `.json` file is what web tools export: an array of objects (or one object holding such an array, or JSON Lines
under a `.json` name); it is parsed whole, so big exports are better in JSON Lines, which is also what gets written.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.errors import EmptyTable, UnreadableTable, UnsupportedFormat

TableKind = Literal["csv", "parquet", "jsonl", "json"]

ROW_COLUMN = "__row__"  # 1-based record number in the file (header excluded), added to every chunk
_KINDS: dict[str, TableKind] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
}
_DELIMITERS = (",", ";", "|", "\t")
_SAMPLE_BYTES = 1 << 20
_SURROGATES = re.compile("[\udc80-\udcff]")


def table_kind(path: Path) -> TableKind:
    try:
        return _KINDS[path.suffix.lower()]
    except KeyError:
        raise UnsupportedFormat(
            f"{path.name} : extension « {path.suffix or '(aucune)'} » non prise en charge "
            f"(attendu : {', '.join(sorted(_KINDS))})"
        ) from None


def writable_table_kind(path: Path) -> TableKind:
    """`table_kind` for an output: JSON arrays are read, not written (JSON Lines append chunk by chunk)."""
    kind = table_kind(path)
    if kind == "json":
        raise UnsupportedFormat(
            f"{path.name} : écriture en .json non prise en charge (attendu : .jsonl, .csv ou .parquet)"
        )
    return kind


@dataclass(frozen=True)
class TableSpec:
    """How to read one file, and what was guessed to get there (French sentences for the user)."""

    path: Path
    kind: TableKind
    encoding: str = "utf-8"
    delimiter: str = ","
    guesses: tuple[str, ...] = ()


@dataclass(frozen=True)
class MalformedRow:
    """A CSV record whose number of fields does not match the header. Values are kept for quarantine files."""

    row: int
    line: int
    values: tuple[str, ...]
    error: str


@dataclass
class TableChunk:
    frame: pd.DataFrame
    malformed: list[MalformedRow] = field(default_factory=list)


def inspect_table(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None) -> TableSpec:
    """Decide how to read `path`; guess encoding (UTF-8, else Windows-1252) and delimiter when not given."""
    path = Path(path)
    if not path.exists():
        raise UnreadableTable(f"{path} : fichier introuvable")
    if path.is_dir():
        raise UnreadableTable(f"{path} : c'est un dossier, un fichier était attendu")
    kind = table_kind(path)
    if path.stat().st_size == 0:
        raise EmptyTable(f"{path.name} : fichier vide (attendu : une ligne d'en-tête puis des lignes de données)")
    if kind != "csv":
        return TableSpec(path=path, kind=kind)
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    guesses: list[str] = []
    if encoding is None:
        encoding, evidence = _guess_encoding(sample)
        if encoding == "cp1252":
            guesses.append("encodage deviné : windows-1252 (le fichier n'est pas en UTF-8)")
        elif evidence.invalid:
            guesses.append(
                f"encodage deviné : UTF-8 ({evidence.valid} caractère(s) accentué(s) valides, {evidence.invalid} "
                "octet(s) illisible(s) au début du fichier : les lignes concernées sont signalées)"
            )
    if delimiter is None:
        if path.suffix.lower() == ".tsv":
            delimiter = "\t"
        else:
            delimiter = _guess_delimiter(sample.decode(encoding, errors="replace"))
            if delimiter != ",":
                guesses.append(f"séparateur deviné : « {_delimiter_name(delimiter)} »")
    return TableSpec(path=path, kind=kind, encoding=encoding, delimiter=delimiter, guesses=tuple(guesses))


@dataclass(frozen=True)
class _Utf8Evidence:
    valid: int  # well-formed multi-byte UTF-8 sequences (accented letters, €, ’…)
    invalid: int  # bytes that are not part of any well-formed UTF-8 sequence


_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")


def _utf8_evidence(sample: bytes, *, full: bool) -> _Utf8Evidence:
    """Count what speaks for and against UTF-8 in `sample`. When the sample is a cut of a larger file, a
    multi-byte character cut by its end is no evidence either way: the sample is read up to its last line break."""
    if full:
        cut = sample.rfind(b"\n")
        sample = sample[: cut + 1] if cut > 0 else sample[:-3]
    text = sample.decode("utf-8", errors="surrogateescape")
    return _Utf8Evidence(valid=len(_NON_ASCII.findall(text)), invalid=len(_SURROGATES.findall(text)))


def _guess_encoding(sample: bytes) -> tuple[str, _Utf8Evidence]:
    """(encoding, evidence): UTF-8 unless most of the sample's non-ASCII bytes fail to decode as UTF-8 (then
    Windows-1252).

    Decided by evidence, not by the first bad byte: in a Windows-1252 file with accents almost every accented
    letter is an invalid UTF-8 byte (é = 0xE9 followed by a plain letter), while an UTF-8 export with one
    corrupted row has many well-formed sequences and a few bad bytes — it stays UTF-8 and only those rows are
    flagged undecodable, instead of every accent of the file being garbled."""
    evidence = _utf8_evidence(sample, full=len(sample) == _SAMPLE_BYTES)
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", evidence
    return ("cp1252" if evidence.invalid and evidence.invalid >= evidence.valid else "utf-8"), evidence


def _guess_delimiter(text: str) -> str:
    header = text.splitlines()[0] if text else ""
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


def _delimiter_name(delimiter: str) -> str:
    return "tabulation" if delimiter == "\t" else delimiter


_JSON_HEADER_RECORDS = 1_000


def read_header(spec: TableSpec) -> list[str]:
    """Column names of the file, in order."""
    if spec.kind == "parquet":
        return list(pq.ParquetFile(spec.path).schema_arrow.names)
    if spec.kind in ("jsonl", "json"):
        # records need not all hold the same keys: the union over the first ones, in order of appearance
        for chunk in iter_table(spec, chunk_rows=_JSON_HEADER_RECORDS):
            return [c for c in chunk.frame.columns if c != ROW_COLUMN]
        raise EmptyTable(f"{spec.path.name} : aucune ligne")
    with spec.path.open(encoding=spec.encoding, errors="surrogateescape", newline="") as handle:
        try:
            header = next(csv.reader(handle, delimiter=spec.delimiter))
        except StopIteration:
            raise EmptyTable(f"{spec.path.name} : fichier vide") from None
        except csv.Error as exc:
            raise UnreadableTable(f"{spec.path.name} : en-tête illisible ({exc})") from None
    names = [name.strip() for name in header]
    if not any(names):
        raise EmptyTable(f"{spec.path.name} : pas de ligne d'en-tête (attendu : noms de colonnes)")
    return names


def iter_table(spec: TableSpec, *, chunk_rows: int = 50_000) -> Iterator[TableChunk]:
    """Yield the file in chunks of at most `chunk_rows` records, every value a string, plus `__row__`."""
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be >= 1")
    if spec.kind == "csv":
        yield from _iter_csv(spec, chunk_rows)
    elif spec.kind == "parquet":
        yield from _iter_parquet(spec, chunk_rows)
    elif spec.kind == "json":
        yield from _iter_json(spec, chunk_rows)
    else:
        yield from _iter_jsonl(spec, chunk_rows)


def _iter_csv(spec: TableSpec, chunk_rows: int) -> Iterator[TableChunk]:
    header = read_header(spec)
    width = len(header)
    with spec.path.open(encoding=spec.encoding, errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, delimiter=spec.delimiter)
        next(reader, None)
        rows: list[list[str]] = []
        numbers: list[int] = []
        malformed: list[MalformedRow] = []
        record = 0
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record += 1
                malformed.append(MalformedRow(record, reader.line_num, (), f"ligne CSV illisible ({exc})"))
                continue
            if not values:  # blank line
                continue
            record += 1
            if len(values) != width:
                malformed.append(
                    MalformedRow(
                        record,
                        reader.line_num,
                        tuple(values),
                        f"{len(values)} champs au lieu de {width} (séparateur ou guillemets à vérifier)",
                    )
                )
            else:
                rows.append(values)
                numbers.append(record)
            if len(rows) + len(malformed) >= chunk_rows:
                yield TableChunk(_frame(rows, numbers, header), malformed)
                rows, numbers, malformed = [], [], []
        if rows or malformed:
            yield TableChunk(_frame(rows, numbers, header), malformed)


def _frame(rows: list[list[str]], numbers: list[int], header: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame[ROW_COLUMN] = pd.Series(numbers, dtype="int64")
    return frame


def _iter_parquet(spec: TableSpec, chunk_rows: int) -> Iterator[TableChunk]:
    try:
        parquet = pq.ParquetFile(spec.path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableTable(f"{spec.path.name} : Parquet illisible ({type(exc).__name__})") from None
    start = 0
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas()
        frame = frame.astype(object).where(frame.notna(), "")
        frame = frame.map(lambda v: v if isinstance(v, str) else str(v))
        frame[ROW_COLUMN] = range(start + 1, start + len(frame) + 1)
        start += len(frame)
        yield TableChunk(frame)


def _iter_jsonl(spec: TableSpec, chunk_rows: int) -> Iterator[TableChunk]:
    with spec.path.open(encoding="utf-8", errors="surrogateescape") as handle:
        records: list[dict[str, object]] = []
        numbers: list[int] = []
        malformed: list[MalformedRow] = []
        record = 0
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record += 1
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                value = None
            if not isinstance(value, dict):
                malformed.append(MalformedRow(record, line_number, (), "ligne JSON invalide (objet attendu)"))
            else:
                records.append({k: "" if v is None else v if isinstance(v, str) else str(v) for k, v in value.items()})
                numbers.append(record)
            if len(records) + len(malformed) >= chunk_rows:
                yield TableChunk(_records_frame(records, numbers), malformed)
                records, numbers, malformed = [], [], []
        if records or malformed:
            yield TableChunk(_records_frame(records, numbers), malformed)


def _iter_json(spec: TableSpec, chunk_rows: int) -> Iterator[TableChunk]:
    text = spec.path.read_text(encoding="utf-8-sig", errors="surrogateescape")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("{"):  # JSON Lines under a .json name: read line by line
            yield from _iter_jsonl(spec, chunk_rows)
            return
        raise UnreadableTable(
            f"{spec.path.name} : JSON illisible (ligne {exc.lineno}, colonne {exc.colno} : {exc.msg})"
        ) from None
    items = _json_records(value, spec.path.name)
    for start in range(0, len(items), chunk_rows):
        records: list[dict[str, object]] = []
        numbers: list[int] = []
        malformed: list[MalformedRow] = []
        for number, item in enumerate(items[start : start + chunk_rows], start=start + 1):
            if isinstance(item, dict):
                records.append({k: "" if v is None else v if isinstance(v, str) else str(v) for k, v in item.items()})
                numbers.append(number)
            else:
                malformed.append(MalformedRow(number, 0, (), "élément JSON invalide (objet attendu)"))
        yield TableChunk(_records_frame(records, numbers), malformed)


def _json_records(value: object, name: str) -> list[object]:
    """The records of a JSON document: the array itself, or the one array of objects inside a top-level object."""
    if isinstance(value, list):
        if not value:
            raise EmptyTable(f"{name} : tableau JSON vide (attendu : un objet par appel)")
        return value
    if isinstance(value, dict):
        arrays = [k for k, v in value.items() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)]
        if len(arrays) == 1:
            return list(value[arrays[0]])
        found = f"{len(arrays)} tableaux d'objets" if arrays else "aucun tableau d'objets"
        raise UnreadableTable(f"{name} : objet JSON avec {found} (attendu : un tableau d'objets, un par appel)")
    raise UnreadableTable(f"{name} : JSON sans enregistrements (attendu : un tableau d'objets, un par appel)")


def _records_frame(records: list[dict[str, object]], numbers: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records).astype(object)
    frame = frame.where(frame.notna(), "")
    frame[ROW_COLUMN] = pd.Series(numbers, dtype="int64")
    return frame


def undecodable(values: pd.Series) -> pd.Series:
    """True where a value holds bytes that did not decode in the file's encoding."""
    return values.astype(str).str.contains(_SURROGATES)


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): such cells get a leading « ' ».
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe_cell(value: object) -> object:
    """A text cell as a spreadsheet will only display it: NUL removed, formula start neutralised with « ' »;
    anything but text (numbers, dates, missing values) unchanged."""
    if not isinstance(value, str):
        return value
    value = value.replace("\x00", "")
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every text column passed through `spreadsheet_safe_cell` (numeric columns untouched: a
    negative number stays a number)."""
    text_columns = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])]
    if not text_columns:
        return frame
    safe = frame.copy()
    for column in text_columns:
        safe[column] = safe[column].map(spreadsheet_safe_cell)
    return safe


class TableWriter:
    """Write DataFrame chunks to CSV (UTF-8), Parquet or JSON Lines, chosen by the file's extension.

    CSV files are meant for spreadsheets: text cells go through `spreadsheet_safe` (formula injection, NUL bytes).
    Parquet and JSON Lines keep values exactly (typed formats, not opened as formulas).

    `append=True` continues an existing CSV or JSON Lines file (no second header); Parquet files cannot be appended.
    """

    def __init__(self, path: str | Path, *, append: bool = False) -> None:
        self.path = Path(path)
        self.kind = writable_table_kind(self.path)
        if append and self.kind == "parquet" and self.path.exists():
            raise UnsupportedFormat(f"{self.path.name} : un fichier Parquet ne peut pas être complété")
        self._append = append and self.path.exists() and self.path.stat().st_size > 0
        self._parquet: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self.rows_written = 0

    def __enter__(self) -> TableWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self._append and self.kind != "parquet":
            self.path.write_bytes(b"")
        return self

    def write(self, frame: pd.DataFrame) -> None:
        if frame.empty and self.rows_written and self.kind != "parquet":
            return
        if self.kind == "csv":
            header = not self._append and self.rows_written == 0
            with self.path.open("a", encoding="utf-8", newline="") as handle:
                spreadsheet_safe(frame).to_csv(handle, index=False, header=header)
        elif self.kind == "jsonl":
            with self.path.open("a", encoding="utf-8") as handle:
                if not frame.empty:
                    # ISO 8601 dates (pandas would write epoch milliseconds), readable by pipeline.calls
                    frame.to_json(handle, orient="records", lines=True, force_ascii=False, date_format="iso")
        else:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if self._parquet is None:
                self._schema = table.schema
                self._parquet = pq.ParquetWriter(self.path, self._schema)
            elif self._schema is not None:
                table = table.cast(self._schema)
            self._parquet.write_table(table)
        self.rows_written += len(frame)

    def close(self) -> None:
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

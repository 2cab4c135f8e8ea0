"""The call-data contract: reading call exports (CSV, Parquet, JSON Lines) into validated rows.

Contract columns: `call_id, text, timestamp`, optional `site, channel` (empty when the file has none), plus
`reason` (the code an agent filed) when present or required. Other columns are kept as they are. Files are read
through `pipeline.tables` (encoding and delimiter guessing, chunked reading); the file's own column names are
mapped to the contract by an explicit mapping (`{"call_id": "ID_APPEL", "text": "COMMENTAIRE"}`) or guessed from
common names of French exports
(`call_columns.yaml`). Everything guessed is said, in French, in `guesses`.

Two kinds of problems, handled differently so that **no valid row is ever lost**:

- structural ones raise a `PipelineError` at once: missing file, unknown format, empty file, header without any
  row, missing contract column;
- row-level ones never drop the other rows: a bad row goes to the `rejected` frame with its record number (1-based,
  header excluded), its `call_id` when known, an error code and a French reason, plus its original values so that
  callers can write a quarantine file. Row errors: `malformed` (wrong number of fields), `undecodable` (bytes that do
  not decode in the file's encoding), `empty_id`, `empty_text`, `bad_timestamp`, `empty_reason` (only with
  `require_reason=True`) and `duplicate_id`.

Duplicates: the first occurrence of a `call_id` among valid rows is kept, later ones are rejected with the record
number of the first. `strict=True` turns any rejected row into an error instead (`RejectedCallRows`, which lists ids
and record numbers — ids are not free text): use it when a file must be clean, e.g. a training set;
leave it off for batch jobs that quarantine bad rows.

Timestamps are normalised to **timezone-naive local time of Europe/Paris**: call-centre patterns (opening hours,
Monday peaks) are local, and exports almost always write local time without an offset. Values with an offset or
`Z` are converted to Paris time then made naive. Accepted: ISO 8601 (`2026-01-05`, `2026-01-05T09:30`,
`2026-01-05 09:30:12`, `2026-01-05T08:30:00Z`, `…+01:00`) and `jj/mm/aaaa [HH:MM[:SS]]`.

Memory when streaming (`iter_call_chunks`): one chunk of rows at a time plus the ids already seen, kept as 64-bit
hashes with the record number of their first occurrence in sorted numpy runs — 12 bytes per valid row (≈ 120 Mo
for 10 M rows) instead of ≈ 1 Go for a Python set of strings. Two different ids sharing a 64-bit hash would make
the second one a false duplicate: odds about 3 in a million for a 10 M-row file; it would be quarantined, not lost.

Error messages never contain a row's text or any other cell except `call_id`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pipeline.errors import (
    EmptyTable,
    InvalidColumnMapping,
    MissingColumns,
    RejectedCallRows,
    UnreadableTable,
)
from pipeline.tables import ROW_COLUMN, MalformedRow, TableChunk, TableSpec, inspect_table, iter_table, read_header

CALL_COLUMNS: tuple[str, ...] = ("call_id", "text", "timestamp", "site", "channel")
# `site` and `channel` are optional: a file without them reads as one site and one channel (empty values).
REQUIRED_COLUMNS: tuple[str, ...] = ("call_id", "text", "timestamp")
# The command-line option that names each contract column (motifs/cli/options.py), for error hints.
_COLUMN_OPTIONS = {
    "call_id": "--id-col",
    "text": "--text-col",
    "timestamp": "--time-col",
    "reason": "--label-col",
    "site": "--site-col",
    "channel": "--channel-col",
}
# Contract columns a caller may fill itself when the file has none: option, what it is (French), hint.
_SUPPLYING_OPTIONS = {"timestamp": ("--date", "date"), "call_id": ("--row-ids", "identifiant")}
_SUPPLYING_HINTS = {
    "timestamp": "un export sans aucune date se date en entier avec --date AAAA-MM-JJ",
    "call_id": "un export sans identifiant en prend un par ligne avec --row-ids (FICHIER:LIGNE)",
}
REASON_COLUMN = "reason"
CONTRACT_COLUMNS: tuple[str, ...] = (*CALL_COLUMNS, REASON_COLUMN)
TIMEZONE = "Europe/Paris"
TIMESTAMP_FORMATS = "ISO 8601 aaaa-mm-jj[THH:MM[:SS]][±HH:MM|Z] ou jj/mm/aaaa [HH:MM[:SS]]"
REJECTED_META: tuple[str, ...] = ("row", "call_id", "error_code", "error", "raw")
ERROR_LABELS: dict[str, str] = {
    "malformed": "ligne mal formée",
    "undecodable": "octets illisibles",
    "empty_id": "call_id vide",
    "empty_text": "texte vide",
    "bad_timestamp": "horodatage illisible",
    "empty_reason": "motif vide",
    "duplicate_id": "call_id en double",
}
DEFAULT_CHUNK_ROWS = 50_000

_SURROGATES = re.compile("[\udc80-\udcff]")
_FRENCH_DATE = r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]+(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?$"
_WITH_OFFSET = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_WITH_OFFSET_ANYWHERE = re.compile(_WITH_OFFSET, re.MULTILINE)
_MAX_LISTED = 10
_FIRST_OCCURRENCE = re.compile(r"première occurrence ligne (\d+)")


@cache
def column_synonyms() -> dict[str, tuple[str, ...]]:
    """Contract column → names seen in French exports (normalised), from `call_columns.yaml`."""
    raw = yaml.safe_load((Path(__file__).parent / "call_columns.yaml").read_text(encoding="utf-8"))
    return {column: tuple(_normalise_name(n) for n in raw.get(column, [])) for column in CONTRACT_COLUMNS}


def _normalise_name(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")


def _quote_list(names: list[str] | tuple[str, ...], limit: int = 30) -> str:
    shown = ", ".join(f"« {n} »" for n in names[:limit])
    return shown + (f" … (+{len(names) - limit})" if len(names) > limit else "") if names else "(aucune)"


@dataclass(frozen=True)
class ColumnResolution:
    """Which file column feeds each contract column, which file columns are kept as extras, what was guessed."""

    mapping: dict[str, str]
    extras: dict[str, str]  # file column → output name (renamed when it clashes with a contract name)
    guesses: tuple[str, ...]


def resolve_columns(
    header: list[str],
    columns: Mapping[str, str] | None = None,
    *,
    require_reason: bool = False,
    source: str = "fichier",
    supplied: Collection[str] = (),
) -> ColumnResolution:
    """Map the file's header to the contract; raise `MissingColumns` naming what is missing and what exists.

    `supplied`: contract columns the caller fills instead of the file (`timestamp`: one date for an undated export;
    `call_id`: ids from record numbers), so the file must not have them — one found by its usual name is refused
    rather than silently overridden.
    """
    columns = dict(columns or {})
    for contract in set(supplied) & set(columns):
        option, _ = _SUPPLYING_OPTIONS[contract]
        raise InvalidColumnMapping(
            f"{option} et {_COLUMN_OPTIONS[contract]} s'excluent : {option} sert aux exports sans cette colonne"
        )
    unknown = sorted(set(columns) - set(CONTRACT_COLUMNS))
    if unknown:
        raise InvalidColumnMapping(
            f"correspondance de colonnes : clé(s) inconnue(s) {_quote_list(unknown)} "
            f"(attendu : {', '.join(CONTRACT_COLUMNS)})"
        )
    by_exact = {name: name for name in header}
    by_folded: dict[str, str] = {}
    for name in header:
        by_folded.setdefault(name.casefold(), name)
    by_normalised: dict[str, str] = {}
    for name in header:
        by_normalised.setdefault(_normalise_name(name), name)

    mapping: dict[str, str] = {}
    guesses: list[str] = []
    missing_named: list[str] = []
    for contract, wanted in columns.items():
        found = by_exact.get(wanted) or by_folded.get(wanted.casefold()) or by_normalised.get(_normalise_name(wanted))
        if found is None:
            missing_named.append(f"{contract} → « {wanted} »")
        else:
            mapping[contract] = found
    if missing_named:
        raise MissingColumns(
            f"{source} : colonne(s) indiquée(s) absente(s) du fichier : {', '.join(missing_named)} "
            f"(colonnes présentes : {_quote_list(header)})"
        )
    used = list(mapping.values())
    clashes = sorted({name for name in used if used.count(name) > 1})
    if clashes:
        raise InvalidColumnMapping(
            f"correspondance de colonnes : {_quote_list(clashes)} indiquée(s) pour plusieurs colonnes du contrat"
        )

    synonyms = column_synonyms()
    for contract in ("call_id", "text", "timestamp", REASON_COLUMN, "site", "channel"):
        if contract in mapping:
            continue
        for candidate in (contract, *synonyms[contract]):
            found_name = by_normalised.get(candidate)
            if found_name is not None and found_name not in mapping.values():
                mapping[contract] = found_name
                if found_name != contract:
                    guesses.append(f"colonne « {found_name} » lue comme « {contract} » (nom reconnu)")
                break

    for contract in supplied:
        if contract in mapping:
            option, what = _SUPPLYING_OPTIONS[contract]
            raise InvalidColumnMapping(
                f"{source} : {option} sert aux exports sans {what}, or la colonne « {mapping[contract]} » est lue "
                f"comme {what} ; retirez {option} (ou indiquez la bonne colonne avec {_COLUMN_OPTIONS[contract]})"
            )
    required = [*REQUIRED_COLUMNS, REASON_COLUMN] if require_reason else list(REQUIRED_COLUMNS)
    missing = [c for c in required if c not in mapping and c not in supplied]
    if missing:
        ways_out = "".join(f" ; {_SUPPLYING_HINTS[c]} (motifs reclassify)" for c in missing if c in _SUPPLYING_HINTS)
        raise MissingColumns(
            f"{source} : colonne(s) manquante(s) : {', '.join(missing)} "
            f"(colonnes présentes : {_quote_list(header)}) ; indiquez la colonne qui en tient lieu, "
            f"p. ex. {_COLUMN_OPTIONS[missing[0]]} NOM en ligne de commande{ways_out}"
        )

    extras: dict[str, str] = {}
    taken = set(mapping.values())
    for name in header:
        if name in taken or name == ROW_COLUMN:
            continue
        out = name
        if out in CONTRACT_COLUMNS or out == "row":
            out = f"{name}_source"
            guesses.append(f"colonne « {name} » du fichier conservée sous le nom « {out} » (nom pris par le contrat)")
        extras[name] = out
    return ColumnResolution(mapping=mapping, extras=extras, guesses=tuple(guesses))


def parse_timestamps(values: pd.Series) -> pd.Series:
    """Parse ISO 8601 and jj/mm/aaaa [HH:MM[:SS]] strings to naive Europe/Paris times; NaT where unreadable.

    Fast path: a column with no UTC offset anywhere is parsed at once as ISO 8601; only the values that fail
    (French dates, garbage) go through the slower per-format path.
    """
    text = pd.Series([str(v).strip() for v in values.tolist()], index=values.index, dtype=object)
    joined = "\n".join(text.tolist())
    if _WITH_OFFSET_ANYWHERE.search(joined) is None:
        result = pd.to_datetime(text, format="ISO8601", errors="coerce")
        todo = result.isna() & (text != "")
        if "/" not in joined or not todo.any():
            return result
        result[todo] = _parse_slowly(text[todo])
        return result
    return _parse_slowly(text)


def _parse_slowly(text: pd.Series) -> pd.Series:
    result = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    french = text.str.extract(_FRENCH_DATE)
    is_french = french[0].notna()
    if is_french.any():
        f = french[is_french].fillna("0")
        iso = (
            f[2]
            + "-"
            + f[1].str.zfill(2)
            + "-"
            + f[0].str.zfill(2)
            + " "
            + f[3].str.zfill(2)
            + ":"
            + f[4].str.zfill(2)
            + ":"
            + f[5].str.zfill(2)
        )
        result[is_french] = pd.to_datetime(iso, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    with_offset = ~is_french & text.str.contains(_WITH_OFFSET, regex=True)
    if with_offset.any():
        aware = pd.to_datetime(text[with_offset], format="ISO8601", errors="coerce", utc=True)
        result[with_offset] = aware.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    naive = ~is_french & ~with_offset & (text != "")
    if naive.any():
        result[naive] = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
    return result


def _stripped(values: pd.Series) -> np.ndarray:
    return np.array([v.strip() for v in values.tolist()], dtype=object)


def _optional(raw: pd.DataFrame, column: str | None, n: int) -> np.ndarray:
    """An optional contract column's stripped values, or empty values when the file has no such column."""
    return _stripped(raw[column]) if column is not None else np.full(n, "", dtype=object)


def _surrogate_rows(values: pd.Series) -> np.ndarray | None:
    """Positions of values holding undecodable bytes, or None (the usual case, checked in one scan)."""
    items = values.tolist()
    try:
        "".join(items).encode("utf-8")  # lone surrogates cannot be encoded: a C-speed scan of the whole column
    except UnicodeEncodeError:
        pass
    else:
        return None
    return np.array([_SURROGATES.search(v) is not None for v in items], dtype=bool)


class _SeenIds:
    """Call ids already accepted, as sorted runs of 64-bit hashes with the record number of their first occurrence.

    Runs are merged when a newer run is at least as large as the previous one, so a file of n ids costs
    O(n log n) in total and about log2(n / chunk) runs are searched per chunk.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """Record number of the first occurrence of each hash, 0 when never seen."""
        first = np.zeros(len(hashes), dtype=np.int64)
        for run_hashes, run_rows in self._runs:
            pos = np.searchsorted(run_hashes, hashes)
            pos_clipped = np.minimum(pos, len(run_hashes) - 1)
            hit = (pos < len(run_hashes)) & (run_hashes[pos_clipped] == hashes) & (first == 0)
            first[hit] = run_rows[pos_clipped[hit]]
        return first

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        if len(hashes) == 0:
            return
        order = np.argsort(hashes, kind="stable")
        self._runs.append((hashes[order], rows[order].astype(np.uint32)))
        while len(self._runs) >= 2 and len(self._runs[-2][0]) <= len(self._runs[-1][0]):
            (h1, r1), (h2, r2) = self._runs[-2], self._runs[-1]
            h = np.concatenate([h1, h2])
            r = np.concatenate([r1, r2])
            order = np.argsort(h, kind="stable")
            self._runs[-2:] = [(h[order], r[order])]

    @property
    def count(self) -> int:
        return sum(len(h) for h, _ in self._runs)


def _hash_ids(ids: np.ndarray) -> np.ndarray:
    return pd.util.hash_array(ids).astype(np.uint64)


@dataclass
class CallsChunk:
    """Valid rows (contract columns first, typed timestamp, index `row` = record number) and rejected rows."""

    frame: pd.DataFrame
    rejected: pd.DataFrame


class CallChunks:
    """Validated chunks of a call export, read lazily. Built by `iter_call_chunks`, which checks the structure.

    Iterate once. `rows_read`, `rows_valid` and `rows_rejected` grow while iterating.
    """

    def __init__(
        self,
        *,
        spec: TableSpec,
        header: list[str],
        resolution: ColumnResolution,
        chunks: Iterator[TableChunk],
        first: TableChunk,
        require_reason: bool,
        strict: bool,
        calls_date: pd.Timestamp | None = None,
        row_ids: bool = False,
    ) -> None:
        self.spec = spec
        self.calls_date = calls_date
        self.row_ids = row_ids
        self.path = spec.path
        self.header = header
        self.resolution = resolution
        self.require_reason = require_reason
        self.strict = strict
        self.guesses: tuple[str, ...] = (*spec.guesses, *resolution.guesses)
        self.rows_read = 0
        self.rows_valid = 0
        self.rows_rejected = 0
        self._seen = _SeenIds()
        self._chunks = chunks
        self._first: TableChunk | None = first
        self._started = False

    @property
    def columns(self) -> dict[str, str]:
        """Contract column → file column."""
        return dict(self.resolution.mapping)

    @property
    def output_columns(self) -> list[str]:
        with_reason = self.require_reason or REASON_COLUMN in self.resolution.mapping
        contract = [*CALL_COLUMNS, REASON_COLUMN] if with_reason else list(CALL_COLUMNS)
        return [*contract, *self.resolution.extras.values()]

    @property
    def rejected_columns(self) -> list[str]:
        return [*REJECTED_META, *_rejected_source_names(self.header)]

    def __iter__(self) -> Iterator[CallsChunk]:
        if self._started:
            raise RuntimeError("CallChunks can be iterated only once")
        self._started = True
        first, self._first = self._first, None
        if first is not None:
            yield self._validate(first)
        for chunk in self._chunks:
            yield self._validate(chunk)

    def _validate(self, chunk: TableChunk) -> CallsChunk:
        result = _validate_chunk(chunk, self)
        self.rows_read += len(result.frame) + len(result.rejected)
        self.rows_valid += len(result.frame)
        self.rows_rejected += len(result.rejected)
        if self.strict and len(result.rejected):
            raise rejected_error(self.path.name, result.rejected)
        return result


def _rejected_source_names(header: list[str]) -> list[str]:
    return [f"{name} (source)" if name in REJECTED_META else name for name in header if name != ROW_COLUMN]


def _encoding_hint(spec: TableSpec) -> str:
    other = "latin-1" if spec.encoding == "cp1252" else "cp1252"
    return f"précisez l'encodage réel du fichier, p. ex. --encoding {other}"


def _validate_chunk(chunk: TableChunk, reader: CallChunks) -> CallsChunk:
    header = [h for h in reader.header if h != ROW_COLUMN]
    raw = chunk.frame
    if list(raw.columns) != [*header, ROW_COLUMN]:  # JSON Lines records may lack or add keys
        raw = raw.reindex(columns=[*header, ROW_COLUMN], fill_value="")
        raw = raw.where(raw.notna(), "")
    mapping = reader.resolution.mapping
    rows = raw[ROW_COLUMN].to_numpy(dtype=np.int64)
    n = len(raw)
    problems: dict[str, np.ndarray] = {}
    details: dict[int, list[str]] = {}  # position → extra French detail (undecodable columns, duplicate's first row)

    bad_bytes = np.zeros(n, dtype=bool)
    bad_columns: dict[int, list[str]] = {}
    for name in header:
        mask = _surrogate_rows(raw[name])
        if mask is not None:
            bad_bytes |= mask
            for position in np.flatnonzero(mask).tolist():
                bad_columns.setdefault(position, []).append(name)
    problems["undecodable"] = bad_bytes
    for position, names in bad_columns.items():
        details.setdefault(position, []).append(
            f"octets illisibles en {reader.spec.encoding} dans {_quote_list(names)} ({_encoding_hint(reader.spec)})"
        )

    if "call_id" in mapping:
        ids = _stripped(raw[mapping["call_id"]])
    else:  # an export without ids: « FILE:RECORD », stable while rows are only appended
        ids = np.array([f"{reader.path.stem}:{row}" for row in rows.tolist()], dtype=object)
    text = _stripped(raw[mapping["text"]])
    problems["empty_id"] = ids == ""
    problems["empty_text"] = text == ""
    if "timestamp" in mapping:
        timestamps = parse_timestamps(raw[mapping["timestamp"]]).to_numpy()
    else:  # an undated export, dated as a whole by the caller (`calls_date`)
        timestamps = np.full(n, np.datetime64(reader.calls_date, "ns"), dtype="datetime64[ns]")
    problems["bad_timestamp"] = np.isnat(timestamps)
    reason = _stripped(raw[mapping[REASON_COLUMN]]) if REASON_COLUMN in mapping else None
    if reader.require_reason and reason is not None:
        problems["empty_reason"] = reason == ""

    otherwise_valid = ~np.logical_or.reduce(list(problems.values()))
    duplicate = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(otherwise_valid)
    if len(candidates):
        hashes = _hash_ids(ids[candidates])
        first_rows = reader._seen.lookup(hashes)
        in_chunk_first: dict[int, int] = {}
        keep = np.ones(len(candidates), dtype=bool)
        for i, (h, pos) in enumerate(zip(hashes.tolist(), candidates.tolist(), strict=True)):
            if first_rows[i]:
                keep[i] = False
                first = int(first_rows[i])
            elif h in in_chunk_first:
                keep[i] = False
                first = in_chunk_first[h]
            else:
                in_chunk_first[h] = int(rows[pos])
                continue
            duplicate[pos] = True
            details.setdefault(pos, []).append(f"call_id en double (première occurrence ligne {first})")
        reader._seen.add(hashes[keep], rows[candidates[keep]])
    problems["duplicate_id"] = duplicate
    valid = otherwise_valid & ~duplicate

    frame = pd.DataFrame(
        {
            "call_id": ids[valid],
            "text": text[valid],
            "timestamp": timestamps[valid],
            "site": _optional(raw, mapping.get("site"), n)[valid],
            "channel": _optional(raw, mapping.get("channel"), n)[valid],
        },
        index=pd.Index(rows[valid], name="row"),
    )
    if reason is not None:
        frame[REASON_COLUMN] = reason[valid]
    elif reader.require_reason:
        frame[REASON_COLUMN] = ""
    for source_name, out in reader.resolution.extras.items():
        frame[out] = raw[source_name][valid].to_numpy(dtype=object)

    rejected = _rejected_frame(
        raw, rows, ids, problems, details, ~valid, header, chunk.malformed, reader.spec.delimiter
    )
    return CallsChunk(frame=frame, rejected=rejected)


def _rejected_frame(
    raw: pd.DataFrame,
    rows: np.ndarray,
    ids: np.ndarray,
    problems: dict[str, np.ndarray],
    details: dict[int, list[str]],
    invalid: np.ndarray,
    header: list[str],
    malformed: list[MalformedRow],
    delimiter: str,
) -> pd.DataFrame:
    records: list[dict[str, object]] = []
    for pos in np.flatnonzero(invalid).tolist():
        codes = [code for code, mask in problems.items() if mask[pos]]
        messages: list[str] = []
        for code in codes:
            if code in ("undecodable", "duplicate_id"):
                continue
            if code == "bad_timestamp":
                messages.append(f"horodatage vide ou illisible (formats attendus : {TIMESTAMP_FORMATS})")
            else:
                messages.append(ERROR_LABELS[code])
        messages = details.get(pos, []) + messages
        call_id = str(ids[pos])
        record: dict[str, object] = {
            "row": int(rows[pos]),
            "call_id": "" if _SURROGATES.search(call_id) else call_id,
            "error_code": ",".join(codes),
            "error": " ; ".join(messages),
            "raw": "",
        }
        for name, out in zip(header, _rejected_source_names(header), strict=True):
            record[out] = raw[name].iat[pos]
        records.append(record)
    for bad in malformed:
        record = {"row": bad.row, "call_id": "", "error_code": "malformed", "error": bad.error}
        record["raw"] = delimiter.join(bad.values)
        for out in _rejected_source_names(header):
            record[out] = ""
        records.append(record)
    columns = [*REJECTED_META, *_rejected_source_names(header)]
    frame = pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)
    frame = frame.astype({c: object for c in columns if c != "row"}).astype({"row": "int64"})
    return frame.sort_values("row", kind="stable").reset_index(drop=True)


def rejected_error(source: str, rejected: pd.DataFrame) -> RejectedCallRows:
    """One readable line listing rejected rows by error kind (record numbers; ids for duplicates), no cell text."""
    parts: list[str] = []
    code_lists = [str(codes).split(",") for codes in rejected["error_code"]]
    for code, label in ERROR_LABELS.items():
        hit = [i for i, codes in enumerate(code_lists) if code in codes]
        if not hit:
            continue
        if code == "duplicate_id":
            items = []
            for i in hit:
                first = _FIRST_OCCURRENCE.search(str(rejected["error"].iat[i]))
                seen = f", déjà ligne {first.group(1)}" if first else ""
                items.append(f"« {rejected['call_id'].iat[i]} » (ligne {rejected['row'].iat[i]}{seen})")
            listed = _listing(items)
        else:
            listed = ("ligne " if len(hit) == 1 else "lignes ") + _listing([str(rejected["row"].iat[i]) for i in hit])
        suffix = ""
        if code == "bad_timestamp":
            suffix = f" (formats attendus : {TIMESTAMP_FORMATS})"
        elif code == "undecodable":
            suffix = " (précisez l'encodage réel du fichier, option --encoding)"
        parts.append(f"{label} : {listed}{suffix}")
    rows = [
        (int(r), str(c), str(e))
        for r, c, e in zip(rejected["row"], rejected["call_id"], rejected["error_code"], strict=True)
    ]
    return RejectedCallRows(f"{source} : {len(rejected)} ligne(s) rejetée(s) — " + " ; ".join(parts), rows)


def _listing(items: list[str]) -> str:
    extra = f" … (+{len(items) - _MAX_LISTED})" if len(items) > _MAX_LISTED else ""
    return ", ".join(items[:_MAX_LISTED]) + extra


@dataclass
class CallsRead:
    """A whole call export: valid rows, rejected rows, and what was guessed to read it."""

    path: Path
    frame: pd.DataFrame
    rejected: pd.DataFrame
    guesses: tuple[str, ...]
    columns: dict[str, str]
    rows_read: int
    encoding: str = "utf-8"
    delimiter: str = ","

    def error_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for codes in self.rejected["error_code"]:
            for code in str(codes).split(","):
                counts[code] = counts.get(code, 0) + 1
        return counts

    def summary(self) -> str:
        """French summary: counts, errors by kind, and every guess made."""
        head = f"{self.path.name} : {self.rows_read} ligne(s) lue(s), {len(self.frame)} valide(s)"
        if len(self.rejected):
            kinds = ", ".join(f"{n} {ERROR_LABELS.get(code, code)}" for code, n in self.error_counts().items())
            head += f", {len(self.rejected)} rejetée(s) ({kinds})"
        lines = [head + "."]
        lines += [f"- {guess}" for guess in self.guesses]
        return "\n".join(lines)


def iter_call_chunks(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    columns: Mapping[str, str] | None = None,
    require_reason: bool = False,
    strict: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    calls_date: date | None = None,
    row_ids: bool = False,
) -> CallChunks:
    """Stream a call export chunk by chunk with the same validation as `read_calls` (for 10 M-row batch jobs).

    Structural problems raise here, before any chunk is handed out (the first chunk is read to tell a header-only
    file). Duplicates are detected across chunks. With `strict=True` the first chunk holding a rejected row raises
    `RejectedCallRows`. `calls_date` dates every row of an export that has no date column (midnight, Paris time);
    `row_ids` names each row of an export without ids « FILE:RECORD » (file name without extension); a file that
    has such a column is refused with them.
    """
    spec = inspect_table(path, encoding=encoding, delimiter=delimiter)
    header = read_header(spec)
    doubled = sorted({name for name in header if header.count(name) > 1})
    if doubled:
        raise UnreadableTable(f"{spec.path.name} : nom(s) de colonne en double dans l'en-tête : {_quote_list(doubled)}")
    resolution = resolve_columns(
        header,
        columns,
        require_reason=require_reason,
        source=spec.path.name,
        supplied=[c for c, given in (("timestamp", calls_date is not None), ("call_id", row_ids)) if given],
    )
    chunks = iter_table(spec, chunk_rows=chunk_rows)
    first = next(chunks, None)
    if first is None:
        raise EmptyTable(f"{spec.path.name} : aucune ligne de données après l'en-tête")
    return CallChunks(
        spec=spec,
        header=header,
        resolution=resolution,
        chunks=chunks,
        first=first,
        require_reason=require_reason,
        strict=strict,
        calls_date=pd.Timestamp(calls_date) if calls_date is not None else None,
        row_ids=row_ids,
    )


def read_calls(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    columns: Mapping[str, str] | None = None,
    require_reason: bool = False,
    strict: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    calls_date: date | None = None,
    row_ids: bool = False,
) -> CallsRead:
    """Read a whole call export in memory (training, evaluation). See the module docstring for the contract.

    With `strict=True`, any rejected row raises `RejectedCallRows` listing every rejected row by kind.
    """
    reader = iter_call_chunks(
        path,
        encoding=encoding,
        delimiter=delimiter,
        columns=columns,
        require_reason=require_reason,
        chunk_rows=chunk_rows,
        calls_date=calls_date,
        row_ids=row_ids,
    )
    chunks = list(reader)
    frame = pd.concat([c.frame for c in chunks]) if chunks else pd.DataFrame(columns=reader.output_columns)
    rejected_parts = [c.rejected for c in chunks if len(c.rejected)]
    rejected = (
        pd.concat(rejected_parts, ignore_index=True)
        if rejected_parts
        else pd.DataFrame(columns=reader.rejected_columns).astype({"row": "int64"})
    )
    if strict and len(rejected):
        raise rejected_error(reader.path.name, rejected)
    return CallsRead(
        path=reader.path,
        frame=frame,
        rejected=rejected,
        guesses=reader.guesses,
        columns=reader.columns,
        rows_read=reader.rows_read,
        encoding=reader.spec.encoding,
        delimiter=reader.spec.delimiter,
    )

"""Reading an export of free-text notes (CSV, Parquet, JSON Lines) for discovery, redacted as it is read.

Discovery needs a note and an id, nothing else (no timestamp, site or label): `text` and `call_id` are found by the
call-data contract's names and French synonyms (`pipeline/call_columns.yaml`) unless named; without an id column,
the record number is the id. Rows that cannot be used are counted by kind (malformed, empty note, repeated id: the
first occurrence is kept), never dropped silently, never quoted. Each chunk is redacted with the project's
`Redactor` before anything else sees it: only redacted text is kept in memory and reaches the outputs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.calls import column_synonyms
from pipeline.redaction import Redactor
from pipeline.tables import ROW_COLUMN, inspect_table, iter_table, read_header
from serving.discovery.errors import InvalidNotes

SKIP_LABELS = {"malformed": "ligne mal formée", "empty_text": "note vide", "duplicate_id": "identifiant en double"}


@dataclass(frozen=True)
class NotesRead:
    """Redacted notes and their ids, in file order, and what was set aside (counts by kind, first row numbers)."""

    path: Path
    ids: list[str]
    texts: list[str]
    text_column: str
    id_column: str | None
    rows_read: int
    skipped: dict[str, list[int]] = field(default_factory=dict)
    guesses: tuple[str, ...] = ()

    def summary(self) -> list[str]:
        lines = [f"{self.path.name} : {self.rows_read} ligne(s) lue(s), {len(self.texts)} note(s) retenue(s)"]
        source = f"identifiant « {self.id_column} »" if self.id_column else "identifiant = n° de ligne"
        lines.append(f"- note lue dans « {self.text_column} », {source}")
        lines += [f"- {guess}" for guess in self.guesses]
        for kind, rows in self.skipped.items():
            shown = ", ".join(str(row) for row in rows[:10]) + (" …" if len(rows) > 10 else "")
            lines.append(f"- {len(rows)} ligne(s) écartée(s) ({SKIP_LABELS[kind]}) : n° {shown}")
        return lines


def _normalise(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")


def _find_column(header: Sequence[str], wanted: str | None, contract: str, *, source: str) -> str | None:
    by_name = {_normalise(name): name for name in reversed(header)}
    if wanted is not None:
        found = by_name.get(_normalise(wanted))
        if found is None:
            shown = ", ".join(f"« {name[:40]} »" for name in header[:12])
            raise InvalidNotes(f"{source} : colonne « {wanted[:40]} » absente (colonnes trouvées : {shown})")
        return found
    for candidate in (contract, *column_synonyms()[contract]):
        if candidate in by_name:
            return by_name[candidate]
    return None


def read_notes(
    path: str | Path,
    *,
    text_col: str | None = None,
    id_col: str | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    redactor: Redactor | None = None,
    chunk_rows: int = 20_000,
) -> NotesRead:
    """The redacted notes of `path` (see the module docstring). Raises `InvalidNotes` when no note is usable."""
    from pipeline.errors import PipelineError

    path = Path(path)
    try:
        spec = inspect_table(path, encoding=encoding, delimiter=delimiter)
        header = [name for name in read_header(spec) if name != ROW_COLUMN]
    except PipelineError as exc:
        raise InvalidNotes(str(exc)) from None
    text_column = _find_column(header, text_col, "text", source=path.name)
    if text_column is None:
        shown = ", ".join(f"« {name[:40]} »" for name in header[:12])
        raise InvalidNotes(
            f"{path.name} : aucune colonne de notes reconnue (colonnes trouvées : {shown}) ; l'indiquer avec --text-col"
        )
    id_column = _find_column(header, id_col, "call_id", source=path.name)
    if id_column == text_column:
        id_column = None
    redactor = redactor or Redactor()
    redactor.fit()
    ids: list[str] = []
    texts: list[str] = []
    seen: set[str] = set()
    skipped: dict[str, list[int]] = {}
    rows_read = 0
    for chunk in iter_table(spec, chunk_rows=chunk_rows):
        for bad in chunk.malformed:
            skipped.setdefault("malformed", []).append(bad.row)
        frame = chunk.frame
        rows_read += len(frame) + len(chunk.malformed)
        numbers = frame[ROW_COLUMN].tolist()
        values = frame[text_column].fillna("").astype(str).tolist()
        keys = frame[id_column].fillna("").astype(str).str.strip().tolist() if id_column else [str(n) for n in numbers]
        keep_texts, keep_ids = [], []
        for number, key, value in zip(numbers, keys, values, strict=True):
            if not value.strip():
                skipped.setdefault("empty_text", []).append(number)
                continue
            key = key or str(number)
            if key in seen:
                skipped.setdefault("duplicate_id", []).append(number)
                continue
            seen.add(key)
            keep_texts.append(value)
            keep_ids.append(key)
        ids += keep_ids
        texts += redactor.transform(keep_texts) if keep_texts else []
    if not texts:
        raise InvalidNotes(f"{path.name} : aucune note utilisable (attendu : au moins une note non vide)")
    return NotesRead(
        path=path,
        ids=ids,
        texts=texts,
        text_column=text_column,
        id_column=id_column,
        rows_read=rows_read,
        skipped={kind: sorted(rows) for kind, rows in skipped.items()},
        guesses=spec.guesses,
    )

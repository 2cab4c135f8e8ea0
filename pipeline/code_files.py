"""Code columns of data files moved from one taxonomy version to another (`motifs taxonomy migrate`).

A library function rather than CLI code, so the API, the UI and the CLI share one path: the file is copied chunk by
chunk (`pipeline.tables`) with three columns added from the migration plan (`taxonomy.plan_migration`):
`<code_col>_migrated`, `migration` (the status) and `migration_candidates` (a split's candidate codes, never guessed).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import InvalidOutput, MissingColumns
from pipeline.tables import ROW_COLUMN, TableWriter, inspect_table, iter_table, read_header
from taxonomy import MigrationPlan, MigrationStatus

_CODE_LIKE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass
class FileMigration:
    """What `migrate_code_file` did: rows per status, per change, unknown codes, rows it could not read."""

    rows: int = 0
    per_status: Counter[MigrationStatus] = field(default_factory=Counter)
    per_change: Counter[str] = field(default_factory=Counter)
    unknown: Counter[str] = field(default_factory=Counter)
    malformed_rows: list[int] = field(default_factory=list)
    guesses: tuple[str, ...] = ()
    requalify_candidates: dict[str, tuple[str, ...]] = field(default_factory=dict)


def migrate_code_file(
    plan: MigrationPlan,
    in_path: Path,
    out_path: Path,
    *,
    code_col: str = "reason",
    encoding: str | None = None,
    delimiter: str | None = None,
) -> FileMigration:
    """Copy `in_path` to `out_path` adding `<code_col>_migrated`, `migration` and `migration_candidates`."""
    spec = inspect_table(in_path, encoding=encoding, delimiter=delimiter)
    header = read_header(spec)
    if code_col not in header:
        shown = ", ".join(name[:40] for name in header[:12])
        raise MissingColumns(f"{in_path.name} : colonne « {code_col[:40]} » absente (colonnes trouvées : {shown})")
    if in_path.resolve() == out_path.resolve():
        raise InvalidOutput(f"{out_path.name} : le fichier de sortie doit être différent du fichier lu")
    result = FileMigration(guesses=spec.guesses)
    per_code: Counter[str] = Counter()
    with TableWriter(out_path) as writer:
        for chunk in iter_table(spec):
            result.malformed_rows += [row.row for row in chunk.malformed]
            frame = chunk.frame
            if frame.empty:
                continue
            codes = frame[code_col].astype(str).str.strip()
            moves = {code: plan.migrate(code) for code in codes.unique()}
            frame[f"{code_col}_migrated"] = codes.map({c: m.code or "" for c, m in moves.items()})
            frame["migration"] = codes.map({c: m.status.value for c, m in moves.items()})
            frame["migration_candidates"] = codes.map({c: "|".join(m.candidates) for c, m in moves.items()})
            per_code.update(codes.value_counts().to_dict())
            writer.write(frame.drop(columns=[ROW_COLUMN]))
    for code, count in per_code.items():
        move = plan.migrate(code)
        result.rows += count
        result.per_status[move.status] += count
        for change in move.changes:
            result.per_change[str(change)] += count
        if move.status is MigrationStatus.UNKNOWN:
            result.unknown[code if _CODE_LIKE.match(code) else ("(vide)" if not code else "(non conforme)")] += count
        if move.status is MigrationStatus.REQUALIFY:
            result.requalify_candidates[code] = move.candidates
    return result

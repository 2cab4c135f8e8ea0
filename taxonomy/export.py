"""Exporting a taxonomy for agents' tools: CSV (UTF-8 with BOM, `;`, opens as is in a French spreadsheet) or JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from taxonomy.errors import UnsupportedExportFormat
from taxonomy.schema import SEGMENT_LABELS, Taxonomy

EXPORT_COLUMNS = (
    "code",
    "label",
    "domain",
    "domain_label",
    "definition",
    "segments",
    "self_service_hint",
    "self_service_url",
    "status",
    "replaced_by",
    "parent",
    "national_code",
    "site",
)
LIST_SEPARATOR = "|"


def export_records(taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """One record per reason (deprecated ones included), lists kept as lists."""
    records = []
    for reason in taxonomy.reasons:
        domain = taxonomy.domain_of(reason.code)
        records.append(
            {
                "code": reason.code,
                "label": reason.label,
                "domain": domain.code if domain else "",
                "domain_label": domain.label if domain else "",
                "definition": reason.definition,
                "segments": [segment.value for segment in reason.segments],
                "self_service_hint": reason.self_service.hint if reason.self_service else "",
                "self_service_url": (reason.self_service.url or "") if reason.self_service else "",
                "status": reason.status.value,
                "replaced_by": list(reason.replaced_by),
                "parent": reason.parent or "",
                "national_code": taxonomy.roll_up(reason.code),
                "site": reason.site or "",
            }
        )
    return records


def export_taxonomy(taxonomy: Taxonomy, path: str | Path, *, delimiter: str = ";") -> Path:
    """Write `taxonomy` to `path`, CSV or JSON chosen by the extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".json"}:
        raise UnsupportedExportFormat(
            f"{path.name} : extension « {path.suffix or '(aucune)'} » non prise en charge (attendu : .csv ou .json)"
        )
    records = export_records(taxonomy)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".json":
        document = {
            "taxonomy": taxonomy.id,
            "version": taxonomy.version,
            "ref": taxonomy.ref,
            "label": taxonomy.label,
            "segments": {segment.value: label for segment, label in SEGMENT_LABELS.items()},
            "domains": [domain.model_dump(exclude_none=True) for domain in taxonomy.domains],
            "reasons": records,
        }
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return path
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS, delimiter=delimiter)
        writer.writeheader()
        for record in records:
            writer.writerow({k: _cell(LIST_SEPARATOR.join(v) if isinstance(v, list) else v) for k, v in record.items()})
    return path


def _cell(value: object) -> object:
    """The CSV is opened in spreadsheets: a label starting like a formula is shown as text (leading « ' »), NUL
    bytes are dropped. (Same rule as `pipeline.tables.spreadsheet_safe_cell`: taxonomy imports nothing of ours.)"""
    if not isinstance(value, str):
        return value
    value = value.replace("\x00", "")
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value

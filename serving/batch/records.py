"""The rows a batch reclassification writes, and their exact correspondence with the store's `PredictionRecord`.

Every output row is made from a `PredictionRecord` (built by `PredictionRecord.from_prediction`, the conversion the
API uses) and turns back into the same record for the database: one conversion, two destinations.

Columns of the output (CSV, Parquet or JSON Lines, in this order):

| column | meaning |
|---|---|
| `call_id` | the call's identifier, as read |
| `timestamp` | when the call happened, local time of Europe/Paris without offset (as `pipeline.calls` reads it) |
| `site`, `channel` | as read (empty when absent) |
| `reason` | the most probable known reason, or `autre` when the note is outside the base |
| `confidence` | calibrated probability of the top reason (for a code migrated by the crosswalk: see `serving.batch`) |
| `autre` | true when the note is outside the base (`decision` = `autre`) |
| `decision` | `confident` (auto-coded), `to_confirm` (pick from `prediction_set`) or `autre` (outside the base) |
| `prediction_set` | JSON list of codes holding the true reason with the calibrated probability (90 % by default) |
| `top_k` | JSON list `[{"code": …, "confidence": …}]`, best first |
| `method` | `model` (scored by the model) or `crosswalk` (code migrated by the taxonomy's crosswalk) |
| `model_version`, `taxonomy_version` | pinned for the whole run (taxonomy ref, e.g. `national@1.1.0`) |
| `source_reason`, `source_taxonomy`, `migration` | only when re-scoring after a taxonomy change |
| `redacted_text` | only with `--with-text`: the note after redaction (never the raw note) |
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.calls import TIMEZONE
from pipeline.predictions import Suggestion
from serving.store import PredictionRecord, ScoredCode

OUTPUT_COLUMNS: tuple[str, ...] = (
    "call_id",
    "timestamp",
    "site",
    "channel",
    "reason",
    "confidence",
    "autre",
    "decision",
    "prediction_set",
    "top_k",
    "method",
    "model_version",
    "taxonomy_version",
)
RESCORE_COLUMNS: tuple[str, ...] = ("source_reason", "source_taxonomy", "migration")
TEXT_COLUMN = "redacted_text"
QUARANTINE_COLUMNS: tuple[str, ...] = ("file", "row", "call_id", "error_code", "error", "redacted_text")

_STRING = pa.string()
_TYPES: dict[str, pa.DataType] = {
    "call_id": _STRING,
    "timestamp": pa.timestamp("us"),
    "site": _STRING,
    "channel": _STRING,
    "reason": _STRING,
    "confidence": pa.float64(),
    "autre": pa.bool_(),
    "decision": _STRING,
    "prediction_set": _STRING,
    "top_k": _STRING,
    "method": _STRING,
    "model_version": _STRING,
    "taxonomy_version": _STRING,
    "source_reason": _STRING,
    "source_taxonomy": _STRING,
    "migration": _STRING,
    TEXT_COLUMN: _STRING,
}
QUARANTINE_SCHEMA = pa.schema(
    [
        ("file", _STRING),
        ("row", pa.int64()),
        ("call_id", _STRING),
        ("error_code", _STRING),
        ("error", _STRING),
        ("redacted_text", _STRING),
    ]
)


def output_columns(*, rescore: bool, with_text: bool) -> list[str]:
    return [*OUTPUT_COLUMNS, *(RESCORE_COLUMNS if rescore else ()), *((TEXT_COLUMN,) if with_text else ())]


def output_schema(columns: Sequence[str]) -> pa.Schema:
    """The Arrow schema of the output (the same for every part file, whatever its content)."""
    return pa.schema([(name, _TYPES[name]) for name in columns])


def top_k_json(top_k: Sequence[ScoredCode | Suggestion]) -> str:
    """JSON of the suggestions; floats written with `repr` precision, so reading them back gives the same values."""
    return json.dumps([{"code": s.code, "confidence": float(s.confidence)} for s in top_k], ensure_ascii=False)


def parse_top_k(value: str) -> tuple[ScoredCode, ...]:
    return tuple(ScoredCode(str(item["code"]), float(item["confidence"])) for item in json.loads(value))


def paris_aware(naive: pd.Series) -> pd.Series:
    """Naive Europe/Paris times → aware. Ambiguous autumn hours are read as winter time, skipped spring hours are
    moved forward: both happen at night, a call then is rare, and the choice is the same in every run."""
    return naive.dt.tz_localize(TIMEZONE, ambiguous=np.zeros(len(naive), dtype=bool), nonexistent="shift_forward")


def record_row(record: PredictionRecord, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The output row of a record, except `timestamp`: the caller sets that column for the whole chunk at once
    (`called_at` back to naive Paris time, vectorised)."""
    row: dict[str, Any] = {
        "call_id": record.call_id,
        "site": record.site or "",
        "channel": record.channel or "",
        "reason": record.code,
        "confidence": float(record.confidence),
        "autre": bool(record.autre),
        "decision": record.decision,
        "prediction_set": json.dumps(list(record.prediction_set), ensure_ascii=False),
        "top_k": top_k_json(record.top_k),
        "method": record.method,
        "model_version": record.model_version,
        "taxonomy_version": record.taxonomy_version,
    }
    if extra:
        row.update(extra)
    return row


def rows_frame(rows: list[dict[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(columns))
    if frame.empty:
        frame = frame.astype({"confidence": "float64", "autre": bool})
    return frame


def frame_records(frame: pd.DataFrame, *, source: str = "batch") -> Iterator[PredictionRecord]:
    """Output rows → the store's records (inverse of `record_row`; the redacted text when the frame holds it)."""
    called_at = paris_aware(pd.to_datetime(frame["timestamp"]))
    texts = frame[TEXT_COLUMN].tolist() if TEXT_COLUMN in frame.columns else [None] * len(frame)
    decisions = frame["decision"].tolist() if "decision" in frame.columns else [None] * len(frame)
    sets = frame["prediction_set"].tolist() if "prediction_set" in frame.columns else ["[]"] * len(frame)
    for i, (
        call_id,
        site,
        channel,
        code,
        confidence,
        autre,
        top_k,
        method,
        model_version,
        taxonomy_version,
    ) in enumerate(
        zip(
            frame["call_id"].tolist(),
            frame["site"].tolist(),
            frame["channel"].tolist(),
            frame["reason"].tolist(),
            frame["confidence"].tolist(),
            frame["autre"].tolist(),
            frame["top_k"].tolist(),
            frame["method"].tolist(),
            frame["model_version"].tolist(),
            frame["taxonomy_version"].tolist(),
            strict=True,
        )
    ):
        yield PredictionRecord(
            call_id=str(call_id),
            called_at=called_at.iat[i].to_pydatetime(),
            code=str(code),
            confidence=float(confidence),
            autre=bool(autre),
            top_k=parse_top_k(str(top_k)),
            model_version=str(model_version),
            taxonomy_version=str(taxonomy_version),
            source=source,  # type: ignore[arg-type]
            site=str(site) or None,
            channel=str(channel) or None,
            redacted_text=texts[i],
            method=str(method),  # type: ignore[arg-type]
            decision=decisions[i] or None,
            prediction_set=tuple(json.loads(sets[i] or "[]")),
        )

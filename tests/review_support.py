"""A small French stream with a planted new theme, as files (calls export + reclassification output) or in the store,
for the tests of `motifs emerging` and of the review workflow."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from serving.monitoring import SimpleLemmatizer, default_config
from serving.store import Database, PredictionRecord, ScoredCode
from tests._monitoring import note_calls

KNOWN = ("paiement_non_recu", "attestation", "rdv_gestion", "situation_adresse")
THEME = "aide_chauffage"  # planted: filed « autre » from week 4 (2024-W14)
# The simple lemmatizer (no spaCy) with the cut the monitoring tests use for it (see tests/test_monitoring_emerging.py).
SIMPLE_CONFIG = default_config().with_overrides(
    {
        "emerging": {
            "representation": {"lemmatizer": "simple"},
            "clustering": {"distance_threshold": 0.85, "merge_similarity": 0.4},
            "subthemes": {"min_references": 10},
        }
    }
)
SIMPLE_CONFIG_YAML = """emerging:
  representation: {lemmatizer: simple}
  clustering: {distance_threshold: 0.85, merge_similarity: 0.4}
  subthemes: {min_references: 10}
"""
PARIS = ZoneInfo("Europe/Paris")


def lemmatizer() -> SimpleLemmatizer:
    return SimpleLemmatizer(extra_stop_words=SIMPLE_CONFIG.emerging.representation.extra_stop_words)


def stream(weeks: int = 6, *, planted_from: int = 4, per_week: int = 8) -> pd.DataFrame:
    """`weeks` weeks (from 2024-W10) of 10 confident calls per known reason + 2 « autre » address calls, and
    `per_week` « autre » calls of the planted theme from week `planted_from` on. Codes are those of national@1.1.0
    (the fixture's theme `rdv_prise` is filed under `rdv_gestion`)."""
    themes = {"rdv_gestion": "rdv_prise"}
    plan = [(w, themes.get(code, code), code, 10) for w in range(weeks) for code in KNOWN]
    plan += [(w, "situation_adresse", "autre", 2) for w in range(weeks)]
    plan += [(w, THEME, "autre", per_week) for w in range(planted_from, weeks)]
    return note_calls(plan)


def write_files(
    frame: pd.DataFrame, directory: Path, *, model_version: str = "m1", with_text: bool = False
) -> tuple[Path, Path]:
    """The calls export (contract columns) and the reclassification output (docs/BATCH.md columns; `with_text`:
    the `redacted_text` column of `motifs reclassify --with-text`)."""
    calls = directory / "appels.csv"
    predictions = directory / "predictions.csv"
    out = frame.copy()
    out["timestamp"] = out["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    out[["call_id", "timestamp", "text", "site", "channel"]].to_csv(calls, index=False)
    out = out.rename(columns={"code": "reason"})
    out["top_k"] = [json.dumps([{"code": c, "confidence": x}]) for c, x in zip(out.reason, out.confidence, strict=True)]
    out["model_version"] = model_version
    out["taxonomy_version"] = "national@1.1.0"
    columns = ["call_id", "timestamp", "site", "channel", "reason", "confidence", "autre", "top_k"]
    if with_text:
        columns.append("redacted_text")
        out["redacted_text"] = out["text"]
    out[[*columns, "model_version", "taxonomy_version"]].to_csv(predictions, index=False)
    return calls, predictions


def store_predictions(db: Database, frame: pd.DataFrame, *, model_version: str = "m1") -> int:
    records = [
        PredictionRecord(
            call_id=row.call_id,
            called_at=datetime.fromisoformat(str(row.timestamp)).replace(tzinfo=PARIS),
            code=row.code,
            confidence=float(row.confidence),
            autre=bool(row.autre),
            top_k=(ScoredCode(row.code, float(row.confidence)),),
            model_version=model_version,
            taxonomy_version="national@1.1.0",
            source="batch",
            site=row.site,
            channel=row.channel,
            redacted_text=row.text,
        )
        for row in frame.itertuples(index=False)
    ]
    return db.predictions.add_many(records)


class NoRedactor:
    """The fixture holds no personal data: redaction is the identity (and spaCy stays unloaded)."""

    def redact(self, text: str) -> str:
        return text

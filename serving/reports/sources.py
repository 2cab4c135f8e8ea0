"""Where a report's calls come from: the store, or files (a calls export and its reclassification output).

Both give the monitoring input contract (`serving.monitoring.calls`) with **redacted** notes, from the start of the
history the comparisons need (`history_start`) to the end of the report, plus what the coverage section says: which
model and taxonomy versions scored the calls, and where they were read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from pipeline.calls import parse_timestamps, read_calls
from pipeline.tables import inspect_table, iter_table
from serving.monitoring import calls_from_predictions
from serving.reports.errors import InvalidReportInput, NoCallsInRange
from serving.store import Database, PredictionRecord

PARIS = ZoneInfo("Europe/Paris")
CONTRACT = ("call_id", "timestamp", "site", "channel", "text", "code", "confidence", "autre")
VERSIONS = ("model_version", "taxonomy_version")  # kept beside the contract for the coverage section


@dataclass(frozen=True)
class MonitoringInput:
    """The calls of [history_start, end] as monitoring input (plus `model_version` and `taxonomy_version` columns
    when known), and where they were read."""

    frame: pd.DataFrame
    source: str  # in French, for the coverage section (never a password: database URLs are masked)

    def versions(self, column: str) -> dict[str, int]:
        """Calls per model or taxonomy version, most frequent first ({} when the column is missing)."""
        if column not in self.frame.columns:
            return {}
        return _counts(self.frame[column])


def local_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end + 1 day 00:00) in Paris time, as aware datetimes (the store compares in UTC)."""
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=PARIS),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=PARIS),
    )


# ---------------------------------------------------------------------------------------------------------- store
def choose_model_version(versions: dict[str, int]) -> str:
    """The model version that scored the most calls (ties: the greatest version string, i.e. the latest stamp)."""
    return max(versions.items(), key=lambda item: (item[1], item[0]))[0]


def from_store(
    db: Database,
    *,
    history_start: dt.date,
    end: dt.date,
    site: str | None = None,
    model_version: str | None = None,
    report_start: dt.date | None = None,
) -> MonitoringInput:
    """Predictions of one model version stored for calls made in [history_start, end] (Paris days).

    Without `model_version`, the version that scored the most calls of the report's dates is used (the store keeps
    one row per call and model version; mixing versions would count calls twice)."""
    low, high = local_bounds(history_start, end)
    if model_version is None:
        report_low, _ = local_bounds(report_start or history_start, end)
        versions = db.predictions.model_versions(report_low, high) or db.predictions.model_versions(low, high)
        if not versions:
            raise NoCallsInRange(
                f"aucune prédiction en base ({db.safe_url}) pour des appels du {history_start:%d/%m/%Y} au "
                f"{end:%d/%m/%Y} (attendu : une reclassification, motifs reclassify --out db, ou l'API)"
            )
        model_version = choose_model_version(versions)
    taxonomies: list[str] = []

    def noted(records: Iterable[PredictionRecord]) -> Iterator[PredictionRecord]:
        for record in records:
            taxonomies.append(record.taxonomy_version)
            yield record

    frame = calls_from_predictions(
        noted(db.predictions.iter_between(low, high, site=site, model_version=model_version))
    )
    frame = frame.assign(model_version=model_version, taxonomy_version=taxonomies)
    return MonitoringInput(frame=frame, source=f"base de données {db.safe_url}")


# ---------------------------------------------------------------------------------------------------------- files
def _read_table(path: Path) -> pd.DataFrame:
    spec = inspect_table(path)
    chunks = [chunk.frame for chunk in iter_table(spec)]
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
    return frame.drop(columns=[c for c in frame.columns if c.startswith("__")], errors="ignore")


def _counts(values: pd.Series) -> dict[str, int]:
    counted = values.astype("string").fillna("").replace("", "non renseignée").value_counts()
    return {str(k): int(v) for k, v in counted.items()}


def from_files(
    predictions: Path,
    calls: Path | None = None,
    *,
    history_start: dt.date,
    end: dt.date,
    site: str | None = None,
    redact: Callable[[Sequence[str]], list[str]] | None = None,
) -> MonitoringInput:
    """A reclassification output (`motifs reclassify`: call_id, timestamp, site, channel, reason, confidence,
    autre, model_version, taxonomy_version[, redacted_text]) joined on `call_id` with the calls export it scored.

    Notes: the output's `redacted_text` when present (`--with-text`); otherwise the calls file's `text`, redacted
    here with `redact` (the default redactor) before anything else sees it. `calls` may be left out when the output
    has `redacted_text`."""
    scored = _read_table(predictions)
    if "code" not in scored.columns and "reason" in scored.columns:
        scored = scored.rename(columns={"reason": "code"})
    missing = [name for name in ("call_id", "code", "confidence") if name not in scored.columns]
    if missing:
        raise InvalidReportInput(
            f"{predictions.name} : colonne(s) {', '.join(missing)} absente(s) (attendu : la sortie de "
            "motifs reclassify, avec call_id, reason, confidence, timestamp)"
        )
    scored["call_id"] = scored["call_id"].astype(str)
    if scored["call_id"].duplicated().any():
        raise InvalidReportInput(
            f"{predictions.name} : call_id en double (attendu : une prédiction par appel, d'une seule version du "
            "modèle)"
        )
    has_text = "redacted_text" in scored.columns
    if calls is None and (not has_text or "timestamp" not in scored.columns):
        raise InvalidReportInput(
            f"{predictions.name} n'a pas de colonne redacted_text ou timestamp : donner aussi le fichier d'appels "
            "(--calls), ou reclassifier avec --with-text"
        )
    frame = scored
    if calls is not None:
        read = read_calls(calls)
        contract = read.frame[[c for c in ("call_id", "timestamp", "site", "channel", "text") if c in read.frame]]
        contract = contract.assign(call_id=contract["call_id"].astype(str))
        keep = [c for c in contract.columns if c == "call_id" or c not in scored.columns or c == "text"]
        frame = scored.merge(contract[keep], on="call_id", how="inner")
        if frame.empty:
            raise InvalidReportInput(
                f"aucun call_id commun entre {predictions.name} et {calls.name} (attendu : la sortie de "
                "motifs reclassify et le fichier d'appels qu'elle a notés)"
            )
    if "timestamp" not in frame.columns:
        raise InvalidReportInput(f"{predictions.name} : colonne timestamp absente")
    stamps = frame["timestamp"]
    if not pd.api.types.is_datetime64_any_dtype(stamps.dtype):
        stamps = parse_timestamps(stamps.astype(str))
    elif isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = stamps.dt.tz_convert(PARIS).dt.tz_localize(None)
    frame = frame.assign(timestamp=stamps)
    low, high = (pd.Timestamp(b.replace(tzinfo=None)) for b in local_bounds(history_start, end))
    frame = frame[(frame["timestamp"] >= low) & (frame["timestamp"] < high)]
    if site is not None and "site" in frame.columns:
        frame = frame[frame["site"].astype(str) == site]
    frame = frame.reset_index(drop=True)
    if has_text:
        texts = frame["redacted_text"].astype("string").fillna("").astype(str)
    else:
        raw = frame["text"].astype("string").fillna("").astype(str).tolist()
        texts = pd.Series(_default_redact(raw) if redact is None else redact(raw), index=frame.index, dtype=object)
    frame = frame.assign(text=texts)
    columns = [c for c in (*CONTRACT, *VERSIONS) if c in frame.columns]
    names = predictions.name + (f" et {calls.name}" if calls is not None else "")
    return MonitoringInput(frame=frame[columns], source=f"fichiers {names}")


def _default_redact(texts: Sequence[str]) -> list[str]:
    from pipeline.redaction import Redactor

    return list(Redactor().transform(list(texts)))

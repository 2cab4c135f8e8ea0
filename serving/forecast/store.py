"""Counts per period × predicted reason from the store: one model version, streamed, local (Paris) days."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pipeline.calls import TIMEZONE
from serving.forecast.errors import InvalidVolumes
from serving.forecast.volumes import Period, Volumes, volumes_from_records
from serving.store import Database

_PARIS = ZoneInfo(TIMEZONE)


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=_PARIS).astimezone(UTC)


def volumes_from_store(
    db: Database,
    *,
    period: Period,
    start: date | None = None,
    end: date | None = None,
    site: str | None = None,
    model_version: str | None = None,
) -> Volumes:
    """Calls made in [start, end] (local days, `end` included) per period and predicted code, by `model_version`,
    else the version that scored the most calls of the window (the store keeps one row per call and version)."""
    low = _midnight_utc(start) if start else datetime(1970, 1, 1, tzinfo=UTC)
    high = _midnight_utc(end + timedelta(days=1)) if end else datetime(9999, 1, 1, tzinfo=UTC)
    versions = db.predictions.model_versions(low, high)
    if not versions:
        raise InvalidVolumes("aucune prédiction dans la base pour cette période (attendu : motifs reclassify --out db)")
    if model_version is None:
        model_version = max(versions.items(), key=lambda item: (item[1], item[0]))[0]
    elif model_version not in versions:
        raise InvalidVolumes(
            f"aucune prédiction du modèle {model_version[:128]} pour cette période "
            f"(modèles présents : {', '.join(sorted(versions))})"
        )
    records = db.predictions.iter_between(low, high, site=site, model_version=model_version)
    volumes = volumes_from_records(records, period=period, first=start, last=end)
    return replace(volumes, model_version=model_version)


def last_complete_day(period: Period, today: date | None = None) -> date:
    """Yesterday for days; last Sunday for weeks (the current week is not over: its count would look like a drop)."""
    today = today or date.today()
    return today - timedelta(days=1 if period == "day" else today.weekday() + 1)

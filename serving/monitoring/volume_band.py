"""Volume alerts against a forecast band: the season is expected, a surge is what leaves the 95 % interval.

Opt-in (`volume.expected: forecast` in the monitoring settings; default `baseline`, the rule of `volume.py`). Each
period judged gets, for every known reason (all sites together), the forecast made from the periods before it only
(`serving.forecast`: weekday and yearly season, public and school holidays) as expected value and its 95 % interval
as band; `volume_alerts` then flags what leaves the band. Periods with too little history for a forecast, and the
per-site rows, keep the baseline rule. One forecast per period judged (every reason at once): seconds per period.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from serving.forecast import ForecastSettings, SeriesTooShort, Volumes, forecast_volumes
from serving.forecast.errors import InvalidForecastOptions
from serving.forecast.volumes import period_range
from serving.monitoring.autre import ALL_SCOPE
from serving.monitoring.calls import AUTRE, PERIOD, PERIOD_START, Granularity
from serving.monitoring.config import VolumeConfig
from serving.monitoring.results import Alert
from serving.monitoring.volume import volume_alerts, volume_table

Z95 = 1.959964
BAND_COLUMNS = [PERIOD_START, "code", "forecast", "lo95", "hi95"]


def volumes_from_calls(calls: pd.DataFrame, granularity: Granularity) -> Volumes:
    """Counts per period × known code of prepared monitoring calls (`prepare_calls`), every period present."""
    if granularity not in ("day", "week"):
        raise InvalidForecastOptions(f"bande de prévision : période « {granularity} » (attendu : day ou week)")
    known = calls[calls["code"] != AUTRE]
    counts = known.groupby([PERIOD_START, "code"]).size().unstack(fill_value=0).astype(float)
    counts.index = pd.DatetimeIndex(counts.index)
    counts = counts.reindex(period_range(counts.index.min(), counts.index.max(), granularity), fill_value=0.0)
    counts.columns = [str(c) for c in counts.columns]
    return Volumes(counts=counts, period=granularity, by_reason=True)


def forecast_band(
    volumes: Volumes, starts: list[pd.Timestamp], *, settings: ForecastSettings | None = None
) -> pd.DataFrame:
    """For each period start in `starts`: the forecast of every series from the periods before it only
    (`period_start, code, forecast, lo95, hi95`); a start with too short a history gets no row."""
    frames = []
    for start in starts:
        history = volumes.counts.loc[volumes.counts.index < start]
        try:
            result = forecast_volumes(Volumes(counts=history, period=volumes.period), 1, settings=settings)
        except SeriesTooShort:
            continue
        band = result.table.rename(columns={"date": PERIOD_START, "reason": "code"})
        band[PERIOD_START] = pd.to_datetime(band[PERIOD_START])
        frames.append(band[BAND_COLUMNS])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=BAND_COLUMNS)


def with_forecast_band(table: pd.DataFrame, band: pd.DataFrame) -> pd.DataFrame:
    """`table` (from `volume_table`) where the band applies: expected = forecast, ratio and z against it, lo95/hi95
    (z = distance in standard deviations, the band's half-width being 1.96 of them)."""
    keys = pd.DataFrame({PERIOD_START: pd.to_datetime(table[PERIOD_START]), "code": table["code"]})
    merged = keys.merge(band, on=[PERIOD_START, "code"], how="left")
    use = (table["scope"] == ALL_SCOPE).to_numpy() & merged["forecast"].notna().to_numpy()
    forecast = merged["forecast"].to_numpy(dtype=float)
    observed = table["observed"].to_numpy(dtype=float)
    half = np.where(observed >= forecast, merged["hi95"] - forecast, forecast - merged["lo95"])
    sigma = np.maximum(half.astype(float) / Z95, 1.0)
    ratio = np.where(forecast > 0, observed / np.where(forecast > 0, forecast, 1.0), np.nan)
    out = table.copy()
    out["lo95"] = np.where(use, merged["lo95"], np.nan)
    out["hi95"] = np.where(use, merged["hi95"], np.nan)
    out["expected"] = np.where(use, forecast, table["expected"])
    out["ratio"] = np.where(use, ratio, table["ratio"])
    out["z"] = np.where(use, (observed - forecast) / sigma, table["z"])
    return out


def banded_volume_table(
    calls: pd.DataFrame,
    table: pd.DataFrame,
    granularity: Granularity,
    *,
    since: str | None = None,
    settings: ForecastSettings | None = None,
) -> pd.DataFrame:
    """`table` with the forecast band of every period from `since` (a period label; default: every period)."""
    periods = table.drop_duplicates(PERIOD)[[PERIOD, PERIOD_START]]
    if since is not None:
        periods = periods[periods[PERIOD] >= since]
    starts = sorted(pd.to_datetime(periods[PERIOD_START]).unique())
    band = forecast_band(volumes_from_calls(calls, granularity), starts, settings=settings)
    return with_forecast_band(table, band)


def forecast_volume_alerts(
    calls: pd.DataFrame,
    granularity: Granularity,
    *,
    settings: VolumeConfig,
    periods: int = 1,
    forecast_settings: ForecastSettings | None = None,
    reason_labels: Mapping[str, str] | None = None,
) -> list[Alert]:
    """Volume alerts of the last `periods` periods of `calls` (prepared), judged against the forecast band."""
    table = volume_table(calls, granularity, settings=settings)
    labels = sorted(table[PERIOD].unique())[-periods:]
    banded = banded_volume_table(calls, table, granularity, since=labels[0], settings=forecast_settings)
    return volume_alerts(banded[banded[PERIOD].isin(labels)], settings, reason_labels=reason_labels)

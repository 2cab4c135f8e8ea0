"""Volume alerts against a forecast band: the season is expected, a surge is what leaves the 95 % interval.

`with_forecast_band` gives the table of `serving.monitoring.volume.volume_table` the forecast of each known reason
(all sites together) for the last periods, made from the periods before them only; `volume_alerts` then judges those
rows by the band. `forecast_volume_alerts` does both. The baseline rule (`volume_table` + `volume_alerts` alone) stays
what `run_monitoring` uses.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from serving.forecast.errors import InvalidForecastOptions
from serving.forecast.run import forecast_volumes
from serving.forecast.settings import ForecastSettings
from serving.forecast.volumes import Volumes, period_range
from serving.monitoring.autre import ALL_SCOPE
from serving.monitoring.calls import AUTRE, PERIOD_START, Granularity
from serving.monitoring.config import VolumeConfig
from serving.monitoring.results import Alert
from serving.monitoring.volume import volume_alerts, volume_table

Z95 = 1.959964


def volumes_from_calls(calls: pd.DataFrame, granularity: Granularity) -> Volumes:
    """Counts per period × code of prepared monitoring calls (`prepare_calls`), every period present."""
    if granularity not in ("day", "week"):
        raise InvalidForecastOptions(f"bande de prévision : période « {granularity} » (attendu : day ou week)")
    counts = calls.groupby([PERIOD_START, "code"]).size().unstack(fill_value=0).astype(float)
    index = pd.DatetimeIndex(counts.index).tz_localize(None) if counts.index.tz is not None else counts.index
    counts.index = pd.DatetimeIndex(index)
    counts = counts.reindex(period_range(counts.index.min(), counts.index.max(), granularity), fill_value=0.0)
    counts.columns = [str(c) for c in counts.columns]
    return Volumes(counts=counts, period=granularity, by_reason=True)


def forecast_band(volumes: Volumes, periods: int, *, settings: ForecastSettings | None = None) -> pd.DataFrame:
    """Forecast of the last `periods` periods of every series from the history before them:
    `period_start, code, forecast, lo95, hi95`."""
    history = Volumes(counts=volumes.counts.iloc[:-periods], period=volumes.period, by_reason=True)
    result = forecast_volumes(history, periods, settings=settings)
    band = result.table.rename(columns={"date": PERIOD_START, "reason": "code"})
    band[PERIOD_START] = pd.to_datetime(band[PERIOD_START])
    return band[[PERIOD_START, "code", "forecast", "lo95", "hi95"]]


def with_forecast_band(table: pd.DataFrame, band: pd.DataFrame) -> pd.DataFrame:
    """`table` (from `volume_table`) where the band applies: expected = forecast, ratio and z against it, lo95/hi95."""
    starts = pd.to_datetime(table[PERIOD_START])
    keys = pd.DataFrame({PERIOD_START: starts.dt.tz_localize(None) if starts.dt.tz else starts, "code": table["code"]})
    merged = keys.merge(band, on=[PERIOD_START, "code"], how="left")
    use = (table["scope"] == ALL_SCOPE).to_numpy() & merged["forecast"].notna().to_numpy()
    out = table.copy()
    out["lo95"] = np.where(use, merged["lo95"], np.nan)
    out["hi95"] = np.where(use, merged["hi95"], np.nan)
    forecast = merged["forecast"].to_numpy()
    observed = table["observed"].to_numpy(dtype=float)
    half = np.where(observed >= forecast, merged["hi95"] - forecast, forecast - merged["lo95"])
    sigma = np.maximum(half.astype(float) / Z95, 1.0)
    out["expected"] = np.where(use, forecast, table["expected"])
    out["ratio"] = np.where(
        use, np.where(forecast > 0, observed / np.where(forecast > 0, forecast, 1), np.nan), out["ratio"]
    )
    out["z"] = np.where(use, (observed - forecast) / sigma, table["z"])
    return out


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
    volumes = volumes_from_calls(calls[calls["code"] != AUTRE], granularity)
    band = forecast_band(volumes, periods, settings=forecast_settings)
    banded = with_forecast_band(table, band)
    last = sorted(banded[PERIOD_START].unique())[-periods:]
    return volume_alerts(banded[banded[PERIOD_START].isin(last)], settings, reason_labels=reason_labels)

"""Volume forecasting, reason by reason: counts per period from a file or the store, a method chosen per series by
rolling-origin cross-validation among statsmodels models and a naive fallback, French public and school holidays as
calendar effects, intervals from the cross-validation errors, reasons reconciled to the total (docs/FORECAST.md)."""

from serving.forecast.errors import (
    ForecastError,
    InvalidForecastOptions,
    InvalidVolumes,
    SeriesTooShort,
    UnknownSeries,
)
from serving.forecast.run import ForecastResult, forecast_one, forecast_volumes, write_forecast
from serving.forecast.settings import ForecastSettings, load_settings
from serving.forecast.volumes import TOTAL, Period, Volumes, prepare_volumes, read_volumes, volumes_from_records

__all__ = [
    "TOTAL",
    "ForecastError",
    "ForecastResult",
    "ForecastSettings",
    "InvalidForecastOptions",
    "InvalidVolumes",
    "Period",
    "SeriesTooShort",
    "UnknownSeries",
    "Volumes",
    "forecast_one",
    "forecast_volumes",
    "load_settings",
    "prepare_volumes",
    "read_volumes",
    "volumes_from_records",
    "write_forecast",
]

"""Errors of volume forecasting. Messages name columns, rows by number and counts — never a caller's free text."""

from __future__ import annotations

from serving.errors import ServingError


class ForecastError(ServingError):
    """A forecast cannot be made as asked."""


class InvalidVolumes(ForecastError):
    """The volumes handed in break their contract (missing column, bad date, negative count…)."""


class SeriesTooShort(ForecastError):
    """The total series has too few periods to forecast anything sound."""


class InvalidForecastOptions(ForecastError):
    """Options that do not fit together (period, horizon, output format…)."""


class UnknownSeries(ForecastError):
    """A series asked for by name (a reason code) has no call in the history."""

"""The regressors of a series: weekday dummies (days), French calendar, drivers, yearly Fourier terms.

One `Design` per run, shared by every series (same periods, same calendar); methods slice it by position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from serving.forecast.calendar import period_calendar, school_calendar_covers
from serving.forecast.volumes import Period, future_starts

YEAR_DAYS = 365.25


@dataclass(frozen=True)
class Design:
    starts: pd.DatetimeIndex  # history then horizon
    n_history: int
    period: Period
    calendar: np.ndarray  # weekday dummies + holidays + school holidays + drivers, one row per start
    calendar_names: tuple[str, ...]
    fourier: np.ndarray  # yearly sine/cosine pairs, one row per start
    school_holidays: bool  # False when the shipped school calendar does not cover the span (said in the notes)

    @property
    def season(self) -> int:
        """Periods of the short cycle: the week of days; weeks have none (1)."""
        return 7 if self.period == "day" else 1

    @property
    def year(self) -> int:
        """Periods in a year, aligned on weekdays for days (364 = 52 weeks)."""
        return 364 if self.period == "day" else 52


def build_design(
    history: pd.DatetimeIndex,
    period: Period,
    horizon: int,
    *,
    drivers: pd.DataFrame | None = None,
    fourier_terms: int = 4,
) -> Design:
    starts = history.append(future_starts(pd.Timestamp(history[-1]), period, horizon))
    school = school_calendar_covers(pd.date_range(starts[0], starts[-1] + pd.Timedelta(days=6)))
    columns = period_calendar(starts, period, school=school)
    if period == "day":
        for weekday in range(1, 7):  # Monday is the reference
            columns[f"jour_{weekday}"] = (starts.weekday == weekday).astype(float)
    if drivers is not None:
        for name in drivers.columns:
            columns[f"facteur_{name}"] = drivers[name].reindex(starts).to_numpy(dtype=float)
    phase = 2 * np.pi * (starts.dayofyear.to_numpy() - 1) / YEAR_DAYS
    fourier = (
        np.column_stack([f(k * phase) for k in range(1, fourier_terms + 1) for f in (np.sin, np.cos)])
        if fourier_terms
        else np.empty((len(starts), 0))
    )
    return Design(
        starts=starts,
        n_history=len(history),
        period=period,
        calendar=columns.to_numpy(dtype=float),
        calendar_names=tuple(columns.columns),
        fourier=fourier,
        school_holidays=school,
    )

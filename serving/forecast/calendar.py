"""French calendar effects as regressors: public holidays and school holidays (zones A, B, C).

Public holidays are computed by the `holidays` package (metropolitan France, Easter-based dates included); school
holidays come from `vacances-scolaires-france`, which ships the Ministry's calendar as a file inside the package (no
network). That calendar covers a fixed span of years: outside it the school-holiday column is left out of the
features of the whole run, and the result says so (never a silent zero).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import holidays
import numpy as np
import pandas as pd
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

PUBLIC_HOLIDAY = "jour_ferie"
SCHOOL_HOLIDAY = "vacances_scolaires"
ZONES = ("A", "B", "C")


@cache
def _school_calendar() -> SchoolHolidayDates:
    return SchoolHolidayDates()


@cache
def _school_year(year: int) -> dict[dt.date, float] | None:
    """Day → share of the three zones on holiday, for one calendar year; None when the calendar lacks the year."""
    try:
        days = _school_calendar().holidays_for_year(year)
    except UnsupportedYearException:
        return None
    return {
        day: sum(bool(info[f"vacances_zone_{zone.lower()}"]) for zone in ZONES) / len(ZONES)
        for day, info in days.items()
    }


def school_calendar_covers(days: pd.DatetimeIndex) -> bool:
    """Whether the shipped school calendar knows every year of `days`."""
    return all(_school_year(int(year)) is not None for year in np.unique(days.year))


def daily_calendar(days: pd.DatetimeIndex, *, school: bool) -> pd.DataFrame:
    """One row per day: 1 on a public holiday; share of zones A/B/C on school holiday (when `school`)."""
    public = holidays.country_holidays("FR", years=sorted({int(y) for y in days.year}))
    frame = pd.DataFrame(index=days)
    frame[PUBLIC_HOLIDAY] = np.fromiter((day in public for day in days.date), dtype=float, count=len(days))
    if school:
        shares = []
        for day in days.date:
            year = _school_year(day.year)
            shares.append(year.get(day, 0.0) if year is not None else 0.0)
        frame[SCHOOL_HOLIDAY] = np.asarray(shares, dtype=float)
    return frame


def period_calendar(starts: pd.DatetimeIndex, period: str, *, school: bool) -> pd.DataFrame:
    """Calendar features per period start: days keep their flags; weeks get the number of public holidays falling
    Monday–Friday and the mean share of zones on school holiday."""
    if period == "day":
        return daily_calendar(starts, school=school)
    days = pd.date_range(starts.min(), starts.max() + pd.Timedelta(days=6), freq="D")
    daily = daily_calendar(days, school=school)
    daily.loc[days.weekday >= 5, PUBLIC_HOLIDAY] = 0.0  # a Sunday holiday closes nothing more
    week = days - pd.to_timedelta(days.weekday, unit="D")
    aggregated = daily.groupby(week).agg({c: ("sum" if c == PUBLIC_HOLIDAY else "mean") for c in daily.columns})
    return aggregated.reindex(starts)

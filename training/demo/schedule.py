"""When calls happen and what they are about, week by week: volumes, weekday pattern, holidays, scenario shares."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_WEEKS = 16
SCENARIOS = ("autre_vrai", "emergent_reforme", "pic_connexion", "sous_theme_attestation")


@dataclass(frozen=True)
class Day:
    index: int  # 0-based from --start
    date: dt.date
    week: int  # 1-based
    open: bool  # a working day (not weekend, not public holiday)


@dataclass(frozen=True)
class WeekMix:
    """Share of each category of call during one week; categories are reason codes or scenario names."""

    week: int
    family: str
    categories: tuple[str, ...]
    probabilities: np.ndarray
    volume: float  # relative volume of the week (scenario calls come on top of ordinary ones)


def easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def french_holidays(year: int) -> set[dt.date]:
    fixed = {(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)}
    sunday = easter(year)
    moving = {sunday + dt.timedelta(days=n) for n in (1, 39, 50)}  # Easter Monday, Ascension, Whit Monday
    return {dt.date(year, m, d) for m, d in fixed} | moving


def scale_week(week: float, weeks: int) -> int:
    """A scenario week given for the default 16-week period, moved proportionally into a period of `weeks`."""
    if weeks == DEFAULT_WEEKS:
        return int(week)
    return max(1, min(weeks, round(week * weeks / DEFAULT_WEEKS)))


def days_of(start: dt.date, weeks: int) -> list[Day]:
    holidays = french_holidays(start.year) | french_holidays(start.year + 1)
    days = []
    for index in range(weeks * 7):
        date = start + dt.timedelta(days=index)
        days.append(Day(index, date, index // 7 + 1, date.weekday() < 5 and date not in holidays))
    return days


def _ramp(week: int, start: int, last: int, share_start: float, share_end: float) -> float:
    if week < start:
        return 0.0
    if last <= start:
        return share_end
    return share_start + (share_end - share_start) * (week - start) / (last - start)


def week_mixes(p: dict[str, Any], weeks: int) -> dict[int, WeekMix]:
    reasons: dict[str, float] = p["reasons"]
    codes = tuple(reasons)
    base = np.array([reasons[c] for c in codes], dtype=float)
    base /= base.sum()
    s = p["scenarios"]
    holdout = scale_week(p["holdout_from_week"], weeks)
    emergent, spike, subtheme = s["emergent_reforme"], s["pic_connexion"], s["sous_theme_attestation"]
    emergent_start, subtheme_start = (
        scale_week(emergent["start_week"], weeks),
        scale_week(subtheme["start_week"], weeks),
    )
    spike_week = scale_week(spike["week"], weeks)
    seasonal: list[float] = p["weekly_volume"]
    mixes = {}
    for week in range(1, weeks + 1):
        e = _ramp(week, emergent_start, weeks, emergent["share_start"], emergent["share_end"])
        t = _ramp(week, subtheme_start, weeks, subtheme["share_start"], subtheme["share_end"])
        a = float(s["autre_vrai"]["share"])
        extra = 0.0
        if week == spike_week:
            extra = (float(spike["factor"]) - 1.0) * float(base[codes.index(spike["reason"])])
        total = (1.0 + extra) / (1.0 - e - t - a)  # ordinary calls keep their absolute volume
        probabilities = np.concatenate([base / total, [a, e, extra / total, t]])
        probabilities /= probabilities.sum()
        volume = total * (seasonal[week - 1] if week <= len(seasonal) else 1.0)
        mixes[week] = WeekMix(week, "A" if week < holdout else "B", (*codes, *SCENARIOS), probabilities, volume)
    return mixes


def rows_per_day(p: dict[str, Any], days: list[Day], mixes: dict[int, WeekMix], rows: int, seed: int) -> np.ndarray:
    """Split `rows` calls over the days: week volume × weekday pattern × a little jitter (multinomial draw)."""
    rng = np.random.default_rng([seed, 1])
    weekday: list[float] = p["weekdays"]
    weights = np.array(
        [
            mixes[d.week].volume * (weekday[d.date.weekday()] if d.open or d.date.weekday() >= 5 else weekday[6])
            for d in days
        ],
        dtype=float,
    )
    weights *= np.clip(1.0 + rng.normal(0.0, float(p["volume_jitter"]), len(days)), 0.5, 1.5)
    counts: np.ndarray = rng.multinomial(rows, weights / weights.sum())
    return counts

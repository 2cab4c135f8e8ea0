"""What a forecast reads: counts per period × series, from a volumes file or from the store's predictions.

`Volumes.counts` is wide — one column per series (a reason code, or `TOTAL` when the file has no `--by-col`), one
row per period start over the whole span (a period without calls counts 0) — so thousands of series stay a few
megabytes. `Volumes.drivers` holds the optional driver columns (a mailing, a deadline…) over the history *and* the
future: a driver is a regressor only if its future values are known.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from pipeline.calls import TIMEZONE
from pipeline.tables import ROW_COLUMN, inspect_table, iter_table
from serving.forecast.errors import InvalidVolumes

if TYPE_CHECKING:
    from serving.store import PredictionRecord

Period = Literal["day", "week"]
PERIODS: tuple[str, ...] = get_args(Period)
TOTAL = "total"  # the name of the total series (and of the only series of a file without --by-col)
_PARIS = ZoneInfo(TIMEZONE)


@dataclass(frozen=True)
class Volumes:
    counts: pd.DataFrame  # index: period starts (complete, no gap); columns: series; values: calls ≥ 0
    period: Period
    drivers: pd.DataFrame | None = None  # index: period starts from the first period, past the history if known
    by_reason: bool = True  # False: one series only (the total), no per-reason split
    model_version: str | None = None  # read from the store: the model whose predictions are counted
    notes: tuple[str, ...] = ()  # what was done to the input, in French (e.g. an unfinished week left out)

    @property
    def last_start(self) -> pd.Timestamp:
        return pd.Timestamp(self.counts.index[-1])


def period_start(days: pd.DatetimeIndex | pd.Series, period: Period) -> pd.DatetimeIndex:
    """Midnight of the day, or the Monday of the week (as `serving.monitoring.calls.period_starts`)."""
    index = pd.DatetimeIndex(days).normalize()
    if period == "week":
        index = index - pd.to_timedelta(index.weekday, unit="D")
    return index


def period_range(first: pd.Timestamp, last: pd.Timestamp, period: Period) -> pd.DatetimeIndex:
    return pd.date_range(first, last, freq="D" if period == "day" else "7D")


def future_starts(last: pd.Timestamp, period: Period, horizon: int) -> pd.DatetimeIndex:
    step = pd.Timedelta(days=1 if period == "day" else 7)
    return pd.date_range(last + step, periods=horizon, freq=step)


def check_period(period: str) -> Period:
    if period not in PERIODS:
        raise InvalidVolumes(f"période « {period[:20]} » inconnue (attendu : {' ou '.join(PERIODS)})")
    return period  # type: ignore[return-value]


def _rows(mask: pd.Series, numbers: pd.Series, limit: int = 5) -> str:
    rows = numbers[mask].astype(int).tolist()
    shown = ", ".join(map(str, rows[:limit]))
    return f"{shown}…" if len(rows) > limit else shown


def _parse_dates(values: pd.Series) -> pd.Series:
    """ISO dates first (2016-02-29), else day first as written in France (29/02/2016, 29-2-2016)."""
    text = values.astype("string").str.strip()
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=False)
    retry = parsed.isna() & text.notna() & (text != "")
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], format="mixed", dayfirst=True, errors="coerce")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(_PARIS).dt.tz_localize(None)
    return parsed


def prepare_volumes(
    frame: pd.DataFrame,
    *,
    time_col: str = "date",
    count_col: str = "calls",
    by_col: str | None = None,
    driver_cols: Sequence[str] = (),
    period: Period = "day",
) -> Volumes:
    """Check a long table of counts (one row per date [× series]) and make it `Volumes`.

    Rows with a date and drivers but no count are future driver values. Several rows of the same period and series
    are added up (days summed into weeks). Errors name columns and row numbers, never values of free-text columns.
    """
    period = check_period(period)
    wanted = [time_col, count_col, *([by_col] if by_col else []), *driver_cols]
    missing = [name for name in dict.fromkeys(wanted) if name not in frame.columns]
    if missing:
        raise InvalidVolumes(
            f"colonne(s) absente(s) : {', '.join(missing)} (colonnes lues : {', '.join(map(str, frame.columns[:20]))})"
        )
    numbers = frame[ROW_COLUMN] if ROW_COLUMN in frame.columns else pd.Series(np.arange(1, len(frame) + 1))
    numbers = numbers.reset_index(drop=True)
    data = frame.reset_index(drop=True)
    if data.empty:
        raise InvalidVolumes("aucune ligne de volumes (attendu : une ligne par date, avec un nombre d'appels)")
    dates = _parse_dates(data[time_col])
    bad_dates = dates.isna()
    if bad_dates.any():
        raise InvalidVolumes(
            f"colonne {time_col} : date illisible ligne(s) {_rows(bad_dates, numbers)} "
            "(attendu : aaaa-mm-jj ou jj/mm/aaaa)"
        )
    raw_counts = data[count_col].astype("string").str.strip().replace("", pd.NA)
    counts = pd.to_numeric(raw_counts, errors="coerce")
    unreadable = counts.isna() & raw_counts.notna()
    if unreadable.any():
        raise InvalidVolumes(
            f"colonne {count_col} : nombre d'appels illisible ligne(s) {_rows(unreadable, numbers)} "
            "(attendu : un entier ≥ 0)"
        )
    negative = counts < 0
    if negative.fillna(False).any():
        raise InvalidVolumes(
            f"colonne {count_col} : nombre d'appels négatif ligne(s) {_rows(negative.fillna(False), numbers)} "
            "(attendu : un entier ≥ 0)"
        )
    starts = period_start(dates, period)
    known = counts.notna().to_numpy()
    if not known.any():
        raise InvalidVolumes(f"colonne {count_col} : aucun nombre d'appels (attendu : au moins une ligne remplie)")
    if by_col:
        series = data[by_col].astype("string").str.strip()
        no_series = series.isna() | (series == "")
        if (no_series & counts.notna()).any():
            raise InvalidVolumes(
                f"colonne {by_col} : série vide ligne(s) {_rows(no_series & counts.notna(), numbers)} "
                "(attendu : un code de motif)"
            )
    else:
        series = pd.Series(TOTAL, index=data.index, dtype="string")
    long = pd.DataFrame({"start": starts[known], "series": series[known].to_numpy(), "calls": counts[known]})
    wide = long.pivot_table(index="start", columns="series", values="calls", aggfunc="sum", fill_value=0.0)
    full = period_range(wide.index.min(), wide.index.max(), period)
    wide = wide.reindex(full, fill_value=0.0).astype(float)
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    notes: list[str] = []
    if period == "week":
        wide, notes = _whole_weeks(wide, dates[known])
        full = pd.DatetimeIndex(wide.index)
    drivers = _drivers(data, days=dates, driver_cols=driver_cols, numbers=numbers, full=full, period=period)
    return Volumes(counts=wide, period=period, drivers=drivers, by_reason=by_col is not None, notes=tuple(notes))


def _whole_weeks(wide: pd.DataFrame, days: pd.Series) -> tuple[pd.DataFrame, list[str]]:
    """Leave out a first week not starting on Monday and a last week not ending on Sunday: a week with part of its
    days looks like a drop (the days before or after the file are unknown, not zero)."""
    notes = []
    if days.min().weekday() != 0:
        wide = wide.iloc[1:]
        notes.append(f"Première semaine incomplète ({days.min().date().isoformat()}) laissée de côté.")
    if days.max().weekday() != 6 and len(wide):
        wide = wide.iloc[:-1]
        notes.append(f"Dernière semaine incomplète (jusqu'au {days.max().date().isoformat()}) laissée de côté.")
    return wide, notes


def _drivers(
    data: pd.DataFrame,
    *,
    days: pd.Series,
    driver_cols: Sequence[str],
    numbers: pd.Series,
    full: pd.DatetimeIndex,
    period: Period,
) -> pd.DataFrame | None:
    if not driver_cols:
        return None
    values = {}
    for name in driver_cols:
        raw = data[name].astype("string").str.strip().replace("", pd.NA)
        parsed = pd.to_numeric(raw, errors="coerce")
        unreadable = parsed.isna() & raw.notna()
        if unreadable.any():
            raise InvalidVolumes(
                f"colonne {name} (facteur explicatif) : valeur non numérique ligne(s) {_rows(unreadable, numbers)}"
            )
        values[name] = parsed.to_numpy()
    table = pd.DataFrame(values, index=pd.DatetimeIndex(days).normalize())
    # one value per day (repeated on the rows of every series of that day), then summed over the days of a week
    per_day = table.groupby(level=0).max()
    if period == "week":
        per_day = per_day.groupby(period_start(per_day.index, "week")).sum(min_count=1)
    gaps = per_day.reindex(full).isna().any(axis=1)
    if gaps.any():
        first = gaps[gaps].index[0].date().isoformat()
        raise InvalidVolumes(
            f"facteur explicatif sans valeur pour {int(gaps.sum())} période(s) de l'historique (première : {first})"
        )
    return per_day.sort_index()


def read_volumes(
    path: str | Path,
    *,
    time_col: str = "date",
    count_col: str = "calls",
    by_col: str | None = None,
    driver_cols: Sequence[str] = (),
    period: Period = "day",
) -> Volumes:
    """A CSV (any delimiter, UTF-8 with or without BOM), Parquet or JSON Lines file of counts, as `Volumes`."""
    spec = inspect_table(path)
    wanted = [time_col, count_col, *([by_col] if by_col else []), *driver_cols]
    chunks = []
    for chunk in iter_table(spec):
        if chunk.malformed:
            rows = ", ".join(str(m.row) for m in chunk.malformed[:5])
            raise InvalidVolumes(f"{Path(path).name} : ligne(s) mal formée(s) {rows} (nombre de champs inattendu)")
        present = [c for c in dict.fromkeys([*wanted, ROW_COLUMN]) if c in chunk.frame.columns]
        chunks.append(chunk.frame[present])
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
    return prepare_volumes(
        frame, time_col=time_col, count_col=count_col, by_col=by_col, driver_cols=driver_cols, period=period
    )


def volumes_from_records(
    records: Iterable[PredictionRecord], *, period: Period, first: dt.date | None = None, last: dt.date | None = None
) -> Volumes:
    """Calls per period (Europe/Paris days) × predicted code from the store's predictions of one model version.

    Streams the records: memory grows with periods × codes, not with calls."""
    tally: Counter[tuple[dt.date, str]] = Counter()
    for record in records:
        tally[(record.called_at.astimezone(_PARIS).date(), record.code)] += 1
    if not tally:
        raise InvalidVolumes("aucun appel enregistré sur la période demandée (attendu : des prédictions en base)")
    long = pd.DataFrame([(day, code, n) for (day, code), n in tally.items()], columns=["date", "code", "calls"])
    long["start"] = period_start(pd.to_datetime(long["date"]), period)
    wide = long.pivot_table(index="start", columns="code", values="calls", aggfunc="sum", fill_value=0.0)
    # the series starts with the first stored call (before it the store knew nothing, not zero calls), and runs to
    # `last`: empty periods at the end are real zeros
    low = wide.index.min()
    if first is not None:
        low = max(low, period_start(pd.DatetimeIndex([pd.Timestamp(first)]), period)[0])
    high = period_start(pd.DatetimeIndex([pd.Timestamp(last)]), period)[0] if last else wide.index.max()
    wide = wide.reindex(period_range(low, high, period), fill_value=0.0).astype(float)
    wide.columns = [str(c) for c in wide.columns]
    wide.columns.name = None
    notes: list[str] = []
    if period == "week":
        span = pd.Series(pd.to_datetime([max(long["date"].min(), first or dt.date.min), last or long["date"].max()]))
        wide, notes = _whole_weeks(wide, span)
    return Volumes(counts=wide, period=period, by_reason=True, notes=tuple(notes))

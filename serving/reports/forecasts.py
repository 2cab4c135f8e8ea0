"""The report's « Prévisions » section: the next weeks of the top reasons and of the total, with their band.

Weekly whatever the report's granularity (staff are planned by the week). The top reasons by calls are forecast
with the rest of the calls as one « autres motifs » series, so the reconciliation still adds up to the total. The
section never breaks a report: a history too short to forecast gives a sentence instead of the charts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from serving.forecast import TOTAL, ForecastError, Volumes, forecast_volumes
from serving.forecast.volumes import period_range, period_start

TOP_REASONS = 3
HORIZON_WEEKS = 4
HISTORY_WEEKS = 12  # weeks of history drawn before the forecast
OTHERS = "_autres_motifs"


@dataclass(frozen=True)
class ForecastRow:
    start: dt.date
    forecast: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


@dataclass(frozen=True)
class ForecastReason:
    code: str
    label: str
    method: str
    history: tuple[tuple[dt.date, int], ...]
    rows: tuple[ForecastRow, ...]


@dataclass(frozen=True)
class ForecastSection:
    reasons: tuple[ForecastReason, ...]  # the total first, then the top reasons
    note: str = ""  # why nothing is forecast, or what was left out (French)

    @property
    def starts(self) -> tuple[dt.date, ...]:
        return tuple(row.start for row in self.reasons[0].rows) if self.reasons else ()


def forecast_section(
    calls: pd.DataFrame, *, end: dt.date, labels: Mapping[str, str], top: int = TOP_REASONS
) -> ForecastSection:
    """From prepared monitoring calls (naive Europe/Paris `timestamp`, `code`) up to `end` (its last complete week)."""
    starts = period_start(calls["timestamp"], "week")
    last = period_start(pd.DatetimeIndex([pd.Timestamp(end + dt.timedelta(days=1))]), "week")[0] - pd.Timedelta(days=7)
    weekly = pd.DataFrame({"start": starts, "code": calls["code"].astype(str)})
    weekly = weekly[weekly["start"] <= last]
    if weekly.empty:
        return ForecastSection((), note="Aucune semaine complète d'appels : pas de prévision.")
    totals = weekly["code"].value_counts()
    chosen = [code for code in totals.index if code != "autre"][:top]
    weekly["series"] = weekly["code"].where(weekly["code"].isin(chosen), OTHERS)
    counts = weekly.groupby(["start", "series"]).size().unstack(fill_value=0).astype(float)
    counts = counts.reindex(period_range(counts.index.min(), last, "week"), fill_value=0.0)
    counts.columns = [str(c) for c in counts.columns]
    try:
        result = forecast_volumes(Volumes(counts=counts, period="week"), HORIZON_WEEKS)
    except ForecastError as exc:
        return ForecastSection((), note=f"Pas de prévision : {exc}.")
    history = counts.iloc[-HISTORY_WEEKS:]
    reasons = []
    for code in [TOTAL, *chosen]:
        rows = result.table[result.table["reason"] == code]
        observed = history.sum(axis=1) if code == TOTAL else history[code]
        reasons.append(
            ForecastReason(
                code=code,
                label="Tous les appels" if code == TOTAL else labels.get(code, code),
                method=result.methods[code],
                history=tuple((start.date(), int(n)) for start, n in observed.items()),
                rows=tuple(ForecastRow(r.date, r.forecast, r.lo80, r.hi80, r.lo95, r.hi95) for r in rows.itertuples()),
            )
        )
    return ForecastSection(tuple(reasons), note=" ".join(result.notes))

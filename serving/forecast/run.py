"""`forecast_volumes`: every series of a `Volumes` (and their total) forecast, reconciled, as one table.

Series are forecast one at a time (memory: one series and its forecasts, whatever the number of series) with an
optional progress callback; the output table has one row per (period, series):
`date, [reason], forecast, lo80, hi80, lo95, hi95` (the total's `reason` is `total`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from pipeline.files import atomic_path
from serving.forecast.design import build_design
from serving.forecast.errors import InvalidForecastOptions, InvalidVolumes, SeriesTooShort, UnknownSeries
from serving.forecast.reconcile import reconcile
from serving.forecast.selection import SeriesForecast, forecast_series
from serving.forecast.settings import ForecastSettings, load_settings
from serving.forecast.volumes import TOTAL, Volumes

Progress = Callable[[int, int], None]  # (series done, series in all)
MAX_HORIZON = {"day": 364, "week": 52}  # `last_year` needs the same period one year before
FORMATS = (".csv", ".parquet", ".json", ".jsonl")


@dataclass(frozen=True)
class ForecastResult:
    table: pd.DataFrame  # date, reason, forecast, lo80, hi80, lo95, hi95
    methods: dict[str, str]  # series → chosen method
    cv_mae: dict[str, dict[str, float]]  # series → method → cross-validated MAE
    notes: list[str] = field(default_factory=list)  # French sentences for the user
    period: str = "day"
    history_end: pd.Timestamp | None = None


def _level_name(level: float) -> str:
    return f"{round(level * 100):d}"


def _frame(series: SeriesForecast, starts: pd.DatetimeIndex, levels: tuple[float, ...]) -> pd.DataFrame:
    frame = pd.DataFrame({"date": starts.date, "reason": series.name, "forecast": np.round(series.forecast, 2)})
    for level in levels:
        low, high = series.bounds[level]
        frame[f"lo{_level_name(level)}"] = np.round(low, 2)
        frame[f"hi{_level_name(level)}"] = np.round(high, 2)
    return frame


# Small least-squares problems (hundreds of rows, ~20 columns): a multithreaded BLAS spends far more time waking
# threads than computing — 85 ms instead of 2 ms per SVD on 2 shared cores. One thread, as run_monitoring does.
@threadpool_limits.wrap(limits=1)
def forecast_volumes(
    volumes: Volumes,
    horizon: int,
    *,
    settings: ForecastSettings | None = None,
    progress: Progress | None = None,
) -> ForecastResult:
    """Forecast each series and the total over `horizon` periods after the history, reasons reconciled to the total."""
    settings = settings or load_settings()
    period = volumes.period
    if not 1 <= horizon <= MAX_HORIZON[period]:
        raise InvalidForecastOptions(f"horizon {horizon} (attendu : 1 à {MAX_HORIZON[period]} périodes pour {period})")
    counts = volumes.counts
    needed = getattr(settings.min_history, period)
    if len(counts) < needed:
        raise SeriesTooShort(
            f"historique de {len(counts)} période(s) ({period}) : trop court pour prévoir "
            f"(attendu : au moins {needed} périodes)"
        )
    drivers = volumes.drivers
    if drivers is not None:
        future = pd.DatetimeIndex(counts.index[-1:]).shift(1, freq="D" if period == "day" else "7D")
        wanted = pd.date_range(future[0], periods=horizon, freq="D" if period == "day" else "7D")
        missing = drivers.reindex(wanted).isna().any(axis=1)
        if missing.any():
            raise InvalidVolumes(
                f"facteur explicatif inconnu pour {int(missing.sum())} période(s) à prévoir (première : "
                f"{missing[missing].index[0].date().isoformat()}) : donner ses valeurs futures dans le fichier"
            )
    design = build_design(
        pd.DatetimeIndex(counts.index),
        period,
        horizon,
        drivers=drivers,
        fourier_terms=getattr(settings.fourier_terms, period),
    )
    starts = design.starts[design.n_history :]
    names = list(counts.columns) if volumes.by_reason else []
    total_y = counts.sum(axis=1).to_numpy(dtype=float)
    steps = len(names) + 1
    total = forecast_series(TOTAL, total_y, design, horizon, settings)
    if progress:
        progress(1, steps)
    reasons = []
    for done, name in enumerate(names, start=2):
        reasons.append(forecast_series(name, counts[name].to_numpy(dtype=float), design, horizon, settings))
        if progress:
            progress(done, steps)
    total, reasons = reconcile(total, reasons)
    table = pd.concat([_frame(s, starts, settings.levels) for s in [total, *reasons]], ignore_index=True)
    if not volumes.by_reason:
        table = table.drop(columns="reason")
    notes = list(volumes.notes)
    if not design.school_holidays:
        notes.append(
            "Vacances scolaires non prises en compte : le calendrier fourni ne couvre pas toutes les années de la "
            "série (voir docs/FORECAST.md)."
        )
    skipped = [s for s in [total, *reasons] if s.reason]
    if skipped:
        notes.append(f"{len(skipped)} série(s) prévue(s) par la méthode naïve (historique court ou série creuse).")
    every = [total, *reasons]
    return ForecastResult(
        table=table,
        methods={s.name: s.method for s in every},
        cv_mae={s.name: s.cv_mae for s in every},
        notes=notes,
        period=period,
        history_end=pd.Timestamp(counts.index[-1]),
    )


def write_forecast(table: pd.DataFrame, out: str | Path) -> Path:
    """CSV (UTF-8), Parquet, JSON (one array of records) or JSON Lines, by extension; written crash-safe."""
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidForecastOptions(
            f"{path.name} : extension « {suffix or '(aucune)'} » non prise en charge (attendu : {', '.join(FORMATS)})"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = table.assign(date=pd.to_datetime(table["date"]).dt.strftime("%Y-%m-%d"))

    def write(target: Path) -> None:
        if suffix == ".csv":
            frame.to_csv(target, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(target, index=False)
        else:
            frame.to_json(target, orient="records", lines=suffix == ".jsonl", force_ascii=False)

    atomic_path(path, write)
    return path


def forecast_one(
    volumes: Volumes, reason: str | None, horizon: int, *, settings: ForecastSettings | None = None
) -> ForecastResult:
    """One series only — `reason`, or the total when None — with no reconciliation (that needs every reason): the
    fast path of `GET /v1/forecast`. An unknown reason (no call in the history) is refused."""
    if reason is None:
        counts = volumes.counts.sum(axis=1).to_frame(TOTAL)
    elif reason in volumes.counts.columns:
        counts = volumes.counts[[reason]]
    else:
        raise UnknownSeries(f"aucun appel du motif {reason[:64]} dans l'historique (attendu : un code déjà prédit)")
    result = forecast_volumes(
        Volumes(counts=counts, period=volumes.period, drivers=volumes.drivers, by_reason=False, notes=volumes.notes),
        horizon,
        settings=settings,
    )
    return ForecastResult(
        table=result.table,
        methods={reason or TOTAL: result.methods[TOTAL]},
        cv_mae={reason or TOTAL: result.cv_mae[TOTAL]},
        notes=result.notes,
        period=result.period,
        history_end=result.history_end,
    )

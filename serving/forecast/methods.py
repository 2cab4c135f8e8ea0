"""Forecasting methods, each a plain function `(y, design, end, horizon) -> point forecasts` on counts.

`y` is the history of one series (calls ≥ 0); the method sees `y[:end]` only and forecasts periods
`end … end + horizon − 1` (the rows of `design` give their regressors), so the same function serves the rolling-origin
cross-validation and the final forecast. Models work on log1p(calls): counts are skewed, effects multiplicative, and
forecasts come back non-negative. The models are statsmodels' (docs/FORECAST.md says why not statsforecast):

- `naive`: mean of the last 4 same weekdays (days) or last 4 weeks — the fallback, and the baseline to beat;
- `ar_calendar`: AR(1) with a constant and the calendar regressors (weekdays, public and school holidays,
  drivers) — a dynamic regression, fitted by least squares (`AutoReg`);
- `ar_yearly`: the same plus yearly Fourier terms (needs a year of history);
- `last_year`: the same period last year, scaled by how the last 4 weeks compare with the same weeks a year before;
- `ets_calendar`: calendar effects by least squares, then simple exponential smoothing (`ETSModel`, A,N,N) of
  what they leave — a level that moves without an AR pull back to the mean.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.sm_exceptions import ConvergenceWarning, SingularMatrixWarning
from statsmodels.tsa.ar_model import AutoReg
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from serving.forecast.design import Design

Method = Callable[[np.ndarray, Design, int, int], np.ndarray]


@dataclass(frozen=True)
class MethodSpec:
    name: str
    fit_predict: Method
    min_history: Callable[[Design], int]  # periods of history the method needs


def _useful(columns: np.ndarray, end: int, *, skip: int = 0) -> np.ndarray:
    """Regressors that vary over the rows fitted (a column constant there cannot be estimated); an AR(1) fit skips
    its first row."""
    if columns.shape[1] == 0:
        return columns
    keep = np.ptp(columns[skip:end], axis=0) > 0
    return columns[:, keep]


def _back(log_values: np.ndarray) -> np.ndarray:
    return np.clip(np.expm1(log_values), 0.0, None)


def naive(y: np.ndarray, design: Design, end: int, horizon: int) -> np.ndarray:
    season = design.season
    history = y[:end]
    out = np.empty(horizon)
    for step in range(horizon):
        # the last 4 values of the same phase of the cycle (same weekday for days)
        phase = (end + step) % season
        same = history[np.arange(end) % season == phase][-4:]
        out[step] = same.mean() if len(same) else history[-4:].mean()
    return out


def _autoreg(y: np.ndarray, exog: np.ndarray, end: int, horizon: int) -> np.ndarray:
    exog = _useful(exog, end, skip=1)
    log_y = np.log1p(y[:end])
    with warnings.catch_warnings():
        # a flat stretch makes the lag collinear with the constant; least squares by pseudo-inverse still gives
        # the right (flat) forecast, and the contest judges the method on its errors anyway
        warnings.simplefilter("ignore", SingularMatrixWarning)
        if exog.shape[1] == 0:
            model = AutoReg(log_y, lags=1, trend="c").fit()
            return _back(model.predict(start=end, end=end + horizon - 1))
        model = AutoReg(log_y, lags=1, trend="c", exog=exog[:end]).fit()
    return _back(model.predict(start=end, end=end + horizon - 1, exog_oos=exog[end : end + horizon]))


def ar_calendar(y: np.ndarray, design: Design, end: int, horizon: int) -> np.ndarray:
    return _autoreg(y, design.calendar, end, horizon)


def ar_yearly(y: np.ndarray, design: Design, end: int, horizon: int) -> np.ndarray:
    return _autoreg(y, np.hstack([design.calendar, design.fourier]), end, horizon)


def last_year(y: np.ndarray, design: Design, end: int, horizon: int) -> np.ndarray:
    lag, recent = design.year, 4 * design.season if design.period == "day" else 4
    log_y = np.log1p(y[:end])
    shift = log_y[end - recent : end].mean() - log_y[end - recent - lag : end - lag].mean()
    return _back(log_y[np.arange(end, end + horizon) - lag] + shift)


def ets_calendar(y: np.ndarray, design: Design, end: int, horizon: int) -> np.ndarray:
    exog = _useful(design.calendar, end)
    log_y = np.log1p(y[:end])
    regressors = np.column_stack([np.ones(len(design.starts)), exog])
    effects = OLS(log_y, regressors[:end]).fit().params
    rest = log_y - regressors[:end] @ effects
    with warnings.catch_warnings():
        # a flat remainder makes the optimiser report non-convergence; the level it returns is still the right one
        warnings.simplefilter("ignore", ConvergenceWarning)
        smooth = ETSModel(pd.Series(rest), error="add", trend=None, seasonal=None).fit(disp=False)
    level = np.asarray(smooth.forecast(horizon))
    return _back(level + regressors[end : end + horizon] @ effects)


METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec("naive", naive, lambda d: 4 * d.season),
        MethodSpec("ar_calendar", ar_calendar, lambda d: max(8 * d.season, 16)),
        MethodSpec("ar_yearly", ar_yearly, lambda d: d.year + 4 * d.season),
        MethodSpec("last_year", last_year, lambda d: d.year + 4 * d.season + (0 if d.period == "day" else 4)),
        MethodSpec("ets_calendar", ets_calendar, lambda d: max(8 * d.season, 16)),
    )
}

"""Forecast one series: choose its method by rolling-origin cross-validation, then intervals from the same errors.

Origins are the last `cv_origins` multiples of the CV horizon (the horizon, at least `cv_horizon`) before the end of
the history; each method is fitted on the history up to an origin and scored on the next CV-horizon periods (MAE in
calls). The method with the lowest mean MAE over the origins wins; a method needing more history than the first origin
offers sits out. The mean of the two best methods is scored too (a combination often beats both) and wins when it does.
Short or sparse series skip the contest: `naive`.

Intervals are empirical (split-conformal style): the quantiles of the chosen method's cross-validation errors on the
log1p scale, added to its forecast — so coverage is measured, not assumed from a model's Gaussian errors, and it is
the same recipe for every method — and never narrower than Poisson quantiles around the forecast (all there is with
fewer than 10 errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import poisson

from serving.forecast.design import Design
from serving.forecast.methods import METHODS
from serving.forecast.settings import ForecastSettings

MIN_ERRORS = 10
FIT_ERRORS = (np.linalg.LinAlgError, ValueError, FloatingPointError, OverflowError)


@dataclass(frozen=True)
class SeriesForecast:
    name: str
    method: str
    forecast: np.ndarray
    bounds: dict[float, tuple[np.ndarray, np.ndarray]]  # level → (low, high)
    cv_mae: dict[str, float] = field(default_factory=dict)  # method → mean MAE over the origins
    reason: str = ""  # why the contest was skipped (French, for the summary)


def is_sparse(y: np.ndarray, settings: ForecastSettings) -> bool:
    return bool(np.mean(y == 0) > settings.sparse_zero_share or y.mean() < settings.sparse_mean)


def _intervals(
    point: np.ndarray, log_errors: np.ndarray, levels: tuple[float, ...]
) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    bounds = {}
    for level in levels:
        tail = (1 - level) / 2
        # never narrower than Poisson noise around the forecast (a count is at least that uncertain)
        low, high = poisson.ppf(tail, point), poisson.ppf(1 - tail, point)
        if len(log_errors) >= MIN_ERRORS:
            low_q, high_q = np.quantile(log_errors, [tail, 1 - tail])
            base = np.log1p(point)
            low = np.minimum(low, np.expm1(base + min(low_q, 0.0)))
            high = np.maximum(high, np.expm1(base + max(high_q, 0.0)))
        bounds[level] = (np.clip(np.minimum(low, point), 0, None), np.maximum(high, point))
    return bounds


def _naive_errors(y: np.ndarray, design: Design) -> np.ndarray:
    """Log errors of `naive` one cycle ahead over the history: the spread of a series too short to cross-validate."""
    start = 4 * design.season
    errors = []
    for end in range(start, len(y) - design.season + 1, design.season):
        predicted = METHODS["naive"].fit_predict(y, design, end, design.season)
        errors.append(np.log1p(y[end : end + design.season]) - np.log1p(predicted))
    return np.concatenate(errors) if errors else np.empty(0)


def forecast_series(
    name: str, y: np.ndarray, design: Design, horizon: int, settings: ForecastSettings
) -> SeriesForecast:
    end = design.n_history
    cv_horizon = max(horizon, getattr(settings.cv_horizon, design.period))
    origins = [end - k * cv_horizon for k in range(getattr(settings.cv_origins, design.period), 0, -1)]
    origins = [o for o in origins if o >= METHODS["naive"].min_history(design)]
    reason = ""
    if is_sparse(y, settings):
        reason = "série creuse"
    elif end < getattr(settings.min_model_history, design.period):
        reason = "historique court"
    elif not origins:
        reason = "historique trop court pour la validation croisée"
    if reason:
        point = METHODS["naive"].fit_predict(y, design, end, horizon)
        errors = _naive_errors(y, design) if reason != "série creuse" else np.empty(0)
        return SeriesForecast(name, "naive", point, _intervals(point, errors, settings.levels), reason=reason)

    # every method is judged on the same origins: one needing more history than the first origin offers sits out,
    # and so does one whose fit fails on this series (a degenerate history): the others still compete
    predictions = {}
    for method in settings.methods:
        if METHODS[method].min_history(design) <= origins[0]:
            try:
                predictions[method] = [METHODS[method].fit_predict(y, design, o, cv_horizon) for o in origins]
            except FIT_ERRORS:
                continue
    actuals = [y[origin : origin + cv_horizon] for origin in origins]
    cv_mae = {m: _mae(actuals, p) for m, p in predictions.items()}
    ranked = sorted(cv_mae, key=lambda m: (cv_mae[m], m != "naive"))
    if len(ranked) >= 2:
        # the mean of the two best methods: a combination is often better than either (and never needs a fit)
        pair = f"{ranked[0]}+{ranked[1]}"
        predictions[pair] = [(a + b) / 2 for a, b in zip(predictions[ranked[0]], predictions[ranked[1]], strict=True)]
        cv_mae[pair] = _mae(actuals, predictions[pair])
    for chosen in sorted(cv_mae, key=lambda m: (cv_mae[m], m != "naive")):
        try:
            point = np.mean([METHODS[part].fit_predict(y, design, end, horizon) for part in chosen.split("+")], axis=0)
            break
        except FIT_ERRORS:  # the winner fails on the full history: the next best (naive never fails)
            continue
    log_errors = np.concatenate([np.log1p(a) - np.log1p(p) for a, p in zip(actuals, predictions[chosen], strict=True)])
    bounds = _intervals(point, log_errors, settings.levels)
    return SeriesForecast(name, chosen, point, bounds, cv_mae=cv_mae)


def _mae(actuals: list[np.ndarray], predicted: list[np.ndarray]) -> float:
    return float(np.mean([np.mean(np.abs(a - p)) for a, p in zip(actuals, predicted, strict=True)]))

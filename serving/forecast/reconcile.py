"""Make the reasons add up to the total: WLS reconciliation of a two-level hierarchy (total = Σ reasons).

The total is forecast as a series of its own; its forecast t̂ and the reasons' b̂ disagree by the gap
g = t̂ − Σ b̂. The minimum-trace reconciliation with a diagonal error covariance W (« WLS with variance scaling »,
Wickramasuriya, Athanasopoulos & Hyndman 2019) has a closed form for two levels: reason i absorbs the share
σᵢ² / (σ_T² + Σⱼ σⱼ²) of the gap, and the total becomes the sum — so the series whose own forecast is the most
uncertain moves most, and a precise one (a steady reason, or a total) stays where its model put it. σ is read from
each series' 80 % interval (half-width / 1.2816), step by step; equal σ gives the OLS reconciliation (every series
moves by g / (n + 1)). No extra dependency: hierarchicalforecast would bring statsforecast and numba for these lines.

A reason pushed below zero is set to 0 and the total re-added (bottom-up on that step): counts stay non-negative and
coherent. Interval bounds move with their forecast (same shift); bounds do not add up — quantiles never do.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from serving.forecast.selection import SeriesForecast

MIN_SIGMA = 0.5  # a flat history gives a zero-width band: still some uncertainty, so it can absorb a little


def _sigma(series: SeriesForecast) -> np.ndarray:
    """Standard deviation implied by the narrowest interval (80 % by default: half-width / 1.2816)."""
    level = min(series.bounds)
    low, high = series.bounds[level]
    return np.maximum((high - low) / (2 * norm.ppf(0.5 + level / 2)), MIN_SIGMA)


def _shifted(series: SeriesForecast, new_point: np.ndarray) -> SeriesForecast:
    shift = new_point - series.forecast
    bounds = {
        level: (np.clip(low + shift, 0, new_point), np.maximum(high + shift, new_point))
        for level, (low, high) in series.bounds.items()
    }
    return SeriesForecast(series.name, series.method, new_point, bounds, series.cv_mae, series.reason)


def reconcile(total: SeriesForecast, reasons: list[SeriesForecast]) -> tuple[SeriesForecast, list[SeriesForecast]]:
    """Coherent forecasts: Σ reasons == total at every step (to floating-point rounding)."""
    if not reasons:
        return total, reasons
    bottom = np.vstack([r.forecast for r in reasons])
    variances = np.vstack([_sigma(r) ** 2 for r in reasons])
    gap = total.forecast - bottom.sum(axis=0)
    share = variances / (_sigma(total) ** 2 + variances.sum(axis=0))
    adjusted = np.clip(bottom + share * gap, 0, None)
    new_reasons = [_shifted(r, adjusted[i]) for i, r in enumerate(reasons)]
    return _shifted(total, adjusted.sum(axis=0)), new_reasons

"""Make the reasons add up to the total: OLS reconciliation of a two-level hierarchy (total = Σ reasons).

With base forecasts t̂ (total) and b̂ (n reasons), the OLS-reconciled forecasts (Hyndman et al., 2011) are the
projection of (t̂, b̂) on the coherent subspace: every reason moves by the same d = (t̂ − Σ b̂) / (n + 1) and the
total becomes Σ b̃. Closed form for two levels, so no extra dependency (hierarchicalforecast would bring numba
for this one line of algebra). A reason pushed below zero is set to 0 and the total is re-added (bottom-up on that
step): counts stay non-negative and coherent. Interval bounds move with their forecast (same shift); bounds do not
add up — quantiles never do.
"""

from __future__ import annotations

import numpy as np

from serving.forecast.selection import SeriesForecast


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
    gap = (total.forecast - bottom.sum(axis=0)) / (len(reasons) + 1)
    adjusted = np.clip(bottom + gap, 0, None)
    new_reasons = [_shifted(r, adjusted[i]) for i, r in enumerate(reasons)]
    return _shifted(total, adjusted.sum(axis=0)), new_reasons

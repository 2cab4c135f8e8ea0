"""Volume alerts on known reasons (demand management): a reason whose volume leaves its recent baseline.

For each period, group (all calls, or each site) and known reason (every code but « autre »):
- baseline = the previous `baseline_periods` periods that have calls (days: the same weekday of previous weeks, so
  Mondays are compared with Mondays);
- `measure: share` (default) — expected = the reason's pooled share of calls over the baseline × this period's total:
  a week with twice the calls overall does not flag every reason; `measure: count` — expected = mean baseline count;
- the deviation is given as `ratio` = observed / expected and as a z-score-like
  `z` = (observed − expected) / sqrt(max(expected, 1) + s²), where the Poisson variance (≈ expected) is widened by
  s², the variance of the baseline periods' values rescaled to this period's total (a reason that always swings gets
  a wider band).
A spike needs all of: ≥ `min_baseline_periods` baseline periods, observed ≥ `min_count`, observed − expected ≥
`min_delta`, ratio ≥ `min_ratio` (or nothing expected), z ≥ `min_z`; a drop the mirror image (expected ≥ `min_count`).
So 2 → 5 calls never alerts (5 < `min_count`, and z = (5 − 2) / sqrt(2) ≈ 2.1 < 3). Severity is "critical" when
|z| ≥ `strong_z` and the ratio is beyond `strong_ratio`.

Forecast band (`expected: forecast`): a table given columns `lo95`/`hi95` (`volume_band.with_forecast_band`: the
expected value is then the forecast, the band its 95 % interval, which knows the season) judges those rows by the band
instead of `min_z`: a spike is what leaves the band above, a drop below; `min_count`, `min_delta` and `min_ratio`
still apply. Rows without a band keep the rule above.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from serving.monitoring._format import number, scope_phrase
from serving.monitoring.autre import ALL_GROUP, ALL_SCOPE
from serving.monitoring.calls import AUTRE, PERIOD, PERIOD_START, Granularity, baseline_starts
from serving.monitoring.config import VolumeConfig
from serving.monitoring.results import Alert, Severity

TABLE_COLUMNS = (
    "period",
    "period_start",
    "scope",
    "group",
    "code",
    "observed",
    "total",
    "baseline_periods",
    "expected",
    "ratio",
    "z",
)


def volume_table(calls: pd.DataFrame, granularity: Granularity, *, settings: VolumeConfig) -> pd.DataFrame:
    """Observed and expected volume of every known reason per (period, scope, group); see the module docstring."""
    frames = [calls.assign(scope=ALL_SCOPE, group=ALL_GROUP)]
    frames += [calls.assign(scope=dimension, group=calls[dimension]) for dimension in settings.dimensions]
    stacked = pd.concat(frames, ignore_index=True)
    codes = sorted(set(calls.loc[calls["code"] != AUTRE, "code"]))
    totals = stacked.groupby(["scope", "group", PERIOD_START, PERIOD], sort=True).size().rename("total").reset_index()
    known = stacked[stacked["code"] != AUTRE]
    counts = known.groupby(["scope", "group", PERIOD_START, "code"]).size()
    count_of = counts.to_dict()
    total_of = {(r.scope, r.group, r.period_start): r.total for r in totals.itertuples(index=False)}
    rows = []
    for slot in totals.itertuples(index=False):
        previous = [
            (start, total_of[(slot.scope, slot.group, start)])
            for start in baseline_starts(slot.period_start, granularity, settings.baseline_periods)
            if (slot.scope, slot.group, start) in total_of
        ]
        for code in codes:
            observed = count_of.get((slot.scope, slot.group, slot.period_start, code), 0)
            past = np.array(
                [count_of.get((slot.scope, slot.group, start, code), 0) for start, _ in previous], dtype=float
            )
            past_totals = np.array([total for _, total in previous], dtype=float)
            if len(past) == 0:
                expected, spread = np.nan, 0.0
            elif settings.measure == "share":
                expected = past.sum() / past_totals.sum() * slot.total
                scaled = past / past_totals * slot.total
                spread = float(scaled.var(ddof=1)) if len(past) > 1 else 0.0
            else:
                expected = float(past.mean())
                spread = float(past.var(ddof=1)) if len(past) > 1 else 0.0
            z = (observed - expected) / np.sqrt(max(expected, 1.0) + spread) if len(past) else np.nan
            ratio = observed / expected if len(past) and expected > 0 else np.nan
            rows.append(
                (
                    slot.period,
                    slot.period_start,
                    slot.scope,
                    slot.group,
                    code,
                    observed,
                    slot.total,
                    len(past),
                    expected,
                    ratio,
                    z,
                )
            )
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def volume_alerts(
    table: pd.DataFrame, settings: VolumeConfig, *, reason_labels: Mapping[str, str] | None = None
) -> list[Alert]:
    """Spikes (and drops) of known reasons in `table` (from `volume_table`), by period then decreasing |z|."""
    labels = reason_labels or {}
    ready = table[table["baseline_periods"] >= settings.min_baseline_periods]
    alerts: list[tuple[pd.Timestamp, float, Alert]] = []
    banded = "hi95" in table.columns
    for row in ready.itertuples(index=False):
        expected, observed = float(row.expected), int(row.observed)
        nothing_expected = expected <= 0
        in_band = banded and not pd.isna(row.hi95)
        above = observed > row.hi95 if in_band else row.z >= settings.min_z
        below = observed < row.lo95 if in_band else row.z <= -settings.min_z
        spike = (
            observed >= settings.min_count
            and observed - expected >= settings.min_delta
            and (nothing_expected or row.ratio >= settings.min_ratio)
            and above
        )
        drop = (
            settings.drops
            and expected >= settings.min_count
            and expected - observed >= settings.min_delta
            and row.ratio <= 1 / settings.min_ratio
            and below
        )
        if not (spike or drop):
            continue
        strong_ratio = nothing_expected or (
            row.ratio >= settings.strong_ratio if spike else row.ratio <= 1 / settings.strong_ratio
        )
        severity: Severity = "critical" if abs(row.z) >= settings.strong_z and strong_ratio else "warning"
        scope = {"code": str(row.code)}
        if row.scope != ALL_SCOPE:
            scope[str(row.scope)] = str(row.group)
        label = f" ({labels[row.code]})" if row.code in labels else ""
        where = "" if row.scope == ALL_SCOPE else f" {scope_phrase({str(row.scope): str(row.group)})}"
        factor = "motif absent des périodes précédentes" if nothing_expected else f"×{number(row.ratio)}"
        band = (
            f"hors de l'intervalle prévu à 95 % [{number(row.lo95)} – {number(row.hi95)}]"
            if in_band
            else f"écart normalisé {number(row.z)}"
        )
        message = (
            f"{'Pic' if spike else 'Baisse'} du motif {row.code}{label}{where} : {observed} appels contre "
            f"{number(expected)} attendus ({factor}, {band})."
        )
        alert = Alert(
            kind="volume_spike" if spike else "volume_drop",
            severity=severity,
            period=str(row.period),
            scope=scope,
            value=float(observed),
            baseline=expected,
            threshold=settings.min_z,
            message=message,
            details={
                "ratio": None if nothing_expected else float(row.ratio),
                "z": float(row.z),
                "total_calls": int(row.total),
                "baseline_periods": int(row.baseline_periods),
                "measure": "forecast" if in_band else settings.measure,
            },
        )
        alerts.append((row.period_start, -abs(float(row.z)), alert))
    alerts.sort(key=lambda item: (item[0], item[1], item[2].scope.get("code", "")))
    return [alert for _, _, alert in alerts]

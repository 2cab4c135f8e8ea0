"""Volume alerts against the forecast band: a seasonal peak seen in earlier years is expected, the same surge off
season is not. The baseline rule (mean of the previous weeks) flags both — it stays available and unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd

from serving.monitoring import default_config, prepare_calls, run_monitoring, volume_alerts, volume_table
from serving.monitoring.volume_band import forecast_volume_alerts
from tests._monitoring import calls

SETTINGS = default_config().volume
START = pd.Timestamp("2023-01-02")  # a Monday
PEAK_WEEKS = {36, 37, 38}  # ISO weeks of the « rentrée » peak of rdv_prise, every year


def _calls(last_week: int, *, surge_week: int | None = None) -> pd.DataFrame:
    """Weekly calls from START to week `last_week` (index): attestation steady, rdv_prise ×3 in PEAK_WEEKS each
    year, and ×3 in `surge_week` too when given (the same size, off season)."""
    rng = np.random.default_rng(7)
    blocks = []
    for week in range(last_week + 1):
        iso_week = (START + pd.Timedelta(weeks=week)).isocalendar().week
        rdv = 60 if iso_week in PEAK_WEEKS or week == surge_week else 20
        blocks.append((week, "Lille", "attestation", int(rng.poisson(80))))
        blocks.append((week, "Lille", "rdv_prise", int(rng.poisson(rdv))))
    return prepare_calls(calls(blocks, start=START), granularity="week")


def _week_index(day: str) -> int:
    return int((pd.Timestamp(day) - START).days // 7)


def _rdv_spikes(alerts: list) -> list:  # type: ignore[type-arg]
    return [a for a in alerts if a.kind == "volume_spike" and a.scope.get("code") == "rdv_prise"]


def test_seasonal_peak_stays_in_the_band_but_an_off_season_surge_leaves_it() -> None:
    peak = _week_index("2025-09-01")  # ISO week 36 of 2025, third « rentrée » of the history
    seasonal = _calls(peak)
    assert _rdv_spikes(forecast_volume_alerts(seasonal, "week", settings=SETTINGS)) == []

    surge = _week_index("2025-03-10")  # same size, in March: never seen there before
    off_season = _calls(surge, surge_week=surge)
    spikes = _rdv_spikes(forecast_volume_alerts(off_season, "week", settings=SETTINGS))
    assert len(spikes) == 1 and spikes[0].period == "2025-W11"
    assert "hors de l'intervalle prévu à 95 %" in spikes[0].message
    assert spikes[0].details["measure"] == "forecast"


def test_the_baseline_rule_still_flags_the_seasonal_peak() -> None:
    peak = _week_index("2025-09-01")
    seasonal = _calls(peak)
    table = volume_table(seasonal, "week", settings=SETTINGS)
    last = table[table["period_start"] == table["period_start"].max()]
    assert len(_rdv_spikes(volume_alerts(last, SETTINGS))) == 1


def test_run_monitoring_uses_the_band_when_configured() -> None:
    banded = default_config().with_overrides({"volume": {"expected": "forecast"}})

    def spikes(calls: pd.DataFrame, config) -> list:  # type: ignore[no-untyped-def,type-arg]
        raw = calls.drop(columns=["period", "period_start"])
        run = run_monitoring(raw, granularity="week", config=config, emerging=False, since=calls["period"].max())
        return _rdv_spikes([a for p in run.report.periods for a in p.alerts])

    seasonal = _calls(_week_index("2025-09-01"))
    assert len(spikes(seasonal, default_config())) == 1  # baseline (the default): the « rentrée » is a spike
    assert spikes(seasonal, banded) == []  # forecast band: it is the season
    surge = _week_index("2025-03-10")
    assert [a.period for a in spikes(_calls(surge, surge_week=surge), banded)] == ["2025-W11"]

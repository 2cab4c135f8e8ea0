"""« autre » share, its alerts, and the health alarm — on frames small enough to check by hand."""

from __future__ import annotations

import pytest

from serving.monitoring import autre_alerts, autre_share_table, default_config, prepare_calls
from tests._monitoring import calls

CONFIG = default_config()  # target 10 %, +5 points over 4 periods, z ≥ 2, ≥ 30 calls, health: ≥ 80 % of ≥ 2 sites


def _table(frame, granularity="week"):  # type: ignore[no-untyped-def]
    return autre_share_table(
        prepare_calls(frame, granularity=granularity),
        granularity,
        dimensions=("site", "channel"),
        baseline_periods=CONFIG.autre.baseline_periods,
    )


def _history(weeks: int = 4) -> list[tuple[int, str, str, int]]:
    """Each site: 100 calls a week, 5 of them « autre » (5 %)."""
    return [
        block
        for week in range(weeks)
        for site in ("Lille", "Lyon")
        for block in ((week, site, "autre", 5), (week, site, "attestation", 95))
    ]


def test_share_and_baseline_by_site() -> None:
    frame = calls(
        [
            *_history(),
            (4, "Lille", "autre", 20),
            (4, "Lille", "attestation", 80),
            (4, "Lyon", "autre", 5),
            (4, "Lyon", "attestation", 95),
        ]
    )
    table = _table(frame).set_index(["period", "scope", "group"])
    lille = table.loc[("2024-W14", "site", "Lille")]
    assert (lille.n_calls, lille.n_autre, lille.share) == (100, 20, 0.20)
    assert (lille.baseline_calls, lille.baseline_autre) == (400, 20)
    assert lille.baseline_share == pytest.approx(0.05)
    assert lille.delta == pytest.approx(0.15)
    assert lille.z == pytest.approx(0.15 / (0.05 * 0.95 / 100) ** 0.5)
    overall = table.loc[("2024-W14", "all", "ensemble")]
    assert (overall.n_calls, overall.n_autre) == (200, 25)
    first = table.loc[("2024-W10", "all", "ensemble")]
    assert first.baseline_calls == 0 and first.baseline_share != first.baseline_share  # NaN: no history


def test_local_rise_is_not_a_health_alarm() -> None:
    frame = calls(
        [
            *_history(),
            (4, "Lille", "autre", 20),
            (4, "Lille", "attestation", 80),
            (4, "Lyon", "autre", 5),
            (4, "Lyon", "attestation", 95),
        ]
    )
    alerts = autre_alerts(_table(frame), CONFIG)
    kinds = {(a.kind, tuple(a.scope.items())) for a in alerts}
    assert ("model_health", ()) not in kinds
    assert ("autre_rise", (("site", "Lille"),)) in kinds
    assert ("autre_above_target", (("site", "Lille"),)) in kinds
    # Overall 25/200 = 12.5 % > 10 %: above target; +7.5 points with z ≈ 4.9: a rise as well.
    assert ("autre_above_target", ()) in kinds and ("autre_rise", ()) in kinds
    assert not any(a.scope == {"site": "Lyon"} for a in alerts)  # Lyon stayed at 5 %
    rise = next(a for a in alerts if a.kind == "autre_rise" and a.scope == {"site": "Lille"})
    assert rise.period == "2024-W14" and rise.value == pytest.approx(0.2) and rise.baseline == pytest.approx(0.05)
    assert "Hausse de « autre » sur le site Lille : 20,0 % contre 5,0 %" in rise.message


def test_jump_everywhere_is_one_health_alarm() -> None:
    frame = calls(
        [
            *_history(),
            (4, "Lille", "autre", 30),
            (4, "Lille", "attestation", 70),
            (4, "Lyon", "autre", 25),
            (4, "Lyon", "attestation", 75),
        ]
    )
    alerts = [a for a in autre_alerts(_table(frame), CONFIG) if a.period == "2024-W14"]
    assert [a.kind for a in alerts] == ["model_health"]
    health = alerts[0]
    assert health.severity == "critical"
    assert health.details["rising_groups"] == ["Lille", "Lyon"]
    assert "hausse simultanée sur 2 sites sur 2" in health.message


def test_overall_share_above_max_is_a_health_alarm_even_with_one_site() -> None:
    blocks = [(w, "Lille", code, n) for w in range(2) for code, n in (("autre", 5), ("attestation", 95))]
    frame = calls([*blocks, (2, "Lille", "autre", 60), (2, "Lille", "attestation", 40)])
    alerts = [a for a in autre_alerts(_table(frame), CONFIG) if a.period == "2024-W12"]
    assert [a.kind for a in alerts] == ["model_health"]
    assert "au-delà de 50,0 %" in alerts[0].message


def test_small_groups_and_stable_shares_raise_nothing() -> None:
    # 29 calls with 10 « autre » (34 %) is below min_calls; 100 calls at a steady 8 % is under target and flat.
    frame = calls(
        [
            *[(w, "Lille", c, n) for w in range(5) for c, n in (("autre", 8), ("attestation", 92))],
            (4, "Brest", "autre", 10),
            (4, "Brest", "attestation", 19),
        ]
    )
    assert [a for a in autre_alerts(_table(frame), CONFIG) if a.scope.get("site") == "Brest"] == []
    assert [a for a in autre_alerts(_table(frame), CONFIG) if a.scope.get("site") == "Lille"] == []


def test_site_target_override() -> None:
    config = CONFIG.with_overrides({"autre": {"site_targets": {"Lille": 0.05}}})
    frame = calls([(0, "Lille", "autre", 8), (0, "Lille", "attestation", 92)])
    alerts = autre_alerts(_table(frame), config)
    assert [(a.kind, a.scope, a.threshold) for a in alerts] == [("autre_above_target", {"site": "Lille"}, 0.05)]


def test_days_are_compared_with_the_same_weekday() -> None:
    # Four Mondays at 5 %, the days in between at 40 %: the fifth Monday at 5 % is no rise.
    mondays = [(7 * w, "Lille", c, n) for w in range(5) for c, n in (("autre", 5), ("attestation", 95))]
    tuesdays = [(7 * w + 1, "Lille", c, n) for w in range(4) for c, n in (("autre", 40), ("attestation", 60))]
    table = _table(calls([*mondays, *tuesdays], day_step=1), granularity="day")
    monday = table[(table["period"] == "2024-04-01") & (table["scope"] == "all")].iloc[0]
    assert monday.baseline_calls == 400 and monday.baseline_share == pytest.approx(0.05)

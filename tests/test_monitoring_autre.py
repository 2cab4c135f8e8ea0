"""« autre » share, its alerts, and the health alarm — on frames small enough to check by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from serving.monitoring import (
    autre_alerts,
    autre_share_table,
    default_config,
    prepare_calls,
    run_monitoring,
    to_confirm_alerts,
)
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


# --- three outcomes: « autre » = novelty « autre » + the agents' « autre »; « à confirmer » apart -------------------


def _outcomes(period: int, site: str, plan: dict[str, int]) -> pd.DataFrame:
    """Calls of one site and week by outcome: `novelty` (the model's « autre »), `novelty_agent` (the same, the agent
    also chose « autre »), `agent` (auto-coded, the agent chose « autre »), `to_confirm`, `to_confirm_agent` (the agent
    chose « autre »), `to_confirm_known` (the agent picked a known code), `confident`."""
    shapes = {
        "novelty": ("autre", "autre", ""),
        "novelty_agent": ("autre", "autre", "autre"),
        "agent": ("attestation", "confident", "autre"),
        "to_confirm": ("attestation", "to_confirm", ""),
        "to_confirm_agent": ("attestation", "to_confirm", "autre"),
        "to_confirm_known": ("attestation", "to_confirm", "paiement_non_recu"),
        "confident": ("attestation", "confident", ""),
    }
    frames = []
    for kind, count in plan.items():
        code, decision, agent = shapes[kind]
        block = calls([(period, site, code, count)])
        frames.append(block.assign(decision=decision, agent_code=agent, confidence=0.3 if code == "autre" else 0.6))
    return pd.concat(frames, ignore_index=True)


def test_autre_share_counts_novelty_and_agent_autre_never_to_confirm() -> None:
    frame = _outcomes(
        0,
        "Lille",
        {
            "novelty": 4,
            "novelty_agent": 2,  # counted once
            "agent": 3,
            "to_confirm": 30,
            "to_confirm_agent": 1,  # the agent's « autre » counts; the model's doubt does not
            "to_confirm_known": 10,
            "confident": 50,
        },
    )
    row = _table(frame).set_index(["period", "scope", "group"]).loc[("2024-W10", "all", "ensemble")]
    assert (row.n_calls, row.n_autre, row.n_autre_model, row.n_autre_agent) == (100, 10, 6, 4)
    assert row.share == pytest.approx(0.10)
    assert (row.n_to_confirm, row.to_confirm_share) == (41, pytest.approx(0.41))


def test_a_model_in_doubt_raises_model_doubt_not_autre_alerts() -> None:
    # 60 % « à confirmer », 4 % « autre »: a model to check, and nothing about « autre ».
    frame = _outcomes(0, "Lille", {"novelty": 4, "to_confirm": 60, "confident": 36})
    table = _table(frame)
    alerts = autre_alerts(table, CONFIG) + to_confirm_alerts(table, CONFIG)
    assert [(a.kind, a.severity, a.scope) for a in alerts] == [("model_doubt", "critical", {})]
    doubt = alerts[0]
    assert doubt.value == pytest.approx(0.60) and doubt.threshold == CONFIG.health.max_to_confirm_share
    assert "Modèle à vérifier" in doubt.message and "« à confirmer »" in doubt.message
    assert "pas comptés dans « autre »" in doubt.message
    assert to_confirm_alerts(_table(_outcomes(0, "Lille", {"to_confirm": 40, "confident": 60})), CONFIG) == []
    quiet = CONFIG.with_overrides({"health": {"max_to_confirm_share": None}})
    assert to_confirm_alerts(table, quiet) == []
    few = _table(_outcomes(0, "Lille", {"to_confirm": 20, "confident": 5}))  # 25 calls < min_calls
    assert to_confirm_alerts(few, CONFIG) == []


def test_to_confirm_alarm_does_not_fold_the_autre_alerts_of_its_period() -> None:
    frame = _outcomes(0, "Lille", {"novelty": 20, "to_confirm": 60, "confident": 20})
    table = _table(frame)
    kinds = {a.kind for a in autre_alerts(table, CONFIG) + to_confirm_alerts(table, CONFIG)}
    assert {"model_doubt", "autre_above_target"} <= kinds


def test_run_monitoring_reports_both_shares_per_period() -> None:
    frame = pd.concat(
        [
            _outcomes(0, "Lille", {"novelty": 5, "agent": 2, "to_confirm": 20, "confident": 73}),
            _outcomes(1, "Lille", {"novelty": 5, "to_confirm": 70, "confident": 25}),
        ],
        ignore_index=True,
    )
    report = run_monitoring(frame, config=CONFIG, emerging=False).report
    first, second = report.periods
    assert (first.n_autre, first.n_autre_agent, first.n_to_confirm) == (7, 2, 20)
    assert (second.n_autre, second.to_confirm_share) == (5, pytest.approx(0.70))
    assert [a.kind for a in first.alerts] == [] and "model_doubt" in [a.kind for a in second.alerts]
    period = report.to_dict()["periods"][1]
    assert (period["n_to_confirm"], period["to_confirm_share"], period["autre_share"]) == (70, 0.7, 0.05)
